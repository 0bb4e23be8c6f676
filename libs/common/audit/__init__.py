"""One audit record per request (docs/architecture.md section 5c).

- `audit_table(metadata)`: the table, in each service's own schema and Alembic tree;
- `AuditMiddleware` and the kit's TenantSession write the records;
- `touch(...)` / `note(...)`: what the request touched, its named actions (ORM flushes and
  `emit_event` add theirs on their own);
- `router`: `GET /audit-records` (audit:read) and the gateway's signed ingest;
- `kit.prune_audit_records` (libs.common.housekeeping) keeps `audit_retention_days`.
"""

from libs.common.audit.context import AuditContext, audit_var, note, touch
from libs.common.audit.table import Outcome, audit_table

__all__ = ["AuditContext", "Outcome", "audit_table", "audit_var", "note", "touch"]
