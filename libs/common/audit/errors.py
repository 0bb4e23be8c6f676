from __future__ import annotations

from libs.common.errors import Unauthorized, Unprocessable


class AuditSignatureRejected(Unauthorized):
    """The batch is not signed with the gateway's audit secret."""

    code, title = "invalid_signature", "Invalid signature"


class InvalidAuditBatch(Unprocessable):
    code, title = "invalid_batch", "Invalid audit batch"
