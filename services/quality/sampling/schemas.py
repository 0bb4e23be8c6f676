from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from services.quality.sampling.plans import SamplingError, normalise_aql
from services.quality.sampling.tables import Level, Severity

_CODE = re.compile(r"^aql_(\d+)_(\d+)$")


class SamplingSpec(BaseModel):
    """How a lot is sampled: an AQL, an inspection level and a severity (ISO 2859-1).
    Critical defects always reject (acceptance number 0); `aql_minor`, when set, judges
    minor defects on their own."""

    model_config = ConfigDict(extra="forbid")

    aql: str = Field("1.0", examples=["1.0"])
    level: Level = "II"
    severity: Severity = "normal"
    aql_minor: str | None = Field(None, examples=["4.0"])

    @field_validator("aql", "aql_minor")
    @classmethod
    def _aql(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            return normalise_aql(value)
        except SamplingError as exc:
            raise ValueError(str(exc)) from None


def spec_from_template(code: str) -> SamplingSpec:
    """An industry template's `inspection_sampling` (e.g. `aql_1_0`, `aql_0_65`)."""
    match = _CODE.fullmatch(code.strip())
    if not match:
        raise ValueError(f"unknown sampling code {code!r}")
    return SamplingSpec.model_validate({"aql": f"{int(match[1])}.{match[2]}"})


DEFAULT_SPEC = spec_from_template("aql_1_0")


class SamplingPlan(BaseModel):
    """The plan an inspection follows, fixed when it opens."""

    lot_size: int
    aql: str
    level: Level
    severity: Severity
    code_letter: str
    plan_letter: str
    sample_size: int
    accept: int
    reject: int
    full_inspection: bool
    aql_minor: str | None = None
    accept_minor: int | None = None
    reject_minor: int | None = None
    source: str = Field(description="where the spec came from: checklist, product or tenant")
    switching: str | None = Field(
        None,
        description="the product's ISO 2859-1 switching state when the plan was made "
        "(normal, tightened, reduced, discontinued); it chose `severity`",
    )

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> SamplingPlan:
        return cls.model_validate(raw)
