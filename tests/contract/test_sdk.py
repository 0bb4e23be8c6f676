"""A Python SDK generated from the live merged `/openapi.json`, used as an integrator would.

openapi-python-client generates the package into a temporary folder; the tests import it
from there and make every call through it (no raw HTTP): log in, page through lots by
cursor, read a 422 as the `Problem` model, replay a create with an Idempotency-Key, get 412
from a stale If-Match, and get a client-credentials token that reads what its scopes allow.
Request bodies are built with the generated models, found from each function's signature.
"""

from __future__ import annotations

import importlib
import inspect
import json
import os
import pkgutil
import subprocess
import sys
import types
import typing
import uuid
from pathlib import Path
from typing import Any

import pytest

from tests.contract.conftest import Login, Network
from tools.stack import Stack

PACKAGE = "weft_sdk"


@pytest.fixture(scope="module")
def sdk(spec: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> types.ModuleType:
    root = tmp_path_factory.mktemp("sdk")
    spec_file = root / "openapi.json"
    spec_file.write_text(json.dumps(spec))
    config = root / "config.json"
    config.write_text(json.dumps({"post_hooks": []}))  # no formatter run: faster, same code
    bin_dir = Path(sys.executable).parent
    done = subprocess.run(
        [
            str(bin_dir / "openapi-python-client"),
            "generate",
            "--path",
            str(spec_file),
            "--output-path",
            str(root / PACKAGE),
            "--meta",
            "none",
            "--config",
            str(config),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"},
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert (root / PACKAGE / "client.py").exists(), done.stdout + done.stderr
    sys.path.insert(0, str(root))
    try:
        for name in [m for m in sys.modules if m == PACKAGE or m.startswith(PACKAGE + ".")]:
            del sys.modules[name]
        return importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(root))


def operation(sdk: types.ModuleType, service: str, name: str) -> Any:
    """`weft_sdk.api.<service>.<name>`, imported (an import error fails the test)."""
    return importlib.import_module(f"{PACKAGE}.api.{service}.{name}")


def body(fn: Any, data: dict[str, Any]) -> Any:
    """The generated model of an operation's body, from its signature, filled with `data`."""
    hint = typing.get_type_hints(fn)["body"]
    for candidate in typing.get_args(hint) or (hint,):
        if hasattr(candidate, "from_dict"):
            return candidate.from_dict(data)
    raise AssertionError(f"{fn.__module__}: no generated model for the body ({hint})")


def problem_model(sdk: types.ModuleType) -> type[Any]:
    models = importlib.import_module(f"{PACKAGE}.models")
    problem: type[Any] = models.Problem
    return problem


def client(sdk: types.ModuleType, gateway_url: str, token: str | None = None) -> Any:
    if token is None:
        return sdk.Client(base_url=gateway_url, timeout=60, raise_on_unexpected_status=True)
    return sdk.AuthenticatedClient(
        base_url=gateway_url, token=token, timeout=60, raise_on_unexpected_status=True
    )


def sdk_login(sdk: types.ModuleType, gateway_url: str, who: Login) -> Any:
    login = operation(sdk, "identity", "login")
    with client(sdk, gateway_url) as anonymous:
        resp = login.sync_detailed(
            client=anonymous,
            body=body(
                login.sync_detailed,
                {"email": who.email, "password": who.password, "tenant": who.tenant_slug},
            ),
        )
    assert resp.status_code == 200, resp.content
    assert resp.parsed.access_token
    return client(sdk, gateway_url, resp.parsed.access_token)


def header_parameter(fn: Any, name: str) -> str:
    """The SDK's keyword for a header the spec must declare (`Idempotency-Key`...)."""
    wanted = name.lower().replace("-", "_")
    params = inspect.signature(fn).parameters
    assert wanted in params, (
        f"{fn.__module__}.{fn.__name__} has no `{wanted}` parameter: the spec does not declare "
        f"the {name} header (parameters: {list(params)})"
    )
    return wanted


def test_every_generated_module_imports(sdk: types.ModuleType) -> None:
    api = importlib.import_module(f"{PACKAGE}.api")
    broken = []
    modules = list(pkgutil.walk_packages(api.__path__, f"{PACKAGE}.api."))
    for info in modules:
        try:
            importlib.import_module(info.name)
        except Exception as exc:
            broken.append(f"{info.name}: {exc!r}")
    print(f"\nSDK: {len(modules)} modules generated, {len(broken)} fail to import")
    assert len(modules) > 50
    assert not broken, "\n".join(broken)


def test_login_then_lots_by_cursor(sdk: types.ModuleType, stack: Stack, network: Network) -> None:
    list_lots = operation(sdk, "production", "list_lots")
    with sdk_login(sdk, stack.gateway_url, network.provider_a) as paco:
        seen: list[str] = []
        pages = 0
        cursor: Any = sdk.types.UNSET
        while True:
            resp = list_lots.sync_detailed(client=paco, limit=2, cursor=cursor)
            assert resp.status_code == 200, resp.content
            pages += 1
            seen.extend(str(lot.id) for lot in resp.parsed.items)
            cursor = resp.parsed.next_cursor
            if not cursor or pages > 1000:
                break
        whole = list_lots.sync_detailed(client=paco, limit=200)
        assert whole.status_code == 200, whole.content
    assert pages >= 3
    assert len(seen) == len(set(seen))
    first = [str(lot.id) for lot in whole.parsed.items]
    assert seen[: len(first)] == first


def test_422_is_read_as_problem(sdk: types.ModuleType, stack: Stack, network: Network) -> None:
    problem = problem_model(sdk)
    list_lots = operation(sdk, "production", "list_lots")
    create_lot = operation(sdk, "production", "create_lot")
    update_plant = operation(sdk, "production", "update_plant")
    plant_id = network.created["provider_a"]["plant_id"][0]
    order_id = network.created["provider_a"]["order_id"][0]
    with sdk_login(sdk, stack.gateway_url, network.provider_a) as paco:
        calls = {
            "list_lots?limit=0 (query)": lambda: list_lots.sync_detailed(client=paco, limit=0),
            "create_lot quantity=-1 (body)": lambda: create_lot.sync_detailed(
                client=paco,
                body=body(create_lot.sync_detailed, {"order_id": order_id, "quantity": -1}),
            ),
            "update_plant name='' (body, path)": lambda: update_plant.sync_detailed(
                uuid.UUID(plant_id),
                client=paco,
                body=body(update_plant.sync_detailed, {"name": ""}),
            ),
        }
        wrong = []
        for what, call in calls.items():
            try:
                resp = call()
            except Exception as exc:
                wrong.append(f"{what}: the SDK raised {exc!r}")
                continue
            if resp.status_code != 422 or not isinstance(resp.parsed, problem):
                wrong.append(
                    f"{what}: {resp.status_code} parsed as {type(resp.parsed).__name__}: "
                    f"{resp.content[:300]!r}"
                )
            elif resp.parsed.code != "validation_failed" or not resp.parsed.errors:
                wrong.append(f"{what}: a Problem without code and errors: {resp.content!r}")
    assert not wrong, "\n".join(wrong)


def test_idempotency_key_replays(sdk: types.ModuleType, stack: Stack, network: Network) -> None:
    create_order = operation(sdk, "production", "create_order")
    made = network.created["provider_a"]
    key = header_parameter(create_order.sync_detailed, "Idempotency-Key")
    order = {
        "number": f"SDK-{uuid.uuid4().hex[:8]}",
        "customer_tenant_id": network.brand_a.tenant_id,
        "plant_id": made["plant_id"][0],
        "product_id": made["product_id"][0],
        "quantity": 5,
        "unit_price": "7.50",
        "currency": "EUR",
        "due_date": "2026-12-31",
    }
    idem = str(uuid.uuid4())
    with sdk_login(sdk, stack.gateway_url, network.provider_a) as paco:
        first = create_order.sync_detailed(
            client=paco, body=body(create_order.sync_detailed, order), **{key: idem}
        )
        second = create_order.sync_detailed(
            client=paco, body=body(create_order.sync_detailed, order), **{key: idem}
        )
    assert first.status_code == 201, first.content
    assert second.status_code == 201, second.content
    assert second.parsed.to_dict() == first.parsed.to_dict()
    assert second.content == first.content
    assert second.headers.get("idempotent-replayed") == "true"
    assert "idempotent-replayed" not in {h.lower() for h in first.headers}


def test_stale_if_match_is_412(sdk: types.ModuleType, stack: Stack, network: Network) -> None:
    problem = problem_model(sdk)
    get_order = operation(sdk, "production", "get_order")
    update_order = operation(sdk, "production", "update_order")
    if_match = header_parameter(update_order.sync_detailed, "If-Match")
    order_id = uuid.UUID(network.created["provider_a"]["order_id"][0])
    with sdk_login(sdk, stack.gateway_url, network.provider_a) as paco:
        got = get_order.sync_detailed(order_id, client=paco)
        assert got.status_code == 200, got.content
        etag = got.headers["etag"]
        assert etag == f'"{got.parsed.version}"'
        fresh = update_order.sync_detailed(
            order_id,
            client=paco,
            body=body(update_order.sync_detailed, {"notes": "first"}),
            **{if_match: etag},
        )
        assert fresh.status_code == 200, fresh.content
        assert fresh.headers["etag"] != etag
        stale = update_order.sync_detailed(
            order_id,
            client=paco,
            body=body(update_order.sync_detailed, {"notes": "second"}),
            **{if_match: etag},
        )
    assert stale.status_code == 412, stale.content
    assert isinstance(stale.parsed, problem), stale.content
    assert stale.parsed.code == "version_mismatch"


def test_client_credentials_token(sdk: types.ModuleType, stack: Stack, network: Network) -> None:
    create_api_client = operation(sdk, "identity", "create_api_client")
    issue_token = operation(sdk, "identity", "issue_token")
    get_me = operation(sdk, "identity", "get_me")
    list_lots = operation(sdk, "production", "list_lots")
    list_orders = operation(sdk, "production", "list_orders")
    with sdk_login(sdk, stack.gateway_url, network.provider_a) as paco:
        created = create_api_client.sync_detailed(
            client=paco,
            body=body(
                create_api_client.sync_detailed,
                {"name": f"SDK ERP {uuid.uuid4().hex[:6]}", "scopes": ["orders:read", "lots:read"]},
            ),
        )
    assert created.status_code == 201, created.content
    with client(sdk, stack.gateway_url) as anonymous:
        token = issue_token.sync_detailed(
            client=anonymous,
            body=body(
                issue_token.sync_detailed,
                {
                    "grant_type": "client_credentials",
                    "client_id": created.parsed.client_id,
                    "client_secret": created.parsed.client_secret,
                },
            ),
        )
    assert token.status_code == 200, token.content
    assert token.parsed.access_token
    with client(sdk, stack.gateway_url, token.parsed.access_token) as erp:
        me = get_me.sync_detailed(client=erp)
        assert me.status_code == 200, me.content
        assert str(me.parsed.space) == "DEVELOPER"
        assert me.parsed.client_id == created.parsed.client_id
        # the ERP reads what its scopes allow
        orders = list_orders.sync_detailed(client=erp, limit=5)
        assert orders.status_code == 200, orders.content
        lots = list_lots.sync_detailed(client=erp, limit=5)
        assert lots.status_code == 200, lots.content
