from __future__ import annotations

from libs.common.errors import Conflict, NotFound


class PlantNotFound(NotFound):
    code, title = "plant_not_found", "Plant not found"


class PlantCodeTaken(Conflict):
    code, title = "plant_code_taken", "Plant code taken"
