"""An OpenAPI 3.0/3.1 diff: findings classified breaking / warning / info, each with the
rule id oasdiff uses and its location. Pure: no database, no I/O.

    report = diff_specs(old_document, new_document)
    report.summary.breaking, [f.rule_id for f in report.findings]
"""

from services.partner.diff.engine import diff_specs
from services.partner.diff.models import DiffReport, DiffSummary, Finding, Level, Location
from services.partner.diff.rules import RULES

__all__ = ["RULES", "DiffReport", "DiffSummary", "Finding", "Level", "Location", "diff_specs"]
