"""ISO 2859-1 switching per product: the state picks the table each new inspection is
sampled from; each lot's original inspection moves it (rules.py); the QA lead records
what the standard leaves to the responsible authority (production steady, reduced approved,
corrective action after a discontinuation)."""

from __future__ import annotations

import uuid
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.auth import Principal
from libs.common.errors import Conflict
from libs.common.etag import ensure_version
from libs.common.pagination import PageParams, paginate
from services.quality.models import Inspection, SwitchingState
from services.quality.products.service import ProductNotFound, find_product
from services.quality.sampling.plans import SamplingError, plan_for, tighter_accept
from services.quality.sampling.schemas import SamplingPlan
from services.quality.sampling.tables import Severity
from services.quality.switching import repository as repo
from services.quality.switching import rules
from services.quality.switching.schemas import SwitchingResume, SwitchingUpdate

HISTORY = 20  # switches kept on the record

__all__ = ["ProductNotFound"]


class SamplingDiscontinued(Conflict):
    code, title = "sampling_discontinued", "Inspection under ISO 2859-1 is discontinued"


class NotDiscontinued(Conflict):
    code, title = "not_discontinued", "The product's inspection is not discontinued"


def _record(row: SwitchingState) -> rules.Record:
    return rules.Record(
        state=row.state,  # type: ignore[arg-type]
        score=row.score,
        recent=tuple(row.recent),
        consecutive_accepted=row.consecutive_accepted,
        rejected_on_tightened=row.rejected_on_tightened,
        production_steady=row.production_steady,
        reduced_approved=row.reduced_approved,
        lots=row.lots,
    )


def _store(
    row: SwitchingState,
    step: rules.Step,
    *,
    inspection_id: uuid.UUID | None = None,
    by: str | None = None,
) -> None:
    before = row.state
    values: dict[str, Any] = asdict(step.record)
    values["recent"] = list(values["recent"])
    for name, value in values.items():
        setattr(row, name, value)
    if step.switched:
        now = datetime.now(UTC)
        row.state_since = now
        entry = {"from": before, "to": row.state, "reason": step.reason, "at": now.isoformat()}
        if inspection_id is not None:
            entry["inspection_id"] = str(inspection_id)
        if by is not None:
            entry["by"] = by
        row.history = [*row.history, entry][-HISTORY:]


async def severity_for(
    session: AsyncSession, tenant_id: uuid.UUID, sku: str | None, start: Severity
) -> tuple[Severity, str | None]:
    """(the table a new inspection of this product is sampled from, the product's state).
    Before its first judged lot a product starts where its plan says (normal by default)."""
    if sku is None:
        return start, None
    row = await repo.get(session, tenant_id, sku)
    if row is None:
        return start, start
    state = row.state
    return ("tightened" if state == "discontinued" else state), state  # type: ignore[return-value]


async def ensure_may_inspect(session: AsyncSession, inspection: Inspection) -> None:
    """A discontinued product's lots wait until the QA lead records the corrective action."""
    if inspection.product_sku is None:
        return
    row = await repo.get(session, inspection.tenant_id, inspection.product_sku)
    if row is not None and row.state == "discontinued":
        raise SamplingDiscontinued(
            f"Inspection of {inspection.product_sku} is discontinued (ISO 2859-1 9.4) until "
            "the corrective action is recorded (POST .../switching/resume)"
        )


def _passes_tighter(plan: SamplingPlan, nonconforming: int, minor_units: int) -> bool:
    """Would this sample have passed at the AQLs one step tighter (each judged class)?"""
    ac = tighter_accept(plan.severity, plan.plan_letter, plan.aql)
    if ac is None or nonconforming > ac:
        return False
    if plan.aql_minor is None or plan.accept_minor is None or plan.accept_minor < 2:
        return True
    try:
        letter = plan_for(max(plan.lot_size, 2), plan.level, plan.aql_minor, plan.severity)
    except SamplingError:
        return False
    ac_minor = tighter_accept(plan.severity, letter.plan_letter, plan.aql_minor)
    return ac_minor is not None and minor_units <= ac_minor


async def record_outcome(session: AsyncSession, inspection: Inspection) -> None:
    """A completed original inspection (round 1) moves its product's record; a resubmitted
    lot (a later round, after a rework) does not count."""
    if inspection.round != 1 or inspection.product_sku is None or inspection.verdict is None:
        return
    plan = SamplingPlan.from_json(inspection.plan)
    counts = inspection.counts or {}
    accepted = inspection.verdict == "passed"
    row = await repo.get_or_create_locked(
        session, inspection.tenant_id, inspection.product_sku, plan.severity
    )
    outcome = rules.Outcome(
        accepted=accepted,
        accept_number=plan.accept,
        accepted_tighter=accepted
        and _passes_tighter(
            plan, int(counts.get("nonconforming_units", 0)), int(counts.get("minor_units", 0))
        ),
    )
    _store(row, rules.apply(_record(row), outcome), inspection_id=inspection.id)
    await session.flush()


def _default(tenant_id: uuid.UUID, sku: str) -> SwitchingState:
    return SwitchingState(
        tenant_id=tenant_id,
        product_sku=sku,
        state="normal",
        score=0,
        recent=[],
        consecutive_accepted=0,
        rejected_on_tightened=0,
        production_steady=True,
        reduced_approved=False,
        lots=0,
        state_since=datetime.now(UTC),
        history=[],
        version=0,
    )


async def get_status(session: AsyncSession, principal: Principal, key: str) -> SwitchingState:
    product = await find_product(session, principal, key)
    row = await repo.get(session, principal.tenant_id, product.sku)
    # before its first judged lot: normal, version 0 (nothing stored yet)
    return row if row is not None else _default(principal.tenant_id, product.sku)


async def _locked(
    session: AsyncSession, principal: Principal, key: str, expected: int | None
) -> SwitchingState:
    """The product's record, locked; `expected` (If-Match) is checked against the version
    read (0 before anything was stored)."""
    product = await find_product(session, principal, key)
    stored = await repo.get(session, principal.tenant_id, product.sku) is not None
    row = await repo.get_or_create_locked(session, principal.tenant_id, product.sku, "normal")
    ensure_version(expected, row.version if stored else 0)
    return row


async def update(
    session: AsyncSession,
    principal: Principal,
    key: str,
    body: SwitchingUpdate,
    expected: int | None,
) -> SwitchingState:
    row = await _locked(session, principal, key, expected)
    step = rules.set_conditions(
        _record(row),
        production_steady=body.production_steady,
        reduced_approved=body.reduced_approved,
    )
    _store(row, step, by=principal.subject)
    await session.flush()
    await session.refresh(row)
    return row


async def resume(
    session: AsyncSession,
    principal: Principal,
    key: str,
    body: SwitchingResume,
    expected: int | None,
) -> SwitchingState:
    row = await _locked(session, principal, key, expected)
    if row.state != "discontinued":
        raise NotDiscontinued(f"{row.product_sku} is on {row.state} inspection")
    _store(row, rules.resume(_record(row), body.reason), by=principal.subject)
    await session.flush()
    await session.refresh(row)
    return row


async def list_states(
    session: AsyncSession, principal: Principal, page: PageParams, state: str | None
) -> tuple[list[SwitchingState], str | None]:
    return await paginate(
        session,
        repo.list_query(principal.tenant_id, state),
        page,
        keys=[SwitchingState.product_sku],
        descending=False,
    )
