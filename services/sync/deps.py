"""Sync's dependencies: who may read and manage webhooks, settings, waking the worker."""

from __future__ import annotations

from typing import Annotated

from fastapi import BackgroundTasks, Depends, Request

from libs.common.auth import Principal, Space
from libs.common.deps import require
from services.sync.config import Settings

SPACES = (Space.PROVIDER, Space.CLIENT, Space.DEVELOPER)

WebhookReader = Annotated[Principal, Depends(require(*SPACES, perm="webhooks:read"))]
WebhookManager = Annotated[Principal, Depends(require(*SPACES, perm="webhooks:manage"))]
EventReader = Annotated[Principal, Depends(require(*SPACES, perm="events:read"))]


def _settings(request: Request) -> Settings:
    return request.app.state.settings  # type: ignore[no-any-return]


SyncSettings = Annotated[Settings, Depends(_settings)]


def wake_worker_after_response(request: Request, tasks: BackgroundTasks) -> None:
    """New deliveries are committed before the response; the worker looks right after."""
    worker = getattr(request.app.state, "worker", None)
    if worker is not None:
        tasks.add_task(worker.wake)
