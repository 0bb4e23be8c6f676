"""Comparing two schemas as a client sees them.

The same change means opposite things by direction: a client sends requests (a narrower
schema refuses what it sent) and reads responses (a wider one gives it what it cannot
read). `Kind` names the subject, and with it the start of every rule id:
`request-body-...` at the root of a request body, `request-property-...` below it,
`request-parameter(-property)-...`, `response-body/property-...`, `response-header-...`.
Only ids in the rule catalog are reported.

Referenced schemas are compared once per pair of references and kind, and a reference
whose target is unchanged in both documents is not walked at all: a 1 MB document with a
few changes costs little. A change is followed through at most `MAX_REF_DEPTH` nested references below the
operation: a chain of distinct references (`R0.parent -> R1.parent -> ... -> R399`) would
otherwise be walked to its end, and reported at every depth, for every operation.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from services.partner.diff.refs import Changes, Document, Json, escape, ref_of
from services.partner.diff.rules import RULES, describe

Key = tuple[Any, Any]
MAX_REF_DEPTH = 8


class Kind(StrEnum):
    REQUEST = "request"
    RESPONSE = "response"
    PARAMETER = "parameter"
    HEADER = "header"

    @property
    def sends(self) -> bool:
        """The client writes this (a request body or parameter)."""
        return self in (Kind.REQUEST, Kind.PARAMETER)

    def prefix(self, root: bool) -> str:
        return {
            Kind.REQUEST: ("request-body", "request-property"),
            Kind.RESPONSE: ("response-body", "response-property"),
            Kind.PARAMETER: ("request-parameter", "request-parameter-property"),
            Kind.HEADER: ("response-header", "response-header-property"),
        }[self][0 if root else 1]


@dataclass(frozen=True, slots=True)
class Rel:
    """A finding relative to the schema it was found in: `prop` and `ptr` are JSON pointers
    (escaped, so that prefixing one is a concatenation)."""

    rule: str
    prop: str
    ptr: str
    message: str


def show(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def types_of(schema: dict[str, Any]) -> set[str]:
    t = schema.get("type")
    if isinstance(t, str):
        return {t} - {"null"}
    if isinstance(t, list):
        return {x for x in t if isinstance(x, str)} - {"null"}
    return set()


def nullable(schema: dict[str, Any]) -> bool:
    t = schema.get("type")
    return schema.get("nullable") is True or t == "null" or (isinstance(t, list) and "null" in t)


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def _subtype(old: set[str], new: set[str]) -> bool:
    """Every value of `old` is a value of `new`."""
    return old != new and all(t in new or (t == "integer" and "number" in new) for t in old)


@dataclass(frozen=True, slots=True)
class Link:
    """A reference met inside a schema: followed when findings are expanded."""

    old: Json
    new: Json
    root: bool
    prop: str
    ptr: str


@dataclass(slots=True)
class Sink:
    rels: list[Rel] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)

    def extend(self, other: Sink, prop: str, ptr: str) -> None:
        if not prop and not ptr:
            self.rels.extend(other.rels)
            self.links.extend(other.links)
            return
        self.rels.extend(Rel(r.rule, prop + r.prop, ptr + r.ptr, r.message) for r in other.rels)
        self.links.extend(
            Link(k.old, k.new, k.root, prop + k.prop, ptr + k.ptr) for k in other.links
        )


class SchemaDiff:
    """Each pair of referenced schemas is compared once per kind (its own findings and
    the references inside it, `Link`s); a diff then expands the links from where an
    operation reaches them, stopping at cycles and after `MAX_REF_DEPTH` references."""

    def __init__(self, old: Document, new: Document, changes: Changes) -> None:
        self.old, self.new, self.changes = old, new, changes
        self._local: dict[tuple[Any, ...], Sink] = {}

    def diff(self, old: Json, new: Json, kind: Kind) -> list[Rel]:
        out: list[Rel] = []
        self._expand(old, new, kind, True, "", "", out, MAX_REF_DEPTH, frozenset())
        return out

    def _expand(
        self,
        old: Json,
        new: Json,
        kind: Kind,
        root: bool,
        prop: str,
        ptr: str,
        out: list[Rel],
        budget: int,
        stack: frozenset[Key],
    ) -> None:
        pair: Key = (ref_of(old) or id(old), ref_of(new) or id(new))
        if pair in stack:
            return
        local = self._compared(old, new, kind, root)
        if prop or ptr:
            out.extend(Rel(r.rule, prop + r.prop, ptr + r.ptr, r.message) for r in local.rels)
        else:
            out.extend(local.rels)
        if budget > 0 and local.links:
            inner = stack | {pair}
            for link in local.links:
                self._expand(
                    link.old,
                    link.new,
                    kind,
                    link.root,
                    prop + link.prop,
                    ptr + link.ptr,
                    out,
                    budget - 1,
                    inner,
                )

    def _compared(self, old: Json, new: Json, kind: Kind, root: bool) -> Sink:
        oref, nref = ref_of(old), ref_of(new)
        key = (oref, nref, kind, root) if oref is not None and nref is not None else None
        if key is not None and key in self._local:
            return self._local[key]
        sink = Sink()
        self._compare(self.old.deref(old), self.new.deref(new), kind, root, sink)
        if key is not None:
            self._local[key] = sink
        return sink

    def _node(
        self,
        old: Json,
        new: Json,
        kind: Kind,
        root: bool,
        prop: str,
        ptr: str,
        out: Sink,
    ) -> None:
        oref, nref = ref_of(old), ref_of(new)
        if oref is not None and oref == nref and self.changes.clean(oref):
            return
        if oref is None and nref is None:
            if not self.changes.same(old, new):
                inner = Sink()
                self._compare(old, new, kind, root, inner)
                out.extend(inner, prop, ptr)
            return
        out.links.append(Link(old, new, root, prop, ptr))

    def _compare(self, old: Json, new: Json, kind: Kind, root: bool, out: Sink) -> None:
        if not isinstance(old, dict) or not isinstance(new, dict):
            return
        prefix = kind.prefix(root)

        def emit(suffix: str, detail: str = "", fallback: str | None = None) -> None:
            rule = f"{prefix}-{suffix}"
            if rule not in RULES and fallback is not None:
                rule = f"{prefix}-{fallback}"
            if rule in RULES:
                out.rels.append(Rel(rule, "", "", _message(rule, detail)))

        if not self._types(old, new, kind, emit):
            return
        self._values(old, new, kind, emit)
        self._bounds(old, new, emit)
        if not root and not old.get("deprecated") and new.get("deprecated"):
            emit("deprecated")
        for key, word in (("oneOf", "one-of"), ("anyOf", "any-of"), ("allOf", "all-of")):
            self._composition(old, new, key, word, kind, root, emit, out)
        self._properties(old, new, kind, out)
        for key in ("items", "additionalProperties"):
            if isinstance(old.get(key), dict) and isinstance(new.get(key), dict):
                self._node(old[key], new[key], kind, False, f"/{key}", f"/{key}", out)

    def _types(
        self, old: dict[str, Any], new: dict[str, Any], kind: Kind, emit: Callable[..., None]
    ) -> bool:
        """Reports a type change; False when the types are unrelated (nothing below
        compares meaningfully)."""
        ot, nt = types_of(old), types_of(new)
        if ot and nt and ot != nt:
            detail = f"from {show(sorted(ot))} to {show(sorted(nt))}"
            widened, narrowed = _subtype(ot, nt), _subtype(nt, ot)
            # a wider request or a narrower response harms nobody: no rule, no finding
            harmful = "type-changed"
            if widened:
                many = len(nt) > 1
                emit(
                    "list-of-types-widened" if many else "type-generalized",
                    detail,
                    None if kind.sends else harmful,
                )
            elif narrowed:
                many = len(ot) > 1
                emit(
                    "list-of-types-narrowed" if many else "type-specialized",
                    detail,
                    harmful if kind.sends else None,
                )
            else:
                emit("type-changed", detail)
                return False
        elif old.get("format") and new.get("format") and old["format"] != new["format"]:
            emit("type-changed", f"format from {show(old['format'])} to {show(new['format'])}")
        on, nn = nullable(old), nullable(new)
        if nn and not on:
            emit("became-nullable")
        elif on and not nn:
            emit("became-not-nullable")
        return True

    def _values(
        self, old: dict[str, Any], new: dict[str, Any], kind: Kind, emit: Callable[..., None]
    ) -> None:
        oe, ne = old.get("enum"), new.get("enum")
        if oe is None and isinstance(ne, list):
            emit("became-enum", show(ne))
        elif isinstance(oe, list) and isinstance(ne, list):
            okeys, nkeys = {show(v): v for v in oe}, {show(v): v for v in ne}
            for text in okeys.keys() - nkeys.keys():
                emit("enum-value-removed", text)
            for text in nkeys.keys() - okeys.keys():
                emit("enum-value-added", text)
        for key, word in (("const", "const"), ("default", "default-value")):
            if key not in old and key in new:
                emit(f"{word}-added", show(new[key]))
            elif key in old and key not in new:
                emit(f"{word}-removed", show(old[key]))
            elif key in old and old[key] != new[key]:
                emit(f"{word}-changed", f"from {show(old[key])} to {show(new[key])}")

    def _bounds(self, old: dict[str, Any], new: dict[str, Any], emit: Callable[..., None]) -> None:
        for key, word, missing in (
            ("maximum", "max", None),
            ("exclusiveMaximum", "exclusive-max", None),
            ("maxLength", "max-length", None),
            ("maxItems", "max-items", None),
            ("minimum", "min", None),
            ("exclusiveMinimum", "exclusive-min", None),
            ("minLength", "min-length", 0.0),
            ("minItems", "min-items", None),
        ):
            o, n = _number(old.get(key)), _number(new.get(key))
            if missing is not None:
                o = missing if o is None else o
                n = missing if n is None else n
            if o is None and n is not None:
                emit(f"{word}-set", show(new[key]))
            elif o is not None and n is None:
                if missing is None:
                    emit(f"{word}-unset", show(old[key]))
            elif o is not None and n is not None and o != n:
                emit(f"{word}-{'increased' if n > o else 'decreased'}", f"from {o:g} to {n:g}")
        op, np = old.get("pattern"), new.get("pattern")
        if op is None and isinstance(np, str):
            emit("pattern-added", show(np))
        elif isinstance(op, str) and np is None:
            emit("pattern-removed", show(op))
        elif op != np:
            emit("pattern-changed", f"from {show(op)} to {show(np)}")

    def _composition(
        self,
        old: dict[str, Any],
        new: dict[str, Any],
        key: str,
        word: str,
        kind: Kind,
        root: bool,
        emit: Callable[..., None],
        out: Sink,
    ) -> None:
        olist, nlist = old.get(key) or [], new.get(key) or []
        if not isinstance(olist, list) or not isinstance(nlist, list):
            return
        if self.changes.same(olist, nlist):
            return
        pairs: list[tuple[int, int]] = []
        orest, nrest = list(range(len(olist))), list(range(len(nlist)))
        by_ref = {ref_of(nlist[j]): j for j in nrest if ref_of(nlist[j]) is not None}
        for i in list(orest):
            j = by_ref.get(ref_of(olist[i]))
            if ref_of(olist[i]) is not None and j is not None and j in nrest:
                pairs.append((i, j))
                orest.remove(i)
                nrest.remove(j)
        for i in list(orest):  # an inline subschema still there, unchanged
            for j in nrest:
                if self.changes.same(olist[i], nlist[j]):
                    orest.remove(i)
                    nrest.remove(j)
                    break
        inline_o = [i for i in orest if ref_of(olist[i]) is None]
        inline_n = [j for j in nrest if ref_of(nlist[j]) is None]
        if len(inline_o) == 1 and len(inline_n) == 1:  # one subschema changed in place
            i, j = inline_o[0], inline_n[0]
            if types_of(_plain(self.old.deref(olist[i]))) == types_of(
                _plain(self.new.deref(nlist[j]))
            ):
                pairs.append((i, j))
                orest.remove(i)
                nrest.remove(j)
        for i in orest:
            emit(f"{word}-removed", _label(olist[i], i))
        for j in nrest:
            emit(f"{word}-added", _label(nlist[j], j))
        for i, j in pairs:
            self._node(olist[i], nlist[j], kind, root, "", f"/{key}/{j}", out)

    def _properties(self, old: dict[str, Any], new: dict[str, Any], kind: Kind, out: Sink) -> None:
        oprops, nprops = old.get("properties"), new.get("properties")
        oprops = oprops if isinstance(oprops, dict) else {}
        nprops = nprops if isinstance(nprops, dict) else {}
        oreq, nreq = set(old.get("required") or ()), set(new.get("required") or ())
        hidden = "readOnly" if kind.sends else "writeOnly"  # never sent / never read

        def rule(rule_id: str, name: str) -> None:
            out.rels.append(
                Rel(
                    rule_id,
                    f"/{escape(name)}",
                    f"/properties/{escape(name)}",
                    _message(rule_id, f"`{name}`"),
                )
            )

        object_rules = kind in (Kind.REQUEST, Kind.RESPONSE)
        for name in oprops.keys() - nprops.keys():
            if object_rules and not self.old.deref(oprops[name]).get(hidden):
                if kind.sends:
                    rule("request-property-removed", name)
                elif name in oreq:
                    rule("response-required-property-removed", name)
                else:
                    rule("response-optional-property-removed", name)
        for name in nprops.keys() - oprops.keys():
            if object_rules and not self.new.deref(nprops[name]).get(hidden):
                required = name in nreq
                if kind.sends:
                    rule(
                        "new-required-request-property"
                        if required
                        else "new-optional-request-property",
                        name,
                    )
                else:
                    rule(
                        "response-required-property-added"
                        if required
                        else "response-optional-property-added",
                        name,
                    )
        for name in sorted(oprops.keys() & nprops.keys()):
            visible = not self.new.deref(nprops[name]).get(hidden)
            if object_rules and visible and (name in oreq) != (name in nreq):
                now = "required" if name in nreq else "optional"
                rule(f"{'request' if kind.sends else 'response'}-property-became-{now}", name)
            token = escape(name)
            self._node(
                oprops[name], nprops[name], kind, False, f"/{token}", f"/properties/{token}", out
            )


def _plain(schema: Json) -> dict[str, Any]:
    return schema if isinstance(schema, dict) else {}


def _label(schema: Json, index: int) -> str:
    ref = ref_of(schema)
    return f"`{ref.rsplit('/', 1)[-1]}`" if ref else f"#{index}"


def _message(rule: str, detail: str) -> str:
    return f"{describe(rule)}: {detail}" if detail else describe(rule)
