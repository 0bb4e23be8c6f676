"""Local `$ref` resolution for one document, and which referenced parts changed between
two documents (so that an unchanged shared schema is compared once, never per use).

Only local references (`#/...`) resolve; another document's reference stays as it is and
is compared by its text. Chains of references resolve; a reference cycle ends in `{}`.
"""

from __future__ import annotations

from typing import Any

Json = Any


def ref_of(node: Json) -> str | None:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str):
            return ref
    return None


def _unescape(token: str) -> str:
    return token.replace("~1", "/").replace("~0", "~")


def escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


class Document:
    """One OpenAPI document and its resolved references (cached)."""

    def __init__(self, doc: dict[str, Any]) -> None:
        self.doc = doc
        self._cache: dict[str, Json] = {}

    def target(self, ref: str) -> Json:
        """What a reference points at, `None` when it points nowhere (or is external)."""
        if ref in self._cache:
            return self._cache[ref]
        node: Json = None
        if ref.startswith("#"):
            node = self.doc
            for token in ref[1:].split("/")[1:] if ref != "#" else []:
                key = _unescape(token)
                if isinstance(node, dict) and key in node:
                    node = node[key]
                elif isinstance(node, list) and key.isdigit() and int(key) < len(node):
                    node = node[int(key)]
                else:
                    node = None
                    break
        self._cache[ref] = node
        return node

    def deref(self, node: Json) -> Json:
        """Follows references until a node that is not one; a cycle of bare references
        (`A -> B -> A`) or a dangling one resolves to an empty object."""
        seen: set[str] = set()
        while (ref := ref_of(node)) is not None:
            if ref in seen or not ref.startswith("#"):
                return {} if ref in seen else node
            seen.add(ref)
            node = self.target(ref)
            if node is None:
                return {}
        return node


def refs_in(node: Json, out: set[str] | None = None) -> set[str]:
    """Every reference written inside a node (not following them)."""
    found = out if out is not None else set()
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            ref = item.get("$ref")
            if isinstance(ref, str):
                found.add(ref)
            stack.extend(v for v in item.values() if isinstance(v, (dict, list)))
        elif isinstance(item, list):
            stack.extend(v for v in item if isinstance(v, (dict, list)))
    return found


class Changes:
    """Which references mean the same in both documents: their targets are equal and so
    is everything those targets reference, transitively. Decided once for every
    reference of both documents: a changed target dirties every reference that reaches it."""

    def __init__(self, old: Document, new: Document) -> None:
        self.old, self.new = old, new
        self._refs: dict[int, set[str]] = {}
        pending = refs_in(old.doc) | refs_in(new.doc)
        edges: dict[str, set[str]] = {}
        while pending:
            ref = pending.pop()
            inner = self._inner_refs(old.target(ref)) | self._inner_refs(new.target(ref))
            edges[ref] = inner
            pending |= inner - edges.keys()
        reached_from: dict[str, set[str]] = {ref: set() for ref in edges}
        for ref, inner in edges.items():
            for target in inner:
                reached_from.setdefault(target, set()).add(ref)
        dirty = [ref for ref in edges if old.target(ref) != new.target(ref)]
        self.dirty: set[str] = set(dirty)
        while dirty:
            for parent in reached_from.get(dirty.pop(), ()):
                if parent not in self.dirty:
                    self.dirty.add(parent)
                    dirty.append(parent)

    def _inner_refs(self, node: Json) -> set[str]:
        if not isinstance(node, (dict, list)):
            return set()
        key = id(node)
        if key not in self._refs:
            self._refs[key] = refs_in(node)
        return self._refs[key]

    def clean(self, ref: str) -> bool:
        return ref not in self.dirty

    def same(self, old: Json, new: Json) -> bool:
        """The two nodes mean the same: equal, and every reference inside is clean."""
        return old == new and not (self._inner_refs(old) & self.dirty)
