from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field


class PhotoCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    content_type: Literal["image/jpeg", "image/png"]
    size: int = Field(ge=1, description="bytes the client will upload")
    defect_id: uuid.UUID | None = None
    caption: str | None = Field(None, max_length=500)


class Upload(BaseModel):
    url: str
    method: str
    headers: dict[str, str]
    expires_at: int


Coord = Annotated[float, Field(ge=0, le=1, description="fraction of the image width/height")]


class Box(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: Literal["box"]
    x: Coord
    y: Coord
    w: Coord
    h: Coord
    label: str | None = Field(None, max_length=200)
    color: str = Field("#ff3b30", pattern=r"^#[0-9a-fA-F]{6}$")


class Arrow(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: Literal["arrow"]
    x1: Coord
    y1: Coord
    x2: Coord
    y2: Coord
    label: str | None = Field(None, max_length=200)
    color: str = Field("#ff3b30", pattern=r"^#[0-9a-fA-F]{6}$")


class Label(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: Literal["label"]
    x: Coord
    y: Coord
    text: str = Field(min_length=1, max_length=200)
    color: str = Field("#ff3b30", pattern=r"^#[0-9a-fA-F]{6}$")


Annotation = Annotated[Box | Arrow | Label, Field(discriminator="kind")]


class AnnotationsBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    annotations: list[Annotation] = Field(max_length=100)


class Photo(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    inspection_id: uuid.UUID
    defect_id: uuid.UUID | None
    lot_id: uuid.UUID
    content_type: str
    size: int | None
    width: int | None
    height: int | None
    status: Literal["pending", "uploaded", "processed", "failed"]
    caption: str | None
    annotations: list[Annotation]
    version: int
    created_at: datetime
    url: str | None = None
    thumbnail_url: str | None = None
    url_expires_at: int | None = None


class PhotoUpload(BaseModel):
    photo: Photo
    upload: Upload
