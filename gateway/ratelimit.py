"""Token-bucket rate limits per tenant, per API client and per client address.

Buckets live in this process. That is exact for one gateway; with N replicas behind a load
balancer each replica holds its own buckets, so a caller can get up to N times its quota.
Scaling out for real needs the buckets in a shared store (e.g. Redis with an atomic GCRA
script); `RateLimiter.hit` is the one place that would change.

Headers follow the IETF draft "RateLimit header fields for HTTP" (httpapi-ratelimit-headers):
    RateLimit-Policy: "tenant";q=3000;w=60
    RateLimit: "tenant";r=2999;t=1
`q` is the quota per window `w`; `r` the requests left now; `t` the seconds until the
bucket is full again. A refused request also gets `Retry-After`: the seconds until one
request is allowed again.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Policy:
    name: str  # "tenant", "client", "ip"
    quota: int
    window: int

    @property
    def rate(self) -> float:
        return self.quota / self.window

    @property
    def header(self) -> str:
        return f'"{self.name}";q={self.quota};w={self.window}'


@dataclass(slots=True)
class Outcome:
    allowed: bool
    policy_header: str
    state_header: str
    retry_after: int  # seconds; 0 when allowed

    def headers(self) -> dict[str, str]:
        out = {"RateLimit-Policy": self.policy_header, "RateLimit": self.state_header}
        if not self.allowed:
            out["Retry-After"] = str(self.retry_after)
        return out


class RateLimiter:
    def __init__(self, *, max_buckets: int = 200_000) -> None:
        self.max_buckets = max_buckets
        # key -> [tokens, last refill time]
        self._buckets: dict[str, list[float]] = {}

    def hit(self, checks: list[tuple[Policy, str]], now: float | None = None) -> Outcome:
        """Take one request from every (policy, key) bucket, or from none if any is empty."""
        now = time.monotonic() if now is None else now
        buckets = []
        allowed = True
        for policy, key in checks:
            bucket = self._buckets.get(key)
            if bucket is None:
                if len(self._buckets) >= self.max_buckets:
                    self._evict(now)
                bucket = self._buckets[key] = [float(policy.quota), now]
            else:
                bucket[0] = min(policy.quota, bucket[0] + (now - bucket[1]) * policy.rate)
                bucket[1] = now
            if bucket[0] < 1.0:
                allowed = False
            buckets.append(bucket)
        if allowed:
            for bucket in buckets:
                bucket[0] -= 1.0
        states, retry = [], 0
        for (policy, _), bucket in zip(checks, buckets, strict=True):
            tokens = bucket[0]
            full_in = math.ceil((policy.quota - tokens) / policy.rate)
            states.append(f'"{policy.name}";r={int(tokens)};t={full_in}')
            if tokens < 1.0:
                retry = max(retry, math.ceil((1.0 - tokens) / policy.rate))
        return Outcome(
            allowed=allowed,
            policy_header=", ".join(p.header for p, _ in checks),
            state_header=", ".join(states),
            retry_after=0 if allowed else max(1, retry),
        )

    def _evict(self, now: float) -> None:
        """Drop buckets untouched for a long while (a full bucket is the same as none)."""
        stale = [k for k, (_, at) in self._buckets.items() if now - at > 300]
        for key in stale:
            del self._buckets[key]
        if len(self._buckets) >= self.max_buckets:
            self._buckets.clear()
