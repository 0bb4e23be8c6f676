"""deploy/k8s points every inter-service URL a service reads at that service's Service:
a setting left at its local default (127.0.0.1:<port>) would reach nothing in a pod."""

from __future__ import annotations

import importlib
from typing import Any

import yaml

from tools.services import ROOT, SERVICES, implemented


def _env() -> dict[str, dict[str, str]]:
    docs = yaml.safe_load_all((ROOT / "deploy" / "k8s" / "services.yaml").read_text())
    out: dict[str, dict[str, str]] = {}
    for doc in docs:
        if doc and doc["kind"] == "Deployment":
            container: dict[str, Any] = doc["spec"]["template"]["spec"]["containers"][0]
            out[doc["metadata"]["name"]] = {e["name"]: e["value"] for e in container["env"]}
    return out


def test_the_identity_and_production_clients_are_pointed_in_cluster() -> None:
    env = _env()
    assert env["production"]["WEFT_PRODUCTION_IDENTITY_URL"] == "http://identity"
    assert env["catalog"]["WEFT_CATALOG_IDENTITY_URL"] == "http://identity"
    assert env["identity"]["WEFT_IDENTITY_PRODUCTION_URL"] == "http://production"
    urls = yaml.safe_load(env["sync"]["WEFT_SYNC_SERVICE_URLS"])
    assert urls == {s.name: f"http://{s.name}" for s in SERVICES}


def test_no_setting_keeps_a_local_service_address() -> None:
    env = _env()
    local = tuple(f"http://127.0.0.1:{s.port}" for s in SERVICES)
    missing = []
    for spec in implemented():
        settings = importlib.import_module(f"services.{spec.name}.config").Settings
        for name, field in settings.model_fields.items():
            if isinstance(field.default, str) and field.default.startswith(local):
                key = f"{spec.env_prefix}{name.upper()}"
                if not env[spec.name].get(key, "").startswith("http://"):
                    missing.append(key)
    assert not missing, missing


def test_public_links_use_the_public_address() -> None:
    """Digital Link URIs, QR codes and invite links carry the public base URL: a pod's own
    address (or the local default) would print unreachable links."""
    env = _env()
    for spec in implemented():
        settings = importlib.import_module(f"services.{spec.name}.config").Settings
        if "public_base_url" in settings.model_fields:
            value = env[spec.name].get(f"{spec.env_prefix}PUBLIC_BASE_URL", "")
            assert value.startswith("https://"), spec.name
    assert env["quality"]["WEFT_QUALITY_PUBLIC_BASE_URL"].startswith("https://")
