"""A contract of a customer organisation: its terms, how often its machines' meters are
read, and its end."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from services.fleet.domain.errors import FleetRuleBroken, InvalidField
from services.fleet.events import (
    ContractEnded,
    ContractRegistered,
    ContractTerms,
    ContractTermsChanged,
)
from shared.aggregate import Aggregate
from shared.events import DomainEvent


def _check_dates(terms: ContractTerms) -> None:
    if terms.ends_on is not None and terms.ends_on < terms.starts_on:
        raise InvalidField("ends_on", "The contract cannot end before it starts.", "dates")


@dataclass
class Contract(Aggregate):
    contract_id: uuid.UUID
    version: int = 0
    organisation_id: uuid.UUID | None = None
    terms: ContractTerms | None = None
    reading_every_days: int | None = None
    ended_on: dt.date | None = None

    STREAM_TYPE = "contract"

    def apply(self, event: DomainEvent) -> None:
        match event:
            case ContractRegistered() | ContractTermsChanged():
                self.organisation_id = event.organisation_id
                self.terms = event.terms
                self.reading_every_days = event.reading_every_days
            case ContractEnded():
                self.ended_on = event.ended_on
        self.version += 1

    @property
    def exists(self) -> bool:
        return self.terms is not None

    def register(
        self,
        *,
        organisation_id: uuid.UUID,
        terms: ContractTerms,
        reading_every_days: int | None,
        erp_reference: str | None,
    ) -> list[DomainEvent]:
        if self.exists:
            raise FleetRuleBroken("this contract is already registered")
        _check_dates(terms)
        return [
            ContractRegistered(
                organisation_id=organisation_id,
                terms=terms,
                reading_every_days=reading_every_days,
                erp_reference=erp_reference,
            )
        ]

    def change_terms(
        self, terms: ContractTerms, reading_every_days: int | None
    ) -> list[DomainEvent]:
        """Nothing when nothing changes. The number stays: it is how everyone quotes it."""
        current = self._current()
        if self.ended_on is not None:
            raise FleetRuleBroken(f"contract {current.number} has ended; register a new one")
        if terms.number != current.number:
            raise InvalidField("number", "A contract's number does not change.", "immutable")
        _check_dates(terms)
        if (terms, reading_every_days) == (current, self.reading_every_days):
            return []
        assert self.organisation_id is not None
        return [
            ContractTermsChanged(
                organisation_id=self.organisation_id,
                terms=terms,
                reading_every_days=reading_every_days,
            )
        ]

    def end(self, *, ended_on: dt.date, reason: str | None) -> list[DomainEvent]:
        current = self._current()
        if self.ended_on is not None:
            raise FleetRuleBroken(
                f"contract {current.number} already ended on {self.ended_on.isoformat()}"
            )
        if ended_on < current.starts_on:
            raise InvalidField("ended_on", "A contract cannot end before it starts.", "dates")
        assert self.organisation_id is not None
        return [
            ContractEnded(
                contract_id=self.contract_id,
                organisation_id=self.organisation_id,
                number=current.number,
                ended_on=ended_on,
                reason=reason,
            )
        ]

    def in_force(self, today: dt.date) -> bool:
        terms = self._current()
        ended = self.ended_on is not None and self.ended_on <= today
        expired = terms.ends_on is not None and terms.ends_on < today
        return terms.starts_on <= today and not ended and not expired

    def _current(self) -> ContractTerms:
        if self.terms is None:
            raise FleetRuleBroken("this contract does not exist")
        return self.terms
