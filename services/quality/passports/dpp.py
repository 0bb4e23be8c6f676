"""A lot's Digital Product Passport as a UNTP DPP 0.6 credential (JSON-LD)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from services.quality.models import Inspection, Lot, Product, TenantSettings
from services.quality.passports.materials import Material

CONTEXT = [
    "https://www.w3.org/ns/credentials/v2",
    "https://test.uncefact.org/vocabulary/untp/dpp/working/",
]
GTIN_SCHEME = {
    "type": ["IdentifierScheme"],
    "id": "https://id.gs1.org/01/",
    "name": "Global Trade Item Number (GTIN)",
}
ISO_2859 = {
    "type": ["Standard"],
    "id": "https://www.iso.org/standard/74706.html",
    "name": "ISO 2859-1 Sampling procedures for inspection by attributes",
    "issuingParty": {
        "id": "https://www.iso.org",
        "name": "International Organization for Standardization",
    },
}


def digital_link(
    root: str, base: str, gtin: str | None, lot_number: str, passport_id: uuid.UUID
) -> str:
    """The GS1 Digital Link URI at the gateway's root (`root`); without a GTIN, the
    passport's own URL under the API (`base`)."""
    if gtin:
        return f"{root}/01/{gtin}/10/{quote(lot_number, safe='')}"
    return f"{base}/passports/{passport_id}"


def issuer_did(settings: TenantSettings, host: str) -> str:
    return settings.issuer_did or f"did:web:{host.split(':')[0]}:tenants:{settings.tenant_id}"


def credential(
    *,
    passport_id: uuid.UUID,
    root: str,
    base: str,
    host: str,
    lot: Lot,
    product: Product | None,
    settings: TenantSettings,
    inspection: Inspection | None,
    materials: list[Material],
    description: str | None,
) -> dict[str, Any]:
    now = datetime.now(UTC).replace(microsecond=0)
    gtin = product.gtin if product else None
    link = digital_link(root, base, gtin, lot.number, passport_id)
    issuer_name = settings.name or "Manufacturer"
    issuer = {"type": ["CredentialIssuer"], "id": issuer_did(settings, host), "name": issuer_name}
    item: dict[str, Any] = {
        "type": ["Product"],
        "id": link,
        "name": (product.name if product and product.name else None)
        or lot.product_sku
        or lot.number,
        "batchNumber": lot.number,
        "productionDate": lot.created_at.date().isoformat(),
        "producedByParty": {"id": f"{base}/issuers/{settings.tenant_id}", "name": issuer_name},
    }
    if gtin:
        item["registeredId"] = gtin
        item["idScheme"] = GTIN_SCHEME
    if description:
        item["description"] = description
    if lot.plant_id:
        item["producedAtFacility"] = {
            "id": f"{base}/facilities/{lot.plant_id}",
            "name": f"Plant {lot.plant_id}",
        }
    subject: dict[str, Any] = {
        "type": ["ProductPassport"],
        "id": link,
        "product": item,
        "granularityLevel": "batch",
    }
    if inspection is not None and inspection.verdict:
        plan = inspection.plan
        counts = inspection.counts or {}
        subject["conformityClaim"] = [
            {
                "type": ["Claim", "Declaration"],
                "id": f"{base}/inspections/{inspection.id}",
                "description": (
                    f"Lot {lot.number} {inspection.verdict} final inspection: "
                    f"{plan['sample_size']} units sampled (ISO 2859-1, level {plan['level']}, "
                    f"AQL {plan['aql']}, {plan['severity']}; Ac {plan['accept']} / "
                    f"Re {plan['reject']})."
                ),
                "conformityTopic": "governance.compliance",
                "referenceStandard": ISO_2859,
                "assessmentDate": (inspection.completed_at or now).date().isoformat(),
                "declaredValue": [
                    {
                        "metricName": "sampled units",
                        "metricValue": {"value": plan["sample_size"], "unit": "C62"},
                    },
                    {
                        "metricName": "nonconforming units",
                        "metricValue": {
                            "value": counts.get("nonconforming_units", 0),
                            "unit": "C62",
                        },
                        "score": inspection.verdict,
                    },
                ],
            }
        ]
    if materials:
        subject["materialsProvenance"] = [_material(m) for m in materials]
    return {
        "type": ["DigitalProductPassport", "VerifiableCredential"],
        "@context": CONTEXT,
        "id": f"{base}/passports/{passport_id}",
        "issuer": issuer,
        "validFrom": now.isoformat().replace("+00:00", "Z"),
        "credentialSubject": subject,
    }


def _material(m: Material) -> dict[str, Any]:
    out: dict[str, Any] = {"type": ["Material"], "name": f"{m.name} ({m.sku})"}
    if m.mass_kg is not None:
        out["mass"] = {"type": ["Measure"], "value": float(m.mass_kg), "unit": "KGM"}
    if m.mass_fraction is not None:
        out["massFraction"] = m.mass_fraction
    return out


def page_data(
    *,
    lot: Lot,
    product: Product | None,
    settings: TenantSettings,
    inspection: Inspection | None,
    photo_keys: list[str],
    materials: list[Material],
) -> dict[str, Any]:
    """What the public page shows, fixed at publication (the photos by object key)."""
    return {
        "provider": settings.name or "Manufacturer",
        "logo_url": settings.logo_url,
        "product": (product.name if product and product.name else None) or lot.product_sku,
        "sku": lot.product_sku,
        "gtin": product.gtin if product else None,
        "lot_number": lot.number,
        "quantity": lot.quantity,
        "production_date": lot.created_at.date().isoformat(),
        "qa": None
        if inspection is None
        else {
            "verdict": inspection.verdict,
            "sample_size": inspection.plan["sample_size"],
            "aql": inspection.plan["aql"],
            "level": inspection.plan["level"],
            "counts": inspection.counts,
            "completed_at": inspection.completed_at.isoformat()
            if inspection.completed_at
            else None,
        },
        "photos": photo_keys,
        "materials": [
            {"name": m.name, "sku": m.sku, "quantity": str(m.quantity), "unit": m.unit}
            for m in materials
        ],
    }
