"""Spec versions of a project: uploads (the owner's are accepted at once; a partner's
variant waits for the owner's review), the owner's decisions, and diffs between any two
versions of a project (the engine in services/partner/diff)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from anyio import to_thread
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.errors import AppError, Conflict, NotFound, PayloadTooLarge, Unprocessable
from libs.common.pagination import PageParams, paginate
from services.partner import events
from services.partner.access import Caller
from services.partner.activity import service as activity
from services.partner.diff import DiffReport, diff_specs
from services.partner.models import Project, SpecVersion
from services.partner.projects import service as projects
from services.partner.specs import repository as repo
from services.partner.specs.documents import ParsedSpec, SpecProblem, parse


class SpecNotFound(NotFound):
    code = "spec_version_not_found"
    title = "Spec version not found"


class SpecTooLarge(PayloadTooLarge):
    code = "spec_too_large"
    title = "The spec document is larger than the limit"


class UnsupportedSpecMedia(AppError):
    status = 415
    code = "unsupported_spec_media_type"
    title = "Send the spec as application/json or application/yaml"


class InvalidSpec(Unprocessable):
    code = "invalid_spec"
    title = "The document is not a valid OpenAPI 3.0 / 3.1 spec"


class InvalidJsonSpec(InvalidSpec):
    code = "invalid_json"
    title = "The body is not valid JSON"


class InvalidYamlSpec(InvalidSpec):
    code = "invalid_yaml"
    title = "The body is not valid YAML"


class YamlAlias(InvalidSpec):
    code = "yaml_alias"
    title = "YAML aliases are not accepted"


class NotOpenApi(InvalidSpec):
    code = "not_openapi"
    title = "The document is not an OpenAPI object"


class UnsupportedOpenApiVersion(InvalidSpec):
    code = "unsupported_openapi_version"
    title = "Only OpenAPI 3.0.x and 3.1.x are accepted"


class ExternalRef(InvalidSpec):
    code = "external_ref"
    title = "References must point inside the document"


class InvalidOpenApi(InvalidSpec):
    code = "invalid_openapi"
    title = "The document fails OpenAPI validation"


SPEC_ERRORS: tuple[type[InvalidSpec], ...] = (
    InvalidJsonSpec,
    InvalidYamlSpec,
    YamlAlias,
    NotOpenApi,
    UnsupportedOpenApiVersion,
    ExternalRef,
    InvalidOpenApi,
)
_BY_CODE = {cls.code: cls for cls in SPEC_ERRORS}


class SpecNotPending(Conflict):
    code = "spec_version_not_pending"
    title = "Only a version pending review can be accepted or rejected"


def _refusal(problem: SpecProblem) -> InvalidSpec:
    cls = _BY_CODE.get(problem.code, InvalidSpec)
    return cls(
        problem.message,
        extra={"errors": [{"field": f, "message": m} for f, m in problem.errors]},
    )


async def parse_upload(raw: bytes, fmt: str) -> ParsedSpec:
    try:
        # validating a large document takes CPU time: off the event loop
        return await to_thread.run_sync(parse, raw, fmt)
    except SpecProblem as problem:
        raise _refusal(problem) from None


async def upload_spec(
    session: AsyncSession,
    caller: Caller,
    project_id: uuid.UUID,
    raw: bytes,
    fmt: str,
    note: str | None,
) -> SpecVersion:
    project = await projects.get_project(session, caller, project_id)
    parsed = await parse_upload(raw, fmt)
    await repo.lock_numbers(session, project.id)
    number = await repo.next_number(session, project.id)
    spec = SpecVersion(
        tenant_id=project.tenant_id,
        customer_tenant_id=project.customer_tenant_id,
        project_id=project.id,
        number=number,
        source="upload",
        format=parsed.format,
        openapi_version=parsed.openapi_version,
        title=parsed.title,
        api_version=parsed.api_version,
        document=parsed.document,
        size_bytes=parsed.size_bytes,
        sha256=parsed.sha256,
        operation_count=parsed.operation_count,
        # the owner's own uploads need no review; a partner's variant waits for the owner
        status="accepted" if caller.is_owner else "pending_review",
        note=note,
        uploaded_by=caller.subject,
        uploaded_side=caller.side.value,
    )
    session.add(spec)
    await session.flush()
    subject = f"projects/{project.id}/specs/{spec.id}"
    await activity.announce(
        session,
        caller,
        project,
        events.SpecUploaded(
            project_id=project.id,
            spec_version_id=spec.id,
            number=number,
            partner_id=project.partner_id,
            uploaded_by=caller.subject,
            uploaded_side=caller.side.value,
            status=spec.status,
            title=spec.title,
            api_version=spec.api_version,
            openapi_version=spec.openapi_version,
            size_bytes=spec.size_bytes,
            sha256=spec.sha256,
        ),
        type="spec.uploaded",
        subject=subject,
        summary=f"Spec version {number} uploaded ({spec.title} {spec.api_version}, "
        f"{spec.operation_count} operations): {spec.status}",
        data={"spec_version_id": str(spec.id), "number": number, "status": spec.status},
    )
    return spec


async def list_specs(
    session: AsyncSession,
    caller: Caller,
    project_id: uuid.UUID,
    page: PageParams,
    status: str | None,
) -> tuple[list[Any], str | None]:
    await projects.get_project(session, caller, project_id)
    stmt = repo.query(caller.principal, project_id, status)
    return await paginate(session, stmt, page, keys=[SpecVersion.number])


async def get_spec(
    session: AsyncSession,
    caller: Caller,
    project_id: uuid.UUID,
    spec_id: uuid.UUID,
    *,
    document: bool = False,
) -> SpecVersion:
    await projects.get_project(session, caller, project_id)
    found = await repo.get(session, caller.principal, project_id, spec_id, document=document)
    if found is None:
        raise SpecNotFound(f"Spec version {spec_id} not found in this project")
    return found


async def decide_spec(
    session: AsyncSession,
    caller: Caller,
    project_id: uuid.UUID,
    spec_id: uuid.UUID,
    accept: bool,
    comment: str | None,
) -> SpecVersion:
    project = await projects.get_project(session, caller, project_id)
    spec = await get_spec(session, caller, project_id, spec_id)
    if spec.status != "pending_review":
        raise SpecNotPending(f"Spec version {spec.number} is {spec.status}")
    spec.status = "accepted" if accept else "rejected"
    spec.reviewed_by = caller.subject
    spec.reviewed_at = datetime.now(UTC)
    spec.review_comment = comment
    await session.flush()
    await activity.record_by(
        session,
        caller,
        project,
        type=f"spec.{spec.status}",
        subject=f"projects/{project.id}/specs/{spec.id}",
        summary=f"Spec version {spec.number} {spec.status}" + (f": {comment}" if comment else ""),
        data={"spec_version_id": str(spec.id), "number": spec.number},
    )
    return spec


async def diff_versions(
    session: AsyncSession,
    caller: Caller,
    project_id: uuid.UUID,
    base_id: uuid.UUID,
    head_id: uuid.UUID,
) -> tuple[Project, SpecVersion, SpecVersion, DiffReport]:
    project = await projects.get_project(session, caller, project_id)
    base = await get_spec(session, caller, project_id, base_id, document=True)
    head = await get_spec(session, caller, project_id, head_id, document=True)
    report = await to_thread.run_sync(diff_specs, base.document, head.document)
    subject = f"projects/{project.id}/diffs/{base.number}..{head.number}"
    await activity.announce(
        session,
        caller,
        project,
        events.SpecDiffed(
            project_id=project.id,
            from_spec_version_id=base.id,
            to_spec_version_id=head.id,
            from_number=base.number,
            to_number=head.number,
            breaking=report.breaking,
            warning=report.warning,
            info=report.info,
            diffed_by=caller.subject,
            diffed_side=caller.side.value,
        ),
        type="spec.diffed",
        subject=subject,
        summary=f"Versions {base.number} and {head.number} compared: {report.breaking} "
        f"breaking, {report.warning} warning, {report.info} info",
        data={
            "base": str(base.id),
            "head": str(head.id),
            "breaking": report.breaking,
            "warning": report.warning,
            "info": report.info,
        },
    )
    return project, base, head, report
