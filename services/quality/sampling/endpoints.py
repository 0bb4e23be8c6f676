"""GET /sampling/plan: the ISO 2859-1 plan for a lot size (a calculator over the tables)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import ValidationError

from libs.common.auth import Principal, Space
from libs.common.deps import require
from libs.common.errors import AUTH_ERRORS, errors
from services.quality.sampling.schemas import SamplingPlan, SamplingSpec
from services.quality.sampling.service import InvalidSampling, plan
from services.quality.sampling.tables import Level, Severity

router = APIRouter(prefix="/sampling", tags=["sampling"], responses=AUTH_ERRORS)


@router.get(
    "/plan",
    response_model=SamplingPlan,
    summary="Sample size and Ac/Re for a lot (ISO 2859-1 single sampling, arrows followed)",
    responses=errors(InvalidSampling),
)
async def get_sampling_plan(
    _principal: Annotated[Principal, Depends(require(Space.PROVIDER, Space.CLIENT))],
    lot_size: Annotated[int, Query(ge=2, le=100_000_000)],
    aql: Annotated[str, Query(max_length=8)] = "1.0",
    level: Annotated[Level, Query()] = "II",
    severity: Annotated[Severity, Query()] = "normal",
) -> SamplingPlan:
    try:
        spec = SamplingSpec.model_validate({"aql": aql, "level": level, "severity": severity})
    except ValidationError:
        raise InvalidSampling(f"AQL {aql} is not one of the standard's AQLs") from None
    return plan(lot_size, spec, "query")
