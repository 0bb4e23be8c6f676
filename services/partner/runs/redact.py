"""What a run records is bounded and carries no secret.

Headers that carry credentials (Authorization, cookies, API keys, tokens) are replaced by
`[redacted]`, query parameters with such names too, and every occurrence of a credential
value the target was given is replaced wherever it appears (a body or URL that echoes it).
Bodies are cut at `MAX_BODY` characters.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

MAX_BODY = 8192
MAX_HEADERS = 50
REDACTED = "[redacted]"
_SECRET_NAME = re.compile(
    r"authorization|cookie|api[-_]?key|apikey|token|secret|password|signature|session",
    re.IGNORECASE,
)


def bounded(text: str, limit: int = MAX_BODY) -> str:
    if len(text) <= limit:
        return text
    return f"{text[:limit]}... [{len(text) - limit} more characters cut]"


class Redactor:
    def __init__(self, secrets: Iterable[str] = ()) -> None:
        # longest first, so a secret that contains another is replaced whole
        self._secrets = sorted({s for s in secrets if len(s) >= 4}, key=len, reverse=True)

    def text(self, value: str) -> str:
        for secret in self._secrets:
            value = value.replace(secret, REDACTED)
        return value

    def headers(self, headers: Mapping[str, str]) -> dict[str, str]:
        out: dict[str, str] = {}
        for name, value in list(headers.items())[:MAX_HEADERS]:
            out[name.lower()] = REDACTED if _SECRET_NAME.search(name) else self.text(value)
        return out

    def url(self, url: str) -> str:
        parts = urlsplit(url)
        query = [
            (k, REDACTED if _SECRET_NAME.search(k) else v)
            for k, v in parse_qsl(parts.query, keep_blank_values=True)
        ]
        clean = urlunsplit(parts._replace(query=urlencode(query, safe="[]")))
        return self.text(clean)

    def body(self, content: bytes | str) -> str:
        text = content.decode("utf-8", "replace") if isinstance(content, bytes) else content
        return bounded(self.text(text))
