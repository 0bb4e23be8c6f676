"""The audit context of one request: what the request touched, collected as it runs.

`AuditMiddleware` opens it; code adds to it with `touch(...)` (ids) and `note(...)` (a
named action), and two things add on their own: every ORM flush (the ids of the rows it
inserted, updated or deleted, as `<table>/<id>`) and `emit_event` (the event's subject). The context lives in
a ContextVar, so an op of an offline replay batch, dispatched in-process inside the
batch's request, adds to the batch's record rather than writing its own.
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass, field
from itertools import chain
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# A record names at most this many ids; `details.touched_more` counts the rest.
MAX_TOUCHED = 200
STATE_KEY = "weft_audit"


@dataclass(slots=True)
class AuditContext:
    method: str
    touched: dict[str, None] = field(default_factory=dict)  # ordered and unique
    more: int = 0
    actions: list[str] = field(default_factory=list)
    # set once the request's record is written (in its own transaction, or the middleware's)
    written: bool = False

    @property
    def is_write(self) -> bool:
        return self.method in WRITE_METHODS

    def add(self, ref: str) -> None:
        if ref in self.touched:
            return
        if len(self.touched) >= MAX_TOUCHED:
            self.more += 1
            return
        self.touched[ref] = None

    def details(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.actions:
            out["actions"] = self.actions
        if self.more:
            out["touched_more"] = self.more
        return out


audit_var: ContextVar[AuditContext | None] = ContextVar("weft_audit", default=None)


def touch(*refs: object) -> None:
    """Name what the current request touched (ids, or `<kind>/<id>`); no-op outside a request."""
    ctx = audit_var.get()
    if ctx is None:
        return
    for ref in refs:
        if ref is not None:
            ctx.add(str(ref))


def note(action: str) -> None:
    """Name a domain action of the current request (`elevation.approved`) in its record."""
    ctx = audit_var.get()
    if ctx is not None and action not in ctx.actions and len(ctx.actions) < 50:
        ctx.actions.append(action)


@event.listens_for(Session, "after_flush")
def _touched_by_flush(session: Session, _flush_context: Any) -> None:
    """The ids of the ORM rows a write request flushed: `<table>/<id>`. Only values already
    in memory are read (never an attribute load)."""
    ctx = audit_var.get()
    if ctx is None or not ctx.is_write:
        return
    for obj in chain(session.new, session.dirty, session.deleted):
        ident = obj.__dict__.get("id")
        table = getattr(obj, "__tablename__", None)
        if ident is not None and table is not None:
            ctx.add(f"{table}/{ident}")
