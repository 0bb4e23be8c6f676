"""Quality (minimal slice): lots awaiting inspection, fed by production's events via sync."""

from __future__ import annotations

from fastapi import FastAPI

from libs.common.app import create_service_app
from libs.contracts import subscriptions_lifespan
from services.quality.config import Settings
from services.quality.inspections.endpoints import router as inspections_router
from services.quality.intake.endpoints import router as intake_router
from services.quality.intake.subscriptions import SUBSCRIPTIONS

DESCRIPTION = """Quality control of lots. A lot that production moves to QA (`qa_pending`)
shows up here as awaiting inspection; brands (CLIENT space) read those made for them."""


def create_app() -> FastAPI:
    settings = Settings()
    return create_service_app(
        settings=settings,
        title="Weft Quality",
        description=DESCRIPTION,
        routers=[inspections_router, intake_router],
        extra_lifespans=[subscriptions_lifespan(SUBSCRIPTIONS)],
    )
