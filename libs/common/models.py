"""Declarative base per service schema, naming convention, and the usual column mixins."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, Integer, MetaData, Uuid, func
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from libs.common.ids import new_id

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def make_metadata(schema: str) -> MetaData:
    return MetaData(schema=schema, naming_convention=NAMING_CONVENTION)


class IdMixin:
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)


class TenantMixin:
    """`tenant_id`, indexed on its own unless the table (or the service's declarative base)
    sets `__tenant_index__ = False`: for tables indexed on (tenant_id, ...) composites,
    which serve the tenant filter already."""

    @declared_attr
    def tenant_id(cls) -> Mapped[uuid.UUID]:
        # read from the mapped class, so a base listed after the mixin can set it too
        return mapped_column(Uuid, index=getattr(cls, "__tenant_index__", True))


def utcnow() -> datetime:
    return datetime.now(UTC)


class TimestampMixin:
    # Python-side values: a server-side onupdate would expire the attribute after flush,
    # and reading it back in an async session would need IO (MissingGreenlet).
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, server_default=func.now(), nullable=False
    )
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True),
        default=utcnow,
        onupdate=utcnow,
        server_default=func.now(),
        nullable=False,
    )


class VersionMixin:
    """A server-assigned version, sent as the ETag; stale writes raise StaleDataError (412)."""

    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)

    @declared_attr.directive
    def __mapper_args__(cls) -> dict[str, Any]:
        return {"version_id_col": cls.__table__.c.version}  # type: ignore[attr-defined]
