from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from libs.common.elevation import Sensitive
from libs.common.freejson import FreeJson
from services.catalog.web import Body, Schema

OrgType = Literal[
    "manufacturer", "distributor", "dealer", "supplier", "service_provider", "hospital"
]
OrgStatus = Literal["active", "inactive", "suspended"]
RelationType = Literal["distributor_of", "dealer_of", "supplier_of", "partner_of"]
Territory = Field(pattern=r"^[A-Z]{2}(-[A-Z0-9]{1,3})?$", examples=["FR", "FR-IDF"])


class _Part(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ContactCreate(_Part):
    name: str = Field(min_length=1, max_length=255)
    role: str | None = Field(default=None, max_length=120)
    email: str | None = Field(default=None, max_length=320)
    phone: str | None = Field(default=None, max_length=50)


class Contact(BaseModel):
    """A contact as answered: its email and phone are masked for an impersonator."""

    name: str
    role: str | None = None
    email: Sensitive | None = None
    phone: Sensitive | None = None


class Address(_Part):
    label: str | None = Field(default=None, max_length=120)
    line1: str | None = Field(default=None, max_length=255)
    line2: str | None = Field(default=None, max_length=255)
    city: str | None = Field(default=None, max_length=120)
    postal_code: str | None = Field(default=None, max_length=20)
    country: str | None = Field(default=None, pattern=r"^[A-Z]{2}$")
    region: str | None = Field(default=None, pattern=r"^[A-Z]{2}(-[A-Z0-9]{1,3})?$")


# The inputs per organisation type (seed 003 section 4); every field is optional.
class ManufacturerProfile(_Part):
    catalog_authority: bool | None = None
    warranty_policy_refs: list[str] = []
    partner_tiers: list[str] = []
    price_book_templates: list[str] = []
    escalation_policies: list[str] = []


class DistributorProfile(_Part):
    territories: list[str] = []
    partner_dealers: list[uuid.UUID] = []
    margin_rules: dict[str, Any] = {}
    inventory_capability: str | None = None
    curation_scope: str | None = None


class DealerProfile(_Part):
    service_coverage: dict[str, Any] = {}
    storefront_channel_id: uuid.UUID | None = None
    permitted_offerings: list[str] = []
    # a SKU offered by several distributors is listed from these first
    preferred_distributors: list[uuid.UUID] = []


class SupplierProfile(_Part):
    parts_lines: list[str] = []
    lead_time_days: int | None = Field(default=None, ge=0)
    return_policy: str | None = None
    integrations: list[str] = []


class ServiceProviderProfile(_Part):
    engineer_pool_size: int | None = Field(default=None, ge=0)
    skills: list[str] = []
    capacity: dict[str, Any] = {}
    billing_model: str | None = None


class HospitalProfile(_Part):
    sites: list[dict[str, Any]] = []
    departments: list[str] = []
    approval_matrix: dict[str, Any] = {}
    contract_coverage: list[str] = []


PROFILES: dict[str, type[_Part]] = {
    "manufacturer": ManufacturerProfile,
    "distributor": DistributorProfile,
    "dealer": DealerProfile,
    "supplier": SupplierProfile,
    "service_provider": ServiceProviderProfile,
    "hospital": HospitalProfile,
}


class Organisation(Schema):
    id: uuid.UUID
    name: str
    type: OrgType
    status: OrgStatus
    contacts: list[Contact]
    addresses: list[dict[str, Any]]
    regions: list[str]
    certifications: list[str]
    profile: dict[str, Any]
    # no validation alias: the spec would then document `metadata_`, the row's attribute
    # name, while the answer carries `metadata` (the row's `metadata` is SQLAlchemy's)
    metadata: dict[str, Any]
    client_tenant_id: uuid.UUID | None
    version: int
    created_at: datetime
    updated_at: datetime

    @model_validator(mode="before")
    @classmethod
    def _from_row(cls, data: Any) -> Any:
        if isinstance(data, dict):
            return data
        fields = {name: getattr(data, name) for name in cls.model_fields if name != "metadata"}
        return {**fields, "metadata": data.metadata_}


class OrganisationCreate(Body):
    name: str = Field(min_length=1, max_length=255, examples=["ACME Medical"])
    type: OrgType
    status: OrgStatus = "active"
    contacts: list[ContactCreate] = []
    addresses: list[Address] = []
    regions: list[str] = Field(default=[], description="Territories (ISO 3166 codes)")
    certifications: list[str] = []
    profile: FreeJson = Field(default={}, description="The inputs of the org's type")
    metadata: FreeJson = {}
    client_tenant_id: uuid.UUID | None = Field(
        default=None, description="The client tenant whose users act as this organisation"
    )

    @model_validator(mode="after")
    def _profile_of_type(self) -> OrganisationCreate:
        try:
            model = PROFILES[self.type].model_validate(self.profile)
        except ValidationError as exc:
            raise ValueError(f"profile does not fit a {self.type}: {exc}") from None
        self.profile = model.model_dump(mode="json", exclude_defaults=True)
        return self


class OrganisationUpdate(Body):
    name: str | None = Field(default=None, min_length=1, max_length=255)
    status: OrgStatus | None = None
    contacts: list[ContactCreate] | None = None
    addresses: list[Address] | None = None
    regions: list[str] | None = None
    certifications: list[str] | None = None
    profile: FreeJson | None = None
    metadata: FreeJson | None = None
    client_tenant_id: uuid.UUID | None = None


class Relationship(Schema):
    id: uuid.UUID
    parent_org_id: uuid.UUID
    child_org_id: uuid.UUID
    relation_type: RelationType
    active_from: datetime
    active_to: datetime | None
    created_at: datetime


class RelationshipCreate(Body):
    """`{org} {relation_type} {target_org_id}`: POST /orgs/D1/relationships with
    `distributor_of` and target M1 records "D1 distributor_of M1"."""

    relation_type: RelationType
    target_org_id: uuid.UUID
    active_from: datetime | None = None
    active_to: datetime | None = None

    @model_validator(mode="after")
    def _window(self) -> RelationshipCreate:
        if self.active_from and self.active_to and self.active_to <= self.active_from:
            raise ValueError("active_to must be after active_from")
        return self
