"""Commands on assets: register (resolving its model, site and contract from fleet's own
read models, in the same transaction), change where it is, its status or its contract, and
record meter readings."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

import asyncpg

from services.fleet.domain import Asset, AssetModel, Contract, NewAsset, Reading, Site
from services.fleet.domain_types import AssetStatus
from services.fleet.events import ContractTerms
from services.fleet.handlers.common import AlreadyTaken, InvalidReference, decide, load, save
from shared.events import DomainEvent
from shared.eventstore import EventContext, EventStore


@dataclass(frozen=True)
class AssetFields:
    model_id: uuid.UUID
    product_reference: str | None
    serial_number: str
    site_id: uuid.UUID
    location: str
    status: AssetStatus
    installed_on: dt.date | None
    contract_id: uuid.UUID | None


@dataclass(frozen=True)
class Placement:
    """What can change of a registered asset (its model and serial number cannot)."""

    site_id: uuid.UUID
    location: str
    status: AssetStatus
    contract_id: uuid.UUID | None
    reason: str | None = None


async def _site(
    connection: asyncpg.Connection, store: EventStore, site_id: uuid.UUID, organisation: uuid.UUID
) -> Site:
    site = await load(connection, store, Site, site_id)
    if site.organisation_id != organisation:  # another organisation's site is no site at all
        raise InvalidReference("site_id", "This is not a site of the asset's organisation.")
    return site


async def _terms(
    connection: asyncpg.Connection,
    store: EventStore,
    contract_id: uuid.UUID | None,
    organisation: uuid.UUID,
) -> ContractTerms | None:
    if contract_id is None:
        return None
    contract = await load(connection, store, Contract, contract_id)
    if contract.organisation_id != organisation or contract.terms is None:
        raise InvalidReference("contract_id", "This is not a contract of the asset's organisation.")
    if contract.ended_on is not None:
        raise InvalidReference("contract_id", f"Contract {contract.terms.number} has ended.")
    return contract.terms


async def register_asset(
    connection: asyncpg.Connection,
    store: EventStore,
    context: EventContext,
    *,
    organisation_id: uuid.UUID,
    fields: AssetFields,
    erp_reference: str | None = None,
) -> uuid.UUID:
    model = await load(connection, store, AssetModel, fields.model_id)
    if not model.exists:
        raise InvalidReference("model_id", "There is no such model in the catalogue.")
    site = await _site(connection, store, fields.site_id, organisation_id)
    terms = await _terms(connection, store, fields.contract_id, organisation_id)
    taken = await connection.fetchval(
        "SELECT true FROM assets WHERE model_id = $1 AND lower(serial_number) = lower($2)",
        model.model_id,
        fields.serial_number,
    )
    if taken:
        raise AlreadyTaken(
            "serial_number", f"A {model.name} with serial number {fields.serial_number} exists."
        )
    asset = Asset(uuid.uuid4())
    events = asset.register(
        NewAsset(
            organisation_id=organisation_id,
            model_id=model.model_id,
            model_code=model.code,
            model_name=model.name,
            manufacturer=model.manufacturer,
            counters=model.counters,
            product_reference=fields.product_reference,
            serial_number=fields.serial_number,
            site_id=site.site_id,
            site_name=site.name,
            location=fields.location,
            status=fields.status,
            installed_on=fields.installed_on,
            contract=terms,
            erp_reference=erp_reference,
        )
    )
    await save(connection, store, asset, events, context)
    return asset.asset_id


async def place(
    connection: asyncpg.Connection,
    store: EventStore,
    context: EventContext,
    asset_id: uuid.UUID,
    placement: Placement,
) -> bool:
    """The asset's site, location, status and contract as they are now: the events for what
    changed (none when nothing did). The status comes last: a withdrawal is the last change."""
    asset = await load(connection, store, Asset, asset_id)
    if asset.organisation_id is None:
        raise InvalidReference("asset_id", "There is no such asset.")
    site = await _site(connection, store, placement.site_id, asset.organisation_id)
    commands: list[Callable[[], list[DomainEvent]]] = [
        partial(
            asset.relocate, site_id=site.site_id, site_name=site.name, location=placement.location
        )
    ]
    if placement.contract_id != asset.contract_id:  # an ended contract can stay, not come
        terms = await _terms(connection, store, placement.contract_id, asset.organisation_id)
        commands.append(partial(asset.attach_contract, terms))
    commands.append(partial(asset.change_status, placement.status, placement.reason))
    events, version = decide(asset, *commands)
    await save(connection, store, asset, events, context, expected_version=version)
    return bool(events)


async def record_reading(
    connection: asyncpg.Connection,
    store: EventStore,
    context: EventContext,
    asset_id: uuid.UUID,
    reading: Reading,
    *,
    today: dt.date,
) -> None:
    asset = await load(connection, store, Asset, asset_id)
    await save(connection, store, asset, asset.record_reading(reading, today=today), context)
