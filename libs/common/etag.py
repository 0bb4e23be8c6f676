"""ETag / If-Match on versioned resources: a stale If-Match gets 412, never a lost update.

The one rule: a resource's ETag is its version in quotes (`"3"`); `If-Match` names one or
more ETags (weak ones too) or `*`. A write whose If-Match names none of the current
version is refused with 412 `version_mismatch`; without If-Match it goes ahead (the version
column still stops a lost update between two concurrent writers: 412 from StaleDataError).

Two ways to use it:
- `check_if_match(request, current_version)` after loading the row;
- `expected: IfMatchVersion` as a parameter (documents the header in OpenAPI), then
  `ensure_version(expected, current_version)`, or pass `expected` to a conditional
  `UPDATE ... WHERE version = :expected`.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Header, Request, Response
from pydantic import BaseModel

from libs.common.errors import VersionMismatch

IF_MATCH_DESCRIPTION = (
    "The ETag of the version this write is based on (from a previous read); "
    "the write is refused with 412 `version_mismatch` when the resource has changed since."
)
ANY_VERSION: int | None = None
NO_VERSION = -1  # matches no version: the write is refused with 412


def etag_for(version: int) -> str:
    return f'"{version}"'


def set_etag(response: Response, version: int) -> None:
    response.headers["ETag"] = etag_for(version)


def if_match_tags(header: str | None) -> list[str] | None:
    """The entity tags of an If-Match header, weak prefixes dropped; None when absent."""
    if header is None:
        return None
    return [t.strip().removeprefix("W/") for t in header.split(",") if t.strip()]


def if_match_version(header: str | None) -> int | None:
    """The version an If-Match names: None when absent or `*` (any version), NO_VERSION
    when it names something that is no version of ours. With several tags, the first one."""
    tags = if_match_tags(header)
    if not tags or "*" in tags:
        return ANY_VERSION
    tag = tags[0]
    if len(tag) >= 2 and tag[0] == tag[-1] == '"':
        tag = tag[1:-1]
    return int(tag) if tag.isdigit() else NO_VERSION


def _refuse(current_version: int, current: BaseModel | None = None) -> VersionMismatch:
    """`current`: the resource as the server holds it, sent in the problem as `current`, so
    a device replaying an offline write can merge (libs.common.replay)."""
    extra: dict[str, Any] = {}
    if current is not None:
        extra["current"] = current.model_dump(mode="json")
    return VersionMismatch(
        f"If-Match does not match the current version {etag_for(current_version)}",
        extra=extra,
    )


def matches(header: str | None, current_version: int) -> bool:
    tags = if_match_tags(header)
    return not tags or "*" in tags or etag_for(current_version) in tags


def check_if_match(
    request: Request, current_version: int, current: BaseModel | None = None
) -> None:
    """Refuse with 412 when the request's If-Match names another version (with the
    `current` entity in the problem when given)."""
    if not matches(request.headers.get("if-match"), current_version):
        raise _refuse(current_version, current)


def ensure_version(
    expected: int | None, current_version: int, current: BaseModel | None = None
) -> None:
    """Refuse with 412 when `expected` (from IfMatchVersion) is not the current version."""
    if expected is not None and expected != current_version:
        raise _refuse(current_version, current)


async def _if_match(
    if_match: Annotated[
        str | None, Header(alias="If-Match", description=IF_MATCH_DESCRIPTION)
    ] = None,
) -> int | None:
    return if_match_version(if_match)


# The version a write's If-Match names (None: any), with the header documented in OpenAPI.
IfMatchVersion = Annotated[int | None, Depends(_if_match)]
