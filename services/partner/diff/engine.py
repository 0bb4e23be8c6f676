"""`diff_specs(old, new)`: every finding between two OpenAPI 3.0/3.1 documents."""

from __future__ import annotations

from typing import Any

from services.partner.diff.models import DiffReport, DiffSummary, Finding, Level
from services.partner.diff.operations import SpecDiff


def diff_specs(old: dict[str, Any], new: dict[str, Any]) -> DiffReport:
    """Compares two parsed documents (dicts, as from JSON or YAML); never raises on an
    odd document: what it cannot read it does not compare."""
    found = SpecDiff(old, new).run()
    unique: dict[tuple[str, str, str], Finding] = {}
    for finding in found:
        unique.setdefault((finding.rule_id, finding.location.pointer, finding.message), finding)
    order = {Level.BREAKING: 0, Level.WARNING: 1, Level.INFO: 2}
    findings = sorted(
        unique.values(),
        key=lambda f: (
            order[f.level],
            f.location.path or "",
            f.location.method or "",
            f.location.pointer,
            f.rule_id,
        ),
    )
    summary = DiffSummary(total=len(findings))
    for finding in findings:
        setattr(summary, finding.level.value, getattr(summary, finding.level.value) + 1)
    return DiffReport(findings=findings, summary=summary)
