from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from services.quality.sampling.tables import Severity
from services.quality.switching.rules import (
    DISCONTINUE_REJECTIONS,
    REDUCE_SCORE,
    RELAX_ACCEPTED,
    TIGHTEN_REJECTIONS,
    TIGHTEN_WINDOW,
    State,
)


class Switch(BaseModel):
    from_: State = Field(alias="from")
    to: State
    reason: str
    at: datetime
    inspection_id: str | None = None
    by: str | None = None

    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)


class SwitchingStatus(BaseModel):
    """Where a product stands under ISO 2859-1's switching rules: the state (which table its
    next lots are sampled from) and the counters that will move it."""

    model_config = ConfigDict(from_attributes=True)

    product_sku: str
    state: State
    severity: Severity = Field(
        description="the table the next lot's plan comes from (discontinued: tightened, and "
        "inspections cannot start until the QA lead resumes)"
    )
    score: int = Field(description=f"switching score (normal: reduced from {REDUCE_SCORE})")
    recent_accepted: list[bool] = Field(
        description=f"the last lots on normal inspection, oldest first (tightened at "
        f"{TIGHTEN_REJECTIONS} not accepted among {TIGHTEN_WINDOW})"
    )
    consecutive_accepted: int = Field(
        description=f"on tightened: lots accepted in a row (normal again at {RELAX_ACCEPTED})"
    )
    rejected_on_tightened: int = Field(
        description=f"on tightened: lots not accepted (discontinued at {DISCONTINUE_REJECTIONS})"
    )
    production_steady: bool
    reduced_approved: bool
    lots: int = Field(description="lots judged on their original inspection")
    state_since: datetime
    history: list[Switch]
    version: int


class SwitchingUpdate(BaseModel):
    """The responsible authority's part of the rules."""

    model_config = ConfigDict(extra="forbid")

    production_steady: bool | None = Field(
        None, description="false: production irregular or delayed (reduced returns to normal)"
    )
    reduced_approved: bool | None = Field(
        None, description="reduced inspection desirable and approved (with score >= 30)"
    )


class SwitchingResume(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=3, max_length=1000, description="the corrective action taken")


def status_of(row: Any) -> SwitchingStatus:
    return SwitchingStatus(
        product_sku=row.product_sku,
        state=row.state,
        severity="tightened" if row.state == "discontinued" else row.state,
        score=row.score,
        recent_accepted=list(row.recent),
        consecutive_accepted=row.consecutive_accepted,
        rejected_on_tightened=row.rejected_on_tightened,
        production_steady=row.production_steady,
        reduced_approved=row.reduced_approved,
        lots=row.lots,
        state_since=row.state_since,
        history=[Switch.model_validate(h) for h in row.history],
        version=row.version,
    )
