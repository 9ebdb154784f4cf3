"""The list of tickets: filters, full-text search, keyset pagination (most recently changed
first), and the same rows for the export."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

import asyncpg
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from services.tickets.domain_types import Department, Priority, TicketStatus, TicketType
from services.tickets.queries.views import TicketList, TicketSummary
from shared.http.paging import BadCursor

Words = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class TicketFilters(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: list[TicketStatus] | None = None
    priority: list[Priority] | None = None
    ticket_type: list[TicketType] | None = None
    requester_id: uuid.UUID | None = None
    product: Words | None = None
    site: Words | None = None
    q: Words | None = Field(
        default=None, description="Words to find in titles, descriptions and messages"
    )


class AgentTicketFilters(TicketFilters):
    organisation_id: uuid.UUID | None = None
    department: list[Department] | None = None
    assignee_id: uuid.UUID | None = None
    unassigned: bool | None = None
    overdue: bool | None = None


class Paging(BaseModel):
    cursor: str | None = Field(default=None, max_length=200)
    limit: int = Field(default=25, ge=1, le=100)


class CustomerListQuery(TicketFilters, Paging):
    pass


class AgentListQuery(AgentTicketFilters, Paging):
    pass


BACKWARD = "before"


def encode_cursor(updated_at: dt.datetime, ticket_id: uuid.UUID, *, backward: bool = False) -> str:
    """A place in the list: the tickets after it, or (backward) the page before it."""
    position = [updated_at.isoformat(), str(ticket_id)] + ([BACKWARD] if backward else [])
    raw = json.dumps(position).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[dt.datetime, uuid.UUID, bool]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        updated_at, ticket_id, *direction = json.loads(raw)
        moment = dt.datetime.fromisoformat(updated_at)
        if moment.tzinfo is None or direction not in ([], [BACKWARD]):
            raise BadCursor
        return moment, uuid.UUID(ticket_id), bool(direction)
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError) as error:
        raise BadCursor from error


FIRST_RESPONSE_OVERDUE = (
    "(t.first_response_due_at IS NOT NULL"
    " AND coalesce(t.first_response_at, now()) > t.first_response_due_at)"
)
RESOLUTION_OVERDUE = (
    "(t.resolution_due_at IS NOT NULL"
    " AND coalesce(t.resolved_at, t.closed_at, now()) > t.resolution_due_at)"
)
SUMMARY_COLUMNS = f"""
    t.ticket_id, t.organisation_id, t.number, t.title, t.status, t.priority, t.ticket_type,
    t.department, t.nature, t.severity, t.requester_id,
    coalesce(nullif(trim(p.first_name || ' ' || p.last_name), ''), t.requester_email)
        AS requester,
    t.assignee_id, t.product, t.site, t.reference_1, t.reference_2, t.opened_at,
    t.updated_at, t.first_response_due_at, t.resolution_due_at,
    {FIRST_RESPONSE_OVERDUE} AS first_response_overdue,
    {RESOLUTION_OVERDUE} AS resolution_overdue,
    greatest(t.public_messages - coalesce(r.messages_read, 0), 0) AS unread_messages
"""
FROM = """
    FROM tickets t
    LEFT JOIN people p ON p.user_id = t.requester_id
    LEFT JOIN ticket_reads r ON r.ticket_id = t.ticket_id AND r.user_id = $1
"""


class _Where:
    """WHERE clauses with numbered parameters ($1 is the reader's user id)."""

    def __init__(self, reader: uuid.UUID) -> None:
        self.clauses: list[str] = []
        self.arguments: list[Any] = [reader]

    def add(self, clause: str, *values: Any) -> None:
        numbers = []
        for value in values:
            self.arguments.append(value)
            numbers.append(f"${len(self.arguments)}")
        self.clauses.append(clause.format(*numbers))

    def sql(self) -> str:
        return " WHERE " + " AND ".join(self.clauses) if self.clauses else ""


def _where(reader: uuid.UUID, organisation_id: uuid.UUID | None, filters: TicketFilters) -> _Where:
    where = _Where(reader)
    if organisation_id is not None:
        where.add("t.organisation_id = {}", organisation_id)
    if filters.status:
        where.add("t.status = ANY({}::text[])", [s.value for s in filters.status])
    if filters.priority:
        where.add("t.priority = ANY({}::text[])", [p.value for p in filters.priority])
    if filters.ticket_type:
        where.add("t.ticket_type = ANY({}::text[])", [k.value for k in filters.ticket_type])
    if filters.requester_id:
        where.add("t.requester_id = {}", filters.requester_id)
    if filters.product:
        where.add("t.product ILIKE {}", _contains(filters.product))
    if filters.site:
        where.add("t.site ILIKE {}", _contains(filters.site))
    if filters.q:
        where.add("t.search_vector @@ ticket_text_query({})", filters.q)
    if isinstance(filters, AgentTicketFilters):
        _agent_where(where, filters)
    return where


def _agent_where(where: _Where, filters: AgentTicketFilters) -> None:
    if filters.organisation_id:
        where.add("t.organisation_id = {}", filters.organisation_id)
    if filters.department:
        where.add("t.department = ANY({}::text[])", [d.value for d in filters.department])
    if filters.assignee_id:
        where.add("t.assignee_id = {}", filters.assignee_id)
    if filters.unassigned is not None:
        where.add("(t.assignee_id IS NULL) = {}", filters.unassigned)
    if filters.overdue is not None:
        where.add(f"({FIRST_RESPONSE_OVERDUE} OR {RESOLUTION_OVERDUE}) = {{}}", filters.overdue)


def _contains(words: str) -> str:
    escaped = words.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


@asynccontextmanager
async def _planned_for_its_values(pool: asyncpg.Pool) -> AsyncIterator[asyncpg.Connection]:
    """A connection whose statements are planned for the values they are run with.

    asyncpg prepares and caches statements; after five runs PostgreSQL may keep a generic
    plan, made for an average organisation (a few hundred tickets). For one with 100,000 it
    is the wrong plan: 4 to 10 times slower, with lossy bitmaps (docs/performance.md,
    "Tickets"). Planning each time costs well under a millisecond."""
    async with pool.acquire() as connection, connection.transaction():
        await connection.execute("SET LOCAL plan_cache_mode = force_custom_plan")
        yield connection


async def list_tickets(
    pool: asyncpg.Pool,
    *,
    reader: uuid.UUID,
    organisation_id: uuid.UUID | None,
    filters: TicketFilters,
    cursor: str | None,
    limit: int,
) -> TicketList:
    """A page of the filtered list, the cursors of the next and previous pages, and how many
    tickets of the whole filtered list have unread messages. `organisation_id` None: every
    organisation."""
    where = _where(reader, organisation_id, filters)
    async with _planned_for_its_values(pool) as connection:
        return await _page(connection, where, cursor, limit)


async def _page(
    connection: asyncpg.Connection, where: _Where, cursor: str | None, limit: int
) -> TicketList:
    unread = await connection.fetchval(
        f"SELECT count(*) {FROM} {where.sql()}"
        + (" AND " if where.clauses else " WHERE ")
        + "t.public_messages > coalesce(r.messages_read, 0)",
        *where.arguments,
    )
    backward = False
    if cursor is not None:
        after_updated, after_id, backward = decode_cursor(cursor)
        # Backward: the tickets just before the cursor, read in reverse then put back in order.
        where.add(
            f"(t.updated_at, t.ticket_id) {'>' if backward else '<'} ({{}}, {{}})",
            after_updated,
            after_id,
        )
    order = "ASC" if backward else "DESC"
    rows = await connection.fetch(
        f"SELECT {SUMMARY_COLUMNS} {FROM} {where.sql()}"
        f" ORDER BY t.updated_at {order}, t.ticket_id {order} LIMIT {limit + 1}",
        *where.arguments,
    )
    tickets = [TicketSummary.model_validate(dict(row)) for row in rows[:limit]]
    more = len(rows) > limit
    if backward:
        tickets.reverse()
    first, last = (tickets[0], tickets[-1]) if tickets else (None, None)
    # Going forward there is a page before whenever a cursor was followed; going backward
    # there is a page after (the one we came from).
    has_next = more if not backward else last is not None
    has_previous = more if backward else cursor is not None and first is not None
    return TicketList(
        tickets=tickets,
        next_cursor=encode_cursor(last.updated_at, last.ticket_id) if has_next and last else None,
        previous_cursor=encode_cursor(first.updated_at, first.ticket_id, backward=True)
        if has_previous and first
        else None,
        unread_tickets=unread,
    )


async def every_ticket(
    pool: asyncpg.Pool,
    *,
    reader: uuid.UUID,
    organisation_id: uuid.UUID | None,
    filters: TicketFilters,
    maximum: int,
) -> AsyncIterator[TicketSummary]:
    """The whole filtered list in the list's order, read with a server-side cursor."""
    where = _where(reader, organisation_id, filters)
    async with _planned_for_its_values(pool) as connection:
        async for row in connection.cursor(
            f"SELECT {SUMMARY_COLUMNS} {FROM} {where.sql()}"
            f" ORDER BY t.updated_at DESC, t.ticket_id DESC LIMIT {maximum}",
            *where.arguments,
        ):
            yield TicketSummary.model_validate(dict(row))
