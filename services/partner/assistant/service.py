"""The assistant: questions over one partner project's own records.

"Why is the idempotency test failing?", "What remains before UAT sign-off?": the question's
words are matched (Postgres full-text search) against the project's latest failing cases,
open plan items, traces and evidence; the best records are the context. Without a model
provider the answer is that context, each record cited ([1], [2]...). With one configured
(`assistant_provider_url`: any OpenAI-compatible endpoint) the same context and question are
sent to it and its answer is kept, with the same citations. Every question is a message of a
conversation kept per project, with the prompt as sent, which the owner reads in the log.
Throttled per partner (`assistant_per_hour`).
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.errors import NotFound, RateLimited
from libs.common.pagination import PageParams, paginate
from services.partner.access import Caller
from services.partner.assistant import repository as repo
from services.partner.assistant.schemas import Citation, ConversationCreate, Question
from services.partner.config import Settings
from services.partner.models import AssistantMessage, Conversation
from services.partner.projects import service as projects

PER_KIND = 4
WINDOW = timedelta(hours=1)
_STOP = {
    "the", "and", "for", "why", "what", "how", "does", "did", "is", "are", "was", "this",
    "that", "with", "before", "after", "our", "its", "from", "there", "which", "when", "who",
    "test", "tests", "failing", "fail", "still", "remains", "remain", "left",
}  # fmt: skip
KIND_LABEL = {
    "failing_case": "Failing case",
    "plan_item": "Open plan item",
    "trace": "Trace",
    "evidence": "Evidence",
}
SYSTEM = (
    "You help an integration partner finish its integration with an API owner. Answer only "
    "from the numbered records given; cite each record you use as [n]; say so when the "
    "records do not answer the question."
)


class ConversationNotFound(NotFound):
    code = "conversation_not_found"
    title = "Conversation not found"


class AssistantThrottled(RateLimited):
    code = "assistant_throttled"
    title = "This partner has asked its quota of questions for the hour"


def words_of(question: str) -> list[str]:
    found = re.findall(r"[a-z0-9]+", question.lower())
    # "idempotency" also matches "idempotent": a prefix query on the first 8 letters
    out = [f"{w[:8]}:*" if len(w) > 8 else w for w in found if len(w) >= 3 and w not in _STOP]
    return list(dict.fromkeys(out))[:20]


async def create_conversation(
    session: AsyncSession, caller: Caller, project_id: uuid.UUID, data: ConversationCreate
) -> Conversation:
    project = await projects.get_partner_project(session, caller, project_id)
    assert project.customer_tenant_id is not None
    row = Conversation(
        tenant_id=project.tenant_id,
        customer_tenant_id=project.customer_tenant_id,
        project_id=project.id,
        title=data.title,
        created_by=caller.subject,
    )
    session.add(row)
    await session.flush()
    return row


async def list_conversations(
    session: AsyncSession, caller: Caller, project_id: uuid.UUID, page: PageParams
) -> tuple[list[Any], str | None]:
    await projects.get_partner_project(session, caller, project_id)
    stmt = repo.conversations_query(caller.principal, project_id)
    return await paginate(session, stmt, page, keys=[Conversation.id])


async def get_conversation(
    session: AsyncSession, caller: Caller, conversation_id: uuid.UUID
) -> Conversation:
    found = await repo.get_conversation(session, caller.principal, conversation_id)
    if found is None:
        raise ConversationNotFound(f"Conversation {conversation_id} not found")
    return found


async def list_messages(
    session: AsyncSession, caller: Caller, conversation_id: uuid.UUID, page: PageParams
) -> tuple[list[Any], str | None]:
    conversation = await get_conversation(session, caller, conversation_id)
    stmt = repo.messages_query(caller.principal).where(
        AssistantMessage.conversation_id == conversation.id
    )
    return await paginate(session, stmt, page, keys=[AssistantMessage.id], descending=False)


async def assistant_log(
    session: AsyncSession, caller: Caller, project_id: uuid.UUID, page: PageParams
) -> tuple[list[Any], str | None]:
    """Every prompt and answer of the project, newest first (the owner's view)."""
    await projects.get_partner_project(session, caller, project_id)
    stmt = repo.messages_query(caller.principal).where(AssistantMessage.project_id == project_id)
    return await paginate(session, stmt, page, keys=[AssistantMessage.id])


async def ask(
    session: AsyncSession,
    caller: Caller,
    settings: Settings,
    conversation_id: uuid.UUID,
    data: Question,
    http: httpx.AsyncClient | None = None,
) -> AssistantMessage:
    conversation = await get_conversation(session, caller, conversation_id)
    await _throttle(session, settings, conversation.customer_tenant_id)
    records = await repo.retrieve(
        session, caller.principal, conversation.project_id, words_of(data.question), PER_KIND
    )
    records.sort(key=lambda r: r.rank, reverse=True)
    citations = [
        Citation(n=n, kind=r.kind, id=r.id, title=r.title) for n, r in enumerate(records, 1)
    ]
    context = "\n".join(
        f"[{c.n}] {KIND_LABEL[r.kind]} {r.title!r}: {r.text[:600]}"
        for c, r in zip(citations, records, strict=True)
    )
    earlier = await repo.history(session, conversation.id, 4)
    prompt = f"Records of this project:\n{context or '(none)'}\n\nQuestion: {data.question}"
    provider, answer = "retrieval", _retrieval_answer(records, citations)
    if settings.assistant_provider_url:
        answer = await _model_answer(settings, earlier, prompt, http)
        provider = "model"
    message = AssistantMessage(
        tenant_id=conversation.tenant_id,
        customer_tenant_id=conversation.customer_tenant_id,
        project_id=conversation.project_id,
        conversation_id=conversation.id,
        question=data.question,
        answer=answer,
        citations=[c.model_dump(mode="json") for c in citations],
        provider=provider,
        prompt=f"{SYSTEM}\n\n{prompt}",
        asked_by=caller.subject,
        created_at=datetime.now(UTC),
    )
    session.add(message)
    await session.flush()
    return message


def _retrieval_answer(records: list[repo.Record], citations: list[Citation]) -> str:
    if not records:
        return "This project has no failing cases, open plan items, traces or evidence yet."
    matched = [r for r in records if r.rank > 0]
    head = (
        "These records of the project match the question:"
        if matched
        else "Nothing matches the question's words; the project's most pressing records:"
    )
    lines = [
        f"[{c.n}] {KIND_LABEL[r.kind]} {r.title!r}: {r.text[:300]}"
        for c, r in zip(citations, records, strict=True)
    ]
    return "\n".join([head, *lines])


async def _model_answer(
    settings: Settings,
    earlier: list[AssistantMessage],
    prompt: str,
    http: httpx.AsyncClient | None,
) -> str:
    messages: list[dict[str, str]] = [{"role": "system", "content": SYSTEM}]
    for old in earlier:
        messages += [
            {"role": "user", "content": old.question},
            {"role": "assistant", "content": old.answer},
        ]
    messages.append({"role": "user", "content": prompt})
    headers = {}
    if settings.assistant_api_key:
        headers["Authorization"] = f"Bearer {settings.assistant_api_key}"
    url = f"{settings.assistant_provider_url.rstrip('/')}/chat/completions"
    body = {"model": settings.assistant_model, "messages": messages}
    async with httpx.AsyncClient(timeout=settings.assistant_timeout_seconds) as own:
        client = http or own
        response = await client.post(url, json=body, headers=headers)
    response.raise_for_status()
    return str(response.json()["choices"][0]["message"]["content"])


async def _throttle(session: AsyncSession, settings: Settings, partner: uuid.UUID) -> None:
    now = datetime.now(UTC)
    asked = await repo.asked_since(session, partner, now - WINDOW)
    if len(asked) >= settings.assistant_per_hour:
        oldest = asked[len(asked) - settings.assistant_per_hour]
        retry = max(1, int((oldest + WINDOW - now).total_seconds()) + 1)
        raise AssistantThrottled(
            f"{settings.assistant_per_hour} questions an hour; ask again in {retry} s",
            headers={"Retry-After": str(retry)},
        )
