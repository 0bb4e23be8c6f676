from sqlalchemy.orm import DeclarativeBase

from libs.common.models import make_metadata


class Base(DeclarativeBase):
    # libs.common.models.make_base("catalog"), spelled as a class so mypy sees a type
    metadata = make_metadata("catalog")
