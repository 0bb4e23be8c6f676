"""Production: plants, inventory and its ledger, products and BOMs, customer orders,
allocation, MRP, production orders, stage executions, labour clock, lots and gates."""

from __future__ import annotations

from fastapi import FastAPI

from libs.common.app import create_service_app
from libs.common.auth import Space
from libs.common.identity import identity_lifespan
from libs.common.relay import RelayOptions
from libs.common.replay import replay_router
from libs.contracts import subscriptions_lifespan
from services.production.config import Settings
from services.production.inventory.endpoints import router as inventory_router
from services.production.lots.endpoints import intake_router as lots_intake_router
from services.production.lots.endpoints import router as lots_router
from services.production.lots.subscriptions import SUBSCRIPTIONS as LOTS_SUBSCRIPTIONS
from services.production.mrp.endpoints import router as mrp_router
from services.production.orders.endpoints import router as orders_router
from services.production.plants.endpoints import router as plants_router
from services.production.products.endpoints import router as products_router
from services.production.tenants.endpoints import router as tenants_router
from services.production.tenants.subscriptions import SUBSCRIPTIONS
from services.production.work.endpoints import assignments_router
from services.production.work.endpoints import router as work_router

DESCRIPTION = """
Runs a provider's production: stock per plant with an append-only ledger, versioned
products with multi-level BOMs and process stages, customer orders made for client
tenants (brands), atomic allocation of stock, MRP net requirements, production orders
with stage executions and labour, and lots moving through quality gates.

Brands (CLIENT space) read the orders and lots their provider made for them and nothing
else. API clients (DEVELOPER space) read what their scopes allow and create customer
orders with `orders:write`. Roles granted for one plant act at that plant only.
Quantities and money are decimal strings; money comes with an ISO 4217 currency.
"""


def create_app() -> FastAPI:
    settings = Settings()
    return create_service_app(
        settings=settings,
        title="Weft Production",
        description=DESCRIPTION,
        routers=[
            plants_router,
            inventory_router,
            products_router,
            orders_router,
            work_router,
            assignments_router,
            lots_router,
            lots_intake_router,
            mrp_router,
            tenants_router,
            # a device's offline ops, each held to its own route's rules
            replay_router(Space.PROVIDER),
        ],
        extra_lifespans=[
            identity_lifespan,
            subscriptions_lifespan([*SUBSCRIPTIONS, *LOTS_SUBSCRIPTIONS]),
        ],
        relay=RelayOptions(),
    )
