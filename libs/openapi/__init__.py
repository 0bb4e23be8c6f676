"""OpenAPI for Weft: each service's document as generated SDKs need it (`service`), and the
merge of several services' documents under their `/v1/<service>` prefixes (`merge`), used
by the gateway and by any service that publishes a merged document (partner)."""

from libs.openapi.merge import Access, merge, merge_components, operation_ids, spaces_note
from libs.openapi.service import service_openapi

__all__ = [
    "Access",
    "merge",
    "merge_components",
    "operation_ids",
    "service_openapi",
    "spaces_note",
]
