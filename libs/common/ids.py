"""Time-ordered ids (UUIDv7), so keyset pagination by id is also by creation time."""

import uuid

from uuid6 import uuid7 as _uuid7


def new_id() -> uuid.UUID:
    return uuid.UUID(bytes=_uuid7().bytes)
