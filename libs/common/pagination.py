"""Keyset cursor pagination with a capped limit: `?limit=&cursor=` -> `{items, next_cursor}`."""

from __future__ import annotations

import base64
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Generic, TypeVar

import orjson
from fastapi import Depends, Query
from pydantic import BaseModel
from sqlalchemy import Select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from libs.common.errors import InvalidCursor
from libs.common.reads import Compiled, ReadTransaction

T = TypeVar("T")
DEFAULT_LIMIT = 50
MAX_LIMIT = 200


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = None


@dataclass(frozen=True, slots=True)
class PageParams:
    limit: int = DEFAULT_LIMIT
    cursor: str | None = None


# async: FastAPI runs a plain `def` dependency in a worker thread (a thread hop per list).
async def _page_params(
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Page size")] = DEFAULT_LIMIT,
    cursor: Annotated[
        str | None, Query(max_length=512, description="Opaque cursor from next_cursor")
    ] = None,
) -> PageParams:
    return PageParams(limit=limit, cursor=cursor)


PageQuery = Annotated[PageParams, Depends(_page_params)]


def encode_cursor(values: list[Any]) -> str:
    def conv(v: Any) -> Any:
        if isinstance(v, (uuid.UUID, Decimal)):
            return str(v)
        if isinstance(v, (datetime, date)):
            return v.isoformat()
        return v

    raw = orjson.dumps([conv(v) for v in values])
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, types: list[type]) -> list[Any]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        values = orjson.loads(raw)
        if not isinstance(values, list) or len(values) != len(types):
            raise ValueError("shape")
        out: list[Any] = []
        for v, t in zip(values, types, strict=True):
            if v is None:
                out.append(None)
            elif t is datetime:
                out.append(datetime.fromisoformat(v))
            elif t is date:
                out.append(date.fromisoformat(v))
            else:
                out.append(t(v))
        return out
    except (ValueError, TypeError, orjson.JSONDecodeError):
        raise InvalidCursor("The cursor is not valid") from None


async def paginate(
    session: AsyncSession,
    stmt: Select[Any],
    params: PageParams,
    *,
    keys: list[InstrumentedAttribute[Any]],
    descending: bool = True,
) -> tuple[list[Any], str | None]:
    """Run `stmt` one page at a time, ordered by `keys` (the last must be unique, e.g. id).

    Ids are UUIDv7, so `keys=[Model.id]` with descending order lists newest first.
    Key columns must not be NULL.
    """
    types = [k.type.python_type for k in keys]
    if params.cursor:
        after = decode_cursor(params.cursor, types)
        cols = tuple_(*keys) if len(keys) > 1 else keys[0]
        vals = tuple_(*after) if len(keys) > 1 else after[0]
        stmt = stmt.where(cols < vals if descending else cols > vals)
    order = [k.desc() if descending else k.asc() for k in keys]
    stmt = stmt.order_by(*order).limit(params.limit + 1)
    rows = list((await session.scalars(stmt)).all())
    next_cursor = None
    if len(rows) > params.limit:
        rows = rows[: params.limit]
        last = rows[-1]
        next_cursor = encode_cursor([getattr(last, k.key) for k in keys])
    return rows, next_cursor


async def read_page(
    tx: ReadTransaction,
    query: Callable[[bool], Compiled],
    params: PageParams,
    values: Mapping[str, Any],
    *,
    key: str = "id",
    key_type: type = uuid.UUID,
) -> tuple[list[dict[str, Any]], str | None]:
    """`paginate` for the hot reads (libs.common.reads): rows as dicts, one unique key.

    `query(after)` is the page's compiled statement, ordered by `key`, with the parameter
    `limit` and, when `after` is true, `after` (the key the cursor names; rows past it);
    `values` are its other parameters. Cursors are the same as `paginate`'s."""
    bound = {**values, "limit": params.limit + 1}
    if params.cursor:
        bound["after"] = decode_cursor(params.cursor, [key_type])[0]
    rows = await tx.fetch(query(params.cursor is not None), **bound)
    if len(rows) <= params.limit:
        return rows, None
    rows = rows[: params.limit]
    return rows, encode_cursor([rows[-1][key]])
