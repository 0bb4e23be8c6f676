"""The assistant of a partner project: conversations, questions, the owner's log."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request

from libs.common.deps import TenantSession
from libs.common.pagination import Page, PageQuery
from services.partner.access import OwnerReader, Reader, Writer, errors
from services.partner.assistant import service
from services.partner.assistant.schemas import (
    Conversation,
    ConversationCreate,
    LoggedMessage,
    Message,
    Question,
)
from services.partner.projects.service import NotAPartnerProject, ProjectNotFound

router = APIRouter(tags=["assistant"])
_PROJECT = (ProjectNotFound, NotAPartnerProject)


@router.post(
    "/projects/{project_id}/conversations",
    status_code=201,
    response_model=Conversation,
    summary="Start a conversation with the project's assistant",
    responses=errors(422, *_PROJECT),
)
async def create_conversation(
    caller: Writer, session: TenantSession, project_id: uuid.UUID, body: ConversationCreate
) -> Conversation:
    row = await service.create_conversation(session, caller, project_id, body)
    return Conversation.model_validate(row)


@router.get(
    "/projects/{project_id}/conversations",
    response_model=Page[Conversation],
    summary="The project's conversations, newest first",
    responses=errors(400, *_PROJECT),
)
async def list_conversations(
    caller: Reader, session: TenantSession, project_id: uuid.UUID, page: PageQuery
) -> Page[Conversation]:
    rows, cursor = await service.list_conversations(session, caller, project_id, page)
    return Page(items=[Conversation.model_validate(r) for r in rows], next_cursor=cursor)


@router.post(
    "/conversations/{conversation_id}/messages",
    status_code=201,
    response_model=Message,
    summary="Ask a question; the answer cites every record of the project it used",
    responses=errors(422, service.ConversationNotFound, service.AssistantThrottled),
)
async def ask_question(
    caller: Writer,
    session: TenantSession,
    request: Request,
    conversation_id: uuid.UUID,
    body: Question,
) -> Message:
    settings = request.app.state.settings
    row = await service.ask(session, caller, settings, conversation_id, body)
    return Message.model_validate(row)


@router.get(
    "/conversations/{conversation_id}/messages",
    response_model=Page[Message],
    summary="The conversation's questions and answers, oldest first",
    responses=errors(400, service.ConversationNotFound),
)
async def list_messages(
    caller: Reader, session: TenantSession, conversation_id: uuid.UUID, page: PageQuery
) -> Page[Message]:
    rows, cursor = await service.list_messages(session, caller, conversation_id, page)
    return Page(items=[Message.model_validate(r) for r in rows], next_cursor=cursor)


@router.get(
    "/projects/{project_id}/assistant-log",
    response_model=Page[LoggedMessage],
    summary="Every prompt and answer of the project's assistant, newest first (the owner's)",
    responses=errors(400, *_PROJECT),
)
async def list_assistant_log(
    caller: OwnerReader, session: TenantSession, project_id: uuid.UUID, page: PageQuery
) -> Page[LoggedMessage]:
    rows, cursor = await service.assistant_log(session, caller, project_id, page)
    return Page(items=[LoggedMessage.model_validate(r) for r in rows], next_cursor=cursor)
