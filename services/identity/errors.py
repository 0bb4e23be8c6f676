"""Identity's typed errors in OpenAPI: each route lists the codes it may answer."""

from __future__ import annotations

from collections import defaultdict
from http import HTTPStatus
from typing import Any

from libs.common.errors import AUTH_ERRORS, AppError, PreconditionFailed, problem_responses


class Gone(AppError):
    status, code, title = 410, "gone", "Gone"


def responses(*errors: type[AppError], auth: bool = True) -> dict[int | str, dict[str, Any]]:
    """problem+json responses for these errors, grouped by status, the codes in each
    description (401/403 of the token checks included unless `auth=False`)."""
    codes: dict[int, set[str]] = defaultdict(set)
    for error in errors:
        codes[error.status].add(error.code)
    out: dict[int | str, dict[str, Any]] = dict(AUTH_ERRORS) if auth else {}
    for status in sorted(codes):
        entry = problem_responses(status)[status]
        listed = ", ".join(f"`{c}`" for c in sorted(codes[status]))
        entry["description"] = f"{HTTPStatus(status).phrase}: {listed}"
        out[status] = entry
    return out


class VersionMismatch(PreconditionFailed):
    """If-Match names another version (libs.common.etag.check_if_match)."""

    code = "version_mismatch"
