from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import Field

from libs.common.freejson import FreeJson
from services.production.schemas import Body, Schema


class Plant(Schema):
    id: uuid.UUID
    code: str
    name: str
    address: dict[str, Any]
    is_default: bool
    version: int
    created_at: datetime
    updated_at: datetime


class PlantCreate(Body):
    code: str = Field(min_length=1, max_length=50, examples=["PLT-001"])
    name: str = Field(min_length=1, max_length=255)
    address: FreeJson = Field(default_factory=dict)
    is_default: bool = False


class PlantUpdate(Body):
    name: str | None = Field(default=None, min_length=1, max_length=255)
    address: FreeJson | None = None
    is_default: bool | None = None
