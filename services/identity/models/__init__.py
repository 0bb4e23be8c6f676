"""Identity's tables (schema "identity"), one file per table."""

from libs.common.audit import audit_table
from libs.common.federation import nonce_table
from libs.common.idempotency import idempotency_table
from libs.common.outbox import outbox_table
from services.identity.models.api_client import ApiClient
from services.identity.models.audit_event import AuditEvent
from services.identity.models.base import Base
from services.identity.models.catalog_org_link import CatalogOrgLink
from services.identity.models.elevation import Elevation
from services.identity.models.federation import FederationKey, FederationLink, FederationPeer
from services.identity.models.invite import Invite
from services.identity.models.login_throttle import LoginThrottle
from services.identity.models.magic_link import MagicLink
from services.identity.models.membership import Membership
from services.identity.models.password_reset import PasswordReset
from services.identity.models.refresh_token import RefreshToken
from services.identity.models.role import Role
from services.identity.models.signing_key import SigningKey
from services.identity.models.tenant import Tenant
from services.identity.models.user import User

outbox = outbox_table(Base.metadata)
idempotency_keys = idempotency_table(Base.metadata)
audit_records = audit_table(Base.metadata)
federation_nonces = nonce_table(Base.metadata)

__all__ = [
    "ApiClient",
    "AuditEvent",
    "Base",
    "CatalogOrgLink",
    "Elevation",
    "FederationKey",
    "FederationLink",
    "FederationPeer",
    "Invite",
    "LoginThrottle",
    "MagicLink",
    "Membership",
    "PasswordReset",
    "RefreshToken",
    "Role",
    "SigningKey",
    "Tenant",
    "User",
    "federation_nonces",
    "idempotency_keys",
    "outbox",
]
