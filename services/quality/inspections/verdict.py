"""The verdict is computed from what was recorded, never typed.

A sample unit is nonconforming when a check on it failed or it has a major defect; a
critical defect rejects the lot outright (acceptance number 0). The nonconforming units are
judged against the plan's Ac/Re; minor defects are judged on their own when the plan has a
minor AQL, otherwise reported only.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from services.quality.inspections.schemas import Counts, Verdict
from services.quality.sampling.schemas import SamplingPlan


@dataclass(frozen=True, slots=True)
class Recorded:
    failed_units: frozenset[int]
    units_with_results: int
    failed_checks: int
    defects: tuple[tuple[int, str], ...]  # (unit, severity)


def judge(plan: SamplingPlan, recorded: Recorded) -> tuple[Verdict, Counts]:
    severities = [s for _, s in recorded.defects]
    major_units = {u for u, s in recorded.defects if s in ("major", "critical")}
    minor_units = {u for u, s in recorded.defects if s == "minor"}
    nonconforming = recorded.failed_units | major_units
    counts = Counts(
        sampled_units=plan.sample_size,
        units_with_results=recorded.units_with_results,
        nonconforming_units=len(nonconforming),
        critical=severities.count("critical"),
        major=severities.count("major"),
        minor=severities.count("minor"),
        minor_units=len(minor_units),
        failed_checks=recorded.failed_checks,
    )
    passed = counts.critical == 0 and counts.nonconforming_units <= plan.accept
    if plan.accept_minor is not None:
        passed = passed and counts.minor_units <= plan.accept_minor
    return ("passed" if passed else "failed"), counts


def units(values: Iterable[int]) -> frozenset[int]:
    return frozenset(values)
