"""ETag / If-Match on versioned resources: a stale If-Match gets 412, never a lost update."""

from __future__ import annotations

from fastapi import Request, Response

from libs.common.errors import PreconditionFailed


def etag_for(version: int) -> str:
    return f'"{version}"'


def set_etag(response: Response, version: int) -> None:
    response.headers["ETag"] = etag_for(version)


def check_if_match(request: Request, current_version: int) -> None:
    """Refuse with 412 when the client's If-Match names another version.

    Without If-Match the write goes ahead (the version column still stops a lost update
    between two concurrent writers: the loser gets 412 from StaleDataError).
    """
    header = request.headers.get("if-match")
    if header is None:
        return
    tags = [t.strip().removeprefix("W/") for t in header.split(",")]
    if "*" in tags or etag_for(current_version) in tags:
        return
    raise PreconditionFailed(
        f"If-Match does not match the current version {etag_for(current_version)}",
        code="version_mismatch",
    )
