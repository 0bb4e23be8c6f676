"""Golden runs through the gateway: a partner project, the owner's golden cases, a sandbox
target with a stored credential, the run as a background job on the real partner service,
its cases, traces, comparison, JSON and JUnit reports, the quota, and another owner's view.

The sandbox is a real process (tools.partner_sandbox) with one planted bug.
"""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any
from xml.etree import ElementTree as ET

import httpx
import orjson
import pytest
from sqlalchemy import select

from libs.common.db import Database
from services.partner.config import Settings
from services.partner.models import Project, Run, RunTarget, SpecVersion
from tests.contract.conftest import _register_provider
from tests.fixtures.users import Tokens
from tests.partner.conftest import PT, Factory, ok, problem
from tools.partner_sandbox import SPEC, Sandbox, golden_cases, running_sandbox
from tools.seed import SeedContext
from tools.stack import Stack


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with running_sandbox(bug="get_item_without_price", token="tok-runs-api-5c1e") as running:
        yield running


@pytest.fixture
async def partner_db(stack: Stack) -> AsyncIterator[Database]:
    db = Database(stack.service_dsn("partner"), schema="partner", pool_size=2)
    try:
        yield db
    finally:
        await db.dispose()


async def add_spec(db: Database, project_id: str, spec: dict[str, Any]) -> str:
    """The project's spec version (written straight to partner's schema until the specs
    feature's upload lands on this branch)."""
    raw = orjson.dumps(spec)
    async with db.transaction(system=True) as session:
        project = (
            await session.scalars(select(Project).where(Project.id == uuid.UUID(project_id)))
        ).one()
        row = SpecVersion(
            tenant_id=project.tenant_id,
            customer_tenant_id=project.customer_tenant_id,
            project_id=project.id,
            number=1,
            source="upload",
            format="json",
            openapi_version=spec["openapi"],
            title=spec["info"]["title"],
            api_version=spec["info"]["version"],
            document=spec,
            size_bytes=len(raw),
            sha256=hashlib.sha256(raw).hexdigest(),
            status="accepted",
            uploaded_by="test",
            uploaded_side="owner",
        )
        session.add(row)
        await session.flush()
        return str(row.id)


async def wait_run(gw: httpx.AsyncClient, h: dict[str, str], run_id: str) -> dict[str, Any]:
    for _ in range(300):
        run: dict[str, Any] = ok(await gw.get(f"{PT}/runs/{run_id}", headers=h))
        if run["status"] in ("passed", "failed", "errored"):
            return run
        await asyncio.sleep(0.2)
    raise AssertionError(f"run {run_id} did not finish: {run}")


async def test_a_golden_run_finds_the_planted_bug_and_keeps_its_records(
    gw: httpx.AsyncClient,
    tokens: Tokens,
    factory: Factory,
    sandbox: Sandbox,
    partner_db: Database,
    stack: Stack,
    seed: SeedContext,
) -> None:
    h = tokens.h("admin")
    blueprint = await factory.blueprint("Items API")
    for case in golden_cases():
        ok(
            await gw.post(f"{PT}/projects/{blueprint['id']}/golden-cases", headers=h, json=case),
            201,
        )
    project = await factory.project(await factory.partner("Sandbox vendor"), blueprint)
    pid = project["id"]
    await add_spec(partner_db, pid, SPEC)

    target = ok(
        await gw.post(
            f"{PT}/projects/{pid}/targets",
            headers=h,
            json={
                "kind": "sandbox",
                "name": "vendor sandbox",
                "base_url": sandbox.url,
                "credential": f"Bearer {sandbox.token}",
            },
        ),
        201,
    )
    assert target["has_credential"] is True and "credential" not in target
    async with partner_db.transaction(system=True) as session:
        stored = await session.get(RunTarget, uuid.UUID(target["id"]))
        assert stored is not None and stored.credential_encrypted is not None
        assert sandbox.token.encode() not in stored.credential_encrypted

    started = ok(
        await gw.post(
            f"{PT}/projects/{pid}/runs",
            headers=h,
            json={"target_id": target["id"], "property_examples": 5},
        ),
        202,
    )
    assert started["status"] == "queued" and started["previous_run_id"] is None
    run = await wait_run(gw, h, started["id"])
    assert run["status"] == "failed", run
    assert (run["failed"], run["errored"], run["passed"]) == (1, 0, len(golden_cases()) + 3)
    assert run["done"] == run["total"] == len(golden_cases()) + 4

    failing = ok(await gw.get(f"{PT}/runs/{run['id']}/cases?result=fail", headers=h))["items"]
    assert [c["name"] for c in failing] == ["create then read"]
    assert '"price" is a required property' in failing[0]["message"]
    page = ok(await gw.get(f"{PT}/runs/{run['id']}/cases?limit=3", headers=h))
    assert len(page["items"]) == 3 and page["next_cursor"]

    report = await gw.get(f"{PT}/runs/{run['id']}/report", headers=h)
    assert report.status_code == 200 and sandbox.token not in report.text
    assert len(report.json()["cases"]) == run["total"]
    junit = await gw.get(
        f"{PT}/runs/{run['id']}/report", headers={**h, "Accept": "application/xml"}
    )
    assert junit.headers["content-type"].startswith("application/xml")
    suite = ET.fromstring(junit.content).find("testsuite")
    assert (
        suite is not None
        and suite.get("failures") == "1"
        and suite.get("tests") == str(run["total"])
    )

    traces = ok(
        await gw.get(f"{PT}/projects/{pid}/traces?run_id={run['id']}&status=200", headers=h)
    )
    assert traces["items"] and all(t["status"] == 200 for t in traces["items"])
    found = ok(
        await gw.get(f"{PT}/projects/{pid}/traces", headers=h, params={"q": "create then read"})
    )
    assert found["items"] and all("create then read" in t["summary"] for t in found["items"])
    assert sandbox.token not in orjson.dumps(found).decode()

    # the second run compares with the first: nothing new fails, nothing is fixed
    second = ok(
        await gw.post(f"{PT}/projects/{pid}/runs", headers=h, json={"target_id": target["id"]}), 202
    )
    assert second["previous_run_id"] == run["id"]
    await wait_run(gw, h, second["id"])
    diff = ok(await gw.get(f"{PT}/runs/{second['id']}/comparison", headers=h))
    assert diff == {
        "run_id": second["id"],
        "previous_run_id": run["id"],
        "newly_failing": [],
        "fixed": [],
        "still_failing": ["create then read"],
    }

    listed = ok(await gw.get(f"{PT}/projects/{pid}/runs", headers=h))
    assert [r["id"] for r in listed["items"]] == [second["id"], run["id"]]

    # another owner sees none of it
    other = _register_provider(stack, seed, uuid.uuid4().hex[:8])
    oh = other.headers()
    for path in (f"/runs/{run['id']}", f"/runs/{run['id']}/cases", f"/runs/{run['id']}/report"):
        problem(await gw.get(f"{PT}{path}", headers=oh), 404, "run_not_found")
    problem(await gw.get(f"{PT}/projects/{pid}/traces", headers=oh), 404, "project_not_found")


async def test_targets_pass_the_ssrf_guard_and_runs_have_a_quota(
    gw: httpx.AsyncClient, tokens: Tokens, factory: Factory, partner_db: Database
) -> None:
    h = tokens.h("admin")
    project = await factory.project(
        await factory.partner("Guarded vendor"), await factory.blueprint()
    )
    pid = project["id"]
    # the stack allows private sandboxes (tests run them on 127.0.0.1), never other schemes
    for url in ("file:///etc/passwd", "gopher://127.0.0.1/", "http://user:pw@example.com/"):
        body = {"kind": "sandbox", "name": "bad", "base_url": url}
        problem(
            await gw.post(f"{PT}/projects/{pid}/targets", headers=h, json=body),
            422,
            "unsafe_target",
        )
    problem(
        await gw.post(
            f"{PT}/projects/{pid}/runs", headers=h, json={"target_id": str(uuid.uuid4())}
        ),
        404,
        "run_target_not_found",
    )

    # the partner's quota: with the hour's runs already started, the next is refused
    spec_id = await add_spec(partner_db, pid, SPEC)
    body = {"kind": "sandbox", "name": "down", "base_url": "http://127.0.0.1:9"}
    target = ok(await gw.post(f"{PT}/projects/{pid}/targets", headers=h, json=body), 201)
    async with partner_db.transaction(system=True) as session:
        project_row = await session.get(Project, uuid.UUID(pid))
        assert project_row is not None and project_row.customer_tenant_id is not None
        for _ in range(Settings().runs_per_hour):
            session.add(
                Run(
                    tenant_id=project_row.tenant_id,
                    customer_tenant_id=project_row.customer_tenant_id,
                    project_id=project_row.id,
                    target_id=uuid.UUID(target["id"]),
                    target_kind="sandbox",
                    spec_version_id=uuid.UUID(spec_id),
                    status="passed",
                    property_examples=0,
                    total=0,
                    done=0,
                    passed=0,
                    failed=0,
                    errored=0,
                    created_by="test",
                )
            )
    refused = await gw.post(
        f"{PT}/projects/{pid}/runs", headers=h, json={"target_id": target["id"]}
    )
    problem(refused, 429, "run_quota_exceeded")
    assert 3000 <= int(refused.headers["Retry-After"]) <= 3601
