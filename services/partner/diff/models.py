"""What a diff answers: findings (rule id, level, location, message) and their counts."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, Field, computed_field


class Level(StrEnum):
    """oasdiff's ERR, WARN and INFO, named for what they mean to an integrator."""

    BREAKING = "breaking"
    WARNING = "warning"
    INFO = "info"


class Location(BaseModel):
    """Where a finding is. `pointer` is a JSON pointer into the newer document (the older
    one when the element is gone), following `$ref`s as if they were inlined, so
    `/paths/~1pets/post/requestBody/content/application~1json/schema/properties/name`
    names a property of a referenced schema by the operation that reaches it."""

    pointer: str
    path: str | None = None
    method: str | None = None
    parameter: str | None = Field(
        default=None, description="`<in>:<name>` of the request parameter, e.g. `query:limit`"
    )
    status: str | None = None
    media_type: str | None = None
    property: str | None = Field(
        default=None,
        description="JSON pointer of the property inside its schema, e.g. `/items/name`",
    )


class Finding(BaseModel):
    rule_id: str = Field(description="the id oasdiff uses for the same check")
    level: Level
    location: Location
    message: str


class DiffSummary(BaseModel):
    breaking: int = 0
    warning: int = 0
    info: int = 0
    total: int = 0


class DiffReport(BaseModel):
    findings: list[Finding]
    summary: DiffSummary

    # the counts at the top as well, as the specs feature and its event carry them
    @computed_field  # type: ignore[prop-decorator]
    @property
    def breaking(self) -> int:
        return self.summary.breaking

    @computed_field  # type: ignore[prop-decorator]
    @property
    def warning(self) -> int:
        return self.summary.warning

    @computed_field  # type: ignore[prop-decorator]
    @property
    def info(self) -> int:
        return self.summary.info

    def rule_ids(self) -> set[str]:
        return {f.rule_id for f in self.findings}
