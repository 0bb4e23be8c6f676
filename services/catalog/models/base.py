from sqlalchemy.orm import DeclarativeBase

from libs.common.models import TenantMixin as TenantMixin
from libs.common.models import make_metadata


class Base(DeclarativeBase):
    # libs.common.models.make_base("catalog"), spelled as a class so mypy sees a type
    metadata = make_metadata("catalog")
    # catalog's tables are indexed on (tenant_id, ...) composites, declared per table as the
    # migrations create them: no single-column tenant index
    __tenant_index__ = False
