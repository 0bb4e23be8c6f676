"""Events partner emits, typed in libs/contracts/events/partner.py, written to the outbox in
the request's transaction. Every event is the owner's (`tenant_id`) and, for a partner
project, made for the partner (`customer_tenant_id`)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from libs.contracts.base import EventModel
from libs.contracts.events.partner import (
    EvidenceSubmitted,
    ReviewDecided,
    ReviewRequested,
    RunCompleted,
    SpecDiffed,
    SpecUploaded,
)
from libs.contracts.outbox import emit_event
from services.partner.models import Project, outbox

__all__ = [
    "EvidenceSubmitted",
    "ReviewDecided",
    "ReviewRequested",
    "RunCompleted",
    "SpecDiffed",
    "SpecUploaded",
    "emit",
]


async def emit(session: AsyncSession, event: EventModel, *, project: Project, subject: str) -> None:
    await emit_event(
        session,
        outbox,
        event=event,
        tenant_id=project.tenant_id,
        subject=subject,
        customer_tenant_id=project.customer_tenant_id,
    )
