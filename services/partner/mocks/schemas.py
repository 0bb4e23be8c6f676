from __future__ import annotations

import uuid
from datetime import datetime

from services.partner.access import Body, Schema


class Mock(Schema):
    id: uuid.UUID
    project_id: uuid.UUID
    spec_version_id: uuid.UUID
    status: str
    calls: int
    started_by: str
    stopped_by: str | None
    stopped_at: datetime | None
    created_at: datetime
    version: int
    base_path: str


class MockStart(Body):
    spec_version_id: uuid.UUID
