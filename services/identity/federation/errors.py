"""Federation's typed errors (the signature refusals are the kit's: libs.common.federation)."""

from __future__ import annotations

from libs.common.errors import AppError, Conflict, Forbidden, NotFound, Unprocessable


class PeerNotFound(NotFound):
    code, title = "federation_peer_not_found", "Federation peer not found"


class LinkNotFound(NotFound):
    code, title = "federation_link_not_found", "Federation link not found"


class PeerKeyTaken(Conflict):
    code, title = "federation_peer_key_taken", "A peer with this key is already registered"


class InvalidPeerKey(Unprocessable):
    code, title = "invalid_peer_key", "Not an Ed25519 public key"


class UnsafePeerUrl(Unprocessable):
    code, title = "unsafe_peer_url", "The peer's URL is not allowed"


class UnknownLocalRole(Unprocessable):
    code, title = "unknown_role", "No such role in this tenant"


class FederationDisabled(Forbidden):
    code, title = "federation_disabled", "Federation is disabled on this instance"


class PeerUnreachable(AppError):
    status, code, title = 502, "federation_peer_unreachable", "The peer did not answer"
