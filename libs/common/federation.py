"""Signed requests between Weft instances: RFC 9421 HTTP Message Signatures.

A Weft instance holds one Ed25519 federation key; a peer registers its public half. Every
request between peers is signed (the `http-message-signatures` library) over:

- `@method` and `@path` (the path the sender addressed, with the gateway's `/v1/<service>`),
- `content-digest`: RFC 9530 `sha-256` of the exact body bytes (an empty body too),
- the signature parameters `created`, `expires` (created + 60 s), `nonce` (random, once
  per request), `keyid` (the key's thumbprint) and `alg` (`ed25519`).

The receiver (`verify_request`) refuses, each with its own 401 code: no signature
(`signature_missing`), a key it does not know (`unknown_signing_key`), a signature that
does not verify or that leaves out a required component (`signature_invalid`), a body
that is not the one signed (`digest_mismatch`), a `created` or `expires` more than 60 s
off its clock (`signature_expired`), and, through the caller's nonce store
(`remember_nonce` on the `federation_nonces` table a service declares with
`nonce_table`), a nonce it has seen (`nonce_replayed`). What a verified caller may do is
the receiver's own policy: a signature proves who sent the request, never what it may do.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import http_sf
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from http_message_signatures import (
    HTTPMessageSigner,
    HTTPMessageVerifier,
    HTTPSignatureKeyResolver,
    InvalidSignature,
)
from http_message_signatures.algorithms import ED25519
from http_message_signatures.digests import ContentDigest
from http_message_signatures.exceptions import HTTPMessageSignaturesException
from sqlalchemy import Column, DateTime, MetaData, String, Table, text
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.errors import Unauthorized

COVERED = ("@method", "@path", "content-digest")
MAX_SKEW_SECONDS = 60
LABEL = "weft"
TAG = "weft-federation"
SIGNATURE_HEADERS = ("signature", "signature-input", "content-digest")


# --- errors (401: the caller is not who it claims, or the request is not what it signed) ---


class SignatureMissing(Unauthorized):
    code, title = "signature_missing", "Signed request required"


class SignatureInvalid(Unauthorized):
    code, title = "signature_invalid", "Invalid request signature"


class UnknownSigningKey(Unauthorized):
    code, title = "unknown_signing_key", "Unknown signing key"


class DigestMismatch(Unauthorized):
    code, title = "digest_mismatch", "The body is not the one signed"


class SignatureExpired(Unauthorized):
    code, title = "signature_expired", "Signature outside the allowed clock skew"


class NonceReplayed(Unauthorized):
    code, title = "nonce_replayed", "This signed request was already received"


SIGNATURE_ERRORS = (
    SignatureMissing,
    SignatureInvalid,
    UnknownSigningKey,
    DigestMismatch,
    SignatureExpired,
    NonceReplayed,
)


# --- keys -------------------------------------------------------------------------------


def key_id_of(public_key: Ed25519PublicKey) -> str:
    """A stable key id: the start of the SHA-256 thumbprint of the raw public key."""
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return "weft-" + base64.urlsafe_b64encode(hashlib.sha256(raw).digest()[:15]).decode()


def public_key_text(public_key: Ed25519PublicKey) -> str:
    """The public key as PEM (SubjectPublicKeyInfo): what a peer registers."""
    return public_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()


def load_public_key(value: str) -> Ed25519PublicKey:
    """An Ed25519 public key from PEM or base64 of its 32 raw bytes; ValueError otherwise."""
    value = value.strip()
    try:
        if value.startswith("-----BEGIN"):
            key = serialization.load_pem_public_key(value.encode())
        else:
            raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
            key = Ed25519PublicKey.from_public_bytes(raw)
    except (ValueError, TypeError) as exc:
        raise ValueError("not an Ed25519 public key (PEM or base64 of 32 bytes)") from exc
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError("not an Ed25519 public key")
    return key


@dataclass(frozen=True)
class FederationKey:
    """This instance's signing key."""

    private_key: Ed25519PrivateKey

    @classmethod
    def generate(cls) -> FederationKey:
        return cls(Ed25519PrivateKey.generate())

    @classmethod
    def from_private_bytes(cls, raw: bytes) -> FederationKey:
        return cls(Ed25519PrivateKey.from_private_bytes(raw))

    def private_bytes(self) -> bytes:
        return self.private_key.private_bytes(
            serialization.Encoding.Raw,
            serialization.PrivateFormat.Raw,
            serialization.NoEncryption(),
        )

    @property
    def public_key(self) -> Ed25519PublicKey:
        return self.private_key.public_key()

    @property
    def key_id(self) -> str:
        return key_id_of(self.public_key)

    @property
    def public_pem(self) -> str:
        return public_key_text(self.public_key)


# --- the message the library reads --------------------------------------------------------


class _Headers:
    """Header field lines in order, as the library reads and writes them."""

    def __init__(self, lines: Iterable[tuple[str, str]] = ()) -> None:
        self.lines = [(k, v) for k, v in lines]

    def items(self) -> list[tuple[str, str]]:
        return list(self.lines)

    def __iter__(self) -> Any:
        return iter([k for k, _ in self.lines])

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and any(k.lower() == name.lower() for k, _ in self.lines)

    def __getitem__(self, name: str) -> str:
        values = [v for k, v in self.lines if k.lower() == name.lower()]
        if not values:
            raise KeyError(name)
        return ", ".join(values)

    def __setitem__(self, name: str, value: str) -> None:
        del self[name]
        self.lines.append((name, value))

    def __delitem__(self, name: str) -> None:
        self.lines = [(k, v) for k, v in self.lines if k.lower() != name.lower()]


@dataclass
class _Message:
    method: str
    url: str
    headers: _Headers


class _Keys(HTTPSignatureKeyResolver):
    def __init__(
        self,
        public: Callable[[str], Ed25519PublicKey | None] | None = None,
        private: FederationKey | None = None,
    ) -> None:
        self.public, self.private = public, private
        self.missing: str | None = None

    def resolve_public_key(self, key_id: str) -> Ed25519PublicKey | None:
        key = self.public(key_id) if self.public is not None else None
        if key is None:
            self.missing = key_id
        return key

    def resolve_private_key(self, key_id: str) -> Ed25519PrivateKey:
        assert self.private is not None and key_id == self.private.key_id
        return self.private.private_key


# --- signing ------------------------------------------------------------------------------


def sign_request(
    key: FederationKey,
    method: str,
    url: str,
    body: bytes = b"",
    *,
    created: datetime | None = None,
    ttl_seconds: int = MAX_SKEW_SECONDS,
    nonce: str | None = None,
) -> dict[str, str]:
    """The headers that sign this request (`Content-Digest`, `Signature-Input`,
    `Signature`): send them with exactly `body`, to exactly `url`'s path."""
    created = created or datetime.now(UTC)
    message = _Message(method.upper(), url, _Headers())
    signer = HTTPMessageSigner(signature_algorithm=ED25519, key_resolver=_Keys(private=key))
    signer.sign(
        message,
        key_id=key.key_id,
        created=created,
        expires=created + timedelta(seconds=ttl_seconds),
        nonce=nonce or secrets.token_urlsafe(24),
        label=LABEL,
        tag=TAG,
        covered_component_ids=COVERED,
        body=body,
    )
    return dict(message.headers.items())


# --- verifying ----------------------------------------------------------------------------


@dataclass(frozen=True)
class VerifiedSignature:
    key_id: str
    nonce: str
    created: datetime
    expires: datetime


def _timestamp(params: Mapping[str, Any], name: str) -> datetime:
    value = params.get(name)
    if type(value) is not int:
        raise SignatureInvalid(f"The signature has no `{name}` parameter")
    return datetime.fromtimestamp(value, UTC)


def signed_key_ids(headers: Iterable[tuple[str, str]]) -> list[str]:
    """The `keyid`s a request's Signature-Input names (to find the peer before verifying);
    empty when there is none or it is malformed (`verify_request` then refuses it)."""
    value = _Headers(headers)
    if "signature-input" not in value:
        return []
    try:
        parsed = http_sf.parse(value["signature-input"].encode(), tltype="dictionary")
    except (ValueError, TypeError):
        return []
    if not isinstance(parsed, dict):
        return []
    out = []
    for member in parsed.values():
        params = member[1] if isinstance(member, tuple) and len(member) == 2 else {}
        key_id = params.get("keyid") if isinstance(params, dict) else None
        if isinstance(key_id, str):
            out.append(key_id)
    return out


def verify_request(
    method: str,
    url: str,
    headers: Iterable[tuple[str, str]],
    body: bytes,
    public_key: Callable[[str], Ed25519PublicKey | None],
    *,
    now: datetime | None = None,
    max_skew_seconds: int = MAX_SKEW_SECONDS,
) -> VerifiedSignature:
    """Check a received request's signature; returns who signed it (the key id) and its
    nonce, which the caller must then remember (`remember_nonce`) to refuse a replay.

    `url` is the request as the sender addressed it (scheme, host and the public path);
    `public_key(key_id)` gives the registered key of a peer, or None."""
    message = _Message(method.upper(), url, _Headers(headers))
    if "signature" not in message.headers or "signature-input" not in message.headers:
        raise SignatureMissing("This route takes signed requests only (RFC 9421)")
    keys = _Keys(public=public_key)
    verifier = HTTPMessageVerifier(signature_algorithm=ED25519, key_resolver=keys)
    verifier.max_clock_skew = timedelta(seconds=max_skew_seconds)
    try:
        results = verifier.verify(
            message,
            max_age=timedelta(0),
            expect_tag=TAG,
            require_components=COVERED,
        )
    except InvalidSignature as exc:
        if keys.missing is not None:
            raise UnknownSigningKey(f"No peer is registered with key {keys.missing!r}") from None
        reason = str(exc)
        if "time in the" in reason or "maximum allowable age" in reason:
            raise SignatureExpired(
                f"The signature's created/expires are more than {max_skew_seconds} s off"
            ) from None
        raise SignatureInvalid(f"The signature does not verify: {reason}") from None
    except HTTPMessageSignaturesException as exc:
        raise SignatureInvalid(f"Malformed signature: {exc}") from None
    result = results[0]
    try:
        verifier.verify_body(message, [result], body)
        ContentDigest.verify(message.headers["content-digest"], body)
    except (InvalidSignature, HTTPMessageSignaturesException, KeyError):
        raise DigestMismatch("Content-Digest does not match the body") from None
    params = result.parameters
    created, expires = _timestamp(params, "created"), _timestamp(params, "expires")
    nonce = params.get("nonce")
    if not isinstance(nonce, str) or not nonce:
        raise SignatureInvalid("The signature has no `nonce` parameter")
    now = now or datetime.now(UTC)
    skew = timedelta(seconds=max_skew_seconds)
    if abs(now - created) > skew or expires < now - skew or expires - created > 2 * skew:
        raise SignatureExpired(f"The signature's created/expires are more than {skew} off")
    return VerifiedSignature(str(params["keyid"]), nonce, created, expires)


# --- the nonce store ----------------------------------------------------------------------


def nonce_table(metadata: MetaData) -> Table:
    """Nonces seen per key, kept until their signature expires (plus the skew)."""
    return Table(
        "federation_nonces",
        metadata,
        Column("key_id", String(64), primary_key=True),
        Column("nonce", String(128), primary_key=True),
        Column("expires_at", DateTime(timezone=True), nullable=False, index=True),
    )


_REMEMBER = text(
    "INSERT INTO federation_nonces (key_id, nonce, expires_at) VALUES (:key, :nonce, :exp) "
    "ON CONFLICT DO NOTHING RETURNING 1"
)
_PRUNE = text("DELETE FROM federation_nonces WHERE expires_at < now()")


async def remember_nonce(session: AsyncSession, verified: VerifiedSignature) -> None:
    """Record the nonce (in the request's transaction); NonceReplayed if seen before.
    Expired rows are pruned on the way, so the table stays as small as the traffic of
    the last two minutes."""
    if len(verified.nonce) > 128:
        raise SignatureInvalid("The nonce is longer than 128 characters")
    await session.execute(_PRUNE)
    fresh = await session.execute(
        _REMEMBER,
        {
            "key": verified.key_id,
            "nonce": verified.nonce,
            "exp": verified.expires + timedelta(seconds=MAX_SKEW_SECONDS),
        },
    )
    if fresh.first() is None:
        raise NonceReplayed("A request with this nonce was already received")
