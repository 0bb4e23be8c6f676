from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class ConversationCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str = Field(default="Questions", min_length=1, max_length=200)


class Conversation(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    project_id: uuid.UUID
    title: str
    created_by: str
    created_at: datetime


class Question(BaseModel):
    model_config = ConfigDict(extra="forbid")

    question: str = Field(min_length=1, max_length=2000)


class Citation(BaseModel):
    n: int
    kind: Literal["failing_case", "plan_item", "trace", "evidence"]
    id: uuid.UUID
    title: str


class Message(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    conversation_id: uuid.UUID
    question: str
    answer: str
    citations: list[Citation]
    provider: Literal["retrieval", "model"]
    asked_by: str
    created_at: datetime


class LoggedMessage(Message):
    """The owner's log: the prompt exactly as it was built (and sent, to a model)."""

    prompt: str
