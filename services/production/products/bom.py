"""Multi-level BOM explosion with memoization, and the cycle check.

A BOM line names an inventory SKU or another product; a product component resolves to
that product's effective version (its latest released one, else its latest). Exploding
a version gives the leaf SKUs needed for one unit, computed once per version.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import select, text
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.errors import Unprocessable
from services.production.models import BomLine, ProductVersion

# sku, component product, quantity per parent unit, unit the quantity is written in
Line = tuple[str | None, uuid.UUID | None, Decimal, str | None]
# A leaf need: the SKU and the unit its quantity is in (None: the item's stock unit)
Need = tuple[str, str | None]


class BomCycleError(Unprocessable):
    code = "bom_cycle"


@dataclass
class BomGraph:
    lines: dict[uuid.UUID, list[Line]]
    effective: dict[uuid.UUID, uuid.UUID]  # product id -> version id used as a component
    _flat: dict[uuid.UUID, dict[Need, Decimal]] = field(default_factory=dict)

    def flat(self, version_id: uuid.UUID) -> dict[Need, Decimal]:
        """(leaf SKU, unit) -> quantity for one unit of this version (memoized). Units are
        converted to the stock unit by whoever knows the item (allocation, MRP)."""
        return self._explode(version_id, ())

    def _explode(self, version_id: uuid.UUID, stack: tuple[uuid.UUID, ...]) -> dict[Need, Decimal]:
        done = self._flat.get(version_id)
        if done is not None:
            return done
        if version_id in stack:
            raise BomCycleError("The BOM contains a cycle", code="bom_cycle")
        acc: dict[Need, Decimal] = defaultdict(Decimal)
        for sku, product_id, qty, unit in self.lines.get(version_id, ()):
            if sku is not None:
                acc[(sku, unit)] += qty
                continue
            assert product_id is not None
            sub_version = self.effective.get(product_id)
            if sub_version is None:
                raise Unprocessable(
                    f"Component product {product_id} has no version", code="bom_invalid"
                )
            for need, sub_qty in self._explode(sub_version, (*stack, version_id)).items():
                acc[need] += qty * sub_qty
        out = dict(acc)
        self._flat[version_id] = out
        return out

    def requirements(self, version_id: uuid.UUID, quantity: Decimal | int) -> dict[Need, Decimal]:
        q = Decimal(quantity)
        return {need: per * q for need, per in self.flat(version_id).items()}


async def effective_versions(
    session: AsyncSession, tenant_id: uuid.UUID
) -> dict[uuid.UUID, uuid.UUID]:
    rows = await session.execute(
        select(ProductVersion.product_id, ProductVersion.id)
        .where(ProductVersion.tenant_id == tenant_id)
        .ext(distinct_on(ProductVersion.product_id))
        .order_by(
            ProductVersion.product_id,
            (ProductVersion.status == "released").desc(),
            ProductVersion.number.desc(),
        )
    )
    return {r.product_id: r.id for r in rows}


# A line's component product's effective version (`eff.id`): the rule of
# `effective_versions`, for one product.
_EFFECTIVE = """
        LEFT JOIN LATERAL (
            SELECT v.id FROM product_versions v
            WHERE v.tenant_id = l.tenant_id AND v.product_id = l.component_product_id
            ORDER BY v.status = 'released' DESC, v.number DESC LIMIT 1
        ) eff ON true"""

# What `roots` reach, in one round trip: their lines, and for each line naming a product,
# that product's effective version, whose lines join the next level. UNION (not ALL) drops
# rows already found, so a cycle ends the recursion (BomGraph reports it).
_REACHED = text(
    f"""
    WITH RECURSIVE reached(version_id, line_no, sku, product_id, qty, unit, sub_version) AS (
        SELECT l.product_version_id, l.line_no, l.component_sku, l.component_product_id,
               l.quantity, l.unit, eff.id
        FROM bom_lines l
        {_EFFECTIVE}
        WHERE l.tenant_id = CAST(:tenant AS uuid)
          AND l.product_version_id = ANY(CAST(:roots AS uuid[]))
        UNION
        SELECT l.product_version_id, l.line_no, l.component_sku, l.component_product_id,
               l.quantity, l.unit, eff.id
        FROM reached r
        JOIN bom_lines l
          ON l.tenant_id = CAST(:tenant AS uuid) AND l.product_version_id = r.sub_version
        {_EFFECTIVE}
    )
    SELECT * FROM reached ORDER BY version_id, line_no
    """
)


async def load_graph(
    session: AsyncSession, tenant_id: uuid.UUID, roots: Iterable[uuid.UUID] | None = None
) -> BomGraph:
    """The BOM graph of the tenant (roots=None, two queries) or just what `roots` reach
    (one recursive query)."""
    lines: dict[uuid.UUID, list[Line]] = defaultdict(list)
    if roots is not None:
        effective: dict[uuid.UUID, uuid.UUID] = {}
        rows = await session.execute(_REACHED, {"tenant": tenant_id, "roots": list(roots)})
        for r in rows:
            lines[r.version_id].append((r.sku, r.product_id, r.qty, r.unit))
            if r.sub_version is not None:
                effective[r.product_id] = r.sub_version
        return BomGraph(dict(lines), effective)
    effective = await effective_versions(session, tenant_id)
    rows = await session.execute(
        select(
            BomLine.product_version_id,
            BomLine.component_sku,
            BomLine.component_product_id,
            BomLine.quantity,
            BomLine.unit,
        )
        .where(BomLine.tenant_id == tenant_id)
        .order_by(BomLine.product_version_id, BomLine.line_no)
    )
    for r in rows:
        lines[r.product_version_id].append(
            (r.component_sku, r.component_product_id, r.quantity, r.unit)
        )
    return BomGraph(dict(lines), effective)


async def check_no_cycle(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    product_id: uuid.UUID,
    components: set[uuid.UUID],
    *,
    editing_version_id: uuid.UUID | None = None,
) -> None:
    """Refuse (422 bom_cycle) when `product_id` would reach itself through its components.

    Edges are product -> component product over every version, so no version of any
    product can ever explode into itself.
    """
    if not components:
        return
    if product_id in components:
        raise BomCycleError(
            "A product cannot contain itself",
            code="bom_cycle",
            extra={"cycle": [str(product_id), str(product_id)]},
        )
    stmt = (
        select(ProductVersion.product_id, BomLine.component_product_id)
        .join(ProductVersion, ProductVersion.id == BomLine.product_version_id)
        .where(BomLine.tenant_id == tenant_id, BomLine.component_product_id.is_not(None))
    )
    if editing_version_id is not None:
        stmt = stmt.where(BomLine.product_version_id != editing_version_id)
    edges: dict[uuid.UUID, set[uuid.UUID]] = defaultdict(set)
    for parent, child in await session.execute(stmt):
        if child is not None:
            edges[parent].add(child)
    # Depth-first from each new component, looking for a way back to product_id.
    for start in components:
        path = _path_to(edges, start, product_id)
        if path is not None:
            cycle = [product_id, *path]
            raise BomCycleError(
                "This BOM would make the product contain itself",
                code="bom_cycle",
                extra={"cycle": [str(p) for p in cycle]},
            )


def _path_to(
    edges: dict[uuid.UUID, set[uuid.UUID]], start: uuid.UUID, goal: uuid.UUID
) -> list[uuid.UUID] | None:
    stack: list[tuple[uuid.UUID, list[uuid.UUID]]] = [(start, [start])]
    seen: set[uuid.UUID] = set()
    while stack:
        node, path = stack.pop()
        if node == goal:
            return path
        if node in seen:
            continue
        seen.add(node)
        for nxt in edges.get(node, ()):
            stack.append((nxt, [*path, nxt]))
    return None
