"""The base of every event model: the `data` of one event type, with its schema version.

A model is declared once, in the module of the service that produces it
(`libs/contracts/events/<service>.py`), and registers itself by its `event_type`:

    class LotGateReached(EventModel):
        event_type: ClassVar[str] = "production.lot.gate_reached"
        lot_id: uuid.UUID
        ...

`schema_version` travels inside `data`. A change that old consumers can still read (a new
optional field) keeps the version; anything else bumps it. Consumers ignore fields they do
not know, so a producer may add optional fields without breaking anyone.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, GetCoreSchemaHandler, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import core_schema

_MODELS: dict[str, type[EventModel]] = {}


class EventModel(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra="ignore", frozen=True)

    event_type: ClassVar[str]
    # one sentence, shown in the OpenAPI `webhooks` section
    description: ClassVar[str] = ""

    schema_version: int = Field(
        default=1, ge=1, description="Version of this event's `data` schema"
    )

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        name = cls.__dict__.get("event_type")
        if not isinstance(name, str):
            return  # an abstract base shared by several event types
        other = _MODELS.get(name)
        if other is not None and other.__qualname__ != cls.__qualname__:
            raise TypeError(f"event type {name!r} is declared twice ({other!r} and {cls!r})")
        _MODELS[name] = cls

    def payload(self) -> dict[str, Any]:
        """The JSON `data` as it travels (field aliases, UUIDs and decimals as strings)."""
        return self.model_dump(mode="json", by_alias=True)


@dataclass(frozen=True)
class OneOf:
    """`Annotated[str, OneOf(values)]`: a string limited to `values`, published as an enum.
    Typed as `str` so producers whose columns are plain strings pass them without casts."""

    values: tuple[str, ...]

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.no_info_after_validator_function(self._check, handler(source))

    def __get_pydantic_json_schema__(
        self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        return {"type": "string", "enum": list(self.values)}

    def _check(self, value: str) -> str:
        if value not in self.values:
            raise ValueError(f"must be one of {', '.join(self.values)}")
        return value
