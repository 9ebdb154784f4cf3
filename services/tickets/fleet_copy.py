"""Tickets' local copy of fleet's assets and contracts, kept from fleet's events (no
synchronous call): which machines an organisation has, where, and what their contract covers.
The support contracts in force (`support_contracts`, what "support contract required" and a
ticket's contract check) are derived from the same contracts here."""

from __future__ import annotations

import datetime as dt
import uuid

import asyncpg

from services.fleet.events import ContractTerms
from services.tickets.domain import RequestedOn


async def save_terms(
    connection: asyncpg.Connection,
    organisation_id: uuid.UUID,
    terms: ContractTerms,
    at: dt.datetime,
) -> None:
    """The contract's terms as of `at`; terms older than those already kept change nothing."""
    await connection.execute(
        "INSERT INTO contracts (contract_id, organisation_id, number, contract_type, starts_on,"
        " ends_on, service_level, covers_support, covers_interventions, terms_at)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
        " ON CONFLICT (contract_id) DO UPDATE SET organisation_id = excluded.organisation_id,"
        " number = excluded.number, contract_type = excluded.contract_type,"
        " starts_on = excluded.starts_on, ends_on = excluded.ends_on,"
        " service_level = excluded.service_level, covers_support = excluded.covers_support,"
        " covers_interventions = excluded.covers_interventions, terms_at = excluded.terms_at"
        " WHERE contracts.terms_at IS NULL OR contracts.terms_at <= excluded.terms_at",
        terms.contract_id,
        organisation_id,
        terms.number,
        terms.contract_type.value,
        terms.starts_on,
        terms.ends_on,
        terms.service_level,
        terms.covers_support,
        terms.covers_interventions,
        at,
    )
    await _derive_support_contract(connection, terms.contract_id)


async def end_contract(
    connection: asyncpg.Connection,
    contract_id: uuid.UUID,
    organisation_id: uuid.UUID,
    number: str,
    ended_on: dt.date,
) -> None:
    await connection.execute(
        "INSERT INTO contracts (contract_id, organisation_id, number, ended_on)"
        " VALUES ($1, $2, $3, $4)"
        " ON CONFLICT (contract_id) DO UPDATE SET ended_on = excluded.ended_on",
        contract_id,
        organisation_id,
        number,
        ended_on,
    )
    await _derive_support_contract(connection, contract_id)


async def _derive_support_contract(connection: asyncpg.Connection, contract_id: uuid.UUID) -> None:
    """The contract's row in `support_contracts`: there while it covers support, its last day
    the earlier of its end date and the day before it was ended (fleet's `ended_on` is the
    first day it no longer covers)."""
    await connection.execute("DELETE FROM support_contracts WHERE contract_id = $1", contract_id)
    await connection.execute(
        "INSERT INTO support_contracts (contract_id, organisation_id, number, starts_on, ends_on)"
        " SELECT contract_id, organisation_id, number, starts_on,"
        " CASE WHEN ended_on IS NULL THEN ends_on"
        " ELSE least(coalesce(ends_on, ended_on - 1), ended_on - 1) END"
        " FROM contracts WHERE contract_id = $1 AND covers_support AND starts_on IS NOT NULL",
        contract_id,
    )


async def save_asset(
    connection: asyncpg.Connection,
    *,
    asset_id: uuid.UUID,
    organisation_id: uuid.UUID,
    model_id: uuid.UUID,
    model_code: str,
    model_name: str,
    manufacturer: str,
    product_reference: str | None,
    serial_number: str,
    site_id: uuid.UUID,
    site_name: str,
    location: str,
    status: str,
    contract_id: uuid.UUID | None,
) -> None:
    await connection.execute(
        "INSERT INTO assets (asset_id, organisation_id, model_id, model_code, model_name,"
        " manufacturer, product_reference, serial_number, site_id, site_name, location, status,"
        " contract_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)"
        " ON CONFLICT (asset_id) DO NOTHING",
        asset_id,
        organisation_id,
        model_id,
        model_code,
        model_name,
        manufacturer,
        product_reference,
        serial_number,
        site_id,
        site_name,
        location,
        status,
        contract_id,
    )


async def update_asset(
    connection: asyncpg.Connection, asset_id: uuid.UUID, **values: object
) -> None:
    """Set some of an asset's columns (names from this module's callers, never from input)."""
    columns = ", ".join(f"{name} = ${i}" for i, name in enumerate(values, start=2))
    await connection.execute(
        f"UPDATE assets SET {columns} WHERE asset_id = $1", asset_id, *values.values()
    )


async def is_asset_of(
    connection: asyncpg.Connection, organisation_id: uuid.UUID, asset_id: uuid.UUID
) -> bool:
    return bool(
        await connection.fetchval(
            "SELECT EXISTS (SELECT FROM assets WHERE asset_id = $1 AND organisation_id = $2)",
            asset_id,
            organisation_id,
        )
    )


async def requested_on(
    connection: asyncpg.Connection,
    asset_id: uuid.UUID,
    organisation_id: uuid.UUID,
    today: dt.date,
) -> tuple[RequestedOn, str] | None:
    """The organisation's machine, whether its contract in force covers interventions, and
    the machine's status; None when the organisation has no such machine."""
    row = await connection.fetchrow(
        "SELECT a.status, a.asset_id, a.serial_number, a.model_name, a.site_name, a.location,"
        " c.contract_id, c.number AS contract_number,"
        " coalesce(c.covers_interventions AND c.starts_on <= $3"
        " AND (c.ends_on IS NULL OR c.ends_on >= $3)"
        " AND (c.ended_on IS NULL OR c.ended_on > $3), false) AS covered"
        " FROM assets a LEFT JOIN contracts c ON c.contract_id = a.contract_id"
        " WHERE a.asset_id = $1 AND a.organisation_id = $2",
        asset_id,
        organisation_id,
        today,
    )
    if row is None:
        return None
    values = dict(row)
    status = values.pop("status")
    return RequestedOn(**values), status
