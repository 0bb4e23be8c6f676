"""The plan of a partner project: phases and exit criteria (the owner's), evidence (the
partner's), the owner's decisions on evidence."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from libs.common.deps import TenantSession
from libs.common.etag import set_etag
from libs.common.pagination import Page, PageQuery
from libs.common.storage import public_base
from services.partner.access import Owner, PartnerWriter, Reader, errors
from services.partner.plan import service
from services.partner.plan.schemas import (
    Download,
    Evidence,
    EvidenceCreate,
    EvidenceDecision,
    Phase,
    PhaseCreate,
    Plan,
    Upload,
)
from services.partner.projects.service import NotAPartnerProject, ProjectNotFound
from services.partner.storage import EvidenceFiles

router = APIRouter(tags=["plan"])
_PROJECT = (ProjectNotFound, NotAPartnerProject)


def _files(request: Request) -> EvidenceFiles:
    return request.app.state.evidence_files  # type: ignore[no-any-return]


@router.post(
    "/projects/{project_id}/phases",
    status_code=201,
    response_model=Phase,
    summary="Add a phase with its exit criteria to a partner project's plan",
    responses=errors(422, *_PROJECT, service.TooManyPhases),
)
async def create_phase(
    caller: Owner, session: TenantSession, project_id: uuid.UUID, body: PhaseCreate
) -> Phase:
    return await service.create_phase(session, caller, project_id, body)


@router.get(
    "/projects/{project_id}/plan",
    response_model=Plan,
    summary="The plan: phases in order with their exit criteria (at most 50 phases of 50)",
    responses=errors(*_PROJECT),
)
async def get_plan(caller: Reader, session: TenantSession, project_id: uuid.UUID) -> Plan:
    return await service.get_plan(session, caller, project_id)


@router.post(
    "/projects/{project_id}/criteria/{criterion_id}/evidence",
    status_code=201,
    response_model=Evidence,
    summary="Submit evidence for an exit criterion: a link, a passing golden run of the "
    "project, or a file (the answer carries its upload URL; PUT the bytes, then complete)",
    responses=errors(
        422,
        *_PROJECT,
        service.CriterionNotFound,
        service.CriterionAlreadyMet,
        service.EvidenceRunNotFound,
        service.EvidenceRunNotInProject,
        service.EvidenceRunNotPassed,
        service.EvidenceFileTooLarge,
    ),
)
async def submit_evidence(
    caller: PartnerWriter,
    session: TenantSession,
    request: Request,
    project_id: uuid.UUID,
    criterion_id: uuid.UUID,
    body: EvidenceCreate,
    response: Response,
) -> Evidence:
    found, upload = await service.submit_evidence(
        session, caller, _files(request), public_base(request), project_id, criterion_id, body
    )
    set_etag(response, found.version)
    out = Evidence.model_validate(found)
    if upload is not None:
        out.upload = Upload.model_validate(upload)
    return out


@router.post(
    "/projects/{project_id}/evidence/{evidence_id}/complete",
    response_model=Evidence,
    summary="Confirm a file's upload: the evidence is submitted (again: the same answer)",
    responses=errors(
        *_PROJECT,
        service.EvidenceNotFound,
        service.EvidenceNotAFile,
        service.EvidenceUploadMissing,
        service.EvidenceFileTooLarge,
    ),
)
async def complete_evidence_upload(
    caller: PartnerWriter,
    session: TenantSession,
    request: Request,
    project_id: uuid.UUID,
    evidence_id: uuid.UUID,
    response: Response,
) -> Evidence:
    found = await service.complete_upload(session, caller, _files(request), project_id, evidence_id)
    set_etag(response, found.version)
    return Evidence.model_validate(found)


@router.get(
    "/projects/{project_id}/evidence/{evidence_id}/download",
    response_model=Download,
    summary="A short-lived download URL of an evidence file",
    responses=errors(
        *_PROJECT, service.EvidenceNotFound, service.EvidenceNotAFile, service.EvidenceUploadMissing
    ),
)
async def get_evidence_download(
    caller: Reader,
    session: TenantSession,
    request: Request,
    project_id: uuid.UUID,
    evidence_id: uuid.UUID,
) -> Download:
    signed = await service.download_url(
        session, caller, _files(request), public_base(request), project_id, evidence_id
    )
    return Download(url=signed.url, expires_at=signed.expires_at)


@router.get(
    "/projects/{project_id}/evidence",
    response_model=Page[Evidence],
    summary="Evidence of a partner project, newest first",
    responses=errors(400, *_PROJECT),
)
async def list_evidence(
    caller: Reader,
    session: TenantSession,
    project_id: uuid.UUID,
    page: PageQuery,
    criterion_id: Annotated[uuid.UUID | None, Query()] = None,
) -> Page[Evidence]:
    rows, cursor = await service.list_evidence(session, caller, project_id, criterion_id, page)
    return Page(items=[Evidence.model_validate(r) for r in rows], next_cursor=cursor)


@router.get(
    "/projects/{project_id}/evidence/{evidence_id}",
    response_model=Evidence,
    summary="One piece of evidence",
    responses=errors(*_PROJECT, service.EvidenceNotFound),
)
async def get_evidence(
    caller: Reader,
    session: TenantSession,
    project_id: uuid.UUID,
    evidence_id: uuid.UUID,
    response: Response,
) -> Evidence:
    found = await service.get_evidence(session, caller, project_id, evidence_id)
    set_etag(response, found.version)
    return Evidence.model_validate(found)


@router.post(
    "/projects/{project_id}/evidence/{evidence_id}/accept",
    response_model=Evidence,
    summary="Accept evidence: its exit criterion is met",
    responses=errors(422, *_PROJECT, service.EvidenceNotFound, service.EvidenceNotSubmitted),
)
async def accept_evidence(
    caller: Owner,
    session: TenantSession,
    project_id: uuid.UUID,
    evidence_id: uuid.UUID,
    body: EvidenceDecision,
) -> Evidence:
    found = await service.decide_evidence(
        session, caller, project_id, evidence_id, True, body.comment
    )
    return Evidence.model_validate(found)


@router.post(
    "/projects/{project_id}/evidence/{evidence_id}/reject",
    response_model=Evidence,
    summary="Reject evidence, with a comment",
    responses=errors(422, *_PROJECT, service.EvidenceNotFound, service.EvidenceNotSubmitted),
)
async def reject_evidence(
    caller: Owner,
    session: TenantSession,
    project_id: uuid.UUID,
    evidence_id: uuid.UUID,
    body: EvidenceDecision,
) -> Evidence:
    found = await service.decide_evidence(
        session, caller, project_id, evidence_id, False, body.comment
    )
    return Evidence.model_validate(found)
