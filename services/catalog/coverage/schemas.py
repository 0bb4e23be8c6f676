from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from libs.common.elevation import Sensitive
from services.catalog.coverage.hours import BusinessHours
from services.catalog.web import Body, Schema

Severity = Literal["critical", "high", "medium", "low"]
Assignable = Literal["dealer", "distributor", "manufacturer", "service_provider"]
TicketStatus = Literal["open", "acknowledged", "resolved", "closed"]


class SlaTarget(BaseModel):
    response_minutes: int = Field(gt=0)
    resolve_minutes: int = Field(gt=0)


DEFAULT_SLA: dict[Severity, SlaTarget] = {
    "critical": SlaTarget(response_minutes=60, resolve_minutes=8 * 60),
    "high": SlaTarget(response_minutes=4 * 60, resolve_minutes=24 * 60),
    "medium": SlaTarget(response_minutes=8 * 60, resolve_minutes=48 * 60),
    "low": SlaTarget(response_minutes=24 * 60, resolve_minutes=120 * 60),
}


class Eligibility(BaseModel):
    required_certifications: list[str] = []
    match_territory: bool = Field(
        default=True, description="The org's regions must cover the equipment's region"
    )
    applies_to: list[Assignable] = ["dealer", "distributor", "service_provider"]


class EscalationStep(BaseModel):
    trigger: Literal["response", "resolve"] = Field(
        default="response", description="Which SLA target's breach moves the ticket up"
    )
    max_levels: int = Field(default=5, ge=0, description="How many times it may move up")


def _default_escalation() -> dict[Severity, EscalationStep]:
    return {s: EscalationStep() for s in DEFAULT_SLA}


class PolicyRules(BaseModel):
    """The policy DSL: who is responsible, who is eligible, how fast, and what happens when
    the target passes."""

    assignment_order: list[Assignable] = ["dealer", "distributor", "manufacturer"]
    eligibility: Eligibility = Eligibility()
    sla: dict[Severity, SlaTarget] = Field(default_factory=lambda: dict(DEFAULT_SLA))
    business_hours: BusinessHours | None = Field(
        default=None, description="None: the SLA clock runs around the clock"
    )
    escalation: dict[Severity, EscalationStep] = Field(default_factory=_default_escalation)


class ServicePolicy(Schema):
    id: uuid.UUID
    name: str
    scope: Literal["global", "org", "manufacturer"]
    org_id: uuid.UUID | None
    enabled: bool
    rules: dict[str, Any]
    version: int
    created_at: datetime
    updated_at: datetime


class ServicePolicyPut(Body):
    name: str = Field(min_length=1, max_length=255)
    scope: Literal["global", "org", "manufacturer"]
    org_id: uuid.UUID | None = Field(
        default=None, description="org: the equipment owner's org; manufacturer: its maker"
    )
    enabled: bool = True
    rules: PolicyRules = PolicyRules()


class Engineer(Schema):
    id: uuid.UUID
    name: str
    org_id: uuid.UUID | None
    skills: list[str]
    certifications: list[str]
    regions: list[str]
    available: bool
    version: int
    created_at: datetime


class EngineerCreate(Body):
    name: str = Field(min_length=1, max_length=255)
    org_id: uuid.UUID | None = Field(default=None, description="None: the internal pool")
    skills: list[str] = []
    certifications: list[str] = []
    regions: list[str] = []
    available: bool = True


class ReporterCreate(Body):
    name: str | None = Field(default=None, max_length=255)
    email: str | None = Field(default=None, max_length=320)
    phone: str | None = Field(default=None, max_length=50)


class Reporter(BaseModel):
    """Who reported a QR ticket, as answered: email and phone masked for an impersonator
    (a user's ticket has no reporter: every field null)."""

    name: str | None = None
    email: Sensitive | None = None
    phone: Sensitive | None = None


class TicketCreate(Body):
    equipment_id: uuid.UUID | None = None
    serial_number: str | None = Field(default=None, max_length=120)
    severity: Severity = "medium"
    subject: str = Field(min_length=1, max_length=255)
    description: str | None = Field(default=None, max_length=10_000)


class QrTicketCreate(Body):
    severity: Severity = "medium"
    subject: str = Field(min_length=1, max_length=255)
    description: str | None = Field(default=None, max_length=10_000)
    reporter: ReporterCreate = ReporterCreate()


class Ticket(Schema):
    id: uuid.UUID
    equipment_id: uuid.UUID | None
    source: Literal["qr", "user"]
    severity: Severity
    subject: str
    description: str | None
    reporter: Reporter
    created_by: str | None
    status: TicketStatus
    responsible_org_id: uuid.UUID | None
    assigned_engineer_id: uuid.UUID | None
    coverage_policy_id: uuid.UUID | None
    provenance: dict[str, Any]
    escalation_path: list[str]
    level: int
    response_due_at: datetime | None
    resolve_due_at: datetime | None
    acknowledged_at: datetime | None
    breached: bool
    version: int
    created_at: datetime


class QrTicketReceipt(BaseModel):
    """What someone who scanned a QR code learns: the ticket exists and when to expect a
    response (nothing about who is responsible)."""

    ticket_id: uuid.UUID
    status: TicketStatus
    response_due_at: datetime | None


class TicketEscalation(Schema):
    id: uuid.UUID
    level: int
    from_org_id: uuid.UUID | None
    to_org_id: uuid.UUID | None
    reason: str
    escalated_at: datetime


class AssignRequest(Body):
    engineer_id: uuid.UUID
