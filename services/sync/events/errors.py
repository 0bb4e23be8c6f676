"""Errors of the event log."""

from __future__ import annotations

from libs.common.errors import BadRequest, NotFound


class EventNotFound(NotFound):
    code, title = "event_not_found", "No such event"


class CursorConflict(BadRequest):
    code, title = "cursor_conflict", "cursor pages newest first, after pages forward: not both"
