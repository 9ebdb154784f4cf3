"""A model of machine in the vendor's catalogue: its meters, and the consumables customers
may order for it (each with a most per order)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from services.fleet.domain.errors import FleetRuleBroken, InvalidField
from services.fleet.domain_types import Counter
from services.fleet.events import (
    AssetModelChanged,
    AssetModelDefined,
    ConsumableReferenceListed,
    ConsumableReferenceWithdrawn,
)
from shared.aggregate import Aggregate
from shared.events import DomainEvent


@dataclass(frozen=True)
class Consumable:
    reference: str
    description: str
    max_quantity_per_order: int


@dataclass
class AssetModel(Aggregate):
    model_id: uuid.UUID
    version: int = 0
    code: str = ""
    name: str = ""
    manufacturer: str = ""
    counters: tuple[Counter, ...] = ()
    consumables: dict[str, Consumable] = field(default_factory=dict)

    STREAM_TYPE = "asset_model"

    def apply(self, event: DomainEvent) -> None:
        match event:
            case AssetModelDefined() | AssetModelChanged():
                self.code = event.code
                self.name = event.name
                self.manufacturer = event.manufacturer
                self.counters = event.counters
            case ConsumableReferenceListed():
                self.consumables[event.reference] = Consumable(
                    event.reference, event.description, event.max_quantity_per_order
                )
            case ConsumableReferenceWithdrawn():
                self.consumables.pop(event.reference, None)
        self.version += 1

    @property
    def exists(self) -> bool:
        return bool(self.code)

    def define(
        self, *, code: str, name: str, manufacturer: str, counters: tuple[Counter, ...]
    ) -> list[DomainEvent]:
        if self.exists:
            raise FleetRuleBroken("this model is already defined")
        return [
            AssetModelDefined(
                model_id=self.model_id,
                code=code,
                name=name,
                manufacturer=manufacturer,
                counters=tuple(dict.fromkeys(counters)),
            )
        ]

    def change(
        self, *, name: str, manufacturer: str, counters: tuple[Counter, ...]
    ) -> list[DomainEvent]:
        """Meters can be added, never removed: machines' readings name them."""
        self._exists()
        counters = tuple(dict.fromkeys(counters))
        removed = [counter.value for counter in self.counters if counter not in counters]
        if removed:
            raise InvalidField(
                "counters",
                f"Meters cannot be removed from a model ({', '.join(removed)}):"
                " readings name them.",
                "counter_removed",
            )
        if (name, manufacturer, counters) == (self.name, self.manufacturer, self.counters):
            return []
        return [
            AssetModelChanged(
                model_id=self.model_id,
                code=self.code,
                name=name,
                manufacturer=manufacturer,
                counters=counters,
            )
        ]

    def list_consumable(self, consumable: Consumable) -> list[DomainEvent]:
        self._exists()
        if self.consumables.get(consumable.reference) == consumable:
            return []
        return [
            ConsumableReferenceListed(
                model_id=self.model_id,
                model_code=self.code,
                reference=consumable.reference,
                description=consumable.description,
                max_quantity_per_order=consumable.max_quantity_per_order,
            )
        ]

    def withdraw_consumable(self, reference: str) -> list[DomainEvent]:
        self._exists()
        if reference not in self.consumables:
            raise FleetRuleBroken(f"{reference} is not in the catalogue of {self.code}")
        return [
            ConsumableReferenceWithdrawn(
                model_id=self.model_id, model_code=self.code, reference=reference
            )
        ]

    def _exists(self) -> None:
        if not self.exists:
            raise FleetRuleBroken("this model does not exist")
