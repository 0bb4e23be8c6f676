from __future__ import annotations

from typing import Literal

from pydantic import BaseModel


class IntakeResult(BaseModel):
    status: Literal["recorded", "duplicate", "ignored"]
