from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from services.partner.access import Schema


class Activity(Schema):
    id: uuid.UUID
    project_id: uuid.UUID
    type: str
    actor_side: str
    actor: str
    subject: str
    summary: str
    data: dict[str, Any]
    occurred_at: datetime
