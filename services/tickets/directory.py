"""Tickets' local copy of identity's users and memberships, kept from identity's events (no
synchronous call): names to show, the requester's address, and who is a colleague of whom."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import asyncpg


@dataclass(frozen=True)
class Person:
    user_id: uuid.UUID
    email: str
    first_name: str
    last_name: str
    is_staff: bool


async def save_person(
    connection: asyncpg.Connection,
    *,
    user_id: uuid.UUID,
    email: str,
    first_name: str,
    last_name: str,
    is_staff: bool = False,
) -> None:
    await connection.execute(
        "INSERT INTO people (user_id, email, first_name, last_name, is_staff)"
        " VALUES ($1, $2, $3, $4, $5) ON CONFLICT (user_id) DO UPDATE SET"
        " email = excluded.email, first_name = excluded.first_name,"
        " last_name = excluded.last_name, is_staff = people.is_staff OR excluded.is_staff",
        user_id,
        email,
        first_name,
        last_name,
        is_staff,
    )


async def rename(
    connection: asyncpg.Connection, user_id: uuid.UUID, first_name: str, last_name: str
) -> None:
    await connection.execute(
        "UPDATE people SET first_name = $2, last_name = $3 WHERE user_id = $1",
        user_id,
        first_name,
        last_name,
    )


async def set_membership(
    connection: asyncpg.Connection, user_id: uuid.UUID, organisation_id: uuid.UUID, status: str
) -> None:
    await connection.execute(
        "INSERT INTO memberships (user_id, organisation_id, status) VALUES ($1, $2, $3)"
        " ON CONFLICT (user_id, organisation_id) DO UPDATE SET status = excluded.status",
        user_id,
        organisation_id,
        status,
    )


async def find_person(
    connection: asyncpg.Connection | asyncpg.Pool, user_id: uuid.UUID
) -> Person | None:
    row = await connection.fetchrow(
        "SELECT user_id, email, first_name, last_name, is_staff FROM people WHERE user_id = $1",
        user_id,
    )
    return Person(**dict(row)) if row else None


async def active_colleague(
    connection: asyncpg.Connection, user_id: uuid.UUID, organisation_id: uuid.UUID
) -> Person | None:
    """The user, if they are an active member of the organisation."""
    row = await connection.fetchrow(
        "SELECT p.user_id, p.email, p.first_name, p.last_name, p.is_staff"
        " FROM people p JOIN memberships m USING (user_id)"
        " WHERE p.user_id = $1 AND m.organisation_id = $2 AND m.status = 'active'",
        user_id,
        organisation_id,
    )
    return Person(**dict(row)) if row else None


async def has_support_contract(
    connection: asyncpg.Connection, organisation_id: uuid.UUID, contract_id: uuid.UUID | None
) -> bool:
    """A contract in force today (the given one, when named) for the organisation."""
    return bool(
        await connection.fetchval(
            "SELECT EXISTS (SELECT FROM support_contracts WHERE organisation_id = $1"
            " AND ($2::uuid IS NULL OR contract_id = $2) AND starts_on <= current_date"
            " AND (ends_on IS NULL OR ends_on >= current_date))",
            organisation_id,
            contract_id,
        )
    )


async def is_contract_of(
    connection: asyncpg.Connection, organisation_id: uuid.UUID, contract_id: uuid.UUID
) -> bool:
    return bool(
        await connection.fetchval(
            "SELECT EXISTS (SELECT FROM support_contracts"
            " WHERE organisation_id = $1 AND contract_id = $2)",
            organisation_id,
            contract_id,
        )
    )


async def active_colleagues(
    connection: asyncpg.Pool, organisation_id: uuid.UUID
) -> list[dict[str, object]]:
    """The organisation's active users, by name: requesters to filter by, colleagues to open
    a ticket for."""
    rows = await connection.fetch(
        "SELECT p.user_id, p.first_name, p.last_name FROM people p JOIN memberships m"
        " USING (user_id) WHERE m.organisation_id = $1 AND m.status = 'active'"
        " ORDER BY p.last_name, p.first_name, p.user_id",
        organisation_id,
    )
    return [dict(row) for row in rows]


async def contracts_in_force(
    connection: asyncpg.Pool, organisation_id: uuid.UUID
) -> list[dict[str, object]]:
    rows = await connection.fetch(
        "SELECT contract_id, number, starts_on, ends_on FROM support_contracts"
        " WHERE organisation_id = $1 AND starts_on <= current_date"
        " AND (ends_on IS NULL OR ends_on >= current_date) ORDER BY number, contract_id",
        organisation_id,
    )
    return [dict(row) for row in rows]
