"""The sampling tables against ISO 2859-1 (Table 1, Tables 2-A, 2-B, 2-C), known points."""

from __future__ import annotations

import pytest

from services.quality.sampling.plans import Plan, SamplingError, cell, code_letter, plan_for
from services.quality.sampling.schemas import spec_from_template
from services.quality.sampling.tables import LEVELS, LOT_SIZE_UPPER, Level


@pytest.mark.parametrize(
    ("lot", "level", "letter"),
    [
        (8, "II", "A"),
        (9, "II", "B"),
        (1200, "II", "J"),
        (1201, "II", "K"),
        (500000, "II", "P"),
        (500001, "II", "Q"),
        (1200, "I", "G"),
        (1200, "III", "K"),
        (10000, "I", "J"),
        (2, "III", "B"),
        (3200, "S-1", "C"),
        (3200, "S-2", "D"),
        (3200, "S-3", "E"),
        (3200, "S-4", "G"),
        (35001, "S-4", "J"),
        (1_000_000, "S-1", "D"),
        (1_000_000, "III", "R"),
        (151, "S-3", "D"),
    ],
)
def test_code_letters_table_1(lot: int, level: Level, letter: str) -> None:
    assert code_letter(lot, level) == letter


def test_every_level_has_a_letter_per_lot_range() -> None:
    from services.quality.sampling.tables import CODE_LETTERS

    for level in LEVELS:
        assert len(CODE_LETTERS[level]) == len(LOT_SIZE_UPPER)
        # letters never go down as lots grow
        assert list(CODE_LETTERS[level]) == sorted(CODE_LETTERS[level])


@pytest.mark.parametrize(
    ("aql", "cell_value"),
    [
        ("0.15", (0, 1)),
        ("0.25", "up"),
        ("0.40", "down"),
        ("0.65", (1, 2)),
        ("1.0", (2, 3)),
        ("1.5", (3, 4)),
        ("2.5", (5, 6)),
        ("4.0", (7, 8)),
        ("6.5", (10, 11)),
        ("10", (14, 15)),
        ("15", (21, 22)),
        ("25", "up"),
        ("0.10", "down"),
    ],
)
def test_table_2a_row_j(aql: str, cell_value: object) -> None:
    assert cell("normal", "J", aql) == cell_value


@pytest.mark.parametrize(
    ("letter", "aql", "cell_value"),
    [
        ("A", "6.5", (0, 1)),
        ("A", "10", "down"),  # printed as an arrow up, with no plan above A
        ("A", "15", "down"),
        ("A", "25", (1, 2)),
        ("A", "1000", (30, 31)),
        ("B", "1000", (44, 45)),
        ("E", "150", (30, 31)),
        ("E", "250", (44, 45)),
        ("E", "400", "up"),
        ("F", "65", (21, 22)),
        ("F", "100", "up"),
        ("K", "10", (21, 22)),
        ("L", "6.5", (21, 22)),
        ("Q", "0.010", (0, 1)),
        ("R", "0.025", (1, 2)),
        ("R", "0.65", (21, 22)),
        ("R", "1.0", "up"),
        ("N", "0.65", (7, 8)),
        ("M", "4.0", (21, 22)),
    ],
)
def test_table_2a_cells(letter: str, aql: str, cell_value: object) -> None:
    assert cell("normal", letter, aql) == cell_value


@pytest.mark.parametrize(
    ("lot", "aql", "expected"),
    [
        # (plan letter, sample size, Ac, Re)
        (1200, "1.0", ("J", 80, 2, 3)),
        (1200, "0.25", ("H", 50, 0, 1)),  # arrow up
        (1200, "0.40", ("K", 125, 1, 2)),  # arrow down
        (1200, "2.5", ("J", 80, 5, 6)),
        (10, "6.5", ("A", 2, 0, 1)),  # B -> up -> A
        (20, "6.5", ("D", 8, 1, 2)),  # C -> down -> D
        (3000, "0.10", ("K", 125, 0, 1)),
        (3000, "0.065", ("L", 200, 0, 1)),  # arrow down
        (600_000, "1.0", ("Q", 1250, 21, 22)),  # level II: Q
        (100, "0.010", ("Q", 1250, 0, 1)),  # down to Q; the lot is smaller: 100%
    ],
)
def test_normal_plans_follow_the_arrows(lot: int, aql: str, expected: tuple) -> None:
    plan = plan_for(lot, "II", aql)
    assert (plan.plan_letter, SAMPLE(plan), plan.accept, plan.reject) == expected


def SAMPLE(plan: Plan) -> int:
    from services.quality.sampling.tables import SAMPLE_SIZE

    return SAMPLE_SIZE[plan.plan_letter]


def test_full_inspection_when_the_sample_exceeds_the_lot() -> None:
    plan = plan_for(100, "II", "0.010")
    assert plan.full_inspection and plan.sample_size == 100


@pytest.mark.parametrize(
    ("lot", "level", "aql", "expected"),
    [
        (1200, "II", "1.0", ("J", 80, 1, 2)),
        (3000, "II", "1.0", ("K", 125, 2, 3)),
        (3000, "II", "2.5", ("K", 125, 5, 6)),
        (3000, "II", "6.5", ("K", 125, 12, 13)),
        (600_000, "III", "0.025", ("S", 3150, 1, 2)),  # row S exists in 2-B only
    ],
)
def test_tightened_table_2b(lot: int, level: Level, aql: str, expected: tuple) -> None:
    plan = plan_for(lot, level, aql, "tightened")
    assert (plan.plan_letter, plan.sample_size, plan.accept, plan.reject) == expected


@pytest.mark.parametrize(
    ("lot", "aql", "expected"),
    [
        (3000, "1.0", ("K", 50, 1, 2)),
        (1200, "2.5", ("J", 32, 2, 3)),
        (1200, "0.40", ("K", 50, 0, 1)),  # J reduced 0.40 is an arrow down
    ],
)
def test_reduced_table_2c(lot: int, aql: str, expected: tuple) -> None:
    plan = plan_for(lot, "II", aql, "reduced")
    assert (plan.plan_letter, plan.sample_size, plan.accept, plan.reject) == expected


def test_non_standard_aql_is_refused() -> None:
    with pytest.raises(SamplingError):
        plan_for(1200, "II", "1.2")


def test_template_code() -> None:
    assert spec_from_template("aql_1_0").aql == "1.0"
    assert spec_from_template("aql_0_65").aql == "0.65"
    assert spec_from_template("aql_2_5").level == "II"
