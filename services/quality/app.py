"""Quality: checklists, inspections with AQL sampling, defect photos, the live QA feed,
PDF reports and digital product passports."""

from __future__ import annotations

from fastapi import FastAPI

from libs.common.app import create_service_app
from libs.common.auth import Space
from libs.common.identity import identity_lifespan
from libs.common.relay import RelayOptions
from libs.common.replay import replay_router
from libs.contracts import subscriptions_lifespan
from services.quality.checklists.endpoints import router as checklists_router
from services.quality.config import Settings
from services.quality.feed.endpoints import router as feed_router
from services.quality.feed.hub import feed_lifespan
from services.quality.inspections.endpoints import assignments_router
from services.quality.inspections.endpoints import router as inspections_router
from services.quality.intake.endpoints import router as intake_router
from services.quality.intake.subscriptions import SUBSCRIPTIONS
from services.quality.jobs import registry as jobs
from services.quality.passports.endpoints import router as passports_router
from services.quality.photos.endpoints import router as photos_router
from services.quality.photos.objects import router as objects_router
from services.quality.products.endpoints import router as products_router
from services.quality.reports.endpoints import router as reports_router
from services.quality.sampling.endpoints import router as sampling_router
from services.quality.storage import EvidenceStore
from services.quality.switching.endpoints import router as switching_router

DESCRIPTION = """Quality control of lots. A lot that production moves to QA (`qa_pending`)
opens an inspection sampled by ISO 2859-1 (AQL); inspectors record results, defects and
photos, and the computed verdict goes back to production as `quality.inspection.completed`.
Brands (CLIENT space) follow their lots' inspections live, download reports and photo books,
and every lot can carry a public Digital Product Passport (UNTP DPP 0.6, GS1 Digital Link)."""


async def _evidence(app: FastAPI) -> None:
    app.state.evidence = EvidenceStore(app.state.settings)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    return create_service_app(
        settings=settings,
        title="Weft Quality",
        description=DESCRIPTION,
        routers=[
            inspections_router,
            assignments_router,
            checklists_router,
            photos_router,
            feed_router,
            reports_router,
            passports_router,
            products_router,
            sampling_router,
            switching_router,
            objects_router,
            intake_router,
            # a device's offline ops, each held to its own route's rules
            replay_router(Space.PROVIDER),
        ],
        on_startup=[_evidence],
        extra_lifespans=[subscriptions_lifespan(SUBSCRIPTIONS), feed_lifespan, identity_lifespan],
        jobs=jobs,
        relay=RelayOptions(),
        # presigned uploads: the signed URL caps the size, not the service's body limit
        streamed_paths=["/objects/"],
    )
