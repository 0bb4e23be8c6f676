"""Kit pieces that need no running service: permissions, cursors, ETags, settings."""

import gc
import uuid
from datetime import UTC, datetime

import httpx
import pytest
from opentelemetry import trace
from starlette.requests import Request

from libs.common.app import create_service_app
from libs.common.auth import permission_matches
from libs.common.errors import BadRequest, PreconditionFailed
from libs.common.etag import check_if_match
from libs.common.pagination import decode_cursor, encode_cursor
from libs.common.settings import ServiceSettings


@pytest.mark.parametrize(
    ("granted", "wanted", "ok"),
    [
        ("orders:read", "orders:read", True),
        ("orders:*", "orders:write", True),
        ("*:read", "lots:read", True),
        ("*:*", "clients:manage", True),
        ("orders:read", "orders:write", False),
        ("*:read", "lots:approve", False),
        ("lots:approve", "lots:read", False),
    ],
)
def test_permission_matching(granted: str, wanted: str, ok: bool) -> None:
    assert permission_matches(granted, wanted) is ok


def test_cursor_round_trip() -> None:
    when = datetime(2026, 11, 21, 7, 0, tzinfo=UTC)
    ident = uuid.uuid4()
    cursor = encode_cursor([when, ident])
    assert decode_cursor(cursor, [datetime, uuid.UUID]) == [when, ident]


@pytest.mark.parametrize("bad", ["%%%", "bm90LWpzb24", encode_cursor([1, 2, 3])])
def test_bad_cursor_is_a_400(bad: str) -> None:
    with pytest.raises(BadRequest) as err:
        decode_cursor(bad, [uuid.UUID])
    assert err.value.code == "invalid_cursor"


def _request(if_match: str | None) -> Request:
    headers = [(b"if-match", if_match.encode())] if if_match is not None else []
    return Request({"type": "http", "method": "PATCH", "path": "/", "headers": headers})


def test_if_match() -> None:
    check_if_match(_request(None), 3)
    check_if_match(_request('"3"'), 3)
    check_if_match(_request('W/"3"'), 3)
    check_if_match(_request("*"), 3)
    with pytest.raises(PreconditionFailed):
        check_if_match(_request('"2"'), 3)


@pytest.mark.parametrize("secret", ["", "changeme", "dev-secret", "secret"])
def test_production_refuses_placeholder_secrets(secret: str) -> None:
    with pytest.raises(ValueError, match="placeholder"):
        ServiceSettings(environment="production", service_secret=secret)


def test_development_accepts_missing_secret() -> None:
    assert ServiceSettings(environment="development", service_secret="").is_development


@pytest.mark.parametrize("otel", [False, True])
async def test_fastapi_asks_for_opentelemetry_providers_only_when_asked_to(
    otel: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """WEFT_OTEL off (the default): FastAPI's native telemetry is off, and no request asks
    whether a global provider was configured; on: each request does."""
    asked: list[int] = []
    real = trace.get_tracer_provider

    def counting() -> trace.TracerProvider:
        asked.append(1)
        return real()

    monkeypatch.setattr(trace, "get_tracer_provider", counting)
    app = create_service_app(
        settings=ServiceSettings(service_name="things", otel=otel),
        title="things",
        description="",
        routers=[],
    )
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://things"
    ) as c:
        assert (await c.get("/nowhere")).status_code == 404
    assert bool(asked) is otel


@pytest.mark.parametrize("freeze", [True, False])
async def test_a_started_service_freezes_its_start_up_heap(freeze: bool) -> None:
    """Ready to serve, a service's start-up objects sit in the permanent generation (full
    collections skip them: libs.common.heap); `gc_freeze=false` leaves the heap alone."""
    gc.unfreeze()
    app = create_service_app(
        settings=ServiceSettings(service_name="things", jobs_enabled=False, gc_freeze=freeze),
        title="things",
        description="",
        routers=[],
    )
    try:
        async with app.router.lifespan_context(app):
            assert (gc.get_freeze_count() > 0) is freeze
    finally:
        gc.unfreeze()
