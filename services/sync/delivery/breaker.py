"""A circuit breaker per endpoint (in memory, per sync process), as Saleor does; with
WEFT_REDIS_URL the replicas also share one state (shared_breaker.py).

closed: up to `concurrency` deliveries at once. After `threshold` consecutive failures it opens:
nothing is sent to that endpoint (its deliveries wait, their attempts are not spent) until
`cooldown` has passed; then half-open lets one trial through, which closes or re-opens it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

CLOSED, OPEN, HALF_OPEN = "closed", "open", "half_open"


@dataclass
class CircuitBreaker:
    threshold: int
    cooldown: float
    concurrency: int
    state: str = CLOSED
    failures: int = 0
    opened_at: float = field(default=0.0)

    def capacity(self, now: float | None = None) -> int:
        """How many deliveries may be in flight to this endpoint right now."""
        if self.state == CLOSED:
            return self.concurrency
        now = time.monotonic() if now is None else now
        if self.state == OPEN and now - self.opened_at >= self.cooldown:
            self.state = HALF_OPEN
        return 1 if self.state == HALF_OPEN else 0

    def record(self, success: bool, now: float | None = None) -> None:
        if success:
            self.state, self.failures = CLOSED, 0
            return
        self.failures += 1
        if self.state == HALF_OPEN or self.failures >= self.threshold:
            self.state = OPEN
            self.opened_at = time.monotonic() if now is None else now

    def half_open(self) -> None:
        """Let one trial through now (the replicas agreed this process sends it)."""
        self.state = HALF_OPEN
