"""Token-bucket rate limits per tenant, per API client and per client address.

By default the buckets live in this process (`RateLimiter`). That is exact for one gateway;
with N replicas behind a load balancer each replica would hold its own buckets, so a caller
could get up to N times its quota. With `WEFT_GATEWAY_REDIS_URL` set, the buckets move to
Redis (`RedisRateLimiter`): one Lua script takes a request from every bucket of a request
atomically, on Redis's clock, so every replica draws from the same quota. If Redis cannot
be reached, a replica falls back to its own buckets (and says so in its log) rather than
refusing or waving through all traffic.

Headers follow the IETF draft "RateLimit header fields for HTTP" (httpapi-ratelimit-headers):
    RateLimit-Policy: "tenant";q=3000;w=60
    RateLimit: "tenant";r=2999;t=1
`q` is the quota per window `w`; `r` the requests left now; `t` the seconds until the
bucket is full again. A refused request also gets `Retry-After`: the seconds until one
request is allowed again.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

log = logging.getLogger("weft.gateway.ratelimit")


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


Checks = Sequence[tuple[Policy, str]]


class Limiter(Protocol):
    async def take(self, checks: Checks) -> Outcome: ...

    async def close(self) -> None: ...


def outcome_of(checks: Checks, tokens: Sequence[float], allowed: bool) -> Outcome:
    """The headers of a decision, from the tokens left in each bucket afterwards."""
    states, retry = [], 0
    for (policy, _), left in zip(checks, tokens, strict=True):
        full_in = math.ceil((policy.quota - left) / policy.rate)
        states.append(f'"{policy.name}";r={int(left)};t={full_in}')
        if left < 1.0:
            retry = max(retry, math.ceil((1.0 - left) / policy.rate))
    return Outcome(
        allowed=allowed,
        policy_header=", ".join(p.header for p, _ in checks),
        state_header=", ".join(states),
        retry_after=0 if allowed else max(1, retry),
    )


class RateLimiter:
    """Buckets in this process: exact for one gateway replica."""

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
        return outcome_of(checks, [b[0] for b in buckets], allowed)

    async def take(self, checks: Checks) -> Outcome:
        return self.hit(list(checks))

    async def close(self) -> None:
        return None

    def _evict(self, now: float) -> None:
        """Drop buckets untouched for a long while (a full bucket is the same as none)."""
        stale = [k for k, (_, at) in self._buckets.items() if now - at > 300]
        for key in stale:
            del self._buckets[key]
        if len(self._buckets) >= self.max_buckets:
            self._buckets.clear()


# KEYS: the buckets; ARGV: quota and rate per bucket. Each bucket is a hash {t: tokens,
# at: last refill} that expires once it would be full again (a full bucket = no bucket).
# Redis's own clock, so replicas with skewed clocks agree. Returns allowed, then tokens left.
_TAKE = """
local now = redis.call('TIME')
now = tonumber(now[1]) + tonumber(now[2]) / 1000000
local allowed = 1
local tokens = {}
for i = 1, #KEYS do
  local quota, rate = tonumber(ARGV[2 * i - 1]), tonumber(ARGV[2 * i])
  local b = redis.call('HMGET', KEYS[i], 't', 'at')
  local t = tonumber(b[1])
  if t == nil then t = quota else t = math.min(quota, t + (now - tonumber(b[2])) * rate) end
  if t < 1 then allowed = 0 end
  tokens[i] = t
end
local out = {allowed}
for i = 1, #KEYS do
  local quota, rate = tonumber(ARGV[2 * i - 1]), tonumber(ARGV[2 * i])
  if allowed == 1 then tokens[i] = tokens[i] - 1 end
  redis.call('HSET', KEYS[i], 't', tostring(tokens[i]), 'at', tostring(now))
  redis.call('PEXPIRE', KEYS[i], math.ceil((quota - tokens[i]) / rate * 1000) + 1000)
  out[i + 1] = tostring(tokens[i])
end
return out
"""


class RedisRateLimiter:
    """Buckets in Redis, shared by every gateway replica.

    Keys carry one hash tag (`{weft-rl}`), so the multi-key script also runs on a Redis
    Cluster (all buckets on one shard)."""

    def __init__(self, url: str, *, prefix: str = "{weft-rl}:", timeout: float = 0.25) -> None:
        import redis.asyncio as redis

        self.prefix = prefix
        self.redis = redis.from_url(
            url, socket_timeout=timeout, socket_connect_timeout=timeout, decode_responses=True
        )
        self._script: Any = self.redis.register_script(_TAKE)
        self.fallback = RateLimiter()
        self._warned_at = 0.0

    async def take(self, checks: Checks) -> Outcome:
        keys = [self.prefix + key for _, key in checks]
        args: list[float] = []
        for policy, _ in checks:
            args += [policy.quota, policy.rate]
        try:
            reply = await self._script(keys=keys, args=args)
        except Exception as exc:  # Redis down or slow: this replica limits on its own
            now = time.monotonic()
            if now - self._warned_at > 10:
                self._warned_at = now
                log.warning("redis rate limits unavailable; limiting locally", exc_info=exc)
            return self.fallback.hit(list(checks))
        return outcome_of(checks, [float(t) for t in reply[1:]], bool(int(reply[0])))

    async def close(self) -> None:
        await self.redis.aclose()


def make_limiter(redis_url: str | None) -> Limiter:
    """Redis buckets when a URL is configured, else this process's own."""
    return RedisRateLimiter(redis_url) if redis_url else RateLimiter()
