"""Loads the spec pairs of `diff_fixtures/*.yaml` (see the files' headers for the
`request:` / `response:` shorthand)."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

FIXTURES = Path(__file__).parent / "diff_fixtures"


@dataclass(frozen=True)
class Pair:
    name: str
    old: dict[str, Any]
    new: dict[str, Any]
    expect: frozenset[str]
    valid: bool


def _document(base: dict[str, Any] | None, fixture: dict[str, Any], side: int) -> dict[str, Any]:
    doc: dict[str, Any] = copy.deepcopy(base) if base else {}
    doc.setdefault("openapi", "3.1.0")
    doc.setdefault("info", {"title": fixture["name"], "version": "1"})
    paths = doc.setdefault("paths", {})
    for name, schemas in (fixture.get("request") or {}).items():
        body = {"content": {"application/json": {"schema": schemas[side]}}}
        ok = {"200": {"description": "ok"}}
        paths[f"/{name}"] = {"post": {"requestBody": body, "responses": ok}}
    for name, schemas in (fixture.get("response") or {}).items():
        content = {"application/json": {"schema": schemas[side]}}
        paths[f"/{name}"] = {
            "get": {"responses": {"200": {"description": "ok", "content": content}}}
        }
    if "components" in fixture:
        doc["components"] = copy.deepcopy(fixture["components"])
    return doc


def load_pairs() -> list[Pair]:
    pairs = []
    for path in sorted(FIXTURES.glob("*.yaml")):
        for fixture in yaml.safe_load_all(path.read_text()):
            pairs.append(
                Pair(
                    name=f"{path.stem}: {fixture['name']}",
                    old=_document(fixture.get("old"), fixture, 0),
                    new=_document(fixture.get("new"), fixture, 1),
                    expect=frozenset(fixture["expect"]),
                    valid=fixture.get("valid", True),
                )
            )
    return pairs
