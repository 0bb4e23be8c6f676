"""ISO 2859-1 (1999) clause 9 switching rules, lot by lot, on worked sequences."""

from __future__ import annotations

from dataclasses import replace

import pytest

from services.quality.sampling.plans import plan_for, tighter_accept
from services.quality.switching import rules
from services.quality.switching.rules import Outcome, Record

# a lot on a plan with Ac 0/1 (e.g. AQL 1.0, code letter H: n 50, Ac 1)
OK = Outcome(accepted=True, accept_number=1, accepted_tighter=False)
NO = Outcome(accepted=False, accept_number=1, accepted_tighter=False)
# a lot on a plan with Ac >= 2 (e.g. AQL 1.0, code letter K: n 125, Ac 3)
OK_TIGHTER = Outcome(accepted=True, accept_number=3, accepted_tighter=True)
OK_NOT_TIGHTER = Outcome(accepted=True, accept_number=3, accepted_tighter=False)


def run(record: Record, lots: list[Outcome]) -> list[rules.State]:
    """The state after each lot."""
    states = []
    for lot in lots:
        record = rules.apply(record, lot).record
        states.append(record.state)
    return states


def final(record: Record, lots: list[Outcome]) -> Record:
    for lot in lots:
        record = rules.apply(record, lot).record
    return record


def test_normal_to_tightened_on_two_rejections_within_five_consecutive_lots() -> None:
    # rejections at lots 1 and 5: within five consecutive lots -> tightened at lot 5
    assert run(Record(), [NO, OK, OK, OK, NO]) == ["normal"] * 4 + ["tightened"]
    # two in a row
    assert run(Record(), [OK, NO, NO]) == ["normal", "normal", "tightened"]


def test_two_rejections_six_lots_apart_stay_normal() -> None:
    # rejections at lots 1 and 6: no window of five holds both
    assert run(Record(), [NO, OK, OK, OK, OK, NO]) == ["normal"] * 6
    # and a third rejection within five of the second switches
    assert run(Record(), [NO, OK, OK, OK, OK, NO, OK, NO])[-1] == "tightened"


def test_tightened_to_normal_after_five_consecutive_accepted() -> None:
    start = Record(state="tightened")
    assert run(start, [OK, OK, OK, OK, OK]) == ["tightened"] * 4 + ["normal"]
    # a rejection restarts the count
    states = run(start, [OK, OK, OK, OK, NO, OK, OK, OK, OK, OK])
    assert states == ["tightened"] * 9 + ["normal"]
    back = final(start, [OK] * 5)
    assert (back.score, back.recent, back.consecutive_accepted) == (0, (), 0)


def test_discontinued_after_five_rejections_on_tightened_then_resumed_tightened() -> None:
    start = Record(state="tightened")
    # not accepted cumulatively, accepted lots between them do not reset the sum
    lots = [NO, OK, NO, OK, OK, NO, NO, OK, NO]
    states = run(start, lots)
    assert states[-1] == "discontinued" and states[:-1] == ["tightened"] * 8
    stopped = final(start, lots)
    # a lot judged while discontinued changes nothing
    assert rules.apply(stopped, OK).record.state == "discontinued"
    resumed = rules.resume(stopped, "new die-cutting tool")
    assert resumed.switched and resumed.record.state == "tightened"
    assert resumed.record.rejected_on_tightened == 0
    assert resumed.reason == "corrective action: new die-cutting tool"


def test_switching_score_with_acceptance_numbers_0_and_1() -> None:
    # +2 per accepted lot; 15 lots reach 30
    record = final(Record(), [OK] * 14)
    assert record.score == 28
    record = final(record, [OK])
    assert record.score == 30
    # without the authority's approval it stays normal
    assert record.state == "normal"
    # a rejection sets the score back to 0 (and is one of the recent five)
    assert final(record, [NO]).score == 0


def test_switching_score_with_acceptance_numbers_2_or_more() -> None:
    # +3 only when the lot would have passed one AQL step tighter; else back to 0
    record = final(Record(), [OK_TIGHTER] * 4)
    assert record.score == 12
    assert final(record, [OK_NOT_TIGHTER]).score == 0
    assert final(record, [OK_TIGHTER, OK]).score == 17


def test_normal_to_reduced_needs_score_steady_production_and_approval() -> None:
    approved = Record(reduced_approved=True)
    # approved from the start: switches at the lot that takes the score to 30
    states = run(approved, [OK_TIGHTER] * 10)
    assert states == ["normal"] * 9 + ["reduced"]
    # score reached first, approval afterwards: switches when the approval is recorded
    record = final(Record(), [OK_TIGHTER] * 12)
    assert (record.state, record.score) == ("normal", 36)
    step = rules.set_conditions(record, production_steady=None, reduced_approved=True)
    assert step.switched and step.record.state == "reduced" and step.record.score == 0
    # production not steady: no reduced inspection even with score and approval
    unsteady = replace(record, production_steady=False)
    step = rules.set_conditions(unsteady, production_steady=None, reduced_approved=True)
    assert not step.switched and step.record.state == "normal"


def test_reduced_to_normal_on_a_rejection_or_irregular_production() -> None:
    reduced = Record(state="reduced", reduced_approved=True)
    assert run(reduced, [OK, OK, OK, NO, OK]) == [
        "reduced",
        "reduced",
        "reduced",
        "normal",
        "normal",
    ]
    step = rules.set_conditions(reduced, production_steady=False, reduced_approved=None)
    assert step.switched and step.record.state == "normal"
    assert step.reason == "production irregular or delayed"
    step = rules.set_conditions(reduced, production_steady=None, reduced_approved=False)
    assert step.switched and step.record.state == "normal"


def test_a_whole_history() -> None:
    """normal -> tightened -> normal -> reduced -> normal, as a product might live it."""
    record = Record(reduced_approved=True)
    lots = (
        [OK, NO, OK, NO]  # tightened at lot 4
        + [OK] * 5  # normal at lot 9
        + [OK] * 15  # score 30 at lot 24: reduced
        + [OK, NO]  # back to normal at lot 26
    )
    states = run(record, lots)
    assert states[3] == "tightened" and states[2] == "normal"
    assert states[8] == "normal" and states[7] == "tightened"
    assert states[23] == "reduced" and states[22] == "normal"
    assert states[25] == "normal" and states[24] == "reduced"
    assert final(record, lots).lots == len(lots)


@pytest.mark.parametrize(
    ("lot_size", "aql", "letter", "n", "ac", "tighter"),
    [
        # Table 2-A, level II: J (501-1200) n 80; AQL 1.0 Ac 2; one step tighter (0.65) Ac 1
        (1000, "1.0", "J", 80, 2, 1),
        # K (1201-3200) n 125; AQL 2.5 Ac 7; at 1.5 Ac 5
        (2000, "2.5", "K", 125, 7, 5),
        # G (151-280) n 32; AQL 4.0 Ac 3; at 2.5 Ac 2
        (200, "4.0", "G", 32, 3, 2),
        # L (3201-10000) n 200; AQL 1.0 Ac 5; at 0.65 Ac 3
        (5000, "1.0", "L", 200, 5, 3),
    ],
)
def test_one_step_tighter_acceptance_numbers(
    lot_size: int, aql: str, letter: str, n: int, ac: int, tighter: int
) -> None:
    plan = plan_for(lot_size, "II", aql)
    assert (plan.plan_letter, plan.sample_size, plan.accept) == (letter, n, ac)
    assert tighter_accept("normal", plan.plan_letter, aql) == tighter


def test_reduced_plans_have_re_one_above_ac() -> None:
    """ISO 2859-1:1999 Table 2-C: every reduced plan has Re = Ac + 1 (the 1989 edition's
    gaps, such as 1/4 or 5/8, are gone); a few cells checked against the table."""
    cases = {
        # (lot size, AQL) -> (reduced sample size, Ac, Re), level II; the 1989 edition's
        # numbers for the same cell in brackets
        (1000, "1.0"): (32, 1, 2),  # J (1/3)
        (2000, "1.0"): (50, 1, 2),  # K (1/4)
        (2000, "2.5"): (50, 3, 4),  # K (3/6)
        (5000, "1.0"): (80, 2, 3),  # L (2/5)
        (200, "6.5"): (13, 2, 3),  # G (2/5)
        (2000, "0.40"): (50, 0, 1),  # K (0/2)
        (20000, "4.0"): (125, 10, 11),  # M (10/13)
    }
    for (lot_size, aql), expected in cases.items():
        plan = plan_for(lot_size, "II", aql, "reduced")
        assert (plan.sample_size, plan.accept, plan.reject) == expected, (lot_size, aql)
    for lot_size in (50, 500, 5000, 50000):
        for aql in ("0.65", "1.0", "2.5", "4.0", "6.5", "10"):
            plan = plan_for(lot_size, "II", aql, "reduced")
            assert plan.reject == plan.accept + 1
