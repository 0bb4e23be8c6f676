"""Token verification and the principal, shared by every service and the gateway.

Tokens are ES256 JWTs from identity (ARCHITECTURE.md section 3). Verification checks the
header algorithm against an allow-list before anything else, finds the key by `kid` in the
cached JWKS (refetched, at a bounded rate, when an unknown `kid` appears), then checks
signature, `iss`, `aud`, `exp`, `nbf` and the Weft claims. Verified tokens are cached
until they expire, so the hot path pays for a signature once per token.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import httpx
from jose import jwt
from jose.exceptions import ExpiredSignatureError, JWTClaimsError, JWTError

from libs.common.errors import (
    InvalidToken,
    MissingPermission,
    MissingToken,
    TokenExpired,
    WrongSpace,
)

log = logging.getLogger("weft.auth")

ALLOWED_ALGORITHMS = ("ES256",)


class Space(StrEnum):
    PROVIDER = "PROVIDER"
    CLIENT = "CLIENT"
    DEVELOPER = "DEVELOPER"
    ACCOUNTING = "ACCOUNTING"


def permission_matches(granted: str, wanted: str) -> bool:
    """`orders:read` is matched by `orders:read`, `orders:*`, `*:read` and `*:*`."""
    g_res, _, g_act = granted.partition(":")
    w_res, _, w_act = wanted.partition(":")
    return g_res in ("*", w_res) and g_act in ("*", w_act)


@dataclass(frozen=True, slots=True)
class Principal:
    subject: str
    tenant_id: uuid.UUID
    space: Space
    roles: frozenset[str]
    permissions: frozenset[str]
    token_id: str
    expires_at: int
    parent_tenant_id: uuid.UUID | None = None
    actor: dict[str, Any] | None = None
    elevation: dict[str, Any] | None = None
    client_id: str | None = None
    # Permissions granted by roles held for one plant only: plant id -> permissions.
    # `permissions` holds only what is granted tenant-wide.
    plant_permissions: dict[uuid.UUID, frozenset[str]] = field(default_factory=dict, compare=False)
    claims: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)
    # Per request, for an elevated token whose elevation identity confirmed active
    # (libs.common.elevation): the permissions the elevation's scopes decided. None on the
    # token-cached principal, so a use is never counted across requests.
    elevation_uses: set[str] | None = field(default=None, compare=False, repr=False)

    @property
    def actor_subject(self) -> str | None:
        """The real actor when someone impersonates (`act.sub`, RFC 8693); None otherwise.
        Audit records name it beside `subject`."""
        act = self.actor
        return str(act["sub"]) if isinstance(act, dict) and act.get("sub") else None

    @property
    def elevation_id(self) -> str | None:
        """The break-glass elevation the token runs under (`elev.id`)."""
        elev = self.elevation
        return str(elev["id"]) if isinstance(elev, dict) and elev.get("id") else None

    @property
    def password_change_required(self) -> bool:
        """A token issued on a temporary password (`pwd_change` claim): it may only change
        the password (libs.common.deps refuses it everywhere else)."""
        return self.claims.get("pwd_change") is True

    @property
    def user_id(self) -> uuid.UUID | None:
        try:
            return uuid.UUID(self.subject)
        except ValueError:
            return None

    def has_permission(self, wanted: str, plant_id: uuid.UUID | None = None) -> bool:
        """Tenant-wide, or (with `plant_id`) granted for that plant."""
        if any(permission_matches(g, wanted) for g in self.permissions):
            return True
        if plant_id is not None and any(
            permission_matches(g, wanted) for g in self.plant_permissions.get(plant_id, ())
        ):
            return True
        elev = self.elevation
        if (
            elev
            and float(elev.get("exp", 0)) > time.time()
            and any(permission_matches(g, wanted) for g in elev.get("scopes", ()))
        ):
            if self.elevation_uses is not None:
                self.elevation_uses.add(wanted)
            return True
        return False

    def require_permission(self, wanted: str, plant_id: uuid.UUID | None = None) -> None:
        if not self.has_permission(wanted, plant_id):
            raise MissingPermission(f"Missing permission {wanted}")

    def has_any_permission(self, wanted: str) -> bool:
        """Held tenant-wide or for at least one plant (route-level check; rows are
        then limited to `plant_scope(wanted)`)."""
        return self.has_permission(wanted) or any(
            permission_matches(g, wanted)
            for perms in self.plant_permissions.values()
            for g in perms
        )

    def plant_scope(self, wanted: str) -> frozenset[uuid.UUID] | None:
        """None when `wanted` is held tenant-wide (every plant); else the plants it is held for
        (possibly none)."""
        if self.has_permission(wanted):
            return None
        return frozenset(
            plant
            for plant, perms in self.plant_permissions.items()
            if any(permission_matches(g, wanted) for g in perms)
        )

    def require_space(self, *spaces: Space) -> None:
        if self.space not in spaces:
            raise WrongSpace(f"This operation is not open to the {self.space} space")


class JWKSCache:
    """Public keys from identity's JWKS, refetched on an unknown kid at most every few seconds."""

    def __init__(self, url: str, *, min_refetch_seconds: float = 5.0, timeout: float = 5.0) -> None:
        self.url = url
        self.min_refetch_seconds = min_refetch_seconds
        self.timeout = timeout
        self._keys: dict[str, dict[str, Any]] = {}
        self._fetched_at = 0.0
        self._lock = asyncio.Lock()

    def load(self, jwks: dict[str, Any]) -> None:
        self._keys = {k["kid"]: k for k in jwks.get("keys", []) if "kid" in k}
        self._fetched_at = time.monotonic()

    async def refresh(self) -> None:
        async with httpx.AsyncClient(timeout=self.timeout) as client:
            resp = await client.get(self.url)
            resp.raise_for_status()
            self.load(resp.json())

    async def get(self, kid: str) -> dict[str, Any] | None:
        key = self._keys.get(kid)
        if key is not None:
            return key
        async with self._lock:
            key = self._keys.get(kid)
            if key is None and time.monotonic() - self._fetched_at >= self.min_refetch_seconds:
                try:
                    await self.refresh()
                except (httpx.HTTPError, ValueError) as exc:
                    log.warning("jwks fetch failed", extra={"error": str(exc)})
                    self._fetched_at = time.monotonic()
                key = self._keys.get(kid)
        return key


_REQUIRED_CLAIMS = ("sub", "tid", "space", "exp", "iat", "nbf", "jti", "iss", "aud")


class TokenVerifier:
    def __init__(
        self,
        jwks: JWKSCache,
        *,
        issuer: str,
        audience: str,
        leeway: int = 30,
        cache_size: int = 10_000,
    ) -> None:
        self.jwks = jwks
        self.issuer = issuer
        self.audience = audience
        self.leeway = leeway
        self.cache_size = cache_size
        self._cache: dict[str, Principal] = {}

    async def verify(self, token: str) -> Principal:
        cached = self._cache.get(token)
        if cached is not None:
            if cached.expires_at + self.leeway > time.time():
                return cached
            self._cache.pop(token, None)
        principal = await self._verify(token)
        if len(self._cache) >= self.cache_size:
            self._cache.clear()
        self._cache[token] = principal
        return principal

    async def _verify(self, token: str) -> Principal:
        if len(token) > 8192:
            raise InvalidToken("Token too large")
        try:
            header = jwt.get_unverified_header(token)
        except JWTError:
            raise InvalidToken("Malformed token") from None
        alg = header.get("alg")
        if alg not in ALLOWED_ALGORITHMS:
            raise InvalidToken(f"Algorithm {alg!r} is not accepted")
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise InvalidToken("Token has no key id")
        key = await self.jwks.get(kid)
        if key is None:
            raise InvalidToken("Unknown signing key")
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=list(ALLOWED_ALGORITHMS),
                audience=self.audience,
                issuer=self.issuer,
                options={
                    "leeway": self.leeway,
                    "require_exp": True,
                    "require_nbf": True,
                    "require_iat": True,
                    "require_aud": True,
                    "require_iss": True,
                    "require_sub": True,
                    "require_jti": True,
                },
            )
        except ExpiredSignatureError:
            raise TokenExpired("Token has expired") from None
        except JWTClaimsError as exc:
            raise InvalidToken(f"Token claims rejected: {exc}") from None
        except JWTError:
            raise InvalidToken("Token signature is invalid") from None
        return principal_from_claims(claims)


def principal_from_claims(claims: dict[str, Any]) -> Principal:
    missing = [c for c in _REQUIRED_CLAIMS if c not in claims]
    if missing:
        raise InvalidToken(f"Token lacks claims: {', '.join(missing)}")
    # nbf in the future: python-jose checks it, but keep the rule explicit and leeway-free here
    try:
        space = Space(claims["space"])
        tenant_id = uuid.UUID(str(claims["tid"]))
        ptid = uuid.UUID(str(claims["ptid"])) if claims.get("ptid") else None
    except ValueError:
        raise InvalidToken("Token claims are malformed") from None
    return Principal(
        subject=str(claims["sub"]),
        tenant_id=tenant_id,
        parent_tenant_id=ptid,
        space=space,
        roles=frozenset(claims.get("roles") or ()),
        permissions=frozenset(claims.get("perms") or ()),
        token_id=str(claims["jti"]),
        expires_at=int(claims["exp"]),
        actor=claims.get("act"),
        elevation=claims.get("elev"),
        client_id=claims.get("client_id"),
        plant_permissions=_plant_permissions(claims.get("plant_perms")),
        claims=claims,
    )


def _plant_permissions(raw: Any) -> dict[uuid.UUID, frozenset[str]]:
    """The `plant_perms` claim: {"<plant uuid>": ["lots:move", ...]}; malformed entries are
    dropped (they grant nothing)."""
    if not isinstance(raw, dict):
        return {}
    out: dict[uuid.UUID, frozenset[str]] = {}
    for key, perms in raw.items():
        try:
            plant = uuid.UUID(str(key))
        except ValueError:
            continue
        if isinstance(perms, list):
            out[plant] = frozenset(str(p) for p in perms if isinstance(p, str))
    return out


def bearer_token(authorization: str | None) -> str:
    if not authorization:
        raise MissingToken("Missing bearer token")
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise InvalidToken("Authorization must be a Bearer token")
    return token.strip()
