"""The fleet list (filters, search, keyset pagination by serial number), an asset's page,
its history, its readings, and the readings due."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Any

import asyncpg
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from services.fleet.domain_types import AssetStatus, Counter
from services.fleet.queries.registry import contract_view
from services.fleet.queries.views import (
    AssetPage,
    AssetSummary,
    CounterValue,
    DueReading,
    ReadingView,
    TimelineEntry,
)
from shared.http.paging import decode_cursor, encode_cursor

Words = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]


class Paging(BaseModel):
    cursor: str | None = Field(default=None, max_length=300)
    limit: int = Field(default=25, ge=1, le=100)


class FleetFilters(Paging):
    model_config = ConfigDict(extra="forbid")

    site_id: uuid.UUID | None = None
    model_id: uuid.UUID | None = None
    contract_id: uuid.UUID | None = None
    status: list[AssetStatus] | None = Field(
        default=None, description="Default: every status but withdrawn"
    )
    q: Words | None = Field(
        default=None,
        description="Words found in the serial number, model, product reference, site,"
        " location or contract number",
    )


class AgentFleetFilters(FleetFilters):
    organisation_id: uuid.UUID | None = None


SUMMARY = """
SELECT a.asset_id, a.organisation_id, a.model_id, m.code AS model_code, m.name AS model_name,
       m.manufacturer, a.product_reference, a.serial_number, a.site_id, s.name AS site_name,
       a.location, a.status, a.installed_on, a.contract_id, c.number AS contract_number,
       a.erp_reference,
       CASE WHEN rs.contract_ends_on IS NULL OR rs.contract_ends_on >= $1 THEN rs.due_on END
           AS next_reading_due_on
FROM assets a
JOIN asset_models m USING (model_id)
JOIN sites s USING (site_id)
LEFT JOIN contracts c ON c.contract_id = a.contract_id
LEFT JOIN reading_schedule rs ON rs.asset_id = a.asset_id
"""


class Where:
    """WHERE clauses with numbered parameters ($1 is today's date)."""

    def __init__(self, today: dt.date) -> None:
        self.clauses: list[str] = []
        self.arguments: list[Any] = [today]

    def add(self, clause: str, *values: Any) -> Where:
        numbers = []
        for value in values:
            self.arguments.append(value)
            numbers.append(f"${len(self.arguments)}")
        self.clauses.append(clause.format(*numbers))
        return self

    def sql(self) -> str:
        return " WHERE " + " AND ".join(self.clauses) if self.clauses else ""


def scoped(
    today: dt.date, organisation_id: uuid.UUID | None, branch_id: uuid.UUID | None = None
) -> Where:
    """The assets of an organisation (None: every one), at the sites of a branch when the
    reader's access is limited to one."""
    where = Where(today)
    if organisation_id is not None:
        where.add("a.organisation_id = {}", organisation_id)
    if branch_id is not None:
        where.add("s.branch_id = {}", branch_id)
    return where


def _contains(words: str) -> str:
    escaped = words.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


async def list_assets(
    connection: asyncpg.Connection,
    *,
    today: dt.date,
    organisation_id: uuid.UUID | None,
    filters: FleetFilters,
    branch_id: uuid.UUID | None = None,
) -> tuple[list[AssetSummary], str | None]:
    """A page of the organisation's assets (every organisation's: `organisation_id` None),
    by serial number; raises `BadCursor` for a cursor it did not hand out."""
    where = scoped(today, organisation_id, branch_id)
    if isinstance(filters, AgentFleetFilters) and filters.organisation_id:
        where.add("a.organisation_id = {}", filters.organisation_id)
    for name in ("site_id", "model_id", "contract_id"):
        value = getattr(filters, name)
        if value is not None:
            where.add(f"a.{name} = {{}}", value)
    if filters.status:
        where.add("a.status = ANY({}::text[])", [status.value for status in filters.status])
    else:  # machines taken back stay in the records, out of the way
        where.add("a.status <> 'withdrawn'")
    if filters.q:
        where.add(
            "concat_ws(' ', a.serial_number, m.code, m.name, m.manufacturer, a.product_reference,"
            " s.name, a.location, c.number) ILIKE {}",
            _contains(filters.q),
        )
    if filters.cursor is not None:
        serial, asset_id = decode_cursor(filters.cursor, (str, uuid.UUID))
        where.add("(a.serial_number, a.asset_id) > ({}, {})", serial, asset_id)
    rows = await connection.fetch(
        f"{SUMMARY} {where.sql()} ORDER BY a.serial_number, a.asset_id LIMIT {filters.limit + 1}",
        *where.arguments,
    )
    assets = [AssetSummary.model_validate(dict(row)) for row in rows[: filters.limit]]
    more = len(rows) > filters.limit
    next_cursor = encode_cursor(assets[-1].serial_number, assets[-1].asset_id) if more else None
    return assets, next_cursor


async def asset_page(
    connection: asyncpg.Connection,
    asset_id: uuid.UUID,
    *,
    today: dt.date,
    organisation_id: uuid.UUID | None,
    branch_id: uuid.UUID | None = None,
) -> AssetPage | None:
    where = scoped(today, organisation_id, branch_id).add("a.asset_id = {}", asset_id)
    row = await connection.fetchrow(f"{SUMMARY} {where.sql()}", *where.arguments)
    if row is None:
        return None
    extra = await connection.fetchrow(
        "SELECT a.counters, a.last_values, a.last_read_on,"
        " (SELECT count(*) FROM consumables k WHERE k.model_id = a.model_id) AS consumables"
        " FROM assets a WHERE a.asset_id = $1",
        asset_id,
    )
    summary = AssetSummary.model_validate(dict(row))
    contract = (
        await contract_view(connection, summary.contract_id, today=today)
        if summary.contract_id
        else None
    )
    return AssetPage(
        asset=summary,
        counters=counter_values(extra["counters"], extra["last_values"]),
        last_read_on=extra["last_read_on"],
        contract=contract,
        consumables=extra["consumables"],
    )


def counter_values(counters: list[str], last_values: dict[str, int]) -> list[CounterValue]:
    return [
        CounterValue(counter=Counter(counter), last_value=last_values.get(counter))
        for counter in counters
    ]


async def asset_owner(
    connection: asyncpg.Connection, asset_id: uuid.UUID
) -> tuple[uuid.UUID, uuid.UUID | None] | None:
    """The asset's organisation and its site's branch; None when there is no such asset."""
    row = await connection.fetchrow(
        "SELECT a.organisation_id, s.branch_id FROM assets a JOIN sites s USING (site_id)"
        " WHERE a.asset_id = $1",
        asset_id,
    )
    return (row["organisation_id"], row["branch_id"]) if row else None


async def timeline(
    connection: asyncpg.Connection,
    asset_id: uuid.UUID,
    *,
    staff: bool,
    cursor: str | None,
    limit: int,
) -> tuple[list[TimelineEntry], str | None]:
    """The asset's history, newest first (the caller has checked the asset is visible)."""
    arguments: list[Any] = [asset_id, staff]
    after = ""
    if cursor is not None:
        occurred_at, event_id = decode_cursor(cursor, (dt.datetime, uuid.UUID))
        arguments += [occurred_at, event_id]
        after = " AND (occurred_at, event_id) < ($3, $4)"
    rows = await connection.fetch(
        "SELECT event_id, occurred_at, source, kind, summary FROM asset_timeline"
        " WHERE asset_id = $1 AND (NOT staff_only OR $2)"
        + after
        + f" ORDER BY occurred_at DESC, event_id DESC LIMIT {limit + 1}",
        *arguments,
    )
    entries = [TimelineEntry.model_validate(dict(row)) for row in rows[:limit]]
    more = len(rows) > limit
    return entries, encode_cursor(entries[-1].occurred_at, entries[-1].event_id) if more else None


async def readings(
    connection: asyncpg.Connection, asset_id: uuid.UUID, *, cursor: str | None, limit: int
) -> tuple[list[ReadingView], str | None]:
    """The asset's readings, newest first (the caller has checked the asset is visible)."""
    arguments: list[Any] = [asset_id]
    after = ""
    if cursor is not None:
        recorded_at, reading_id = decode_cursor(cursor, (dt.datetime, uuid.UUID))
        arguments += [recorded_at, reading_id]
        after = " AND (recorded_at, reading_id) < ($2, $3)"
    rows = await connection.fetch(
        "SELECT reading_id, asset_id, read_on, counters, previous, source, recorded_by,"
        " recorded_at FROM meter_readings WHERE asset_id = $1"
        + after
        + f" ORDER BY recorded_at DESC, reading_id DESC LIMIT {limit + 1}",
        *arguments,
    )
    views = [
        ReadingView.model_validate(
            {
                **dict(row),
                "usage": {
                    counter: value - row["previous"][counter]
                    for counter, value in row["counters"].items()
                    if counter in row["previous"]
                },
            }
        )
        for row in rows[:limit]
    ]
    more = len(rows) > limit
    return views, encode_cursor(views[-1].recorded_at, views[-1].reading_id) if more else None


async def due_readings(
    connection: asyncpg.Connection,
    *,
    today: dt.date,
    notice_days: int,
    organisation_id: uuid.UUID,
    branch_id: uuid.UUID | None = None,
) -> list[DueReading]:
    """The organisation's assets whose reading is due within `notice_days` (or overdue),
    soonest first."""
    rows = await connection.fetch(
        "SELECT rs.asset_id, rs.serial_number, rs.model_name, rs.site_name, rs.location,"
        " rs.contract_number, rs.last_read_on, rs.due_on, a.counters, a.last_values"
        " FROM reading_schedule rs JOIN assets a USING (asset_id)"
        " JOIN sites s ON s.site_id = a.site_id"
        " WHERE rs.organisation_id = $2 AND rs.due_on <= $1::date + $3::int"
        "   AND (rs.contract_ends_on IS NULL OR rs.contract_ends_on >= $1)"
        "   AND ($4::uuid IS NULL OR s.branch_id = $4)"
        " ORDER BY rs.due_on, rs.serial_number, rs.asset_id",
        today,
        organisation_id,
        notice_days,
        branch_id,
    )
    return [
        DueReading(
            asset_id=row["asset_id"],
            serial_number=row["serial_number"],
            model_name=row["model_name"],
            site_name=row["site_name"],
            location=row["location"],
            contract_number=row["contract_number"],
            counters=counter_values(row["counters"], row["last_values"]),
            last_read_on=row["last_read_on"],
            due_on=row["due_on"],
            overdue=row["due_on"] < today,
        )
        for row in rows
    ]
