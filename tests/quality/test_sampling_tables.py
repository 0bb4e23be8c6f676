"""Tables 2-B (tightened) and 2-C (reduced) of ISO 2859-1 against the standard, table-driven:
lot size and level -> code letter -> the plan the arrows lead to (letter, n, Ac, Re).

Expected values are read off the standard's master tables (ISO 2859-1:1999, which
matches ANSI/ASQ Z1.4 / MIL-STD-105E for single sampling, but for 2-C where ISO has no gap
between Ac and Re). A few whole-table properties guard every cell: every arrow leads to a
plan inside the table, a reduced plan never samples more than the normal one, and a
tightened plan never accepts more."""

from __future__ import annotations

import pytest

from services.quality.sampling.plans import Plan, cell, plan_for, sample_size
from services.quality.sampling.tables import AQLS, TABLE_LETTERS, Severity

Expected = tuple[str, str, int, int, int]  # code letter, plan letter, n, Ac, Re


def _plan(lot: int, level: str, aql: str, severity: Severity) -> Expected:
    p: Plan = plan_for(lot, level, aql, severity)  # type: ignore[arg-type]
    return (p.code_letter, p.plan_letter, sample_size(severity, p.plan_letter), p.accept, p.reject)


@pytest.mark.parametrize(
    ("lot", "level", "aql", "expected"),
    [
        # the Ac 0 plans sit one step later than in 2-A (AQL 6.5: B, not A)
        (12, "II", "6.5", ("B", "B", 3, 0, 1)),
        (20, "II", "4.0", ("C", "C", 5, 0, 1)),
        (80, "II", "1.0", ("E", "F", 20, 0, 1)),  # E 1.0 is an arrow down
        (120, "II", "0.65", ("F", "G", 32, 0, 1)),
        (400, "II", "0.40", ("H", "H", 50, 0, 1)),
        (5000, "II", "0.065", ("L", "M", 315, 0, 1)),
        # two arrows down between the Ac 0 and the Ac 1 plans
        (1000, "II", "0.40", ("J", "L", 200, 1, 2)),
        (3000, "II", "0.25", ("K", "M", 315, 1, 2)),
        (1000, "II", "1.0", ("J", "J", 80, 1, 2)),
        (200, "II", "2.5", ("G", "G", 32, 1, 2)),
        (40, "II", "15", ("D", "D", 8, 2, 3)),
        (20000, "II", "1.5", ("M", "M", 315, 8, 9)),
        (3000, "II", "6.5", ("K", "K", 125, 12, 13)),
        (60, "II", "100", ("E", "E", 13, 18, 19)),
        (5, "II", "400", ("A", "A", 2, 12, 13)),
        (5, "II", "1000", ("A", "A", 2, 27, 28)),
        # code letter A has no Ac 0 plan at AQL 10: down to D
        (5, "II", "10", ("A", "D", 8, 1, 2)),
        # the bottom rows: R 0.010 is Ac 0; R 0.015 points up to Q; S exists for 0.025
        (600_000, "III", "0.010", ("R", "R", 2000, 0, 1)),
        (600_000, "III", "0.015", ("R", "Q", 1250, 0, 1)),
        (600_000, "III", "0.025", ("R", "S", 3150, 1, 2)),
        (1_000_000, "II", "0.010", ("Q", "R", 2000, 0, 1)),
    ],
)
def test_table_2b_tightened(lot: int, level: str, aql: str, expected: Expected) -> None:
    assert _plan(lot, level, aql, "tightened") == expected


@pytest.mark.parametrize(
    ("lot", "level", "aql", "expected"),
    [
        # the arrows of 2-A at the reduced sample sizes: Ac 0 plans at the normal letters
        (80, "II", "1.0", ("E", "E", 5, 0, 1)),
        (120, "II", "0.65", ("F", "F", 8, 0, 1)),
        (5000, "II", "0.065", ("L", "L", 80, 0, 1)),
        (400, "II", "0.40", ("H", "G", 13, 0, 1)),  # arrow up
        (3000, "II", "0.25", ("K", "L", 80, 0, 1)),  # arrow down
        (1000, "II", "0.40", ("J", "K", 50, 0, 1)),
        (1000, "II", "1.0", ("J", "J", 32, 1, 2)),
        (200, "II", "2.5", ("G", "G", 13, 1, 2)),
        (40, "II", "15", ("D", "D", 3, 1, 2)),
        (20000, "II", "1.5", ("M", "M", 125, 5, 6)),
        (60, "II", "100", ("E", "E", 5, 10, 11)),
        # A, B and C share n = 2: from AQL 25 up they share the plans
        (5, "II", "400", ("A", "A", 2, 14, 15)),
        (5, "II", "1000", ("A", "A", 2, 30, 31)),
        (5, "II", "10", ("A", "C", 2, 0, 1)),
        # the bottom rows: R 0.010 points up to Q; R 0.015 up to P
        (600_000, "III", "0.010", ("R", "Q", 500, 0, 1)),
        (600_000, "III", "0.015", ("R", "P", 315, 0, 1)),
        (600_000, "III", "0.025", ("R", "R", 800, 0, 1)),
        (1_000_000, "II", "0.010", ("Q", "Q", 500, 0, 1)),
    ],
)
def test_table_2c_reduced(lot: int, level: str, aql: str, expected: Expected) -> None:
    assert _plan(lot, level, aql, "reduced") == expected


@pytest.mark.parametrize("severity", ["normal", "tightened", "reduced"])
def test_every_cell_leads_to_a_plan_inside_the_table(severity: Severity) -> None:
    """Follow the arrows from every code letter and AQL: each ends on a plan (the normal
    table's A 10 and the reduced table's R 0.010 used to lead outside)."""
    letters = TABLE_LETTERS[severity]
    for letter in letters.replace("S", ""):
        for aql in AQLS:
            row, seen = letters.index(letter), set()
            entry = cell(severity, letter, aql)
            while not isinstance(entry, tuple):
                assert row not in seen, f"{severity} {letter} {aql}: the arrows loop"
                seen.add(row)
                row += 1 if entry == "down" else -1
                assert 0 <= row < len(letters), f"{severity} {letter} {aql}: leaves the table"
                entry = cell(severity, letters[row], aql)
            assert entry[1] == entry[0] + 1


def _resolved(severity: Severity, letter: str, aql: str) -> tuple[int, int]:
    letters = TABLE_LETTERS[severity]
    row = letters.index(letter)
    entry = cell(severity, letter, aql)
    while not isinstance(entry, tuple):
        row += 1 if entry == "down" else -1
        entry = cell(severity, letters[row], aql)
    return sample_size(severity, letters[row]), entry[0]


def test_reduced_never_samples_more_and_tightened_never_accepts_more() -> None:
    for letter in "ABCDEFGHJKLMNPQR":
        for aql in AQLS:
            n, ac = _resolved("normal", letter, aql)
            reduced_n, _ = _resolved("reduced", letter, aql)
            tight_n, tight_ac = _resolved("tightened", letter, aql)
            assert reduced_n <= n, (letter, aql)
            assert reduced_n < n or n == 2, (letter, aql)
            # tightened: the same or a larger sample, never a laxer acceptance per unit
            assert tight_ac / tight_n <= ac / n, (letter, aql)
