"""Commands of the back office (and of the ERP import) on sites, contracts, and the catalogue
of models and their consumables. Each runs in the caller's transaction."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

import asyncpg

from services.fleet.domain import AssetModel, Consumable, Contract, Site
from services.fleet.domain_types import ContractType, Counter
from services.fleet.events import ContractTerms, SiteAddress
from services.fleet.handlers.common import (
    AlreadyTaken,
    InvalidReference,
    decide,
    load,
    organisation_exists,
    save,
)
from shared.events import DomainEvent
from shared.eventstore import EventContext, EventStore


@dataclass(frozen=True)
class SiteFields:
    name: str
    address: SiteAddress
    branch_id: uuid.UUID | None = None


@dataclass(frozen=True)
class ContractFields:
    number: str
    contract_type: ContractType
    starts_on: dt.date
    ends_on: dt.date | None
    service_level: str | None
    covers_support: bool
    covers_interventions: bool
    reading_every_days: int | None

    def terms(self, contract_id: uuid.UUID) -> ContractTerms:
        return ContractTerms(
            contract_id=contract_id,
            number=self.number,
            contract_type=self.contract_type,
            starts_on=self.starts_on,
            ends_on=self.ends_on,
            service_level=self.service_level,
            covers_support=self.covers_support,
            covers_interventions=self.covers_interventions,
        )


@dataclass(frozen=True)
class ModelFields:
    code: str
    name: str
    manufacturer: str
    counters: tuple[Counter, ...]


# --- sites -----------------------------------------------------------------------------------


async def register_site(
    connection: asyncpg.Connection,
    store: EventStore,
    context: EventContext,
    *,
    organisation_id: uuid.UUID,
    fields: SiteFields,
    erp_reference: str | None = None,
) -> uuid.UUID:
    await organisation_exists(connection, organisation_id)
    await _branch_of(connection, organisation_id, fields.branch_id)
    site = Site(uuid.uuid4())
    events = site.register(
        organisation_id=organisation_id,
        name=fields.name,
        address=fields.address,
        erp_reference=erp_reference,
        branch_id=fields.branch_id,
    )
    await save(connection, store, site, events, context)
    return site.site_id


async def update_site(
    connection: asyncpg.Connection,
    store: EventStore,
    context: EventContext,
    site_id: uuid.UUID,
    fields: SiteFields,
) -> bool:
    site = await load(connection, store, Site, site_id)
    if site.organisation_id is not None:
        await _branch_of(connection, site.organisation_id, fields.branch_id)
    events = site.update(name=fields.name, address=fields.address, branch_id=fields.branch_id)
    await save(connection, store, site, events, context)
    return bool(events)


async def _branch_of(
    connection: asyncpg.Connection, organisation_id: uuid.UUID, branch_id: uuid.UUID | None
) -> None:
    if branch_id is None:
        return
    known = await connection.fetchval(
        "SELECT $2 = ANY(branches) FROM organisations WHERE organisation_id = $1",
        organisation_id,
        branch_id,
    )
    if not known:
        raise InvalidReference("branch_id", "This is not a branch of the site's organisation.")


# --- contracts -------------------------------------------------------------------------------


async def _number_free(
    connection: asyncpg.Connection, number: str, contract_id: uuid.UUID | None = None
) -> None:
    taken = await connection.fetchval(
        "SELECT true FROM contracts WHERE lower(number) = lower($1) AND contract_id <> $2",
        number,
        contract_id or uuid.UUID(int=0),
    )
    if taken:
        raise AlreadyTaken("number", f"Contract number {number} is another contract's already.")


async def register_contract(
    connection: asyncpg.Connection,
    store: EventStore,
    context: EventContext,
    *,
    organisation_id: uuid.UUID,
    fields: ContractFields,
    erp_reference: str | None = None,
) -> uuid.UUID:
    await organisation_exists(connection, organisation_id)
    await _number_free(connection, fields.number)
    contract = Contract(uuid.uuid4())
    events = contract.register(
        organisation_id=organisation_id,
        terms=fields.terms(contract.contract_id),
        reading_every_days=fields.reading_every_days,
        erp_reference=erp_reference,
    )
    await save(connection, store, contract, events, context)
    return contract.contract_id


async def change_contract(
    connection: asyncpg.Connection,
    store: EventStore,
    context: EventContext,
    contract_id: uuid.UUID,
    fields: ContractFields,
) -> bool:
    contract = await load(connection, store, Contract, contract_id)
    events = contract.change_terms(fields.terms(contract_id), fields.reading_every_days)
    await save(connection, store, contract, events, context)
    return bool(events)


async def end_contract(
    connection: asyncpg.Connection,
    store: EventStore,
    context: EventContext,
    contract_id: uuid.UUID,
    *,
    ended_on: dt.date,
    reason: str | None,
) -> None:
    contract = await load(connection, store, Contract, contract_id)
    await save(connection, store, contract, contract.end(ended_on=ended_on, reason=reason), context)


# --- models and their consumables ------------------------------------------------------------


async def define_model(
    connection: asyncpg.Connection, store: EventStore, context: EventContext, fields: ModelFields
) -> uuid.UUID:
    taken = await connection.fetchval(
        "SELECT true FROM asset_models WHERE lower(code) = lower($1)", fields.code
    )
    if taken:
        raise AlreadyTaken("code", f"Model {fields.code} is defined already.")
    model = AssetModel(uuid.uuid4())
    events = model.define(
        code=fields.code,
        name=fields.name,
        manufacturer=fields.manufacturer,
        counters=fields.counters,
    )
    await save(connection, store, model, events, context)
    return model.model_id


async def change_model(
    connection: asyncpg.Connection,
    store: EventStore,
    context: EventContext,
    model_id: uuid.UUID,
    fields: ModelFields,
    consumables: list[Consumable] | None = None,
) -> bool:
    """The model as it is now; with `consumables`, its whole catalogue too (references not
    named are withdrawn)."""
    model = await load(connection, store, AssetModel, model_id)
    commands: list[Callable[[], list[DomainEvent]]] = [
        partial(
            model.change,
            name=fields.name,
            manufacturer=fields.manufacturer,
            counters=fields.counters,
        )
    ]
    if consumables is not None:
        named = {item.reference for item in consumables}
        commands += [partial(model.list_consumable, item) for item in consumables]
        commands += [
            partial(model.withdraw_consumable, reference)
            for reference in sorted(set(model.consumables) - named)
        ]
    events, version = decide(model, *commands)
    await save(connection, store, model, events, context, expected_version=version)
    return bool(events)


async def list_consumable(
    connection: asyncpg.Connection,
    store: EventStore,
    context: EventContext,
    model_id: uuid.UUID,
    consumable: Consumable,
) -> None:
    model = await load(connection, store, AssetModel, model_id)
    await save(connection, store, model, model.list_consumable(consumable), context)


async def withdraw_consumable(
    connection: asyncpg.Connection,
    store: EventStore,
    context: EventContext,
    model_id: uuid.UUID,
    reference: str,
) -> None:
    model = await load(connection, store, AssetModel, model_id)
    await save(connection, store, model, model.withdraw_consumable(reference), context)
