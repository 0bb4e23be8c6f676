"""Catalog: organisations and relationships, products, SKUs, offerings, channels, catalog
publishing, price books with explained resolution, service policies and tickets."""

from __future__ import annotations

from fastapi import FastAPI

from libs.common.app import create_service_app
from libs.common.identity import identity_lifespan
from libs.common.relay import RelayOptions
from services.catalog.channels.endpoints import router as channels_router
from services.catalog.config import Settings
from services.catalog.coverage import escalation  # declares catalog.escalate_overdue
from services.catalog.coverage.endpoints import public_router as qr_router
from services.catalog.coverage.endpoints import router as coverage_router
from services.catalog.jobs import jobs
from services.catalog.orgs.endpoints import router as orgs_router
from services.catalog.pricing.endpoints import router as pricing_router
from services.catalog.products.endpoints import router as products_router
from services.catalog.stats.endpoints import router as stats_router
from services.catalog.transfer import jobs as transfer_jobs  # declares catalog.import
from services.catalog.transfer.endpoints import router as transfer_router

DESCRIPTION = """
The manufacturer network's commercial side. Organisations (manufacturers, distributors,
dealers, suppliers, service providers, hospitals) and their relationships are optional:
with none, global catalogs, price books and policies apply and every flow works.

Catalogs are published per channel and organisation as immutable versions; a dealer reached
by one SKU several ways lists it once (direct > preferred distributor > others). Prices
resolve by precedence org_channel > channel > org > global and every answer explains itself.

Users of a client tenant linked to an organisation see that organisation's catalog (CLIENT
space) and prices (ACCOUNTING space) only. Money travels as decimal strings with an ISO 4217
currency.
"""


JOB_MODULES = (escalation, transfer_jobs)


def create_app() -> FastAPI:
    settings = Settings()
    return create_service_app(
        settings=settings,
        title="Weft Catalog",
        description=DESCRIPTION,
        routers=[
            orgs_router,
            products_router,
            channels_router,
            pricing_router,
            coverage_router,
            qr_router,
            stats_router,
            transfer_router,
        ],
        jobs=jobs,
        extra_lifespans=[identity_lifespan],
        # events leave the outbox for sync (webhooks; identity keeps organisation links)
        relay=RelayOptions(),
        # imports stream their file to the database in chunks (services.catalog.transfer)
        streamed_paths=["/imports"],
    )
