"""Circuit breakers shared by every sync replica, in Redis (when WEFT_REDIS_URL is set).

Each replica keeps its in-process breaker (breaker.py) for its own concurrency; this adds
what the replicas must agree on, so N replicas do not hammer a failing endpoint N times:

- failures are counted per endpoint across replicas (`fail:<id>`, reset by any success);
- at the threshold the endpoint goes into the `open` sorted set, scored by the time its
  cooldown ends: while the score is in the future, no replica sends to it;
- once the cooldown is over the endpoint is half-open: the replica that wins `trial:<id>`
  (SET NX with a lease) sends one trial; a success removes it everywhere, a failure opens it
  again for another cooldown.
"""

from __future__ import annotations

import time
import uuid
from typing import Any, cast

from redis.asyncio import Redis

OPEN_KEY = "open"


class SharedBreakers:
    def __init__(
        self,
        redis: Redis,
        *,
        threshold: int,
        cooldown: float,
        trial_lease: float,
        prefix: str = "weft:sync:breaker:",
    ) -> None:
        self.redis = redis
        self.threshold = threshold
        self.cooldown = cooldown
        self.trial_lease = trial_lease
        self.prefix = prefix

    @classmethod
    def from_url(cls, url: str, **kw: Any) -> SharedBreakers:
        return cls(Redis.from_url(url), **kw)

    async def close(self) -> None:
        await self.redis.aclose()

    def _key(self, *parts: str) -> str:
        return self.prefix + ":".join(parts)

    async def record(self, endpoint_id: uuid.UUID, success: bool, now: float | None = None) -> None:
        ep = str(endpoint_id)
        if success:
            async with self.redis.pipeline(transaction=True) as p:
                p.delete(self._key("fail", ep), self._key("trial", ep))
                p.zrem(self._key(OPEN_KEY), ep)
                await p.execute()
            return
        now = time.time() if now is None else now
        half_open = await self.redis.zscore(self._key(OPEN_KEY), ep)
        failures = await self.redis.incr(self._key("fail", ep))
        await self.redis.expire(self._key("fail", ep), max(1, int(self.cooldown * 10)))
        if half_open is not None or failures >= self.threshold:
            async with self.redis.pipeline(transaction=True) as p:
                p.zadd(self._key(OPEN_KEY), {ep: now + self.cooldown})
                p.delete(self._key("fail", ep), self._key("trial", ep))
                await p.execute()

    async def blocked(self, now: float | None = None) -> tuple[set[uuid.UUID], set[uuid.UUID]]:
        """(endpoints no replica may send to now, half-open endpoints whose one trial this
        replica has just won)."""
        now = time.time() if now is None else now
        entries = cast(
            list[tuple[Any, float]],
            await self.redis.zrange(self._key(OPEN_KEY), 0, -1, withscores=True),
        )
        blocked: set[uuid.UUID] = set()
        trials: set[uuid.UUID] = set()
        for raw, until in entries:
            ep = raw.decode() if isinstance(raw, bytes) else str(raw)
            if float(until) > now:
                blocked.add(uuid.UUID(ep))
                continue
            won = await self.redis.set(
                self._key("trial", ep), "1", nx=True, px=int(self.trial_lease * 1000)
            )
            (trials if won else blocked).add(uuid.UUID(ep))
        return blocked, trials
