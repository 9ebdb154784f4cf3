"""Read models, updated in the same transaction as the events they come from; an asset's
events are also entries of its history (`timeline`)."""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg

from services.fleet import timeline
from services.fleet.domain_types import ReadingSource
from services.fleet.events import (
    AssetModelChanged,
    AssetModelDefined,
    AssetRegistered,
    AssetRelocated,
    AssetStatusChanged,
    ConsumableReferenceListed,
    ConsumableReferenceWithdrawn,
    ContractAttached,
    ContractDetached,
    ContractEnded,
    ContractRegistered,
    ContractTermsChanged,
    MeterReadingRecorded,
    MeterReadingsDue,
    SiteRegistered,
    SiteUpdated,
)
from shared.events import DomainEvent
from shared.eventstore import EventStore, RecordedEvent

# The fields of an asset event its history entry keeps (what a page shows of it).
_SUMMARY_FIELDS: dict[type[DomainEvent], tuple[str, ...]] = {
    AssetRegistered: ("serial_number", "model_name", "site_name", "location", "status"),
    AssetRelocated: ("site_name", "location"),
    AssetStatusChanged: ("from_status", "to_status", "reason"),
    ContractAttached: ("contract",),
    ContractDetached: ("contract_id",),
    MeterReadingRecorded: ("reading_id", "read_on", "counters", "previous", "source"),
}


# A contract's events are entries of the history of every asset it covers.
_CONTRACT_SUMMARY_FIELDS: dict[type[DomainEvent], tuple[str, ...]] = {
    ContractTermsChanged: ("terms", "reading_every_days"),
    ContractEnded: ("contract_id", "number", "ended_on", "reason"),
}


async def project(
    connection: asyncpg.Connection, store: EventStore, recorded: list[RecordedEvent]
) -> None:
    for record in recorded:
        event = store.decode(record)
        await _project_one(connection, event, record)
        await _in_history(connection, event, record)


async def _in_history(
    connection: asyncpg.Connection, event: DomainEvent, record: RecordedEvent
) -> None:
    data = event.model_dump(mode="json")
    if (fields := _SUMMARY_FIELDS.get(type(event))) is not None:
        assets = [uuid.UUID(record.stream_id)]
    elif (fields := _CONTRACT_SUMMARY_FIELDS.get(type(event))) is not None:
        assets = await connection.fetchval(
            "SELECT coalesce(array_agg(asset_id), '{}') FROM assets WHERE contract_id = $1",
            uuid.UUID(record.stream_id),
        )
    else:
        return
    for asset_id in assets:
        await timeline.add_entry(
            connection,
            event_id=record.event_id,
            asset_id=asset_id,
            organisation_id=data["organisation_id"],
            occurred_at=record.recorded_at,
            source="fleet",
            kind=record.type.rpartition(".")[2],
            summary={name: data[name] for name in fields},
        )


async def _project_one(
    connection: asyncpg.Connection, event: DomainEvent, record: RecordedEvent
) -> None:
    at, version = record.recorded_at, record.version
    match event:
        case SiteRegistered():
            await connection.execute(
                "INSERT INTO sites (site_id, organisation_id, name, address, erp_reference,"
                " registered_at, updated_at, version, branch_id)"
                " VALUES ($1, $2, $3, $4, $5, $6, $6, $7, $8)",
                event.site_id,
                event.organisation_id,
                event.name,
                event.address.model_dump(mode="json"),
                event.erp_reference,
                at,
                version,
                event.branch_id,
            )
        case SiteUpdated():
            await connection.execute(
                "UPDATE sites SET name = $2, address = $3, updated_at = $4, version = $5,"
                " branch_id = $6 WHERE site_id = $1",
                event.site_id,
                event.name,
                event.address.model_dump(mode="json"),
                at,
                version,
                event.branch_id,
            )
        case ContractRegistered():
            await _contract(connection, event, record, new=True)
        case ContractTermsChanged():
            await _contract(connection, event, record, new=False)
        case ContractEnded():
            await connection.execute(
                "UPDATE contracts SET ended_on = $2, end_reason = $3, updated_at = $4,"
                " version = $5 WHERE contract_id = $1",
                event.contract_id,
                event.ended_on,
                event.reason,
                at,
                version,
            )
        case AssetModelDefined():
            await connection.execute(
                "INSERT INTO asset_models (model_id, code, name, manufacturer, counters, version)"
                " VALUES ($1, $2, $3, $4, $5, $6)",
                event.model_id,
                event.code,
                event.name,
                event.manufacturer,
                [counter.value for counter in event.counters],
                version,
            )
        case AssetModelChanged():
            await connection.execute(
                "UPDATE asset_models SET name = $2, manufacturer = $3, counters = $4,"
                " version = $5 WHERE model_id = $1",
                event.model_id,
                event.name,
                event.manufacturer,
                [counter.value for counter in event.counters],
                version,
            )
            # Machines of the model have its meters (added ones included).
            await connection.execute(
                "UPDATE assets SET counters = $2 WHERE model_id = $1",
                event.model_id,
                [counter.value for counter in event.counters],
            )
        case ConsumableReferenceListed():
            await connection.execute(
                "INSERT INTO consumables (model_id, reference, description,"
                " max_quantity_per_order) VALUES ($1, $2, $3, $4)"
                " ON CONFLICT (model_id, reference) DO UPDATE SET"
                " description = excluded.description,"
                " max_quantity_per_order = excluded.max_quantity_per_order",
                event.model_id,
                event.reference,
                event.description,
                event.max_quantity_per_order,
            )
        case ConsumableReferenceWithdrawn():
            await connection.execute(
                "DELETE FROM consumables WHERE model_id = $1 AND reference = $2",
                event.model_id,
                event.reference,
            )
        case MeterReadingsDue():
            await connection.executemany(
                "INSERT INTO reading_reminders (asset_id, due_on, reminded_on)"
                " VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
                [(asset.asset_id, asset.due_on, event.reminded_on) for asset in event.assets],
            )
        case _:
            await _project_asset(connection, event, record)


async def _contract(
    connection: asyncpg.Connection,
    event: ContractRegistered | ContractTermsChanged,
    record: RecordedEvent,
    *,
    new: bool,
) -> None:
    terms = event.terms
    values: list[Any] = [
        terms.contract_id,
        event.organisation_id,
        terms.number,
        terms.contract_type.value,
        terms.starts_on,
        terms.ends_on,
        terms.service_level,
        terms.covers_support,
        terms.covers_interventions,
        event.reading_every_days,
        record.recorded_at,
        record.version,
    ]
    if new:
        assert isinstance(event, ContractRegistered)
        await connection.execute(
            "INSERT INTO contracts (contract_id, organisation_id, number, contract_type,"
            " starts_on, ends_on, service_level, covers_support, covers_interventions,"
            " reading_every_days, registered_at, updated_at, version, erp_reference)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11, $12, $13)",
            *values,
            event.erp_reference,
        )
        return
    await connection.execute(
        "UPDATE contracts SET organisation_id = $2, number = $3, contract_type = $4,"
        " starts_on = $5, ends_on = $6, service_level = $7, covers_support = $8,"
        " covers_interventions = $9, reading_every_days = $10, updated_at = $11, version = $12"
        " WHERE contract_id = $1",
        *values,
    )


async def _project_asset(
    connection: asyncpg.Connection, event: DomainEvent, record: RecordedEvent
) -> None:
    at = record.recorded_at
    match event:
        case AssetRegistered():
            await connection.execute(
                "INSERT INTO assets (asset_id, organisation_id, model_id, product_reference,"
                " serial_number, site_id, location, status, installed_on, contract_id,"
                " counters, erp_reference, registered_at, updated_at, version)"
                " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13, 0)",
                event.asset_id,
                event.organisation_id,
                event.model_id,
                event.product_reference,
                event.serial_number,
                event.site_id,
                event.location,
                event.status.value,
                event.installed_on,
                event.contract.contract_id if event.contract else None,
                [counter.value for counter in event.counters],
                event.erp_reference,
                at,
            )
        case AssetRelocated():
            await connection.execute(
                "UPDATE assets SET site_id = $2, location = $3 WHERE asset_id = $1",
                event.asset_id,
                event.site_id,
                event.location,
            )
        case AssetStatusChanged():
            await connection.execute(
                "UPDATE assets SET status = $2 WHERE asset_id = $1",
                event.asset_id,
                event.to_status.value,
            )
        case ContractAttached():
            await connection.execute(
                "UPDATE assets SET contract_id = $2 WHERE asset_id = $1",
                event.asset_id,
                event.contract.contract_id,
            )
        case ContractDetached():
            await connection.execute(
                "UPDATE assets SET contract_id = NULL WHERE asset_id = $1", event.asset_id
            )
        case MeterReadingRecorded():
            await connection.execute(
                "INSERT INTO meter_readings (reading_id, asset_id, organisation_id, read_on,"
                " counters, previous, source, recorded_by, recorded_at)"
                " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                event.reading_id,
                event.asset_id,
                event.organisation_id,
                event.read_on,
                {counter.value: value for counter, value in event.counters.items()},
                {counter.value: value for counter, value in event.previous.items()},
                event.source.value,
                event.recorded_by,
                at,
            )
            # Who to remind next time: the customer who entered the last reading.
            await connection.execute(
                "UPDATE assets SET last_values = last_values || $2::jsonb, last_read_on = $3,"
                " last_read_by = CASE WHEN $5 THEN $4 ELSE last_read_by END WHERE asset_id = $1",
                event.asset_id,
                {counter.value: value for counter, value in event.counters.items()},
                event.read_on,
                event.recorded_by,
                event.source is ReadingSource.CUSTOMER,
            )
        case _:
            return
    await connection.execute(
        "UPDATE assets SET updated_at = $2, version = $3 WHERE asset_id = $1",
        event.asset_id,  # type: ignore[attr-defined]  # every asset event names its asset
        at,
        record.version,
    )
