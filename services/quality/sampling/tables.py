"""ISO 2859-1 single sampling plans, held as data.

Table 1 gives the sample size code letter for a lot size and an inspection level.
Tables 2-A (normal), 2-B (tightened) and 2-C (reduced) give, per code letter and AQL, the
acceptance and rejection numbers (Ac, Re) or an arrow. Along each table, one anti-diagonal
(code letter row + AQL column) holds the same entry, because the standard keeps
n x AQL about constant along it; the tables below are those diagonals, so every cell of the
master tables is one lookup: `DIAGONALS[severity][row + column]`, with the few cells where
the standard cuts the diagonal short (the large Ac numbers exist only for the small code
letters) listed in `MAX_ROW`, and the edge cells in `EDGE_CELLS`.
"""

from __future__ import annotations

from typing import Final, Literal

Level = Literal["S-1", "S-2", "S-3", "S-4", "I", "II", "III"]
Severity = Literal["normal", "tightened", "reduced"]
LEVELS: Final[tuple[Level, ...]] = ("S-1", "S-2", "S-3", "S-4", "I", "II", "III")
SEVERITIES: Final[tuple[Severity, ...]] = ("normal", "tightened", "reduced")

# Table 1: upper bound of each lot-size range (inclusive); None = and above.
LOT_SIZE_UPPER: Final[tuple[int | None, ...]] = (
    8,
    15,
    25,
    50,
    90,
    150,
    280,
    500,
    1200,
    3200,
    10000,
    35000,
    150000,
    500000,
    None,
)
# Table 1: code letters per level, one per lot-size range above.
CODE_LETTERS: Final[dict[Level, str]] = {
    "S-1": "AAAABBBBCCCCDDD",
    "S-2": "AAABBBCCCDDDEEE",
    "S-3": "AABBCCDDEEFFGGH",
    "S-4": "AABCCDEEFGGHJJK",
    "I": "AABCCDEFGHJKLMN",
    "II": "ABCDEFGHJKLMNPQ",
    "III": "BCDEFGHJKLMNPQR",
}

# Rows of Tables 2-A/2-B/2-C: code letter -> sample size. S exists in Table 2-B only.
LETTERS: Final[str] = "ABCDEFGHJKLMNPQRS"
SAMPLE_SIZE: Final[dict[str, int]] = {
    "A": 2,
    "B": 3,
    "C": 5,
    "D": 8,
    "E": 13,
    "F": 20,
    "G": 32,
    "H": 50,
    "J": 80,
    "K": 125,
    "L": 200,
    "M": 315,
    "N": 500,
    "P": 800,
    "Q": 1250,
    "R": 2000,
    "S": 3150,
}
# Table 2-C: the reduced sample size of each code letter.
REDUCED_SAMPLE_SIZE: Final[dict[str, int]] = {
    "A": 2,
    "B": 2,
    "C": 2,
    "D": 3,
    "E": 5,
    "F": 8,
    "G": 13,
    "H": 20,
    "J": 32,
    "K": 50,
    "L": 80,
    "M": 125,
    "N": 200,
    "P": 315,
    "Q": 500,
    "R": 800,
}
TABLE_LETTERS: Final[dict[Severity, str]] = {
    "normal": "ABCDEFGHJKLMNPQR",
    "tightened": "ABCDEFGHJKLMNPQRS",
    "reduced": "ABCDEFGHJKLMNPQR",
}

# Columns of the master tables (AQL in percent nonconforming, or nonconformities per 100
# units above 10).
AQLS: Final[tuple[str, ...]] = (
    "0.010",
    "0.015",
    "0.025",
    "0.040",
    "0.065",
    "0.10",
    "0.15",
    "0.25",
    "0.40",
    "0.65",
    "1.0",
    "1.5",
    "2.5",
    "4.0",
    "6.5",
    "10",
    "15",
    "25",
    "40",
    "65",
    "100",
    "150",
    "250",
    "400",
    "650",
    "1000",
)

UP: Final = "up"  # use the first plan above the arrow
DOWN: Final = "down"  # use the first plan below the arrow
Cell = tuple[int, int] | Literal["up", "down"]

# Entry per anti-diagonal (row index + AQL column index); smaller diagonals are DOWN,
# larger ones UP. Checked cell by cell against the standard's tables
# (tests/quality/test_sampling_tables.py).
_NORMAL: Final[dict[int, Cell]] = {
    14: (0, 1),
    15: UP,
    16: DOWN,
    17: (1, 2),
    18: (2, 3),
    19: (3, 4),
    20: (5, 6),
    21: (7, 8),
    22: (10, 11),
    23: (14, 15),
    24: (21, 22),
    25: (30, 31),
    26: (44, 45),
}
DIAGONALS: Final[dict[Severity, dict[int, Cell]]] = {
    "normal": _NORMAL,
    # Table 2-B: one AQL step stricter than 2-A. The Ac 0 plans sit one diagonal later
    # (AQL 6.5 needs B, n=3, where normal takes A, n=2), with two arrows down between them
    # and the Ac 1 plans (no arrow up).
    "tightened": {
        15: (0, 1),
        16: DOWN,
        17: DOWN,
        18: (1, 2),
        19: (2, 3),
        20: (3, 4),
        21: (5, 6),
        22: (8, 9),
        23: (12, 13),
        24: (18, 19),
        25: (27, 28),
        26: (41, 42),
    },
    # Table 2-C: the arrows of Table 2-A at the reduced sample sizes; past the Ac 0 plans
    # the acceptance numbers are those of the normal plans two diagonals back (the normal
    # plan of the same sample size). Since ISO 2859-1:1999, Re is always Ac + 1.
    "reduced": {
        14: (0, 1),
        15: UP,
        16: DOWN,
        17: (0, 1),
        18: (1, 2),
        19: (1, 2),
        20: (2, 3),
        21: (3, 4),
        22: (5, 6),
        23: (7, 8),
        24: (10, 11),
        25: (14, 15),
        26: (21, 22),
        27: (30, 31),
    },
}
FIRST_DIAGONAL: Final[dict[Severity, int]] = {"normal": 14, "tightened": 15, "reduced": 14}
# The largest acceptance numbers exist for the small code letters only: on these diagonals,
# rows below the given one are arrows up (normal and tightened: down to E; reduced: E,
# and C for its Ac 30 plan).
MAX_ROW: Final[dict[Severity, dict[int, int]]] = {
    "normal": {25: 4, 26: 4},
    "tightened": {25: 4, 26: 4},
    "reduced": {25: 4, 26: 4, 27: 2},
}
# Table 2-C: code letters A, B and C share the reduced sample size 2; from AQL 25 up rows
# A and B hold row C's plans.
REDUCED_SAME_AS: Final[dict[str, str]] = {"A": "C", "B": "C"}
REDUCED_SHARED_FROM_AQL: Final[str] = "25"
# Cells at the edges of the tables where the standard breaks the diagonal: an arrow that
# would leave the table points the other way (row R, AQL 0.015: up to the Ac 0 plan above;
# row A, AQL 10: down, as there is no plan above A), and Table 2-B has no Ac 0 plan for
# code letter A (AQL 10 is an arrow down to D's Ac 1 plan).
EDGE_CELLS: Final[dict[tuple[Severity, str, str], Cell]] = {
    ("normal", "A", "10"): DOWN,
    ("normal", "R", "0.015"): UP,
    ("tightened", "A", "10"): DOWN,
    ("tightened", "R", "0.015"): UP,
    ("reduced", "A", "10"): DOWN,
    ("reduced", "R", "0.015"): UP,
}
