"""Resolve the plan of an inspection: the checklist's override, else the product's, else the
tenant's default (from its industry template)."""

from __future__ import annotations

from typing import Any

from libs.common.errors import Unprocessable
from services.quality.sampling.plans import SamplingError, plan_for
from services.quality.sampling.schemas import SamplingPlan, SamplingSpec


class InvalidSampling(Unprocessable):
    code, title = "invalid_sampling", "Not a standard sampling plan"


def plan(lot_size: int, spec: SamplingSpec, source: str) -> SamplingPlan:
    try:
        main = plan_for(max(lot_size, 2), spec.level, spec.aql, spec.severity)
        minor = (
            plan_for(max(lot_size, 2), spec.level, spec.aql_minor, spec.severity)
            if spec.aql_minor
            else None
        )
    except SamplingError as exc:
        raise InvalidSampling(str(exc)) from None
    # one sample serves both judgements: minor numbers scale to the main sample when the
    # minor plan's arrows led elsewhere (the larger sample is used)
    sample = max(main.sample_size, minor.sample_size if minor else 0)
    return SamplingPlan(
        lot_size=lot_size,
        aql=main.aql,
        level=main.level,
        severity=main.severity,
        code_letter=main.code_letter,
        plan_letter=main.plan_letter,
        sample_size=min(sample, lot_size),
        accept=main.accept,
        reject=main.reject,
        full_inspection=sample >= lot_size,
        aql_minor=minor.aql if minor else None,
        accept_minor=minor.accept if minor else None,
        reject_minor=minor.reject if minor else None,
        source=source,
    )


def first_spec(*candidates: tuple[str, dict[str, Any] | None]) -> tuple[str, SamplingSpec]:
    for source, raw in candidates:
        if raw:
            return source, SamplingSpec.model_validate(raw)
    return "default", SamplingSpec.model_validate({})
