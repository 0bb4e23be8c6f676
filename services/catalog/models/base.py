import uuid

from sqlalchemy import Uuid
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from libs.common.models import make_metadata


class Base(DeclarativeBase):
    # libs.common.models.make_base("catalog"), spelled as a class so mypy sees a type
    metadata = make_metadata("catalog")


class TenantMixin:
    """The kit's TenantMixin without its single-column index: catalog's tables are indexed
    on (tenant_id, ...) composites, declared per table as the migrations create them."""

    tenant_id: Mapped[uuid.UUID] = mapped_column(Uuid)
