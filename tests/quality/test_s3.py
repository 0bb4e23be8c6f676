"""The same photo flow on S3: quality in-process (real database, real identity keys),
configured for a bucket on moto's S3-compatible server started here."""

from __future__ import annotations

import io
import uuid
from collections.abc import AsyncIterator
from typing import Any

import boto3
import httpx
import pytest
from fastapi import FastAPI
from moto.server import ThreadedMotoServer
from PIL import Image

from services.quality.app import create_app
from services.quality.config import Settings
from services.quality.photos.jobs import process_photo
from tests.quality.conftest import Factory, Tokens, eventually, ok
from tests.quality.helpers import inspection_in_progress, jpeg_with_gps
from tools.pg import free_port
from tools.stack import Stack

BUCKET = "weft-evidence"


@pytest.fixture
async def s3_quality(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[tuple[httpx.AsyncClient, str, FastAPI]]:
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    for name, value in (
        ("AWS_ACCESS_KEY_ID", "testing"),
        ("AWS_SECRET_ACCESS_KEY", "testing"),
        ("AWS_DEFAULT_REGION", "us-east-1"),
        ("WEFT_S3_ENDPOINT_URL", endpoint),
        ("WEFT_S3_REGION", "us-east-1"),
    ):
        monkeypatch.setenv(name, value)
    boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1").create_bucket(Bucket=BUCKET)
    settings = Settings(
        environment="test",
        database_url=stack.service_dsn("quality"),
        jwks_url=f"{stack.service_url('identity')}/.well-known/jwks.json",
        service_secret=stack.secrets["service_secret_quality"],
        storage_url=f"s3://{BUCKET}",
        relay_enabled=False,
        # the stack's own quality process runs the job queue; this app's job (on the same
        # queue) is run below by calling the job's function, against this app's store
        jobs_worker_enabled=False,
    )
    app = create_app(settings)
    try:
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://quality.test") as c:
                yield c, endpoint, app
    finally:
        server.stop()


async def test_photo_round_trip_on_s3(
    gateway: httpx.AsyncClient,
    tokens: Tokens,
    factory: Factory,
    s3_quality: tuple[httpx.AsyncClient, str, FastAPI],
) -> None:
    quality, endpoint, app = s3_quality
    _lot, _checklist, inspection, _sku = await inspection_in_progress(gateway, tokens, factory)
    image = jpeg_with_gps((30, 90, 200))
    made = ok(
        await quality.post(
            f"/inspections/{inspection['id']}/photos",
            headers=tokens.h("inspector"),
            json={"content_type": "image/jpeg", "size": len(image), "caption": "on S3"},
        ),
        201,
    )
    upload = made["upload"]
    assert upload["url"].startswith(f"{endpoint}/{BUCKET}/")
    key = made["photo"]["id"]
    assert f"/{BUCKET}/" in upload["url"] and key in upload["url"]
    async with httpx.AsyncClient() as raw:
        put = await raw.put(upload["url"], content=image, headers=upload["headers"])
        assert put.status_code == 200, put.text
        ok(await quality.post(f"/photos/{key}/complete", headers=tokens.h("inspector")))
        assert await process_photo(app.state.db, app.state.evidence, uuid.UUID(key))

        async def processed() -> dict[str, Any] | None:
            got = ok(await quality.get(f"/photos/{key}", headers=tokens.h("lbx")))
            return got if got["status"] == "processed" else None

        photo = await eventually(processed)
        assert photo["url"].startswith(endpoint)
        body = (await raw.get(photo["url"])).content
        with Image.open(io.BytesIO(body)) as img:
            assert 0x8825 not in img.getexif()
        thumb = (await raw.get(photo["thumbnail_url"])).content
        with Image.open(io.BytesIO(thumb)) as img:
            assert max(img.size) <= 320
    # stored under the provider tenant's prefix
    s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET)["Contents"]]
    assert keys and all(k.startswith(f"{_tenant(tokens)}/") for k in keys)
    # the other brand gets nothing
    other = await quality.get(f"/photos/{key}", headers=tokens.h("my"))
    assert other.status_code == 404


def _tenant(tokens: Tokens) -> str:
    return str(tokens.seed.data["tenants"]["paco"])
