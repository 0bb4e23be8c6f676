"""The SSRF guard: public addresses only (the test stack allows private ones for receivers)."""

from __future__ import annotations

import pytest

from libs.common.ssrf import UnsafeUrl, check_url, is_public_ip, literal_ip_blocked

BLOCKED = [
    "https://127.0.0.1/h",
    "https://10.1.2.3/h",
    "https://192.168.0.10/h",
    "https://172.16.5.5/h",
    "https://169.254.169.254/latest/meta-data",
    "https://[::1]/h",
    "https://[fe80::1]/h",
    "https://224.0.0.1/h",
    "https://0.0.0.0/h",
    "https://[::ffff:127.0.0.1]/h",
    "https://100.64.0.1/h",
    "https://localhost/h",
    "http://93.184.215.14/h",  # public, but http is refused without allow_private
]


@pytest.mark.parametrize("url", BLOCKED)
async def test_private_and_special_addresses_are_refused(url: str) -> None:
    with pytest.raises(UnsafeUrl):
        await check_url(url, allow_private=False)


async def test_public_literal_is_accepted() -> None:
    await check_url("https://93.184.215.14/hook", allow_private=False)


async def test_allow_private_admits_http_and_loopback() -> None:
    await check_url("http://127.0.0.1:9000/hook", allow_private=True)
    with pytest.raises(UnsafeUrl):
        await check_url("ftp://127.0.0.1/hook", allow_private=True)


def test_ip_classification() -> None:
    assert is_public_ip("8.8.8.8")
    assert not is_public_ip("127.0.0.1")
    assert not is_public_ip("::ffff:10.0.0.1")
    assert literal_ip_blocked("https://169.254.169.254/x")
    assert not literal_ip_blocked("https://example.com/x")


async def test_resolver_drops_private_answers(monkeypatch: pytest.MonkeyPatch) -> None:
    """DNS rebinding: a name that resolves to loopback at delivery time is refused."""
    from libs.common import ssrf

    resolver = ssrf.PublicOnlyResolver()

    async def fake(host: str, port: int = 0, family: int = 0) -> list[dict[str, object]]:
        return [
            {
                "hostname": host,
                "host": "127.0.0.1",
                "port": port,
                "family": 2,
                "proto": 0,
                "flags": 0,
            }
        ]

    monkeypatch.setattr(resolver._inner, "resolve", fake)
    with pytest.raises(OSError):
        await resolver.resolve("rebind.example", 443)
    await resolver.close()
