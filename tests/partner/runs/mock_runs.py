"""A partner project whose blueprint has golden cases, a mock of its spec, and golden runs
against that mock (the run authenticates to the mock with its own credential)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import httpx

from tests.partner.conftest import PT, Factory, ok
from tests.partner.specs import base_spec

GOLDEN = [
    {
        "name": "list orders",
        "steps": [{"name": "list", "operation_id": "list_orders", "expect_status": 200}],
    },
    {
        "name": "read an order",
        "steps": [
            {
                "name": "read",
                "operation_id": "get_order",
                "path_params": {"order_id": "A-1"},
                "expect_status": 200,
            }
        ],
    },
]


@dataclass
class MockProject:
    partner: dict[str, Any]
    project: dict[str, Any]
    mock: dict[str, Any]
    target: dict[str, Any]


async def mock_project(gw: httpx.AsyncClient, h: dict[str, str], factory: Factory) -> MockProject:
    """As the owner (`h`): a blueprint with the Orders spec and its golden cases, a partner
    project starting from it, a running mock of its spec version and a run target on it."""
    blueprint = await factory.blueprint("Orders API")
    ok(await gw.post(f"{PT}/projects/{blueprint['id']}/specs", headers=h, json=base_spec()), 201)
    for case in GOLDEN:
        ok(
            await gw.post(f"{PT}/projects/{blueprint['id']}/golden-cases", headers=h, json=case),
            201,
        )
    partner = await factory.partner("Mock vendor")
    project = await factory.project(partner, blueprint)
    pid = project["id"]
    [version] = ok(await gw.get(f"{PT}/projects/{pid}/specs", headers=h))["items"]
    mock = ok(
        await gw.post(
            f"{PT}/projects/{pid}/mocks", headers=h, json={"spec_version_id": version["id"]}
        ),
        201,
    )
    target = ok(
        await gw.post(
            f"{PT}/projects/{pid}/targets",
            headers=h,
            json={"kind": "mock", "name": "our mock", "mock_id": mock["id"]},
        ),
        201,
    )
    return MockProject(partner=partner, project=project, mock=mock, target=target)


async def run_to_end(
    gw: httpx.AsyncClient,
    h: dict[str, str],
    project_id: str,
    target_id: str,
    property_examples: int = 0,
) -> dict[str, Any]:
    started = ok(
        await gw.post(
            f"{PT}/projects/{project_id}/runs",
            headers=h,
            json={"target_id": target_id, "property_examples": property_examples},
        ),
        202,
    )
    for _ in range(600):
        run: dict[str, Any] = ok(await gw.get(f"{PT}/runs/{started['id']}", headers=h))
        if run["status"] in ("passed", "failed", "errored"):
            return run
        await asyncio.sleep(0.2)
    raise AssertionError(f"run {started['id']} did not finish")
