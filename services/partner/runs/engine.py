"""The golden-run engine: runs a suite of cases against a target and records each one.

Pure: no database, no job queue. Given a spec (a dict), the owner's golden cases and a target
(a base URL and the credentials to send), it runs

- every golden case, step by step (see `cases.py`), checking each answer's status, its body
  against the spec's response schema, and the values the step expects;
- generated property-based cases: schemathesis, used as a library, draws a bounded number of
  valid requests per operation (deterministically, so a failure reproduces) and checks that
  each answer is no 5xx and has a documented status, content type and schema. One result per
  operation.

Requests go out over httpx (the caller may hand in its own client: the service passes one
whose transport refuses non-public addresses). Each case records its result (pass, fail, or
error when the target could not be asked: unreachable, a template naming a step that did not
run, an operation the spec does not have), its requests and answers (bounded, secrets
redacted), its duration and a log.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Literal
from urllib.parse import quote

import httpx
import orjson
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from pydantic import BaseModel, Field
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Err
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from services.partner.runs.cases import GoldenCase, GoldenStep, Scope, TemplateError
from services.partner.runs.redact import Redactor, bounded

Result = Literal["pass", "fail", "error"]
OnCase = Callable[["CaseResult", int, int], Awaitable[None]]

PROPERTY_CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
MAX_EXCHANGES = 5
MAX_LOG_LINES = 60
USER_AGENT = "weft-partner-runs/1"


class Target(BaseModel):
    """Where a run sends its requests, and the credentials it sends (never recorded)."""

    base_url: str
    headers: dict[str, str] = Field(default_factory=dict)
    query: dict[str, str] = Field(default_factory=dict)
    timeout: float = 10.0

    def secrets(self) -> list[str]:
        values = [*self.headers.values(), *self.query.values()]
        # "Bearer abc": the token alone must go too, wherever it is echoed
        return values + [v.split(" ", 1)[1] for v in values if " " in v]


class SuiteOptions(BaseModel):
    property_examples: int = Field(default=5, ge=0, le=50)
    property_operations: list[str] | None = None  # operation ids or labels; None: all
    concurrency: int = Field(default=8, ge=1, le=32)


class RecordedRequest(BaseModel):
    method: str
    url: str
    headers: dict[str, str]
    body: str | None = None


class RecordedResponse(BaseModel):
    status: int
    headers: dict[str, str]
    body: str | None = None


class Exchange(BaseModel):
    step: str
    request: RecordedRequest
    response: RecordedResponse | None = None
    duration_ms: float


class CaseResult(BaseModel):
    name: str
    kind: Literal["golden", "property"]
    operation: str | None = None
    result: Result
    message: str = ""
    exchanges: list[Exchange] = Field(default_factory=list)
    duration_ms: float = 0.0
    log: list[str] = Field(default_factory=list)


class RunReport(BaseModel):
    cases: list[CaseResult]
    duration_ms: float

    def count(self, result: Result) -> int:
        return sum(1 for c in self.cases if c.result == result)


class _Failed(Exception):
    """A check did not hold: the case fails with this message."""


class _Recorder:
    """Collects one case's exchanges and log lines, within their bounds."""

    def __init__(self, redactor: Redactor) -> None:
        self.redactor = redactor
        self.exchanges: list[Exchange] = []
        self.log: list[str] = []
        self.operation: str | None = None  # the operation of the step that ran last

    def line(self, text: str) -> None:
        if len(self.log) < MAX_LOG_LINES:
            self.log.append(bounded(self.redactor.text(text), 1000))
        elif len(self.log) == MAX_LOG_LINES:
            self.log.append("... log cut")

    def exchange(
        self, step: str, request: httpx.Request, response: httpx.Response | None, ms: float
    ) -> None:
        if len(self.exchanges) >= MAX_EXCHANGES:
            return
        r = self.redactor
        recorded = RecordedRequest(
            method=request.method,
            url=r.url(str(request.url)),
            headers=r.headers(request.headers),
            body=r.body(request.content) if request.content else None,
        )
        answer = None
        if response is not None:
            answer = RecordedResponse(
                status=response.status_code,
                headers=r.headers(response.headers),
                body=r.body(response.content) if response.content else None,
            )
        self.exchanges.append(
            Exchange(step=step, request=recorded, response=answer, duration_ms=ms)
        )


def _failure_text(exc: BaseException) -> list[str]:
    group = exc.exceptions if isinstance(exc, BaseExceptionGroup) else (exc,)
    out = []
    for failure in group:
        title = getattr(failure, "title", type(failure).__name__)
        message = str(getattr(failure, "message", "") or failure).strip().split("\n", 1)[0]
        out.append(f"{title}: {message}" if message else str(title))
    return out


def _json(response: httpx.Response) -> Any:
    if not response.content:
        return None
    try:
        return orjson.loads(response.content)
    except orjson.JSONDecodeError:
        return response.text


class Engine:
    def __init__(
        self,
        spec: dict[str, Any],
        target: Target,
        *,
        client: httpx.AsyncClient | None = None,
        options: SuiteOptions | None = None,
    ) -> None:
        self.spec = spec
        self.schema = schemathesis.openapi.from_dict(spec)
        self.target = target
        self.options = options or SuiteOptions()
        self.redactor = Redactor(target.secrets())
        self._client = client

    async def run(self, golden: Sequence[GoldenCase], on_case: OnCase | None = None) -> RunReport:
        started = time.perf_counter()
        generated = await asyncio.to_thread(self.generate)
        jobs: list[Callable[[httpx.AsyncClient], Awaitable[CaseResult]]] = []
        jobs += [functools.partial(self.run_golden, case=case) for case in golden]
        jobs += [
            functools.partial(self.run_property, label=label, drawn=drawn)
            for label, drawn in generated
        ]
        results: list[CaseResult | None] = [None] * len(jobs)
        done = 0
        gate = asyncio.Semaphore(self.options.concurrency)
        report_lock = asyncio.Lock()

        async def one(index: int, client: httpx.AsyncClient) -> None:
            nonlocal done
            async with gate:
                result = await jobs[index](client)
            async with report_lock:
                results[index] = result
                done += 1
                if on_case is not None:
                    await on_case(result, done, len(jobs))

        async with contextlib.AsyncExitStack() as stack:
            client = self._client
            if client is None:
                client = await stack.enter_async_context(
                    httpx.AsyncClient(timeout=self.target.timeout, follow_redirects=False)
                )
            await asyncio.gather(*(one(i, client) for i in range(len(jobs))))
        cases = [r for r in results if r is not None]
        return RunReport(cases=cases, duration_ms=(time.perf_counter() - started) * 1000)

    # -- golden cases -------------------------------------------------------------------

    async def run_golden(self, client: httpx.AsyncClient, case: GoldenCase) -> CaseResult:
        started = time.perf_counter()
        rec = _Recorder(self.redactor)
        scope = Scope()
        result: Result = "pass"
        message = ""
        try:
            for step in case.steps:
                await self._golden_step(client, step, scope, rec)
        except _Failed as exc:
            result, message = "fail", str(exc)
        except (TemplateError, httpx.HTTPError, _Unknown) as exc:
            result, message = "error", f"{type(exc).__name__}: {exc}"
        if message:
            rec.line(message)
        return CaseResult(
            name=case.name,
            kind="golden",
            operation=rec.operation,
            result=result,
            message=self.redactor.text(message),
            exchanges=rec.exchanges,
            duration_ms=(time.perf_counter() - started) * 1000,
            log=rec.log,
        )

    async def _golden_step(
        self, client: httpx.AsyncClient, step: GoldenStep, scope: Scope, rec: _Recorder
    ) -> None:
        op = self._operation(step)
        method = step.method or (op.method.upper() if op is not None else "GET")
        path = step.path or (op.path if op is not None else "/")
        label = f"{method} {path}"
        rec.operation = label
        params = scope.render(step.path_params)
        url_path = path
        for key, value in params.items():
            url_path = url_path.replace("{" + key + "}", quote(str(value), safe=""))
        headers = {k: str(v) for k, v in scope.render(step.headers).items()}
        if step.idempotency_key:
            headers["Idempotency-Key"] = str(scope.render(step.idempotency_key))
        if step.if_match:
            headers["If-Match"] = str(scope.render(step.if_match))
        body = scope.render(step.body)
        request = self._request(method, url_path, scope.render(step.query), headers, body)
        response = await self._send(client, step.name, request, rec)
        if response.status_code not in step.expect_status:
            raise _Failed(
                f"{step.name} ({label}): expected status "
                f"{' or '.join(map(str, step.expect_status))}, got {response.status_code}"
            )
        if step.check_schema and op is not None:
            case = op.Case(path_parameters={k: str(v) for k, v in params.items()})
            self._check(case, response, [response_schema_conformance], step.name, label)
        answer = _json(response)
        scope.record(step.name, response.status_code, dict(response.headers), answer)
        for expression, expected in scope.render(step.expect_body).items():
            actual = scope.lookup(f"{step.name}.{expression}")
            if actual != expected:
                raise _Failed(
                    f"{step.name} ({label}): {expression} is {actual!r}, expected {expected!r}"
                )
        if step.replay:
            again = await self._send(client, f"{step.name} (replay)", request, rec)
            if again.status_code != response.status_code or _json(again) != answer:
                raise _Failed(
                    f"{step.name} ({label}): the replay with the same Idempotency-Key answered "
                    f"{again.status_code} with another body than the first {response.status_code}"
                )
            rec.line(f"{step.name}: replay answered the same {again.status_code} and body")

    def _operation(self, step: GoldenStep) -> Any:
        if step.operation_id is not None:
            try:
                return self.schema.find_operation_by_id(step.operation_id)
            except Exception:
                raise _Unknown(f"the spec has no operation {step.operation_id!r}") from None
        assert step.method is not None and step.path is not None
        return self.schema.find_operation_by_path(step.method.lower(), step.path)

    # -- property-based cases -----------------------------------------------------------

    def generate(self) -> list[tuple[str, list[Any] | str]]:
        """Draw the bounded examples per operation (sync: hypothesis runs in a thread)."""
        if self.options.property_examples == 0:
            return []
        wanted = set(self.options.property_operations or [])
        out: list[tuple[str, list[Any] | str]] = []
        for item in self.schema.get_all_operations():
            if isinstance(item, Err):
                error = item.err()
                out.append((getattr(error, "path", None) or "operation", f"invalid: {error}"))
                continue
            op = item.ok()
            op_id = op.definition.raw.get("operationId")
            if wanted and op.label not in wanted and op_id not in wanted:
                continue
            responses = op.definition.raw.get("responses", {})
            if any("text/event-stream" in (r or {}).get("content", {}) for r in responses.values()):
                continue  # a stream never ends: no answer to validate
            out.append((op.label, self._draw(op)))
        return out

    def _draw(self, op: Any) -> list[Any]:
        drawn: list[Any] = []

        @settings(
            max_examples=self.options.property_examples,
            deadline=None,
            derandomize=True,
            database=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=op.as_strategy(generation_mode=GenerationMode.POSITIVE))
        def collect(case: Any) -> None:
            drawn.append(case)

        with contextlib.suppress(Unsatisfiable):  # an operation with nothing to draw
            collect()
        return drawn[: self.options.property_examples]

    async def run_property(
        self, client: httpx.AsyncClient, label: str, drawn: list[Any] | str
    ) -> CaseResult:
        started = time.perf_counter()
        rec = _Recorder(self.redactor)
        if isinstance(drawn, str):  # the spec's operation is broken: nothing can be drawn
            return CaseResult(
                name=f"property: {label}", kind="property", result="error", message=drawn
            )
        failures: list[str] = []
        errors: list[str] = []
        for index, case in enumerate(drawn, 1):
            step = f"example {index}"
            request = self._from_case(case)
            kept = len(rec.exchanges)
            try:
                response = await self._send(client, step, request, rec)
            except httpx.HTTPError as exc:
                errors.append(f"{step}: {type(exc).__name__}: {exc}")
                continue
            try:
                self._check(case, response, PROPERTY_CHECKS, step, label, request.headers)
            except _Failed as exc:
                failures.append(str(exc))
                continue
            if index > 1 and len(rec.exchanges) > kept:
                rec.exchanges.pop()  # keep failing exchanges (and the first), not every pass
        if not drawn:
            rec.line("no valid request could be generated for this operation")
        result: Result = "error" if errors and not failures else "fail" if failures else "pass"
        unique = list(dict.fromkeys(failures + errors))
        return CaseResult(
            name=f"property: {label}",
            kind="property",
            operation=label,
            result=result,
            message=self.redactor.text("; ".join(unique[:3])),
            exchanges=rec.exchanges,
            duration_ms=(time.perf_counter() - started) * 1000,
            log=rec.log,
        )

    def _from_case(self, case: Any) -> httpx.Request:
        kwargs = case.as_transport_kwargs(base_url=self.target.base_url)
        headers = {k: str(v) for k, v in (kwargs.get("headers") or {}).items()}
        headers.pop("X-Schemathesis-TestCaseId", None)
        cookies = kwargs.get("cookies") or {}
        if cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
        headers.update(self.target.headers)
        headers["User-Agent"] = USER_AGENT
        params = {**(kwargs.get("params") or {}), **self.target.query}
        content: bytes | None = None
        if "json" in kwargs:
            content = orjson.dumps(kwargs["json"])
            headers.setdefault("Content-Type", "application/json")
        elif kwargs.get("data") is not None:
            data = kwargs["data"]
            content = (
                data.encode()
                if isinstance(data, str)
                else data
                if isinstance(data, bytes)
                else None
            )
        return httpx.Request(
            kwargs["method"], kwargs["url"], params=params, headers=headers, content=content
        )

    # -- shared -------------------------------------------------------------------------

    def _request(
        self, method: str, path: str, query: dict[str, Any], headers: dict[str, str], body: Any
    ) -> httpx.Request:
        merged = {"User-Agent": USER_AGENT, **headers, **self.target.headers}
        content = None
        if body is not None:
            content = orjson.dumps(body)
            merged.setdefault("Content-Type", "application/json")
        url = self.target.base_url.rstrip("/") + path
        params = {**{k: str(v) for k, v in query.items()}, **self.target.query}
        return httpx.Request(method, url, params=params, headers=merged, content=content)

    async def _send(
        self, client: httpx.AsyncClient, step: str, request: httpx.Request, rec: _Recorder
    ) -> httpx.Response:
        started = time.perf_counter()
        try:
            response = await client.send(request)
        except httpx.HTTPError as exc:
            ms = (time.perf_counter() - started) * 1000
            rec.exchange(step, request, None, ms)
            rec.line(f"{step}: {request.method} {request.url.path} -> {type(exc).__name__}: {exc}")
            raise
        ms = (time.perf_counter() - started) * 1000
        rec.exchange(step, request, response, ms)
        rec.line(
            f"{step}: {request.method} {request.url.path} -> {response.status_code} ({ms:.0f} ms)"
        )
        return response

    def _check(
        self,
        case: Any,
        response: httpx.Response,
        checks: list[Any],
        step: str,
        label: str,
        headers: Any = None,
    ) -> None:
        try:
            case.validate_response(
                response, checks=checks, headers=dict(headers) if headers is not None else None
            )
        except (AssertionError, BaseExceptionGroup) as exc:
            found = "; ".join(_failure_text(exc))
            raise _Failed(f"{step} ({label}) -> {response.status_code}: {found}") from None


class _Unknown(LookupError):
    """The case names an operation the spec does not have."""


async def run_suite(
    spec: dict[str, Any],
    target: Target,
    golden: Sequence[GoldenCase] = (),
    *,
    options: SuiteOptions | None = None,
    client: httpx.AsyncClient | None = None,
    on_case: OnCase | None = None,
) -> RunReport:
    engine = Engine(spec, target, client=client, options=options)
    return await engine.run(golden, on_case)
