"""Reading an import file as a stream of rows: CSV through the csv module over an open
file, JSON (a list of objects, or `{"items": [...]}`) through ijson; never the whole file in
memory. The job spools the stored chunks to a temporary file first (files.spooled)."""

from __future__ import annotations

import codecs
import csv
import tempfile
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import IO, Any

import ijson

CHUNK_BYTES = 1024 * 1024


class UnreadableFile(ValueError):
    """The file is not CSV with a header row, nor a JSON list of objects."""


class Utf8Check:
    """Checks, piece by piece, that an upload is UTF-8 (a BOM allowed) without NUL (the
    request middleware leaves streamed uploads to their route)."""

    def __init__(self) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8-sig")()

    def feed(self, data: bytes, final: bool = False) -> None:
        if b"\x00" in data:
            raise UnreadableFile("The file contains the NUL character")
        try:
            self._decoder.decode(data, final)
        except UnicodeDecodeError:
            raise UnreadableFile("The file is not UTF-8") from None


async def rechunk(stream: AsyncIterator[bytes], size: int = CHUNK_BYTES) -> AsyncIterator[bytes]:
    """The request body in pieces of `size` bytes (the last one shorter)."""
    buf = bytearray()
    async for piece in stream:
        buf += piece
        while len(buf) >= size:
            yield bytes(buf[:size])
            del buf[:size]
    if buf:
        yield bytes(buf)


@asynccontextmanager
async def spooled(chunks: AsyncIterator[bytes]) -> AsyncIterator[Path]:
    """The chunks written to a temporary file, removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="weft-import-") as tmp:
        path = Path(tmp) / "upload"
        with path.open("wb") as out:
            async for chunk in chunks:
                out.write(chunk)
        yield path


def _json_rows(f: IO[bytes]) -> Iterator[dict[str, Any]]:
    head = f.read(1)
    while head and head.isspace():
        head = f.read(1)
    if head == b"\xef":  # a BOM
        f.read(2)
        head = f.read(1)
    f.seek(f.tell() - 1)
    prefix = {b"[": "item", b"{": "items.item"}.get(head)
    if prefix is None:
        raise UnreadableFile('a JSON import is a list of objects (or {"items": [...]})')
    try:
        for item in ijson.items(f, prefix, use_float=False):
            if not isinstance(item, dict):
                raise UnreadableFile("every item of a JSON import is an object")
            yield item
    except ijson.JSONError as exc:
        raise UnreadableFile(f"the JSON cannot be read: {exc}") from None


def rows(fmt: str, path: Path) -> Iterator[dict[str, Any]]:
    """The file's rows, one at a time (1-based numbering is the caller's)."""
    if fmt == "json":
        with path.open("rb") as f:
            yield from _json_rows(f)
        return
    with path.open(encoding="utf-8-sig", newline="") as f:
        try:
            for row in csv.DictReader(f):
                yield {k: v for k, v in row.items() if k is not None} | (
                    {"__extra__": row[None]} if None in row else {}  # type: ignore[index]
                )
        except csv.Error as exc:
            raise UnreadableFile(f"the CSV cannot be read: {exc}") from None
