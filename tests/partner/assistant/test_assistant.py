"""The assistant over a partner project's own records, in process on the real database
(row-level security on): retrieval answers cite every record they use; a model provider (a
fake OpenAI-compatible server, its own process) gets the same context; conversations and the
owner's log; another partner sees nothing; questions are throttled per partner."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass

import pytest

from libs.common.auth import Principal, Space
from libs.common.db import Database
from libs.common.pagination import PageParams
from services.partner.access import Caller, Side
from services.partner.assistant import service
from services.partner.assistant.schemas import ConversationCreate, Question
from services.partner.config import Settings
from services.partner.models import (
    AssistantMessage,
    Criterion,
    Partner,
    Phase,
    Project,
    Run,
    RunCase,
    RunTarget,
    SpecVersion,
)
from services.partner.traces.service import record_trace
from tools.partner_sandbox import serving
from tools.stack import Stack

FAKE_KEY = "sk-fake-assistant-3e9d"


@dataclass
class World:
    owner: Caller
    partner: Caller
    stranger: Caller
    project_id: uuid.UUID
    failing_case_id: uuid.UUID
    criterion_id: uuid.UUID


def caller(tenant: uuid.UUID, parent: uuid.UUID | None, perms: set[str]) -> Caller:
    space = Space.DEVELOPER if parent else Space.PROVIDER
    principal = Principal(
        subject=f"user-{tenant.hex[:6]}",
        tenant_id=tenant,
        space=space,
        roles=frozenset(),
        permissions=frozenset(perms),
        token_id="test",
        expires_at=0,
        parent_tenant_id=parent,
    )
    return Caller(principal, Side.PARTNER if parent else Side.OWNER)


@pytest.fixture
async def db(database: Stack) -> AsyncIterator[Database]:
    found = Database(database.service_dsn("partner"), schema="partner", pool_size=2)
    try:
        yield found
    finally:
        await found.dispose()


@pytest.fixture
async def world(db: Database) -> World:
    owner, partner, other_owner = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    async with db.transaction(system=True) as s:
        org = Partner(tenant_id=owner, customer_tenant_id=partner, name="ERP", created_by="t")
        blueprint = Project(tenant_id=owner, kind="blueprint", name="API", created_by="t")
        s.add_all([org, blueprint])
        await s.flush()
        project = Project(
            tenant_id=owner,
            customer_tenant_id=partner,
            kind="partner",
            name="ERP integration",
            partner_id=org.id,
            blueprint_id=blueprint.id,
            created_by="t",
        )
        s.add(project)
        await s.flush()
        mine = {"tenant_id": owner, "customer_tenant_id": partner, "project_id": project.id}
        spec = SpecVersion(
            **mine, number=1, format="json", openapi_version="3.1.0", title="API",
            api_version="1", document={}, size_bytes=2, sha256=hashlib.sha256(b"{}").hexdigest(),
            uploaded_by="t", uploaded_side="owner",
        )  # fmt: skip
        target = RunTarget(
            **mine, kind="sandbox", name="sb", base_url="https://sb.example", created_by="t"
        )
        s.add_all([spec, target])
        await s.flush()
        run = Run(
            **mine, target_id=target.id, target_kind="sandbox", spec_version_id=spec.id,
            status="failed", property_examples=0, total=2, done=2, passed=1, failed=1,
            errored=0, created_by="t",
        )  # fmt: skip
        s.add(run)
        await s.flush()
        failing = RunCase(
            tenant_id=owner, customer_tenant_id=partner, run_id=run.id, position=1,
            name="idempotent create replays", kind="golden", operation="POST /items",
            result="fail", message="create (POST /items): the replay with the same "
            "Idempotency-Key answered 201 with another body than the first 201",
            duration_ms=3.0, exchanges=[], log=[],
        )  # fmt: skip
        passing = RunCase(
            tenant_id=owner, customer_tenant_id=partner, run_id=run.id, position=2,
            name="list items", kind="golden", operation="GET /items", result="pass",
            message="", duration_ms=1.0, exchanges=[], log=[],
        )  # fmt: skip
        phase = Phase(**mine, position=1, name="UAT", created_by="t")
        s.add_all([failing, passing, phase])
        await s.flush()
        criterion = Criterion(
            **mine, phase_id=phase.id, title="UAT sign-off: all golden cases pass",
            description="Every golden case passes against the sandbox", status="open",
            created_by="t",
        )  # fmt: skip
        s.add(criterion)
        await record_trace(
            s, tenant_id=owner, customer_tenant_id=partner, project_id=project.id, source="run", run_id=run.id, operation="POST /items", method="POST",
            path="/items", status=201, summary="idempotent create replays / create (replay): fail",
        )  # fmt: skip
        await s.flush()
        return World(
            owner=caller(owner, None, {"partners:read", "partners:write"}),
            partner=caller(partner, owner, {"partner:read", "partner:write"}),
            stranger=caller(uuid.uuid4(), other_owner, {"partner:read", "partner:write"}),
            project_id=project.id,
            failing_case_id=failing.id,
            criterion_id=criterion.id,
        )


async def ask(
    db: Database, who: Caller, settings: Settings, conversation: uuid.UUID, q: str
) -> AssistantMessage:
    async with db.transaction(
        who.principal.tenant_id, parent_tenant_id=who.principal.parent_tenant_id
    ) as s:
        return await service.ask(s, who, settings, conversation, Question(question=q))


async def start(db: Database, who: Caller, project_id: uuid.UUID) -> uuid.UUID:
    async with db.transaction(
        who.principal.tenant_id, parent_tenant_id=who.principal.parent_tenant_id
    ) as s:
        row = await service.create_conversation(s, who, project_id, ConversationCreate())
        return row.id


async def test_retrieval_answers_cite_the_records_they_use(db: Database, world: World) -> None:
    settings = Settings()
    conversation = await start(db, world.partner, world.project_id)

    why = await ask(
        db, world.partner, settings, conversation, "Why is the idempotency test failing?"
    )
    assert why.provider == "retrieval"
    cited = {(c["kind"], c["id"]) for c in why.citations}
    assert ("failing_case", str(world.failing_case_id)) in cited
    assert why.answer.startswith("These records of the project match the question:")
    for citation in why.citations:  # every record used is cited, and every citation is used
        assert f"[{citation['n']}]" in why.answer
    assert "idempotent create replays" in why.answer and "list items" not in why.answer

    left = await ask(db, world.partner, settings, conversation, "What remains before UAT sign-off?")
    assert ("plan_item", str(world.criterion_id)) in {(c["kind"], c["id"]) for c in left.citations}
    assert "UAT sign-off: all golden cases pass" in left.answer

    async with db.transaction(
        world.partner.principal.tenant_id, parent_tenant_id=world.owner.principal.tenant_id
    ) as s:
        rows, _ = await service.list_messages(s, world.partner, conversation, PageParams())
    assert [r.question for r in rows] == [
        "Why is the idempotency test failing?",
        "What remains before UAT sign-off?",
    ]


@pytest.fixture(scope="module")
def fake_openai() -> Iterator[str]:
    with serving("tests.partner.assistant.fake_openai:app", {"FAKE_OPENAI_KEY": FAKE_KEY}) as url:
        yield url


async def test_a_model_provider_gets_the_same_context_and_the_owner_reads_the_log(
    db: Database, world: World, fake_openai: str
) -> None:
    settings = Settings(
        assistant_provider_url=fake_openai, assistant_api_key=FAKE_KEY, assistant_model="tiny-1"
    )
    conversation = await start(db, world.partner, world.project_id)
    first = await ask(db, world.partner, settings, conversation, "why does idempotency fail")
    second = await ask(db, world.partner, settings, conversation, "and the plan?")

    assert first.provider == "model" and first.answer.startswith("model=tiny-1 turns=2")
    # the model got the retrieved records, numbered as the citations are
    failing = next(c for c in first.citations if c["kind"] == "failing_case")
    assert f"[{failing['n']}] Failing case 'idempotent create replays'" in first.answer
    assert "Question: why does idempotency fail" in first.answer
    assert second.answer.startswith("model=tiny-1 turns=4")  # the earlier turn went along

    async with db.transaction(world.owner.principal.tenant_id) as s:
        log, _ = await service.assistant_log(s, world.owner, world.project_id, PageParams())
    logged = {m.question: m for m in log}
    assert logged["why does idempotency fail"].prompt.endswith(
        "Question: why does idempotency fail"
    )
    assert "idempotent create replays" in logged["why does idempotency fail"].prompt
    assert FAKE_KEY not in "".join(m.prompt + m.answer for m in log)


async def test_another_partner_sees_nothing_and_questions_are_throttled(
    db: Database, world: World
) -> None:
    conversation = await start(db, world.partner, world.project_id)
    stranger = world.stranger.principal
    async with db.transaction(stranger.tenant_id, parent_tenant_id=stranger.parent_tenant_id) as s:
        with pytest.raises(service.ConversationNotFound):
            await service.get_conversation(s, world.stranger, conversation)
        with pytest.raises(service.ConversationNotFound):
            await service.ask(s, world.stranger, Settings(), conversation, Question(question="x"))

    throttled = Settings(assistant_per_hour=1)
    await ask(db, world.partner, throttled, conversation, "first question")
    with pytest.raises(service.AssistantThrottled) as refused:
        await ask(db, world.partner, throttled, conversation, "second question")
    assert 3500 <= int(refused.value.headers["Retry-After"]) <= 3601
