from sqlalchemy.orm import DeclarativeBase

from libs.common.models import make_metadata


class Base(DeclarativeBase):
    # one declarative base per service schema, with the kit's naming convention
    metadata = make_metadata("partner")
