"""A golden run against the partner's mock, end to end through the real processes: the run
job in the partner service calls the mock at the service's own address with a credential
minted for that mock alone, and passes; the credential is in no record; a forged, expired
or other mock's credential is refused, and the gateway admits none of them."""

from __future__ import annotations

import uuid
from pathlib import Path

import httpx
import orjson

from libs.common.errors import InvalidToken
from services.partner.mocks import credentials
from tests.fixtures.users import Tokens
from tests.partner.conftest import PT, Factory, ok, problem
from tests.partner.runs.mock_runs import GOLDEN, mock_project, run_to_end
from tools.stack import Stack


async def test_a_golden_run_against_the_mock_passes(
    gw: httpx.AsyncClient, tokens: Tokens, factory: Factory, stack: Stack
) -> None:
    h = tokens.h("admin")
    made = await mock_project(gw, h, factory)
    pid = made.project["id"]
    engineer = await factory.partner_headers(made.partner)

    run = await run_to_end(gw, engineer, pid, made.target["id"], property_examples=2)
    assert run["status"] == "passed", run
    assert run["failed"] == run["errored"] == 0
    # both golden cases, and one property case per operation of the spec
    assert run["passed"] == run["total"] == len(GOLDEN) + 2

    # every call reached the mock: its traces, one per request the run sent
    mock = ok(await gw.get(f"{PT}/mocks/{made.mock['id']}", headers=engineer))
    assert mock["calls"] >= len(GOLDEN) + 2
    traces = ok(
        await gw.get(
            f"{PT}/projects/{pid}/traces",
            headers=engineer,
            params={"source": "mock", "limit": 200},
        )
    )["items"]
    assert traces and {t["status"] for t in traces} == {200}
    assert {t["source"] for t in traces} == {"mock"}

    # the credential is in no record: not the run's report, not its traces, not the mock's
    report = await gw.get(f"{PT}/runs/{run['id']}/report", headers=engineer)
    assert report.status_code == 200
    recorded = ok(
        await gw.get(f"{PT}/projects/{pid}/traces", headers=engineer, params={"limit": 200})
    )
    for text in (report.text, orjson.dumps(recorded).decode()):
        assert credentials.PREFIX not in text
    assert "[redacted]" in report.text
    # nor in any log of the stack
    logs = Path(stack.config.state_dir) / "logs"
    assert all(credentials.PREFIX not in f.read_text() for f in logs.glob("*.log"))


async def test_the_mock_credential_opens_one_mock_only(
    gw: httpx.AsyncClient, tokens: Tokens, factory: Factory, stack: Stack
) -> None:
    h = tokens.h("admin")
    made = await mock_project(gw, h, factory)
    other = await mock_project(gw, h, factory)
    secret = stack.secrets["service_secret_partner"]
    mock_id = uuid.UUID(made.mock["id"])
    project = made.project

    def mint(mock: uuid.UUID = mock_id, seconds: int = 60, key: str = secret) -> str:
        return credentials.mint(
            key,
            mock_id=mock,
            run_id=uuid.uuid4(),
            tenant_id=uuid.UUID(project["tenant_id"]),
            customer_tenant_id=uuid.UUID(project["customer_tenant_id"]),
            seconds=seconds,
        )

    def bearer(token: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}"}

    service = stack.service_url("partner")
    async with httpx.AsyncClient(base_url=service, timeout=30) as direct:
        url = f"/mocks/{mock_id}/serve/orders"
        answered = ok(await direct.get(url, headers=bearer(mint())))
        assert set(answered) >= {"id", "number"}
        # forged (another key), expired, another mock's, tampered: refused
        problem(await direct.get(url, headers=bearer(mint(key="x" * 32))), 401, "invalid_token")
        problem(await direct.get(url, headers=bearer(mint(seconds=-5))), 401, "token_expired")
        theirs = mint(uuid.UUID(other.mock["id"]))
        problem(await direct.get(url, headers=bearer(theirs)), 401, "invalid_token")
        good = mint()
        body, _, sig = good.partition(".")
        tampered = body[:-2] + ("A" if body[-2] != "A" else "B") + body[-1] + "." + sig
        problem(await direct.get(url, headers=bearer(tampered)), 401, "invalid_token")
        # it reads the mock only: no other route takes it
        problem(
            await direct.get(f"/projects/{project['id']}", headers=bearer(good)),
            401,
            "invalid_token",
        )
    # the gateway admits identity's tokens only
    resp = await gw.get(f"{PT}/mocks/{mock_id}/serve/orders", headers=bearer(mint()))
    assert resp.status_code == 401, resp.text


def test_a_credential_of_any_text_is_refused_not_an_error() -> None:
    mock_id = uuid.uuid4()
    for token in ("wmk_", "wmk_x.\u00e9", "wmk_\u00e9.\u00e9", "wmk_e30.x"):
        try:
            credentials.verify("s" * 32, token, mock_id)
        except InvalidToken:
            continue
        raise AssertionError(f"{token!r} was accepted")
