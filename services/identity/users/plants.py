"""Does a plant exist in the caller's tenant? Production knows; identity asks it over HTTP
with the caller's own token (production answers 404 for a plant of another tenant)."""

from __future__ import annotations

import logging
import uuid

import httpx

from services.identity.users.errors import PlantNotVisible, ProductionUnavailable, UnknownPlant

log = logging.getLogger("weft.identity.plants")


class PlantDirectory:
    def __init__(self, base_url: str, *, timeout: float = 5.0) -> None:
        self.base_url = base_url.rstrip("/")
        self._http = httpx.AsyncClient(timeout=timeout)

    async def aclose(self) -> None:
        await self._http.aclose()

    async def require(self, plant_id: uuid.UUID, authorization: str) -> None:
        """Return when the plant is one of the caller's tenant; raise otherwise."""
        try:
            resp = await self._http.get(
                f"{self.base_url}/plants/{plant_id}", headers={"Authorization": authorization}
            )
        except httpx.HTTPError as exc:
            log.warning("production unreachable", extra={"error": str(exc)})
            raise ProductionUnavailable(
                "Production cannot be asked whether the plant exists; try again"
            ) from None
        if resp.status_code == 200:
            return
        if resp.status_code == 404:
            raise UnknownPlant(f"Plant {plant_id} is not a plant of this tenant")
        if resp.status_code in (401, 403):
            raise PlantNotVisible(
                "Granting a role for a plant needs a token that may read the tenant's plants "
                "(plants:read)"
            )
        log.warning("plant lookup failed", extra={"status": resp.status_code})
        raise ProductionUnavailable(f"Production answered {resp.status_code} for the plant")
