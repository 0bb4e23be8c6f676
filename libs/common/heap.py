"""The start-up heap, out of the garbage collector's way.

What a process builds as it starts (modules, routes, pydantic schemas, the OpenAPI models,
the gateway's route table) lives as long as the process. Left in the collector's oldest
generation, every full collection walks it all again: a pause of tens of milliseconds in
the middle of requests, the long tail of a read's latency (bench/gateway_bench.py: p95 of
identity's one-row read 86 ms with it, 30 ms without). `gc.freeze()` moves it to the
permanent generation, which collections skip; objects made later are collected as usual.
"""

from __future__ import annotations

import gc


def settle_startup_heap() -> None:
    """Collect what start-up left as garbage, then freeze the rest. Call once, when the
    process is ready to serve."""
    gc.collect()
    gc.freeze()
