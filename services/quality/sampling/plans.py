"""Lot size -> code letter -> sample size and Ac/Re for an AQL, arrows followed."""

from __future__ import annotations

from dataclasses import dataclass

from services.quality.sampling.tables import (
    AQLS,
    CODE_LETTERS,
    DIAGONALS,
    DOWN,
    EDGE_CELLS,
    FIRST_DIAGONAL,
    LOT_SIZE_UPPER,
    MAX_ROW,
    REDUCED_SAME_AS,
    REDUCED_SAMPLE_SIZE,
    REDUCED_SHARED_FROM_AQL,
    SAMPLE_SIZE,
    TABLE_LETTERS,
    UP,
    Cell,
    Level,
    Severity,
)


class SamplingError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class Plan:
    lot_size: int
    level: Level
    severity: Severity
    aql: str
    code_letter: str  # from Table 1
    plan_letter: str  # where the arrows led (its sample size applies)
    sample_size: int
    accept: int
    reject: int
    full_inspection: bool  # the sample would be the whole lot: inspect every unit


def normalise_aql(aql: str) -> str:
    try:
        value = float(aql)
    except ValueError:
        raise SamplingError(f"AQL {aql!r} is not a number") from None
    for known in AQLS:
        if float(known) == value:
            return known
    raise SamplingError(f"AQL {aql} is not one of the standard's AQLs")


def code_letter(lot_size: int, level: Level) -> str:
    if lot_size < 2:
        raise SamplingError("A lot has at least 2 units for sampling")
    if level not in CODE_LETTERS:
        raise SamplingError(f"Unknown inspection level {level!r}")
    for index, upper in enumerate(LOT_SIZE_UPPER):
        if upper is None or lot_size <= upper:
            return CODE_LETTERS[level][index]
    raise AssertionError("unreachable")


def cell(severity: Severity, letter: str, aql: str) -> Cell:
    """One cell of Table 2-A/2-B/2-C: (Ac, Re) or an arrow."""
    edge = EDGE_CELLS.get((severity, letter, aql))
    if edge is not None:
        return edge
    if severity == "reduced" and AQLS.index(aql) >= AQLS.index(REDUCED_SHARED_FROM_AQL):
        letter = REDUCED_SAME_AS.get(letter, letter)
    row = TABLE_LETTERS[severity].index(letter)
    diagonal = row + AQLS.index(aql)
    if diagonal < FIRST_DIAGONAL[severity]:
        return DOWN
    max_row = MAX_ROW[severity].get(diagonal)
    if max_row is not None and row > max_row:
        return UP
    return DIAGONALS[severity].get(diagonal, UP)


def sample_size(severity: Severity, letter: str) -> int:
    return REDUCED_SAMPLE_SIZE[letter] if severity == "reduced" else SAMPLE_SIZE[letter]


def plan_for(lot_size: int, level: Level, aql: str, severity: Severity = "normal") -> Plan:
    aql = normalise_aql(aql)
    if severity not in DIAGONALS:
        raise SamplingError(f"Unknown inspection severity {severity!r}")
    start = code_letter(lot_size, level)
    letters = TABLE_LETTERS[severity]
    row = letters.index(start)
    entry = cell(severity, start, aql)
    while entry in (UP, DOWN):
        row += 1 if entry == DOWN else -1
        if not 0 <= row < len(letters):  # pragma: no cover - the tables always resolve
            raise SamplingError("The arrows lead outside the table")
        entry = cell(severity, letters[row], aql)
    assert isinstance(entry, tuple)
    accept, reject = entry
    letter = letters[row]
    n = sample_size(severity, letter)
    full = n >= lot_size
    return Plan(
        lot_size=lot_size,
        level=level,
        severity=severity,
        aql=aql,
        code_letter=start,
        plan_letter=letter,
        sample_size=min(n, lot_size),
        accept=accept,
        reject=reject,
        full_inspection=full,
    )


def tighter_accept(severity: Severity, letter: str, aql: str) -> int | None:
    """The acceptance number of the same code letter (the same sample) at the AQL one step
    tighter, for the switching score (ISO 2859-1 9.3.3.2); None where that cell is an arrow
    or no AQL is tighter."""
    index = AQLS.index(normalise_aql(aql))
    if index == 0:
        return None
    entry = cell(severity, letter, AQLS[index - 1])
    return entry[0] if isinstance(entry, tuple) else None
