"""The kit's RFC 9421 signing and verification (libs/common/federation.py): the RFC's own
test vectors (Appendix B, with its keys), and every refusal the receiver must make."""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import load_pem_private_key, load_pem_public_key
from http_message_signatures import (
    HTTPMessageSignaturesException,
    HTTPMessageSigner,
    HTTPMessageVerifier,
    InvalidSignature,
    MappingKeyResolver,
)
from http_message_signatures.algorithms import ED25519, HMAC_SHA256
from http_message_signatures.digests import ContentDigest

from libs.common.errors import AppError
from libs.common.federation import (
    DigestMismatch,
    FederationKey,
    SignatureExpired,
    SignatureInvalid,
    SignatureMissing,
    UnknownSigningKey,
    load_public_key,
    sign_request,
    signed_key_ids,
    verify_request,
)

# RFC 9421 Appendix B.1.4 (test-key-ed25519) and B.1.5 (test-shared-secret)
RFC_ED25519_PRIVATE = (
    b"-----BEGIN PRIVATE KEY-----\n"
    b"MC4CAQAwBQYDK2VwBCIEIJ+DYvh6SEqVTm50DFtMDoQikTmiCqirVv9mWG9qfSnF\n"
    b"-----END PRIVATE KEY-----\n"
)
RFC_ED25519_PUBLIC = (
    b"-----BEGIN PUBLIC KEY-----\n"
    b"MCowBQYDK2VwAyEAJrQLj5P/89iXES9+vFgrIy29clF9CC/oPPsw3c5D0bs=\n"
    b"-----END PUBLIC KEY-----\n"
)
RFC_SHARED_SECRET = base64.b64decode(
    "uzvJfB4u3N0Jy4T7NZ75MDVcr8zSTInedJtkgcu46YW4XByzNJjxBdtjUkdJPBtbmHhIDi6pcl8jsasjlTMtDQ=="
)
# B.2: the test request
RFC_BODY = b'{"hello": "world"}'
RFC_CREATED = datetime.fromtimestamp(1618884473, UTC)


class _Msg:
    def __init__(self, headers: dict[str, str]) -> None:
        self.method = "POST"
        self.url = "https://example.com/foo?param=Value&Pet=dog"
        self.headers = headers


def _rfc_request() -> _Msg:
    return _Msg(
        {
            "Host": "example.com",
            "Date": "Tue, 20 Apr 2021 02:07:55 GMT",
            "Content-Type": "application/json",
            "Content-Digest": "sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+"
            "AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew==:",
            "Content-Length": "18",
        }
    )


def _resolver() -> MappingKeyResolver:
    private = load_pem_private_key(RFC_ED25519_PRIVATE, None)
    public = load_pem_public_key(RFC_ED25519_PUBLIC)
    return MappingKeyResolver(
        public_keys={"test-key-ed25519": public, "test-shared-secret": RFC_SHARED_SECRET},  # type: ignore[dict-item]
        private_keys={"test-key-ed25519": private, "test-shared-secret": RFC_SHARED_SECRET},  # type: ignore[dict-item]
    )


def test_rfc9530_content_digest_examples() -> None:
    """RFC 9530 section 2 / RFC 9421 B.2: the digests of `{"hello": "world"}`."""
    ContentDigest.verify("sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:", RFC_BODY)
    ContentDigest.verify(_rfc_request().headers["Content-Digest"], RFC_BODY)
    with pytest.raises(HTTPMessageSignaturesException):
        ContentDigest.verify(_rfc_request().headers["Content-Digest"], b'{"hello": "World"}')


def test_rfc9421_b26_ed25519_vector_signs_and_verifies() -> None:
    """B.2.6: Ed25519 is deterministic, so signing the test request gives the RFC's exact
    signature, and the RFC's signature verifies with its public key."""
    expected = "sig-b26=:wqcAqbmYJ2ji2glfAMaRy4gruYYnx2nEFN2HN6jrnDnQCK1u02Gb04v9EDgwUPiu4A0w6vuQv5lIp5WPpBKRCw==:"
    msg = _rfc_request()
    HTTPMessageSigner(signature_algorithm=ED25519, key_resolver=_resolver()).sign(
        msg,
        key_id="test-key-ed25519",
        covered_component_ids=(
            "date",
            "@method",
            "@path",
            "@authority",
            "content-type",
            "content-length",
        ),
        created=RFC_CREATED,
        label="sig-b26",
        include_alg=False,
        use_existing_digest=True,
    )
    assert msg.headers["Signature-Input"] == (
        'sig-b26=("date" "@method" "@path" "@authority" "content-type" "content-length")'
        ';created=1618884473;keyid="test-key-ed25519"'
    )
    assert msg.headers["Signature"] == expected
    verifier = HTTPMessageVerifier(signature_algorithm=ED25519, key_resolver=_resolver())
    (result,) = verifier.verify(msg, max_age=None)
    assert result.parameters["keyid"] == "test-key-ed25519"
    # one changed covered field and the RFC's signature no longer verifies
    msg.headers["Content-Type"] = "text/plain"
    with pytest.raises(InvalidSignature):
        verifier.verify(msg, max_age=None)


def test_rfc9421_b25_hmac_vector() -> None:
    msg = _rfc_request()
    HTTPMessageSigner(signature_algorithm=HMAC_SHA256, key_resolver=_resolver()).sign(
        msg,
        key_id="test-shared-secret",
        covered_component_ids=("date", "@authority", "content-type"),
        created=RFC_CREATED,
        label="sig-b25",
        include_alg=False,
        use_existing_digest=True,
    )
    assert msg.headers["Signature"] == "sig-b25=:pxcQw6G3AjtMBQjwo8XzkZf/bws5LelbaMk5rGIGtE8=:"


def test_the_rfc_public_key_loads_as_a_peer_key() -> None:
    key = load_public_key(RFC_ED25519_PUBLIC.decode())
    assert isinstance(key, Ed25519PublicKey)
    with pytest.raises(ValueError):
        load_public_key("not a key")


URL = "https://peer.example/v1/identity/federation/inbound/links"
BODY = b'{"tenant_id": "0190b5d2-0000-7000-8000-000000000001", "name": "Brand"}'


def _lookup(key: FederationKey) -> Callable[[str], Ed25519PublicKey | None]:
    return lambda kid: key.public_key if kid == key.key_id else None


def test_a_signed_request_verifies_and_names_its_key_and_nonce() -> None:
    key = FederationKey.generate()
    headers = sign_request(key, "POST", URL, BODY)
    assert set(headers) == {"Content-Digest", "Signature-Input", "Signature"}
    sig_input = headers["Signature-Input"]
    for part in ('"@method"', '"@path"', '"content-digest"', "created=", "expires=", "nonce="):
        assert part in sig_input
    assert signed_key_ids(headers.items()) == [key.key_id]
    got = verify_request("POST", URL, headers.items(), BODY, _lookup(key))
    assert got.key_id == key.key_id and len(got.nonce) >= 16
    assert (got.expires - got.created) == timedelta(seconds=60)


def _refused(
    error: type[AppError],
    headers: dict[str, str],
    *,
    body: bytes = BODY,
    url: str = URL,
    method: str = "POST",
    key: FederationKey,
) -> None:
    with pytest.raises(error) as info:
        verify_request(method, url, headers.items(), body, _lookup(key))
    assert info.value.status == 401


def test_refusals() -> None:
    key = FederationKey.generate()
    good = sign_request(key, "POST", URL, BODY)
    _refused(SignatureMissing, {}, key=key)
    _refused(SignatureMissing, {"Content-Digest": good["Content-Digest"]}, key=key)
    # tampered body: the digest no longer matches (and a digest swapped with it: the signature)
    _refused(DigestMismatch, good, body=BODY.replace(b"Brand", b"Evil!"), key=key)
    forged = {**good, "Content-Digest": ContentDigest.create(b"{}")}
    _refused(SignatureInvalid, forged, body=b"{}", key=key)
    # another path or method than the one signed
    _refused(SignatureInvalid, good, url=URL.replace("links", "ping"), key=key)
    _refused(SignatureInvalid, good, method="PUT", key=key)
    # unknown key: signed by a key nobody registered
    stranger = FederationKey.generate()
    _refused(UnknownSigningKey, sign_request(stranger, "POST", URL, BODY), key=key)
    # old and future timestamps, beyond 60 s of skew
    old = sign_request(key, "POST", URL, BODY, created=datetime.now(UTC) - timedelta(seconds=90))
    _refused(SignatureExpired, old, key=key)
    ahead = sign_request(key, "POST", URL, BODY, created=datetime.now(UTC) + timedelta(seconds=90))
    _refused(SignatureExpired, ahead, key=key)
    # within the skew is accepted
    recent = sign_request(key, "POST", URL, BODY, created=datetime.now(UTC) - timedelta(seconds=30))
    verify_request("POST", URL, recent.items(), BODY, _lookup(key))
    # a signature byte changed
    sig = good["Signature"]
    flipped = sig[:12] + ("A" if sig[12] != "A" else "B") + sig[13:]
    _refused(SignatureInvalid, {**good, "Signature": flipped}, key=key)
