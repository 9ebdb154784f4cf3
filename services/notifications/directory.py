"""Notifications' local copy of users, organisations and memberships, kept from identity's
events: who can be emailed, at which address, in which language, as which organisation."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Literal

import asyncpg

MembershipStatus = Literal["pending", "active", "blocked"]
ReferentKind = Literal["technical", "accounting", "dpo"]


@dataclass(frozen=True)
class KnownUser:
    user_id: uuid.UUID
    email: str
    first_name: str
    last_name: str
    language: str


@dataclass(frozen=True)
class KnownOrganisation:
    organisation_id: uuid.UUID
    legal_name: str
    language: str


async def save_user(
    connection: asyncpg.Connection,
    *,
    user_id: uuid.UUID,
    email: str,
    first_name: str,
    last_name: str,
    language: str,
) -> None:
    await connection.execute(
        "INSERT INTO directory_users (user_id, email, first_name, last_name, language)"
        " VALUES ($1, $2, $3, $4, $5)"
        " ON CONFLICT (user_id) DO UPDATE SET email = excluded.email,"
        " first_name = excluded.first_name, last_name = excluded.last_name,"
        " language = excluded.language, updated_at = now()",
        user_id,
        email,
        first_name,
        last_name,
        language,
    )


async def update_personal_information(
    connection: asyncpg.Connection,
    *,
    user_id: uuid.UUID,
    first_name: str,
    last_name: str,
    language: str,
) -> None:
    # The event carries no address, so a user not known yet cannot be added from it; the
    # account's own event, earlier on the same stream, always is.
    await connection.execute(
        "UPDATE directory_users SET first_name = $2, last_name = $3, language = $4,"
        " updated_at = now() WHERE user_id = $1",
        user_id,
        first_name,
        last_name,
        language,
    )


async def update_email(connection: asyncpg.Connection, *, user_id: uuid.UUID, email: str) -> None:
    await connection.execute(
        "UPDATE directory_users SET email = $2, updated_at = now() WHERE user_id = $1",
        user_id,
        email,
    )


async def save_organisation(
    connection: asyncpg.Connection, *, organisation_id: uuid.UUID, legal_name: str, language: str
) -> None:
    await connection.execute(
        "INSERT INTO directory_organisations (organisation_id, legal_name, language)"
        " VALUES ($1, $2, $3)"
        " ON CONFLICT (organisation_id) DO UPDATE SET legal_name = excluded.legal_name,"
        " language = excluded.language, updated_at = now()",
        organisation_id,
        legal_name,
        language,
    )


async def set_membership_status(
    connection: asyncpg.Connection,
    *,
    user_id: uuid.UUID,
    organisation_id: uuid.UUID,
    status: MembershipStatus,
) -> None:
    await connection.execute(
        "INSERT INTO directory_memberships (user_id, organisation_id, status)"
        " VALUES ($1, $2, $3)"
        " ON CONFLICT (user_id, organisation_id) DO UPDATE SET status = excluded.status,"
        " updated_at = now()",
        user_id,
        organisation_id,
        status,
    )


async def set_admin(
    connection: asyncpg.Connection,
    *,
    user_id: uuid.UUID,
    organisation_id: uuid.UUID,
    is_admin: bool,
) -> None:
    await connection.execute(
        "INSERT INTO directory_memberships (user_id, organisation_id, is_admin)"
        " VALUES ($1, $2, $3)"
        " ON CONFLICT (user_id, organisation_id) DO UPDATE SET is_admin = excluded.is_admin,"
        " updated_at = now()",
        user_id,
        organisation_id,
        is_admin,
    )


async def set_referents(
    connection: asyncpg.Connection,
    *,
    organisation_id: uuid.UUID,
    referents: dict[ReferentKind, list[uuid.UUID]],
) -> None:
    """The organisation's referents as they are now: kinds not named have none."""
    await connection.execute(
        "DELETE FROM directory_referents WHERE organisation_id = $1", organisation_id
    )
    await connection.executemany(
        "INSERT INTO directory_referents (organisation_id, kind, user_id) VALUES ($1, $2, $3)"
        " ON CONFLICT DO NOTHING",
        [(organisation_id, kind, user) for kind, users in referents.items() for user in users],
    )


async def find_user(connection: asyncpg.Connection, user_id: uuid.UUID) -> KnownUser | None:
    row = await connection.fetchrow(
        "SELECT user_id, email, first_name, last_name, language FROM directory_users"
        " WHERE user_id = $1",
        user_id,
    )
    return KnownUser(**row) if row else None


async def find_organisation(
    connection: asyncpg.Connection, organisation_id: uuid.UUID
) -> KnownOrganisation | None:
    row = await connection.fetchrow(
        "SELECT organisation_id, legal_name, language FROM directory_organisations"
        " WHERE organisation_id = $1",
        organisation_id,
    )
    return KnownOrganisation(**row) if row else None


async def active_admins(
    connection: asyncpg.Connection, organisation_id: uuid.UUID
) -> list[KnownUser]:
    """The organisation's customer admins who can act now (a blocked or pending admin can't)."""
    rows = await connection.fetch(
        "SELECT u.user_id, u.email, u.first_name, u.last_name, u.language"
        " FROM directory_memberships m JOIN directory_users u USING (user_id)"
        " WHERE m.organisation_id = $1 AND m.is_admin AND m.status = 'active'"
        " ORDER BY u.user_id",
        organisation_id,
    )
    return [KnownUser(**row) for row in rows]


async def referents(
    connection: asyncpg.Connection, organisation_id: uuid.UUID, kind: ReferentKind
) -> list[uuid.UUID]:
    """The organisation's referents of one kind, but those blocked in it since identity named
    them (it names only active users). Ids: a referent whose account's event has not arrived
    yet is still a recipient, whose email waits for their address."""
    return list(
        await connection.fetchval(
            "SELECT coalesce(array_agg(r.user_id ORDER BY r.user_id), '{}')"
            " FROM directory_referents r LEFT JOIN directory_memberships m"
            "   ON m.user_id = r.user_id AND m.organisation_id = r.organisation_id"
            " WHERE r.organisation_id = $1 AND r.kind = $2"
            "   AND m.status IS DISTINCT FROM 'blocked'",
            organisation_id,
            kind,
        )
    )
