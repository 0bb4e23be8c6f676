"""ISO 2859-1 (1999) clause 9: switching between normal, tightened and reduced inspection,
and discontinuation. Pure rules over a product's record; the service keeps one record per
(tenant, product SKU) and applies each lot's outcome on its original inspection.

- normal -> tightened: 2 lots not accepted among 5 or fewer consecutive lots (9.3.1);
- tightened -> normal: 5 consecutive lots accepted (9.3.2);
- normal -> reduced: the switching score is at least 30, production is steady, and the
  responsible authority approves reduced inspection (9.3.3);
- the switching score (9.3.3.2, single sampling) starts at 0 with normal inspection; after
  each lot: with Ac >= 2, +3 when the lot would have been accepted at the AQL one step
  tighter, else back to 0; with Ac 0 or 1, +2 when the lot is accepted, else back to 0;
- reduced -> normal: a lot not accepted, production irregular or delayed, or the authority
  withdraws reduced inspection (9.3.4);
- discontinued: 5 lots not accepted, cumulatively, while on tightened inspection (9.4);
  inspection resumes, tightened, once the authority records the supplier's corrective
  action (9.4).

Resubmitted lots (an inspection round after a rework) do not count (9.3.1: "original
inspection").
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

State = Literal["normal", "tightened", "reduced", "discontinued"]
STATES: tuple[State, ...] = ("normal", "tightened", "reduced", "discontinued")

TIGHTEN_WINDOW = 5  # consecutive lots looked at on normal inspection
TIGHTEN_REJECTIONS = 2  # ... of which this many not accepted switch to tightened
RELAX_ACCEPTED = 5  # consecutive lots accepted on tightened: back to normal
DISCONTINUE_REJECTIONS = 5  # lots not accepted on tightened (cumulative): discontinue
REDUCE_SCORE = 30  # the switching score that (with the other two conditions) reduces


@dataclass(frozen=True, slots=True)
class Outcome:
    """A lot's original inspection as the rules see it. `accepted_tighter`: the lot would have
    been accepted at the AQL one step tighter (used when `accept_number` >= 2)."""

    accepted: bool
    accept_number: int
    accepted_tighter: bool


@dataclass(frozen=True, slots=True)
class Record:
    state: State = "normal"
    score: int = 0
    # outcomes of the last lots on normal inspection, oldest first (True: accepted)
    recent: tuple[bool, ...] = ()
    consecutive_accepted: int = 0  # on tightened
    rejected_on_tightened: int = 0
    production_steady: bool = True
    reduced_approved: bool = False
    lots: int = 0


@dataclass(frozen=True, slots=True)
class Step:
    record: Record
    switched: bool = False
    reason: str | None = None


def _enter(record: Record, state: State) -> Record:
    """A fresh start in `state`: its counters from zero (the score starts with normal)."""
    return replace(
        record, state=state, score=0, recent=(), consecutive_accepted=0, rejected_on_tightened=0
    )


def _score(score: int, outcome: Outcome) -> int:
    if outcome.accept_number >= 2:
        return score + 3 if outcome.accepted and outcome.accepted_tighter else 0
    return score + 2 if outcome.accepted else 0


def may_reduce(record: Record) -> bool:
    return (
        record.state == "normal"
        and record.score >= REDUCE_SCORE
        and record.production_steady
        and record.reduced_approved
    )


def apply(record: Record, outcome: Outcome) -> Step:
    """The record after one more lot's original inspection."""
    record = replace(record, lots=record.lots + 1)
    if record.state == "discontinued":
        # no acceptance under the scheme until resumed; a lot judged anyway changes nothing
        return Step(record)
    if record.state == "normal":
        recent = (*record.recent, outcome.accepted)[-TIGHTEN_WINDOW:]
        if recent.count(False) >= TIGHTEN_REJECTIONS:
            return Step(
                _enter(record, "tightened"),
                True,
                f"{recent.count(False)} of the last {len(recent)} lots not accepted",
            )
        record = replace(record, recent=recent, score=_score(record.score, outcome))
        if may_reduce(record):
            return Step(_enter(record, "reduced"), True, f"switching score {record.score}")
        return Step(record)
    if record.state == "tightened":
        if outcome.accepted:
            accepted = record.consecutive_accepted + 1
            if accepted >= RELAX_ACCEPTED:
                return Step(_enter(record, "normal"), True, f"{accepted} consecutive lots accepted")
            return Step(replace(record, consecutive_accepted=accepted))
        rejected = record.rejected_on_tightened + 1
        if rejected >= DISCONTINUE_REJECTIONS:
            return Step(
                _enter(record, "discontinued"),
                True,
                f"{rejected} lots not accepted on tightened inspection",
            )
        return Step(replace(record, consecutive_accepted=0, rejected_on_tightened=rejected))
    # reduced
    if not outcome.accepted:
        return Step(_enter(record, "normal"), True, "a lot not accepted on reduced inspection")
    return Step(record)


def set_conditions(
    record: Record, *, production_steady: bool | None, reduced_approved: bool | None
) -> Step:
    """The authority's part: production steady or not, reduced inspection approved or not."""
    if production_steady is not None:
        record = replace(record, production_steady=production_steady)
    if reduced_approved is not None:
        record = replace(record, reduced_approved=reduced_approved)
    if record.state == "reduced" and not record.production_steady:
        return Step(_enter(record, "normal"), True, "production irregular or delayed")
    if record.state == "reduced" and not record.reduced_approved:
        return Step(_enter(record, "normal"), True, "reduced inspection withdrawn")
    if may_reduce(record):
        return Step(_enter(record, "reduced"), True, f"switching score {record.score}")
    return Step(record)


def resume(record: Record, action: str) -> Step:
    """After the supplier's corrective action: inspection resumes, tightened (9.4)."""
    return Step(_enter(record, "tightened"), True, f"corrective action: {action}")
