"""Small helpers shared by quality's tests: an inspection in progress, SSE reading, images."""

from __future__ import annotations

import io
from typing import Any

import httpx
from PIL import Image

from tests.quality.conftest import Factory, Q, Tokens, ok


async def inspection_in_progress(
    gateway: httpx.AsyncClient, tokens: Tokens, factory: Factory, quantity: int = 50
) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any], str]:
    """(lot, checklist, inspection, product sku) with the inspection started."""
    plant, sku = await factory.product()
    checklist = await factory.checklist(sku)
    lot = await factory.lot(plant, quantity)
    await factory.gate(lot["id"], "in_production")
    await factory.gate(lot["id"], "qa_pending")
    inspection = await factory.inspection_of(lot["id"])
    ok(
        await gateway.post(
            f"{Q}/inspections/{inspection['id']}/start", headers=tokens.h("inspector")
        )
    )
    return lot, checklist, inspection, sku


def all_results(checklist: dict[str, Any], units: int) -> list[dict[str, Any]]:
    out = []
    for unit in range(1, units + 1):
        for item in checklist["items"]:
            if item["check_type"] == "measurement":
                out.append({"item_id": item["id"], "unit": unit, "value": "120.1"})
            else:
                out.append({"item_id": item["id"], "unit": unit, "passed": True})
    return out


def jpeg_with_gps(color: tuple[int, int, int] = (200, 40, 40), size: int = 640) -> bytes:
    """A generated photo carrying EXIF: a camera make and a GPS position."""
    img = Image.new("RGB", (size, size * 3 // 4), color)
    for x in range(0, size, 40):
        for y in range(0, size * 3 // 4, 40):
            img.putpixel((x, y), (255, 255, 255))
    exif = Image.Exif()
    exif[0x010F] = "WeftCam"  # Make
    exif[0x8825] = {1: "N", 2: (45.0, 28.0, 0.0), 3: "E", 4: (9.0, 11.0, 0.0)}  # GPS IFD
    out = io.BytesIO()
    img.save(out, format="JPEG", exif=exif)
    return out.getvalue()


class SSE:
    """Reads server-sent events from one open response, across several reads."""

    def __init__(self, resp: httpx.Response) -> None:
        self.lines = resp.aiter_lines()

    async def read(self, want: int, *, wait: float = 20) -> list[dict[str, str]]:
        import asyncio

        events: list[dict[str, str]] = []
        current: dict[str, str] = {}

        async def run() -> None:
            async for line in self.lines:
                if line == "":
                    if "data" in current:
                        events.append(dict(current))
                        if len(events) >= want:
                            return
                    current.clear()
                    continue
                if line.startswith(":"):
                    continue
                name, _, value = line.partition(":")
                current[name] = value.removeprefix(" ")

        await asyncio.wait_for(run(), wait)
        return events
