"""The plan of a partner project: phases with exit criteria (the owner sets them), evidence
per criterion (the partner submits a link, a passing run of the project, or a file by
presigned upload), and the owner's decision on each piece of evidence; a criterion is met
once evidence for it is accepted.

A file is two steps: the evidence is made `awaiting_upload` with an upload URL (type and
size limited, minutes long), the partner PUTs the bytes there, then confirms; only then is
it submitted (event and activity)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.errors import Conflict, NotFound, Unprocessable
from libs.common.ids import new_id
from libs.common.pagination import PageParams, paginate
from libs.common.storage import Presigned
from services.partner import events
from services.partner.access import Caller
from services.partner.activity import service as activity
from services.partner.models import Criterion, Evidence, Phase, Project
from services.partner.plan import repository as repo
from services.partner.plan.schemas import (
    FILE_TYPES,
    MAX_PHASES,
    EvidenceCreate,
    PhaseCreate,
)
from services.partner.plan.schemas import Criterion as CriterionOut
from services.partner.plan.schemas import Phase as PhaseOut
from services.partner.plan.schemas import Plan as PlanOut
from services.partner.projects import service as projects
from services.partner.runs import repository as runs_repo
from services.partner.storage import EvidenceFiles


class CriterionNotFound(NotFound):
    code = "criterion_not_found"
    title = "Exit criterion not found"


class EvidenceNotFound(NotFound):
    code = "evidence_not_found"
    title = "Evidence not found"


class TooManyPhases(Unprocessable):
    code = "too_many_phases"
    title = f"A plan has at most {MAX_PHASES} phases"


class EvidenceNotSubmitted(Conflict):
    code = "evidence_not_submitted"
    title = "Only submitted evidence can be accepted or rejected"


class CriterionAlreadyMet(Conflict):
    code = "criterion_already_met"
    title = "This exit criterion is met already"


class EvidenceRunNotFound(Unprocessable):
    code = "evidence_run_not_found"
    title = "The evidence names a run that does not exist"


class EvidenceRunNotInProject(Unprocessable):
    code = "evidence_run_not_in_project"
    title = "The evidence names a run of another project"


class EvidenceRunNotPassed(Unprocessable):
    code = "evidence_run_not_passed"
    title = "The evidence names a run that did not finish passing"


class EvidenceFileTooLarge(Unprocessable):
    code = "evidence_file_too_large"
    title = "The evidence file is too large"


class EvidenceNotAFile(Conflict):
    code = "evidence_not_a_file"
    title = "This evidence is not a file"


class EvidenceUploadMissing(Conflict):
    code = "evidence_upload_missing"
    title = "Nothing has been uploaded for this evidence yet"


async def create_phase(
    session: AsyncSession, caller: Caller, project_id: uuid.UUID, data: PhaseCreate
) -> PhaseOut:
    project = await projects.get_partner_project(session, caller, project_id)
    if await repo.phase_count(session, project.id) >= MAX_PHASES:
        raise TooManyPhases()
    phase = Phase(
        tenant_id=project.tenant_id,
        customer_tenant_id=project.customer_tenant_id,
        project_id=project.id,
        position=await repo.next_position(session, project.id),
        name=data.name,
        description=data.description,
        due_on=data.due_on,
        created_by=caller.subject,
    )
    session.add(phase)
    await session.flush()
    made = [
        Criterion(
            tenant_id=project.tenant_id,
            customer_tenant_id=project.customer_tenant_id,
            project_id=project.id,
            phase_id=phase.id,
            title=c.title,
            description=c.description,
            status="open",
            created_by=caller.subject,
        )
        for c in data.criteria
    ]
    session.add_all(made)
    await session.flush()
    await activity.record_by(
        session,
        caller,
        project,
        type="plan.phase_added",
        subject=f"projects/{project.id}/phases/{phase.id}",
        summary=f"Phase {phase.position} '{phase.name}' added with {len(made)} exit criteria",
        data={"phase_id": str(phase.id)},
    )
    out = PhaseOut.model_validate(phase)
    return out.model_copy(update={"criteria": [CriterionOut.model_validate(c) for c in made]})


async def get_plan(session: AsyncSession, caller: Caller, project_id: uuid.UUID) -> PlanOut:
    project = await projects.get_partner_project(session, caller, project_id)
    phases = await repo.phases(session, caller.principal, project.id)
    criteria = await repo.criteria(session, caller.principal, project.id)
    by_phase: dict[uuid.UUID, list[Criterion]] = {}
    for c in criteria:
        by_phase.setdefault(c.phase_id, []).append(c)
    out = [
        PhaseOut.model_validate(p).model_copy(
            update={"criteria": [CriterionOut.model_validate(c) for c in by_phase.get(p.id, [])]}
        )
        for p in phases
    ]
    met = sum(1 for c in criteria if c.status == "met")
    return PlanOut(
        project_id=project.id, phases=out, open_criteria=len(criteria) - met, met_criteria=met
    )


async def open_criteria(session: AsyncSession, caller: Caller, project_id: uuid.UUID) -> int:
    return sum(
        1 for c in await repo.criteria(session, caller.principal, project_id) if c.status != "met"
    )


async def submit_evidence(
    session: AsyncSession,
    caller: Caller,
    files: EvidenceFiles,
    base: str,
    project_id: uuid.UUID,
    criterion_id: uuid.UUID,
    data: EvidenceCreate,
) -> tuple[Evidence, Presigned | None]:
    """Link and run evidence is submitted at once; file evidence waits for its upload (the
    answer carries the upload URL)."""
    project = await projects.get_partner_project(session, caller, project_id)
    criterion = await repo.criterion(session, caller.principal, project.id, criterion_id)
    if criterion is None:
        raise CriterionNotFound(f"Exit criterion {criterion_id} not found in this project")
    if criterion.status == "met":
        raise CriterionAlreadyMet()
    if data.run_id is not None:
        await _check_run(session, caller, project, data.run_id)
    limit = files.settings.evidence_max_bytes
    if data.size is not None and data.size > limit:
        raise EvidenceFileTooLarge(f"An evidence file is at most {limit} bytes")
    item = Evidence(
        id=new_id(),
        tenant_id=project.tenant_id,
        customer_tenant_id=project.customer_tenant_id,
        project_id=project.id,
        criterion_id=criterion.id,
        kind=data.kind,
        title=data.title,
        url=str(data.url) if data.url else None,
        run_id=data.run_id,
        status="submitted",
        note=data.note,
        submitted_by=caller.subject,
        submitted_at=datetime.now(UTC),
    )
    upload = None
    if data.kind == "file":
        assert data.content_type is not None and data.size is not None
        item.status, item.submitted_at = "awaiting_upload", None
        item.object_key = (
            f"{project.tenant_id}/partner/projects/{project.id}/evidence/{item.id}"
            f".{FILE_TYPES[data.content_type]}"
        )
        item.storage = files.settings.object_store_url
        item.content_type = data.content_type
        item.size = data.size
    session.add(item)
    await session.flush()
    if item.object_key is not None:
        assert item.content_type is not None and item.size is not None
        upload = await files.upload_url(base, item.object_key, item.content_type, item.size)
    else:
        await _announce(session, caller, project, criterion, item)
    return item, upload


async def _check_run(
    session: AsyncSession, caller: Caller, project: Project, run_id: uuid.UUID
) -> None:
    """Run evidence names a run of this project that finished passing."""
    run = await runs_repo.get_run(session, caller.principal, run_id)
    if run is None:
        raise EvidenceRunNotFound(f"Run {run_id} not found", extra={"run_id": str(run_id)})
    if run.project_id != project.id:
        raise EvidenceRunNotInProject(
            f"Run {run_id} belongs to another project", extra={"run_id": str(run_id)}
        )
    if run.status != "passed":
        raise EvidenceRunNotPassed(
            f"Run {run_id} is {run.status}; only a passed run is evidence",
            extra={"run_id": str(run_id), "run_status": run.status},
        )


async def _announce(
    session: AsyncSession, caller: Caller, project: Project, criterion: Criterion, item: Evidence
) -> None:
    subject = f"projects/{project.id}/evidence/{item.id}"
    await activity.announce(
        session,
        caller,
        project,
        events.EvidenceSubmitted(
            project_id=project.id,
            phase_id=criterion.phase_id,
            criterion_id=criterion.id,
            evidence_id=item.id,
            kind=item.kind,
            title=item.title,
            run_id=item.run_id,
            submitted_by=caller.subject,
        ),
        type="evidence.submitted",
        subject=subject,
        summary=f"Evidence '{item.title}' ({item.kind}) submitted for '{criterion.title}'",
        data={"evidence_id": str(item.id), "criterion_id": str(criterion.id)},
    )


async def complete_upload(
    session: AsyncSession,
    caller: Caller,
    files: EvidenceFiles,
    project_id: uuid.UUID,
    evidence_id: uuid.UUID,
) -> Evidence:
    """The partner confirms the file is uploaded: its size is checked against what was
    announced, and the evidence is submitted. Confirming twice answers the same."""
    project = await projects.get_partner_project(session, caller, project_id)
    item = await get_evidence(session, caller, project_id, evidence_id, for_update=True)
    if item.kind != "file" or item.object_key is None:
        raise EvidenceNotAFile(f"This evidence is a {item.kind}")
    if item.status != "awaiting_upload":
        return item
    size = await files.size(item.object_key)
    if size is None:
        raise EvidenceUploadMissing("Nothing was uploaded to the evidence's URL yet")
    if item.size is not None and size > item.size:
        await files.delete(item.object_key)
        raise EvidenceFileTooLarge("The upload is larger than announced")
    criterion = await repo.criterion(session, caller.principal, project.id, item.criterion_id)
    assert criterion is not None
    item.size = size
    item.status = "submitted"
    item.submitted_at = datetime.now(UTC)
    await session.flush()
    await _announce(session, caller, project, criterion, item)
    return item


async def download_url(
    session: AsyncSession,
    caller: Caller,
    files: EvidenceFiles,
    base: str,
    project_id: uuid.UUID,
    evidence_id: uuid.UUID,
) -> Presigned:
    item = await get_evidence(session, caller, project_id, evidence_id)
    if item.kind != "file" or item.object_key is None or item.content_type is None:
        raise EvidenceNotAFile(f"This evidence is a {item.kind}")
    if item.status == "awaiting_upload":
        raise EvidenceUploadMissing("The file's upload is not confirmed yet")
    name = f"evidence-{item.id}.{FILE_TYPES.get(item.content_type, 'bin')}"
    return await files.download_url(base, item.object_key, name, content_type=item.content_type)


async def list_evidence(
    session: AsyncSession,
    caller: Caller,
    project_id: uuid.UUID,
    criterion_id: uuid.UUID | None,
    page: PageParams,
) -> tuple[list[Any], str | None]:
    await projects.get_partner_project(session, caller, project_id)
    stmt = repo.evidence_query(caller.principal, project_id, criterion_id)
    return await paginate(session, stmt, page, keys=[Evidence.id])


async def get_evidence(
    session: AsyncSession,
    caller: Caller,
    project_id: uuid.UUID,
    evidence_id: uuid.UUID,
    *,
    for_update: bool = False,
) -> Evidence:
    await projects.get_partner_project(session, caller, project_id)
    found = await repo.evidence(
        session, caller.principal, project_id, evidence_id, for_update=for_update
    )
    if found is None:
        raise EvidenceNotFound(f"Evidence {evidence_id} not found in this project")
    return found


async def decide_evidence(
    session: AsyncSession,
    caller: Caller,
    project_id: uuid.UUID,
    evidence_id: uuid.UUID,
    accept: bool,
    comment: str | None,
) -> Evidence:
    project = await projects.get_partner_project(session, caller, project_id)
    item = await get_evidence(session, caller, project_id, evidence_id, for_update=True)
    if item.status != "submitted":
        raise EvidenceNotSubmitted(f"This evidence is {item.status}")
    now = datetime.now(UTC)
    item.status = "accepted" if accept else "rejected"
    item.reviewed_by = caller.subject
    item.reviewed_at = now
    item.review_comment = comment
    criterion = await repo.criterion(session, caller.principal, project.id, item.criterion_id)
    assert criterion is not None
    subject = f"projects/{project.id}/evidence/{item.id}"
    await activity.record_by(
        session,
        caller,
        project,
        type=f"evidence.{item.status}",
        subject=subject,
        summary=f"Evidence '{item.title}' {item.status}" + (f": {comment}" if comment else ""),
        data={"evidence_id": str(item.id), "criterion_id": str(criterion.id)},
    )
    if accept and criterion.status != "met":
        criterion.status = "met"
        criterion.met_at = now
        criterion.met_by_evidence_id = item.id
        await activity.record_by(
            session,
            caller,
            project,
            type="criterion.met",
            subject=f"projects/{project.id}/criteria/{criterion.id}",
            summary=f"Exit criterion '{criterion.title}' met",
            data={"criterion_id": str(criterion.id), "evidence_id": str(item.id)},
        )
    await session.flush()
    return item
