from sqlalchemy.orm import DeclarativeBase

from libs.common.models import make_metadata


class Base(DeclarativeBase):
    # Same as libs.common.models.make_base("identity"), spelled as a class so mypy sees a type.
    metadata = make_metadata("identity")
