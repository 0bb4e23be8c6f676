"""Partner: the integration partner's portal API. The API owner (a provider tenant) invites
the partners who build against its API; each partner project follows the owner's blueprint
spec, holds the partner's spec variants and their diffs, mocks, golden test runs, traces, a
plan with evidence, readiness reviews and an assistant.

Feature folders and who builds them: partners, projects, specs, plan, reviews, activity
(this module's wiring); diff/ and mocks/ (the spec diff engine, mock servers); runs/,
traces/, assistant/ (golden test runs, traces, the assistant).
"""

from __future__ import annotations

from fastapi import FastAPI

from libs.common.app import create_service_app
from libs.common.identity import identity_lifespan
from libs.common.relay import RelayOptions
from libs.common.storage import objects_router
from services.partner.activity.endpoints import router as activity_router
from services.partner.assistant.endpoints import router as assistant_router
from services.partner.config import Settings
from services.partner.jobs import jobs
from services.partner.mocks.endpoints import router as mocks_router
from services.partner.partners.endpoints import router as partners_router
from services.partner.plan.endpoints import router as plan_router
from services.partner.plan.schemas import FILE_TYPES
from services.partner.projects.endpoints import router as projects_router
from services.partner.reviews.endpoints import router as reviews_router
from services.partner.runs.endpoints import router as runs_router
from services.partner.specs.endpoints import router as specs_router
from services.partner.storage import EvidenceFiles
from services.partner.traces.endpoints import router as traces_router

DESCRIPTION = """The integration partner's portal. An API owner (a provider tenant, PROVIDER
space) registers its integration partners (each a client tenant of the owner) and invites
their people by email; they sign in by magic link (identity) and work in the DEVELOPER space
with PARTNER_ENGINEER or PARTNER_LEAD roles. A partner sees only the projects made for it.

The owner's blueprint project holds the OpenAPI spec partners build against; each partner
project follows one blueprint, and the partner may upload its own variant (kept pending the
owner's review) and diff any two versions (breaking / warning / info findings)."""


async def _evidence_files(app: FastAPI) -> None:
    app.state.evidence_files = EvidenceFiles(app.state.settings)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    return create_service_app(
        settings=settings,
        title="Weft Partner",
        description=DESCRIPTION,
        routers=[
            partners_router,
            projects_router,
            specs_router,
            plan_router,
            reviews_router,
            activity_router,
            mocks_router,
            runs_router,
            traces_router,
            assistant_router,
            # the local store's presigned evidence files (no token: the signature is it)
            objects_router("evidence_files", media_types=sorted(FILE_TYPES)),
        ],
        on_startup=[_evidence_files],
        jobs=jobs,
        relay=RelayOptions(),
        extra_lifespans=[identity_lifespan],
        # presigned uploads: the signed URL caps the size, not the service's body limit
        streamed_paths=["/objects/"],
    )
