"""/auth/token speaks RFC 6749: one form-encoded body, and an oauth2 scheme in the spec."""

from __future__ import annotations

import httpx


async def test_the_token_endpoint_declares_one_form_body_and_an_oauth2_scheme(
    identity: httpx.AsyncClient, gateway: httpx.AsyncClient
) -> None:
    spec = (await identity.get("/openapi.json")).json()
    body = spec["paths"]["/auth/token"]["post"]["requestBody"]
    assert list(body["content"]) == ["application/x-www-form-urlencoded"]
    scheme = spec["components"]["securitySchemes"]["oauth2"]
    assert scheme["type"] == "oauth2"
    assert scheme["flows"]["clientCredentials"]["tokenUrl"] == "/auth/token"
    merged = (await gateway.get("/openapi.json")).json()
    body = merged["paths"]["/v1/identity/auth/token"]["post"]["requestBody"]
    assert list(body["content"]) == ["application/x-www-form-urlencoded"]


async def test_a_json_token_request_is_refused(identity: httpx.AsyncClient) -> None:
    resp = await identity.post(
        "/auth/token", json={"grant_type": "client_credentials", "client_id": "x"}
    )
    assert resp.status_code == 415
    assert resp.json()["code"] == "unsupported_media_type"
    resp = await identity.post(
        "/auth/token",
        content=b"grant_type=client_credentials&grant_type=refresh_token",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert resp.status_code == 400 and resp.json()["code"] == "invalid_request"
