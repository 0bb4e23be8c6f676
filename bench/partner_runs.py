"""Partner golden runs: `python -m bench.partner_runs` (pdiff's bench/partner_bench.py calls
`bench_golden_run()` too).

A 200-case golden run (the sandbox suite of tools.partner_sandbox, 40 times over: create then
read, Idempotency-Key replays, If-Match conflicts, 404s, lists; about 420 requests) plus
generated property cases (5 per operation) against the sandbox started as a real uvicorn
process, through the engine with its checks and records. Target: < 60 s. The floor: the same
number of requests sent bare with httpx at the same concurrency, no checks, no records.
"""

from __future__ import annotations

import asyncio
import time

import httpx

from services.partner.runs.cases import GoldenCase
from services.partner.runs.engine import SuiteOptions, Target, run_suite
from tools.partner_sandbox import SPEC, golden_cases, running_sandbox

CASES = 200


async def _golden(url: str, token: str) -> tuple[float, int, int]:
    suite = [
        GoldenCase.model_validate(case)
        for n in range(CASES // len(golden_cases()))
        for case in golden_cases(prefix=f"#{n} ")
    ]
    target = Target(base_url=url, headers={"Authorization": f"Bearer {token}"})
    started = time.perf_counter()
    report = await run_suite(SPEC, target, suite, options=SuiteOptions(property_examples=5))
    seconds = time.perf_counter() - started
    requests = sum(len(c.exchanges) for c in report.cases if c.kind == "golden")
    assert report.count("fail") == 0 and report.count("error") == 0, "the clean sandbox failed"
    return seconds, len(report.cases), requests


async def _floor(url: str, token: str, requests: int) -> float:
    headers = {"Authorization": f"Bearer {token}"}
    gate = asyncio.Semaphore(SuiteOptions().concurrency)
    async with httpx.AsyncClient(base_url=url, headers=headers) as client:

        async def pair() -> None:
            async with gate:
                made = await client.post("/items", json={"name": "floor", "price": 1})
                await client.get(f"/items/{made.json()['id']}")

        started = time.perf_counter()
        await asyncio.gather(*(pair() for _ in range(requests // 2)))
        return time.perf_counter() - started


def bench_golden_run() -> None:
    with running_sandbox() as sandbox:
        seconds, cases, requests = asyncio.run(_golden(sandbox.url, sandbox.token))
        floor = asyncio.run(_floor(sandbox.url, sandbox.token, requests))
    print(
        f"golden run: {cases} cases ({CASES} golden, {cases - CASES} property), "
        f"{requests} golden requests: {seconds:.2f} s (target < 60 s)"
    )
    print(f"floor (the same number of bare requests): {floor:.2f} s; ratio {seconds / floor:.1f}x")


def main() -> None:
    bench_golden_run()


if __name__ == "__main__":
    main()
