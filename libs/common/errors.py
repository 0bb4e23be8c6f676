"""One error hierarchy and its RFC 9457 problem+json rendering, for every service.

Domain errors are typed: a feature declares a subclass with a stable `code`, a status and
a title, raises it, and lists it in its routes' `responses` with `errors(...)`:

    class LotNotFound(NotFound):
        code, title = "lot_not_found", "Lot not found"

    @router.get("/lots/{lot_id}", responses=errors(LotNotFound))

`errors()` groups the classes by status and documents every code (description, examples
and an `x-problem-codes` list), so a client and a generated SDK can discover them.

Every problem body is built by `problem_body` (FastAPI handlers, the ASGI middlewares and
the gateway all use it), so there is one shape.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from http import HTTPStatus
from typing import Any, ClassVar

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import Send

from libs.common.context import public_path
from libs.common.logs import request_id_var
from libs.common.responses import ORJSONResponse

log = logging.getLogger("weft.errors")

PROBLEM_JSON = "application/problem+json"
PROBLEM_BASE = "https://weft.dev/problems/"
PROBLEM_REF = "#/components/schemas/Problem"


class FieldError(BaseModel):
    field: str
    message: str


class Problem(BaseModel):
    """RFC 9457 problem details, with a stable `code` and the request id."""

    type: str
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None
    code: str
    request_id: str | None = None
    errors: list[FieldError] | None = None


# --- the one builder ---------------------------------------------------------------------


def problem_body(
    status: int,
    code: str,
    title: str | None = None,
    detail: str | None = None,
    instance: str | None = None,
    *,
    request_id: str | None = None,
    errors: list[dict[str, str]] | None = None,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The problem+json body every part of Weft answers with (services and gateway)."""
    body: dict[str, Any] = {
        "type": PROBLEM_BASE + code,
        "title": title or HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "instance": instance,
        "code": code,
        "request_id": request_id if request_id is not None else request_id_var.get(),
    }
    if errors is not None:
        body["errors"] = errors
    if extra:
        body.update(extra)
    return body


def problem_bytes(status: int, code: str, title: str | None = None, **kw: Any) -> bytes:
    return orjson.dumps(problem_body(status, code, title, **kw))


def problem_response(
    status: int,
    code: str,
    title: str | None,
    detail: str | None,
    instance: str | None,
    *,
    errors: list[dict[str, str]] | None = None,
    extra: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> ORJSONResponse:
    body = problem_body(
        status, code, title, detail, public_path(instance), errors=errors, extra=extra
    )
    return ORJSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


async def send_problem(
    send: Send,
    status: int,
    code: str,
    detail: str,
    *,
    title: str | None = None,
    instance: str | None = None,
    request_id: str | None = None,
    errors: list[dict[str, str]] | None = None,
    headers: dict[str, str] | None = None,
) -> None:
    """The same body from pure ASGI middleware (before or around the FastAPI app)."""
    body = problem_bytes(
        status,
        code,
        title,
        detail=detail,
        instance=public_path(instance),
        request_id=request_id,
        errors=errors,
    )
    raw = [
        (b"content-type", PROBLEM_JSON.encode()),
        (b"content-length", str(len(body)).encode()),
    ]
    raw += [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})


# --- the hierarchy -----------------------------------------------------------------------


class AppError(Exception):
    """A refusal the API expects to make. Subclasses fix status, code and title."""

    status: ClassVar[int] = 400
    code: str = "bad_request"
    title: ClassVar[str] = "Bad request"

    def __init__(
        self,
        detail: str | None = None,
        *,
        code: str | None = None,
        extra: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        if code:
            # Kept for old call sites; a typed subclass is the way to a documented code.
            self.code = code
        self.extra = extra or {}
        self.headers = headers or {}

    @classmethod
    def example(cls) -> dict[str, Any]:
        return problem_body(cls.status, cls.code, cls.title, cls.title, request_id="")


class BadRequest(AppError):
    status, code, title = 400, "bad_request", "Bad request"


class Unauthorized(AppError):
    status, code, title = 401, "unauthorized", "Authentication required"

    def __init__(self, detail: str | None = None, **kw: Any) -> None:
        kw.setdefault("headers", {"WWW-Authenticate": 'Bearer realm="weft"'})
        super().__init__(detail, **kw)


class Forbidden(AppError):
    status, code, title = 403, "forbidden", "Forbidden"


class NotFound(AppError):
    status, code, title = 404, "not_found", "Not found"


class Conflict(AppError):
    status, code, title = 409, "conflict", "Conflict"


class PreconditionFailed(AppError):
    status, code, title = 412, "precondition_failed", "Precondition failed"


class PayloadTooLarge(AppError):
    status, code, title = 413, "payload_too_large", "Payload too large"


class PreconditionRequired(AppError):
    status, code, title = 428, "precondition_required", "Precondition required"


class Unprocessable(AppError):
    """A well-formed request the domain refuses (422 with a specific code)."""

    status, code, title = 422, "unprocessable", "Unprocessable request"


class RateLimited(AppError):
    status, code, title = 429, "rate_limited", "Too many requests"


class ServiceUnavailable(AppError):
    status, code, title = 503, "service_unavailable", "Service unavailable"


# --- the kit's own typed errors ------------------------------------------------------------


class InvalidJson(BadRequest):
    code, title = "invalid_json", "Malformed JSON"


class InvalidCursor(BadRequest):
    code, title = "invalid_cursor", "Invalid cursor"


class InvalidIdempotencyKey(BadRequest):
    code, title = "invalid_idempotency_key", "Invalid Idempotency-Key"


class InvalidToken(Unauthorized):
    code, title = "invalid_token", "Invalid token"


class MissingToken(Unauthorized):
    code, title = "missing_token", "Missing bearer token"


class TokenExpired(Unauthorized):
    code, title = "token_expired", "Token expired"


class WrongSpace(Forbidden):
    code, title = "wrong_space", "Not open to this space"


class MissingPermission(Forbidden):
    code, title = "missing_permission", "Missing permission"


class PasswordChangeRequired(Forbidden):
    code, title = "password_change_required", "Password change required"


class ImpersonationForbidden(Forbidden):
    """What an impersonator never does (`require(..., impersonation=False)`)."""

    code, title = "impersonation_forbidden", "Not allowed while impersonating"


class ResourceConflict(Conflict):
    """A database constraint refused the write (IntegrityError, mapped in one place)."""

    code, title = "conflict", "Conflict"


class IdempotencyInFlight(Conflict):
    code, title = "idempotency_in_flight", "Request still in flight"


class VersionMismatch(PreconditionFailed):
    code, title = "version_mismatch", "Version mismatch"


class StaleVersion(PreconditionFailed):
    code, title = "precondition_failed", "Precondition failed"


class ValidationFailed(Unprocessable):
    code, title = "validation_failed", "Validation failed"


class IdempotencyKeyReused(Unprocessable):
    code, title = "idempotency_key_reused", "Idempotency-Key reused"


class RetryLater(ServiceUnavailable):
    """The database gave up on the transaction (a deadlock, a serialization failure): nothing
    was written, and the same request may simply be sent again."""

    code, title = "retry_later", "Transient conflict; retry"


class HeaderTooLarge(AppError):
    status, code, title = 431, "header_too_large", "Request header fields too large"


# --- what the gateway answers for a service (documented on every operation it routes) ----


class UpstreamUnreachable(AppError):
    status, code, title = 502, "upstream_unreachable", "Bad gateway"


class UpstreamDisconnected(AppError):
    status, code, title = 502, "upstream_disconnected", "Bad gateway"


class BadUpstreamResponse(AppError):
    status, code, title = 502, "bad_upstream_response", "Bad gateway"


class UpstreamUnavailable(AppError):
    status, code, title = 503, "upstream_unavailable", "Service unavailable"


class UpstreamTimeout(AppError):
    status, code, title = 504, "upstream_timeout", "Gateway timeout"


EDGE_ERRORS: tuple[type[AppError], ...] = (
    RateLimited,
    UpstreamUnreachable,
    UpstreamDisconnected,
    BadUpstreamResponse,
    UpstreamUnavailable,
    UpstreamTimeout,
)


class InternalError(AppError):
    status, code, title = 500, "internal_error", "Internal server error"


# --- documenting errors in OpenAPI --------------------------------------------------------


def _response_entry(status: int, classes: Iterable[type[AppError]]) -> dict[str, Any]:
    seen: dict[str, type[AppError]] = {}
    for cls in classes:
        seen.setdefault(cls.code, cls)
    codes = list(seen)
    content: dict[str, Any] = {"schema": {"$ref": PROBLEM_REF}}
    if seen:
        content["examples"] = {
            code: {"summary": cls.title, "value": cls.example()} for code, cls in seen.items()
        }
    return {
        "description": describe_codes(status, codes),
        "content": {PROBLEM_JSON: content},
        "x-problem-codes": codes,
    }


def describe_codes(status: int, codes: Iterable[str]) -> str:
    listed = ", ".join(f"`{c}`" for c in codes)
    phrase = HTTPStatus(status).phrase
    return f"{phrase} (problem codes: {listed})" if listed else phrase


def errors(*items: type[AppError] | int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` for a route: the typed errors it raises, grouped by status.

    Pass AppError subclasses (`errors(LotNotFound, InvalidGateMove)`) and, where no typed
    error exists yet, bare statuses (`errors(404)`). Combine with `|` or `**`; the app
    merges the codes of one status when two entries name it.
    """
    by_status: dict[int, list[type[AppError]]] = {}
    for item in items:
        if isinstance(item, int):
            by_status.setdefault(item, [])
        else:
            by_status.setdefault(item.status, []).append(item)
    return {status: _response_entry(status, classes) for status, classes in by_status.items()}


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` entries documenting problem+json errors (by status only)."""
    return errors(*statuses)


# Every authenticated operation can answer these.
AUTH_ERRORS = errors(MissingToken, InvalidToken, TokenExpired, WrongSpace, MissingPermission)


# --- the handlers --------------------------------------------------------------------------


def _loc_to_field(loc: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] in ("body", "query", "path", "header"):
        parts = parts[1:] if len(parts) > 1 else parts
    return ".".join(parts)


# deadlock detected, serialization failure: the transaction was rolled back as a whole
_TRANSIENT_SQLSTATES = frozenset({"40P01", "40001"})
_FASTAPI_BODY_ERROR = "There was an error parsing the body"
_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    429: "rate_limited",
}


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(AppError)
    async def _app_error(request: Request, exc: AppError) -> ORJSONResponse:
        return problem_response(
            exc.status,
            exc.code,
            exc.title,
            exc.detail,
            request.url.path,
            extra=exc.extra,
            headers=exc.headers,
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> ORJSONResponse:
        problems = exc.errors()
        if any(e.get("type") == "json_invalid" for e in problems):
            # A body that is not JSON at all is a malformed request, not a failed validation.
            return problem_response(
                400,
                InvalidJson.code,
                InvalidJson.title,
                "The request body is not valid JSON.",
                request.url.path,
            )
        fields = [
            {"field": _loc_to_field(e.get("loc", ())), "message": str(e.get("msg", "invalid"))}
            for e in problems
        ]
        return problem_response(
            422,
            ValidationFailed.code,
            ValidationFailed.title,
            "The request did not pass validation; see errors.",
            request.url.path,
            errors=fields,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> ORJSONResponse:
        if exc.status_code == 400 and exc.detail == _FASTAPI_BODY_ERROR:
            # a body FastAPI cannot even decode (not UTF-8, say): malformed, like bad JSON
            return problem_response(
                400,
                InvalidJson.code,
                InvalidJson.title,
                "The request body could not be parsed.",
                request.url.path,
            )
        code = _HTTP_CODES.get(exc.status_code, f"http_{exc.status_code}")
        title = HTTPStatus(exc.status_code).phrase
        detail = exc.detail if isinstance(exc.detail, str) else title
        return problem_response(
            exc.status_code,
            code,
            title,
            detail,
            request.url.path,
            headers=dict(exc.headers or {}),
        )

    @app.exception_handler(IntegrityError)
    async def _integrity(request: Request, exc: IntegrityError) -> ORJSONResponse:
        # The one place a database constraint violation becomes an API answer.
        constraint = getattr(getattr(exc.orig, "__cause__", None), "constraint_name", None)
        detail = "The request conflicts with the current state of a resource."
        if constraint:
            detail += f" (constraint {constraint})"
        return problem_response(
            409, ResourceConflict.code, ResourceConflict.title, detail, request.url.path
        )

    @app.exception_handler(DBAPIError)
    async def _database(request: Request, exc: DBAPIError) -> ORJSONResponse:
        if getattr(exc.orig, "sqlstate", None) in _TRANSIENT_SQLSTATES:
            log.warning("transient database conflict", extra={"path": request.url.path})
            return problem_response(
                503,
                RetryLater.code,
                RetryLater.title,
                "The request collided with another one and was rolled back; send it again.",
                request.url.path,
                headers={"Retry-After": "1"},
            )
        return await _unhandled(request, exc)

    @app.exception_handler(StaleDataError)
    async def _stale(request: Request, exc: StaleDataError) -> ORJSONResponse:
        return problem_response(
            412,
            StaleVersion.code,
            StaleVersion.title,
            "The resource was changed by someone else; fetch it again.",
            request.url.path,
        )

    @app.exception_handler(Exception)
    async def _unhandled(request: Request, exc: Exception) -> ORJSONResponse:
        log.exception("unhandled error", extra={"path": request.url.path})
        return problem_response(
            500,
            InternalError.code,
            InternalError.title,
            "An unexpected error occurred; it has been logged.",
            request.url.path,
        )
