"""Defect photos by presigned URL on the local store (EXIF stripped, thumbnail made in the
background), brands reading only their own, and PDF reports built from them."""

from __future__ import annotations

import io
import random
from typing import Any
from urllib.parse import urlsplit

import httpx
from PIL import Image
from pypdf import PdfReader

from tests.quality.conftest import Factory, Q, Tokens, eventually, ok
from tests.quality.helpers import all_results, inspection_in_progress, jpeg_with_gps


def _path(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


async def _photo(
    gw: httpx.AsyncClient,
    tokens: Tokens,
    inspection_id: str,
    defect_id: str | None,
    color: tuple[int, int, int] = (200, 40, 40),
) -> dict[str, Any]:
    image = jpeg_with_gps(color)
    made = ok(
        await gw.post(
            f"{Q}/inspections/{inspection_id}/photos",
            headers=tokens.h("inspector"),
            json={
                "content_type": "image/jpeg",
                "size": len(image),
                "defect_id": defect_id,
                "caption": "Scratch on the lid",
            },
        ),
        201,
    )
    upload = made["upload"]
    assert upload["method"] == "PUT" and upload["url"].startswith(str(gw.base_url))
    # straight to the store, no token: the signature is the authority
    put = await gw.put(_path(upload["url"]), content=image, headers=upload["headers"])
    assert put.status_code == 204, put.text
    photo_id = made["photo"]["id"]
    ok(await gw.post(f"{Q}/photos/{photo_id}/complete", headers=tokens.h("inspector")))

    async def processed() -> dict[str, Any] | None:
        got = ok(await gw.get(f"{Q}/photos/{photo_id}", headers=tokens.h("inspector")))
        return got if got["status"] == "processed" else None

    return await eventually(processed)


async def test_photo_upload_download_and_isolation(
    gateway: httpx.AsyncClient, tokens: Tokens, factory: Factory
) -> None:
    _lot, _checklist, inspection, _sku = await inspection_in_progress(gateway, tokens, factory)
    defect = ok(
        await gateway.post(
            f"{Q}/inspections/{inspection['id']}/defects",
            headers=tokens.h("inspector"),
            json={"unit": 2, "severity": "major", "description": "Deep scratch on the lid"},
        ),
        201,
    )
    photo = await _photo(gateway, tokens, inspection["id"], defect["id"])
    assert (photo["width"], photo["height"]) == (640, 480)
    data = (await gateway.get(_path(photo["url"]))).content
    with Image.open(io.BytesIO(data)) as img:
        exif = img.getexif()
        assert 0x8825 not in exif and 0x010F not in exif  # no GPS, no camera
    thumb = (await gateway.get(_path(photo["thumbnail_url"]))).content
    with Image.open(io.BytesIO(thumb)) as img:
        assert max(img.size) <= 320

    # the brand reads its photo; the other brand gets nothing, even with the key
    brand = ok(await gateway.get(f"{Q}/photos/{photo['id']}", headers=tokens.h("lbx")))
    assert (await gateway.get(_path(brand["url"]))).status_code == 200
    other = await gateway.get(f"{Q}/photos/{photo['id']}", headers=tokens.h("my"))
    assert (other.status_code, other.json()["code"]) == (404, "photo_not_found")
    key_path = urlsplit(photo["url"]).path
    for attempt, refused in (
        (key_path, (422, "validation_failed")),  # a guessed key, no signature
        (key_path + "?exp=9999999999&sig=" + "0" * 64, (403, "invalid_signature")),  # forged
        # a real signature for another object (its thumbnail) on this key
        (key_path + "?" + urlsplit(photo["thumbnail_url"]).query, (403, "invalid_signature")),
    ):
        resp = await gateway.get(attempt, headers=tokens.h("my"))
        assert (resp.status_code, resp.json()["code"]) == refused, (attempt, resp.text)

    # annotations are data over the image, versioned
    url = f"{Q}/photos/{photo['id']}/annotations"
    body = {
        "annotations": [
            {"kind": "box", "x": 0.1, "y": 0.2, "w": 0.3, "h": 0.2, "label": "scratch"},
            {"kind": "arrow", "x1": 0.9, "y1": 0.9, "x2": 0.4, "y2": 0.4},
        ]
    }
    stale = await gateway.put(url, headers=tokens.h("inspector", **{"If-Match": '"99"'}), json=body)
    assert stale.status_code == 412
    annotated = ok(
        await gateway.put(
            url, headers=tokens.h("inspector", **{"If-Match": f'"{photo["version"]}"'}), json=body
        )
    )
    assert [a["kind"] for a in annotated["annotations"]] == ["box", "arrow"]
    bad = await gateway.put(
        url, headers=tokens.h("inspector"), json={"annotations": [{"kind": "box", "x": 2}]}
    )
    assert bad.status_code == 422


async def test_upload_limits(gateway: httpx.AsyncClient, tokens: Tokens, factory: Factory) -> None:
    _lot, _checklist, inspection, _sku = await inspection_in_progress(gateway, tokens, factory)
    made = ok(
        await gateway.post(
            f"{Q}/inspections/{inspection['id']}/photos",
            headers=tokens.h("inspector"),
            json={"content_type": "image/jpeg", "size": 100},
        ),
        201,
    )
    up = made["upload"]
    too_big = await gateway.put(_path(up["url"]), content=b"\xff" * 101, headers=up["headers"])
    assert too_big.status_code == 413
    wrong_type = await gateway.put(
        _path(up["url"]), content=b"\xff" * 10, headers={"Content-Type": "text/html"}
    )
    assert (wrong_type.status_code, wrong_type.json()["code"]) == (415, "unsupported_media_type")
    missing = await gateway.post(
        f"{Q}/photos/{made['photo']['id']}/complete", headers=tokens.h("inspector")
    )
    assert (missing.status_code, missing.json()["code"]) == (409, "upload_missing")
    huge = await gateway.post(
        f"{Q}/inspections/{inspection['id']}/photos",
        headers=tokens.h("inspector"),
        json={"content_type": "image/jpeg", "size": 50 * 1024 * 1024},
    )
    assert (huge.status_code, huge.json()["code"]) == (422, "photo_too_large")
    gif = await gateway.post(
        f"{Q}/inspections/{inspection['id']}/photos",
        headers=tokens.h("inspector"),
        json={"content_type": "image/gif", "size": 10},
    )
    assert gif.status_code == 422


async def test_brand_requests_a_report_with_defects_and_photos(
    gateway: httpx.AsyncClient, tokens: Tokens, factory: Factory
) -> None:
    lot, checklist, inspection, _sku = await inspection_in_progress(gateway, tokens, factory)
    h = tokens.h("inspector")
    url = f"{Q}/inspections/{inspection['id']}"
    ok(await gateway.put(f"{url}/results", headers=h, json={"results": all_results(checklist, 13)}))
    defect = ok(
        await gateway.post(
            f"{url}/defects",
            headers=h,
            json={"unit": 4, "severity": "minor", "description": "Ribbon knot off centre"},
        ),
        201,
    )
    await _photo(gateway, tokens, inspection["id"], defect["id"])
    await _photo(gateway, tokens, inspection["id"], None, color=(40, 160, 60))
    ok(await gateway.post(f"{url}/complete", headers=h))

    async def ready(report_id: str) -> dict[str, Any] | None:
        got = ok(await gateway.get(f"{Q}/reports/{report_id}", headers=tokens.h("lbx")))
        assert got["status"] != "failed", got
        return got if got["status"] == "ready" else None

    requested = ok(
        await gateway.post(
            f"{Q}/lots/{lot['id']}/reports",
            headers=tokens.h("lbx"),
            json={"type": "inspection_report"},
        ),
        202,
    )
    assert requested["status"] == "queued" and requested["requested_space"] == "CLIENT"
    report = await eventually(lambda: ready(requested["id"]), wait=60)
    assert report["progress"] == 100
    pdf = PdfReader(io.BytesIO((await gateway.get(_path(report["download_url"]))).content))
    text = "".join(page.extract_text() for page in pdf.pages)
    assert "Ribbon knot off centre" in text and lot["number"] in text
    assert "PASSED" in text and "AQL 1.0" in text
    assert sum(len(page.images) for page in pdf.pages) >= 2

    book = ok(
        await gateway.post(
            f"{Q}/lots/{lot['id']}/reports", headers=tokens.h("admin"), json={"type": "photo_book"}
        ),
        202,
    )
    await eventually(lambda: ready(book["id"]), wait=60)
    grouped = ok(await gateway.get(f"{Q}/lots/{lot['id']}/reports", headers=tokens.h("lbx")))
    assert [r["id"] for r in grouped["inspection_report"]] == [requested["id"]]
    assert [r["id"] for r in grouped["photo_book"]] == [book["id"]]
    assert grouped["photo_book"][0]["download_url"]
    # the other brand neither lists nor reads them
    assert (
        await gateway.get(f"{Q}/lots/{lot['id']}/reports", headers=tokens.h("my"))
    ).status_code == 404
    assert (
        await gateway.get(f"{Q}/reports/{requested['id']}", headers=tokens.h("my"))
    ).status_code == 404
    assert (
        await gateway.post(
            f"{Q}/lots/{lot['id']}/reports", headers=tokens.h("my"), json={"type": "photo_book"}
        )
    ).status_code == 404


def _noisy_jpeg(min_bytes: int) -> bytes:
    """A photo of noise (JPEG cannot compress it) of at least `min_bytes`."""
    side = 1024
    while True:
        img = Image.frombytes("RGB", (side, side), random.randbytes(side * side * 3))
        out = io.BytesIO()
        img.save(out, format="JPEG", quality=95)
        if out.tell() >= min_bytes:
            return out.getvalue()
        side += 256


async def test_a_photo_over_the_services_body_limit_uploads_up_to_its_signed_size(
    gateway: httpx.AsyncClient, tokens: Tokens, factory: Factory
) -> None:
    """The presigned URL caps the size (photo_max_bytes, 8 MiB), not the service's 1 MiB body
    limit: a 2 MiB photo was refused 413 by the request middleware before the route."""
    _lot, _checklist, inspection, _sku = await inspection_in_progress(gateway, tokens, factory)
    image = _noisy_jpeg(2 * 1024 * 1024)
    assert len(image) > 2 * 1024 * 1024
    made = ok(
        await gateway.post(
            f"{Q}/inspections/{inspection['id']}/photos",
            headers=tokens.h("inspector"),
            json={"content_type": "image/jpeg", "size": len(image)},
        ),
        201,
    )
    upload = made["upload"]
    put = await gateway.put(_path(upload["url"]), content=image, headers=upload["headers"])
    assert put.status_code == 204, put.text
    # the signed size still holds: one byte more than signed is refused
    again = ok(
        await gateway.post(
            f"{Q}/inspections/{inspection['id']}/photos",
            headers=tokens.h("inspector"),
            json={"content_type": "image/jpeg", "size": len(image) - 1},
        ),
        201,
    )["upload"]
    over = await gateway.put(_path(again["url"]), content=image, headers=again["headers"])
    assert (over.status_code, over.json()["code"]) == (413, "payload_too_large")
