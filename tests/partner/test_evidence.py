"""Evidence files by presigned upload (the kit's object store and /objects route on the
local folder, through the gateway), their limits and tenant isolation; and evidence that
claims a golden run: only a run of the same project that finished passing."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx

from tests.fixtures.users import Tokens
from tests.partner.conftest import PT, Factory, ok, problem
from tests.partner.runs.mock_runs import mock_project, run_to_end

PDF = b"%PDF-1.7\n" + b"evidence " * 200


async def _criterion(gw: httpx.AsyncClient, h: dict[str, str], project_id: str) -> str:
    phase = ok(
        await gw.post(
            f"{PT}/projects/{project_id}/phases",
            headers=h,
            json={"name": "UAT", "criteria": [{"title": "a"}, {"title": "b"}]},
        ),
        201,
    )
    return str(phase["criteria"][0]["id"])


def _with_query(url: str, **changes: str) -> str:
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    query.update(changes)
    return urlunsplit(parts._replace(query=urlencode(query)))


async def test_a_file_is_uploaded_confirmed_and_downloaded(
    gw: httpx.AsyncClient, tokens: Tokens, factory: Factory
) -> None:
    admin = tokens.h("admin")
    partner = await factory.partner()
    project = await factory.project(partner, await factory.blueprint())
    base = f"{PT}/projects/{project['id']}"
    crit = await _criterion(gw, admin, project["id"])
    engineer = await factory.partner_headers(partner)

    made = ok(
        await gw.post(
            f"{base}/criteria/{crit}/evidence",
            headers=engineer,
            json={
                "kind": "file",
                "title": "UAT sign-off",
                "content_type": "application/pdf",
                "size": len(PDF),
            },
        ),
        201,
    )
    assert made["status"] == "awaiting_upload" and made["submitted_at"] is None
    upload = made["upload"]
    assert upload["method"] == "PUT" and upload["headers"] == {"Content-Type": "application/pdf"}
    # through the gateway, at the partner service's own path
    assert urlsplit(upload["url"]).path.startswith(f"{PT}/objects/{project['tenant_id']}/")
    # not yet uploaded: neither confirmed nor downloadable; the owner is not told yet
    problem(
        await gw.post(f"{base}/evidence/{made['id']}/complete", headers=engineer),
        409,
        "evidence_upload_missing",
    )
    problem(
        await gw.get(f"{base}/evidence/{made['id']}/download", headers=admin),
        409,
        "evidence_upload_missing",
    )
    problem(
        await gw.post(f"{base}/evidence/{made['id']}/accept", headers=admin, json={}),
        409,
        "evidence_not_submitted",
    )

    async with httpx.AsyncClient(timeout=30) as raw:  # no token: the signature is it
        # the limits are signed: another type, more bytes, a changed limit, a forged key
        wrong_type = await raw.put(
            upload["url"], content=PDF, headers={"Content-Type": "text/plain"}
        )
        problem(wrong_type, 415, "unsupported_media_type")
        bigger = await raw.put(upload["url"], content=PDF + b"x", headers=upload["headers"])
        problem(bigger, 413, "payload_too_large")
        raised = _with_query(upload["url"], max=str(len(PDF) * 10))
        problem(
            await raw.put(raised, content=PDF, headers=upload["headers"]),
            403,
            "invalid_signature",
        )
        put = await raw.put(upload["url"], content=PDF, headers=upload["headers"])
        assert put.status_code == 204, put.text

    done = ok(await gw.post(f"{base}/evidence/{made['id']}/complete", headers=engineer))
    assert done["status"] == "submitted" and done["size"] == len(PDF) and done["submitted_at"]
    # confirming again answers the same
    again = ok(await gw.post(f"{base}/evidence/{made['id']}/complete", headers=engineer))
    assert again["status"] == "submitted" and again["version"] == done["version"]

    # both sides download it; the URL serves the declared type, as an attachment
    for who in (engineer, admin):
        link = ok(await gw.get(f"{base}/evidence/{made['id']}/download", headers=who))
        async with httpx.AsyncClient(timeout=30) as raw:
            got = await raw.get(link["url"])
        assert got.status_code == 200 and got.content == PDF
        assert got.headers["content-type"] == "application/pdf"
        assert got.headers["content-disposition"].startswith("attachment")
        assert got.headers["x-content-type-options"] == "nosniff"
        # the signature names the type: serving it as a page is refused
        async with httpx.AsyncClient(timeout=30) as raw:
            html = await raw.get(_with_query(link["url"], ct="text/html"))
        problem(html, 403, "invalid_signature")

    ok(await gw.post(f"{base}/evidence/{made['id']}/accept", headers=admin, json={}))
    plan = ok(await gw.get(f"{base}/plan", headers=engineer))
    assert plan["met_criteria"] == 1
    feed = ok(await gw.get(f"{base}/activity", headers=engineer, params={"limit": 10}))
    assert "evidence.submitted" in [a["type"] for a in feed["items"]]


async def test_file_limits_and_isolation(
    gw: httpx.AsyncClient, tokens: Tokens, factory: Factory
) -> None:
    admin = tokens.h("admin")
    mine, theirs = await factory.partner(), await factory.partner()
    project = await factory.project(mine, await factory.blueprint())
    base = f"{PT}/projects/{project['id']}"
    crit = await _criterion(gw, admin, project["id"])
    engineer = await factory.partner_headers(mine)
    url = f"{base}/criteria/{crit}/evidence"

    def body(**changes: Any) -> dict[str, Any]:
        return {
            "kind": "file",
            "title": "log",
            "content_type": "text/plain",
            "size": 100,
            **changes,
        }

    problem(
        await gw.post(url, headers=engineer, json=body(size=4 * 1024 * 1024 + 1)),
        422,
        "evidence_file_too_large",
    )
    for bad in (
        body(content_type="text/html"),  # a type a browser would render
        body(size=0),
        body(url="https://a.example/"),  # a file is not a link
        {"kind": "file", "title": "no type or size"},
    ):
        problem(await gw.post(url, headers=engineer, json=bad), 422, "validation_failed")
    made = ok(await gw.post(url, headers=engineer, json=body()), 201)
    link = ok(
        await gw.post(
            url, headers=engineer, json={"kind": "link", "title": "l", "url": "https://a.example/"}
        ),
        201,
    )
    problem(
        await gw.post(f"{base}/evidence/{link['id']}/complete", headers=engineer),
        409,
        "evidence_not_a_file",
    )
    problem(
        await gw.get(f"{base}/evidence/{link['id']}/download", headers=engineer),
        409,
        "evidence_not_a_file",
    )
    # the owner does not confirm the partner's upload
    problem(
        await gw.post(f"{base}/evidence/{made['id']}/complete", headers=admin),
        403,
        "partner_only",
    )
    # another partner reaches none of it
    other = await factory.partner_headers(theirs, "PARTNER_LEAD")
    for resp in (
        await gw.post(f"{base}/evidence/{made['id']}/complete", headers=other),
        await gw.get(f"{base}/evidence/{made['id']}/download", headers=other),
        await gw.post(url, headers=other, json=body()),
    ):
        problem(resp, 404, "project_not_found")
    # nor through its own project with this evidence's id
    own = await factory.project(theirs, await factory.blueprint())
    problem(
        await gw.post(f"{PT}/projects/{own['id']}/evidence/{made['id']}/complete", headers=other),
        404,
        "evidence_not_found",
    )


async def test_run_evidence_names_a_passed_run_of_the_project(
    gw: httpx.AsyncClient, tokens: Tokens, factory: Factory
) -> None:
    admin = tokens.h("admin")
    made = await mock_project(gw, admin, factory)
    pid = made.project["id"]
    crit = await _criterion(gw, admin, pid)
    engineer = await factory.partner_headers(made.partner)
    url = f"{PT}/projects/{pid}/criteria/{crit}/evidence"

    def claim(run_id: str) -> dict[str, Any]:
        return {"kind": "run", "title": "Golden run", "run_id": run_id}

    # no such run
    problem(
        await gw.post(url, headers=engineer, json=claim("01a20000-0000-7000-8000-000000000000")),
        422,
        "evidence_run_not_found",
    )
    # a run that did not pass: the mock stopped, every case fails
    ok(await gw.post(f"{PT}/mocks/{made.mock['id']}/stop", headers=admin))
    failed = await run_to_end(gw, engineer, pid, made.target["id"])
    assert failed["status"] in ("failed", "errored"), failed
    body = problem(
        await gw.post(url, headers=engineer, json=claim(failed["id"])),
        422,
        "evidence_run_not_passed",
    )
    assert body["run_status"] == failed["status"]
    # a passed run of another project of the same partner
    second = await factory.project(made.partner, await factory.blueprint(), "Second")
    started = ok(
        await gw.post(
            f"{PT}/projects/{pid}/mocks",
            headers=admin,
            json={"spec_version_id": made.mock["spec_version_id"]},
        ),
        201,
    )
    target = ok(
        await gw.post(
            f"{PT}/projects/{pid}/targets",
            headers=admin,
            json={"kind": "mock", "name": "running mock", "mock_id": started["id"]},
        ),
        201,
    )
    passed = await run_to_end(gw, engineer, pid, target["id"])
    assert passed["status"] == "passed", passed
    second_crit = await _criterion(gw, admin, second["id"])
    problem(
        await gw.post(
            f"{PT}/projects/{second['id']}/criteria/{second_crit}/evidence",
            headers=engineer,
            json=claim(passed["id"]),
        ),
        422,
        "evidence_run_not_in_project",
    )
    # another partner's passed run is not found at all
    theirs = await mock_project(gw, admin, factory)
    their_run = await run_to_end(gw, admin, theirs.project["id"], theirs.target["id"])
    assert their_run["status"] == "passed", their_run
    problem(
        await gw.post(url, headers=engineer, json=claim(their_run["id"])),
        422,
        "evidence_run_not_found",
    )
    # the passed run of this project is evidence
    ev = ok(await gw.post(url, headers=engineer, json=claim(passed["id"])), 201)
    assert ev["status"] == "submitted" and ev["run_id"] == passed["id"]
