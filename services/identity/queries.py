"""Questions answered from identity's read models."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, Literal

import asyncpg
from pydantic import BaseModel

from services.identity.domain_types import (
    Language,
    MembershipStatus,
    OrganisationDetails,
    OrganisationStatus,
    Referents,
    normalise_email,
)
from shared.auth.claims import Module, Role

Db = asyncpg.Connection | asyncpg.Pool
CONTACTS_PER_PAGE = 10


# --- organisations ---------------------------------------------------------------------------


class OrganisationView(BaseModel):
    organisation_id: uuid.UUID
    code: str
    status: OrganisationStatus
    language: Language
    currency: str
    details: OrganisationDetails
    referents: Referents
    registered_at: dt.datetime
    updated_at: dt.datetime


class OrganisationSummary(BaseModel):
    organisation_id: uuid.UUID
    code: str
    legal_name: str
    status: OrganisationStatus
    language: Language


class OrganisationWithBranches(OrganisationSummary):
    branches: set[uuid.UUID]


class OrganisationPage(BaseModel):
    items: list[OrganisationSummary]
    total: int


async def organisation_code_taken(db: Db, code: str) -> bool:
    return bool(
        await db.fetchval("SELECT true FROM organisations WHERE lower(code) = lower($1)", code)
    )


async def organisation_exists(db: Db, organisation_id: uuid.UUID) -> bool:
    return bool(
        await db.fetchval(
            "SELECT true FROM organisations WHERE organisation_id = $1", organisation_id
        )
    )


async def organisation(db: Db, organisation_id: uuid.UUID) -> OrganisationView | None:
    row = await db.fetchrow(
        "SELECT organisation_id, code, status, language, currency, details, referents,"
        " registered_at, updated_at FROM organisations WHERE organisation_id = $1",
        organisation_id,
    )
    return OrganisationView.model_validate(dict(row)) if row else None


async def organisation_summary(
    db: Db, organisation_id: uuid.UUID
) -> OrganisationWithBranches | None:
    row = await db.fetchrow(
        "SELECT organisation_id, code, legal_name, status, language,"
        " COALESCE(ARRAY(SELECT (b->>'branch_id')::uuid"
        "   FROM jsonb_array_elements(details->'branches') b), '{}') AS branches"
        " FROM organisations WHERE organisation_id = $1",
        organisation_id,
    )
    return OrganisationWithBranches.model_validate(dict(row)) if row else None


async def organisation_by_code(db: Db, code: str) -> OrganisationSummary | None:
    row = await db.fetchrow(
        "SELECT organisation_id, code, legal_name, status, language FROM organisations"
        " WHERE lower(code) = lower($1)",
        code.strip(),
    )
    return OrganisationSummary.model_validate(dict(row)) if row else None


async def search_organisations(db: Db, text: str, limit: int, offset: int) -> OrganisationPage:
    pattern = f"%{_escape_like(text)}%"
    rows = await db.fetch(
        "SELECT organisation_id, code, legal_name, status, language, count(*) OVER () AS total"
        " FROM organisations WHERE legal_name ILIKE $1 OR code ILIKE $1"
        " ORDER BY legal_name, organisation_id LIMIT $2 OFFSET $3",
        pattern,
        limit,
        offset,
    )
    return OrganisationPage(
        items=[OrganisationSummary.model_validate(dict(row)) for row in rows],
        total=rows[0]["total"] if rows else 0,
    )


class ChangeRequestView(BaseModel):
    request_id: uuid.UUID
    organisation_id: uuid.UUID
    organisation_name: str
    requested_by: uuid.UUID
    details: OrganisationDetails | None
    referents: Referents | None
    status: str
    reason: str | None
    requested_at: dt.datetime
    decided_at: dt.datetime | None


async def change_requests(
    db: Db, *, organisation_id: uuid.UUID | None = None, status: str | None = None
) -> list[ChangeRequestView]:
    rows = await db.fetch(
        "SELECT c.request_id, c.organisation_id, o.legal_name AS organisation_name,"
        " c.requested_by, c.details, c.referents, c.status, c.reason, c.requested_at,"
        " c.decided_at FROM change_requests c JOIN organisations o USING (organisation_id)"
        " WHERE ($1::uuid IS NULL OR c.organisation_id = $1)"
        " AND ($2::text IS NULL OR c.status = $2)"
        " ORDER BY c.requested_at DESC LIMIT 200",
        organisation_id,
        status,
    )
    return [ChangeRequestView.model_validate(dict(row)) for row in rows]


async def change_request_organisation(db: Db, request_id: uuid.UUID) -> uuid.UUID | None:
    return await db.fetchval(
        "SELECT organisation_id FROM change_requests WHERE request_id = $1", request_id
    )


# --- contacts and members ----------------------------------------------------------------------


class ContactView(BaseModel):
    contact_id: uuid.UUID
    organisation_id: uuid.UUID
    first_name: str
    last_name: str
    title: str
    department: str
    contact_type: str
    email: str | None
    phone: str
    mobile: str
    fax: str
    user_id: uuid.UUID | None


async def contacts_of_organisation(db: Db, organisation_id: uuid.UUID) -> list[ContactView]:
    rows = await db.fetch(
        "SELECT contact_id, organisation_id, first_name, last_name, title, department,"
        " contact_type, email, phone, mobile, fax, user_id FROM contacts"
        " WHERE organisation_id = $1 ORDER BY last_name, first_name, contact_id",
        organisation_id,
    )
    return [ContactView.model_validate(dict(row)) for row in rows]


async def contact(db: Db, contact_id: uuid.UUID) -> ContactView | None:
    row = await db.fetchrow(
        "SELECT contact_id, organisation_id, first_name, last_name, title, department,"
        " contact_type, email, phone, mobile, fax, user_id FROM contacts WHERE contact_id = $1",
        contact_id,
    )
    return ContactView.model_validate(dict(row)) if row else None


class MemberView(BaseModel):
    """A user of the organisation, as the customer admin's list shows them (seed 000)."""

    user_id: uuid.UUID
    user_code: str
    first_name: str
    last_name: str
    function: str
    email: str
    phone: str
    status: MembershipStatus
    role: Role
    modules: list[Module]


class MemberPage(BaseModel):
    items: list[MemberView]
    total: int
    page: int
    per_page: int


async def members(db: Db, organisation_id: uuid.UUID, search: str, page: int) -> MemberPage:
    """Search by name, first name, email or function; 10 per page, by name."""
    pattern = f"%{_escape_like(search.strip())}%"
    rows = await db.fetch(
        "SELECT u.user_id, u.user_code, u.first_name, u.last_name,"
        " COALESCE(NULLIF(u.function, ''), c.title, '') AS function, u.email,"
        " COALESCE(NULLIF(u.phone, ''), c.phone, '') AS phone, m.status, m.role, m.modules,"
        " count(*) OVER () AS total"
        " FROM memberships m JOIN users u USING (user_id)"
        " LEFT JOIN contacts c ON c.contact_id = m.contact_id"
        " WHERE m.organisation_id = $1 AND (u.last_name ILIKE $2 OR u.first_name ILIKE $2"
        "  OR u.email ILIKE $2 OR COALESCE(NULLIF(u.function, ''), c.title, '') ILIKE $2)"
        " ORDER BY u.last_name, u.first_name, u.user_id LIMIT $3 OFFSET $4",
        organisation_id,
        pattern,
        CONTACTS_PER_PAGE,
        (page - 1) * CONTACTS_PER_PAGE,
    )
    return MemberPage(
        items=[MemberView.model_validate(dict(row)) for row in rows],
        total=rows[0]["total"] if rows else 0,
        page=page,
        per_page=CONTACTS_PER_PAGE,
    )


async def is_member(db: Db, organisation_id: uuid.UUID, user_id: uuid.UUID) -> bool:
    return bool(
        await db.fetchval(
            "SELECT true FROM memberships WHERE organisation_id = $1 AND user_id = $2",
            organisation_id,
            user_id,
        )
    )


async def active_member_ids(db: Db, organisation_id: uuid.UUID) -> set[uuid.UUID]:
    rows = await db.fetch(
        "SELECT user_id FROM memberships WHERE organisation_id = $1 AND status = $2",
        organisation_id,
        MembershipStatus.ACTIVE.value,
    )
    return {row["user_id"] for row in rows}


# --- the vendor's staff ------------------------------------------------------------------------

STAFF_PER_PAGE = 10


class StaffView(BaseModel):
    """A member of the vendor's staff. `invited`: the invitation's link was not used yet."""

    user_id: uuid.UUID
    user_code: str
    email: str
    first_name: str
    last_name: str
    language: Language
    role: Role
    status: Literal["invited", "active"]


class StaffPage(BaseModel):
    items: list[StaffView]
    total: int
    page: int
    per_page: int


async def staff(db: Db, search: str, page: int) -> StaffPage:
    """Search by name, first name, email or user code; 10 per page, by name."""
    pattern = f"%{_escape_like(search.strip())}%"
    rows = await db.fetch(
        "SELECT u.user_id, u.user_code, u.email, u.first_name, u.last_name, u.language,"
        " u.staff_role AS role,"
        " CASE WHEN c.user_id IS NULL THEN 'invited' ELSE 'active' END AS status,"
        " count(*) OVER () AS total"
        " FROM users u LEFT JOIN credentials c USING (user_id)"
        " WHERE u.staff_role IS NOT NULL AND (u.last_name ILIKE $1 OR u.first_name ILIKE $1"
        "  OR u.email ILIKE $1 OR u.user_code ILIKE $1)"
        " ORDER BY u.last_name, u.first_name, u.user_id LIMIT $2 OFFSET $3",
        pattern,
        STAFF_PER_PAGE,
        (page - 1) * STAFF_PER_PAGE,
    )
    return StaffPage(
        items=[StaffView.model_validate(dict(row)) for row in rows],
        total=rows[0]["total"] if rows else 0,
        page=page,
        per_page=STAFF_PER_PAGE,
    )


# --- users -----------------------------------------------------------------------------------


async def user_id_by_email(db: Db, normalised_email: str) -> uuid.UUID | None:
    return await db.fetchval("SELECT user_id FROM users WHERE email = $1", normalised_email)


async def user_id_by_login(db: Db, login: str) -> uuid.UUID | None:
    """Users sign in with their email or their user code (seed 002)."""
    return await db.fetchval(
        "SELECT user_id FROM users WHERE email = $1 OR user_code = $2",
        normalise_email(login),
        login.strip(),
    )


class MembershipView(BaseModel):
    organisation_id: uuid.UUID
    organisation_code: str
    organisation_name: str
    status: MembershipStatus
    role: Role
    modules: list[Module]
    allowed_networks: list[str]
    branch_id: uuid.UUID | None


class UserView(BaseModel):
    user_id: uuid.UUID
    user_code: str
    email: str
    first_name: str
    last_name: str
    function: str
    phone: str
    language: Language
    staff_role: Role | None
    organisations: list[MembershipView]


async def user(db: Db, user_id: uuid.UUID) -> UserView | None:
    row = await db.fetchrow(
        "SELECT user_id, user_code, email, first_name, last_name, function, phone, language,"
        " staff_role FROM users WHERE user_id = $1",
        user_id,
    )
    if row is None:
        return None
    rows = await db.fetch(
        "SELECT m.organisation_id, o.code AS organisation_code,"
        " o.legal_name AS organisation_name, m.status, m.role, m.modules, m.allowed_networks,"
        " m.branch_id FROM memberships m JOIN organisations o USING (organisation_id)"
        " WHERE m.user_id = $1 ORDER BY o.legal_name, m.organisation_id",
        user_id,
    )
    return UserView.model_validate(
        {**dict(row), "organisations": [dict(membership) for membership in rows]}
    )


class ConsentChange(BaseModel):
    given: bool
    at: dt.datetime


class ConsentView(BaseModel):
    purpose: str
    given: bool
    changed_at: dt.datetime | None
    history: list[ConsentChange]  # oldest first (seed 001: each consent with its history)


CONSENT_EVENTS = ("guichet.identity.ConsentGiven", "guichet.identity.ConsentWithdrawn")


async def consents(db: Db, user_id: uuid.UUID, purposes: tuple[str, ...]) -> list[ConsentView]:
    rows = {
        row["purpose"]: row
        for row in await db.fetch(
            "SELECT purpose, given, changed_at FROM consents WHERE user_id = $1", user_id
        )
    }
    history: dict[str, list[ConsentChange]] = {purpose: [] for purpose in purposes}
    for change in await db.fetch(
        "SELECT data->>'purpose' AS purpose, type = $2 AS given, recorded_at AS at FROM events"
        " WHERE stream_id = $1 AND type = ANY($3::text[]) ORDER BY version",
        str(user_id),
        CONSENT_EVENTS[0],
        list(CONSENT_EVENTS),
    ):
        if change["purpose"] in history:
            history[change["purpose"]].append(ConsentChange(given=change["given"], at=change["at"]))
    return [
        ConsentView(
            purpose=purpose,
            given=bool(rows[purpose]["given"]) if purpose in rows else False,
            changed_at=rows[purpose]["changed_at"] if purpose in rows else None,
            history=history[purpose],
        )
        for purpose in purposes
    ]


class HistoryEntry(BaseModel):
    type: str
    at: dt.datetime
    data: dict[str, Any]


async def account_history(db: Db, user_id: uuid.UUID) -> list[HistoryEntry]:
    """Every event of the user's account, oldest first: who did what, when."""
    rows = await db.fetch(
        "SELECT type, recorded_at AS at, data FROM events WHERE stream_id = $1 ORDER BY version",
        str(user_id),
    )
    return [HistoryEntry.model_validate(dict(row)) for row in rows]


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def as_json(model: BaseModel) -> dict[str, Any]:
    return model.model_dump(mode="json")
