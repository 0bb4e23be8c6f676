"""The parts of Weft, their default ports and where their code lives (data, not code)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class ServiceSpec:
    name: str
    port: int

    @property
    def app(self) -> str:
        return f"services.{self.name}.app:create_app"

    @property
    def migrations_dir(self) -> Path:
        return ROOT / "services" / self.name / "migrations"

    @property
    def env_prefix(self) -> str:
        return f"WEFT_{self.name.upper()}_"

    @property
    def db_role(self) -> str:
        return f"weft_{self.name}"


SERVICES: tuple[ServiceSpec, ...] = (
    ServiceSpec("identity", 8101),
    ServiceSpec("production", 8102),
    ServiceSpec("quality", 8103),
    ServiceSpec("catalog", 8104),
    ServiceSpec("partner", 8105),
    ServiceSpec("sync", 8106),
)
GATEWAY_PORT = 8000
DATABASE_NAME = "weft"


def implemented() -> tuple[ServiceSpec, ...]:
    """Services that have an app (the others are still empty packages)."""
    return tuple(s for s in SERVICES if (ROOT / "services" / s.name / "app.py").exists())
