"""Read models, updated in the same transaction as the events they come from."""

from __future__ import annotations

import json
from typing import Any

import asyncpg

from services.identity import events as ev
from services.identity.domain_types import MembershipStatus, normalise_email
from shared.auth.claims import Role
from shared.eventstore import EventStore, RecordedEvent


def _json(value: Any) -> Any:
    return json.loads(value.model_dump_json()) if value is not None else None


async def project(  # noqa: PLR0912 - one case per event, flat on purpose
    connection: asyncpg.Connection, store: EventStore, recorded: list[RecordedEvent]
) -> None:
    for record in recorded:
        event = store.decode(record)
        at = record.recorded_at
        match event:
            case ev.OrganisationRegistered():
                await connection.execute(
                    "INSERT INTO organisations (organisation_id, code, legal_name, status,"
                    " language, currency, details, registered_at, updated_at)"
                    " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)",
                    event.organisation_id,
                    event.code,
                    event.details.legal_name,
                    event.status.value,
                    event.language,
                    event.currency,
                    _json(event.details),
                    at,
                )
            case ev.OrganisationDetailsChanged():
                await connection.execute(
                    "UPDATE organisations SET legal_name = $2, status = $3, language = $4,"
                    " currency = $5, details = $6, updated_at = $7 WHERE organisation_id = $1",
                    event.organisation_id,
                    event.details.legal_name,
                    event.status.value,
                    event.language,
                    event.currency,
                    _json(event.details),
                    at,
                )
            case ev.ReferentsChanged():
                await connection.execute(
                    "UPDATE organisations SET referents = $2, updated_at = $3"
                    " WHERE organisation_id = $1",
                    event.organisation_id,
                    _json(event.referents),
                    at,
                )
            case ev.OrganisationChangeRequested():
                await connection.execute(
                    "INSERT INTO change_requests (request_id, organisation_id, requested_by,"
                    " details, referents, status, requested_at)"
                    " VALUES ($1, $2, $3, $4, $5, 'pending', $6)",
                    event.request_id,
                    event.organisation_id,
                    event.requested_by,
                    _json(event.details),
                    _json(event.referents),
                    at,
                )
            case ev.OrganisationChangeApproved() | ev.OrganisationChangeRejected():
                approved = isinstance(event, ev.OrganisationChangeApproved)
                await connection.execute(
                    "UPDATE change_requests SET status = $2, decided_by = $3, reason = $4,"
                    " decided_at = $5 WHERE request_id = $1",
                    event.request_id,
                    "approved" if approved else "rejected",
                    event.decided_by,
                    None if approved else getattr(event, "reason", None),
                    at,
                )
            case ev.ContactAdded() | ev.ContactUpdated():
                details = event.details
                await connection.execute(
                    "INSERT INTO contacts (contact_id, organisation_id, first_name, last_name,"
                    " title, department, contact_type, email, phone, mobile, fax, updated_at)"
                    " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
                    " ON CONFLICT (contact_id) DO UPDATE SET first_name = $3, last_name = $4,"
                    " title = $5, department = $6, contact_type = $7, email = $8, phone = $9,"
                    " mobile = $10, fax = $11, updated_at = $12",
                    event.contact_id,
                    event.organisation_id,
                    details.first_name,
                    details.last_name,
                    details.title,
                    details.department,
                    details.contact_type,
                    details.email,
                    details.phone,
                    details.mobile,
                    details.fax,
                    at,
                )
            case ev.PortalAccessGranted():
                await _upsert_user(connection, event, at)
                await _insert_membership(
                    connection,
                    event,
                    status=MembershipStatus.ACTIVE,
                    role=event.role,
                    networks=event.allowed_networks,
                    at=at,
                )
                await connection.execute(
                    "UPDATE contacts SET user_id = $2 WHERE contact_id = $1",
                    event.contact_id,
                    event.user_id,
                )
            case ev.StaffAccountCreated():
                await _upsert_user(connection, event, at, staff_role=event.role)
            case ev.StaffRoleChanged():
                await connection.execute(
                    "UPDATE users SET staff_role = $2, updated_at = $3 WHERE user_id = $1",
                    event.user_id,
                    event.role.value,
                    at,
                )
            case ev.UserSelfRegistered():
                await _upsert_user(connection, event, at, function=event.function)
                await _insert_membership(
                    connection,
                    event,
                    status=MembershipStatus.PENDING,
                    role=Role.CUSTOMER_USER,
                    networks=(),
                    at=at,
                )
            case ev.AccountActivated():
                await _update_membership(
                    connection,
                    event,
                    at,
                    status=MembershipStatus.ACTIVE.value,
                    modules=sorted(event.modules),
                )
            case ev.AccountBlocked():
                await _update_membership(
                    connection, event, at, status=MembershipStatus.BLOCKED.value
                )
            case ev.ModulesChanged():
                await _update_membership(connection, event, at, modules=sorted(event.modules))
            case ev.CustomerAdminAppointed():
                await _update_membership(connection, event, at, role=Role.CUSTOMER_ADMIN.value)
            case ev.CustomerAdminRevoked():
                await _update_membership(connection, event, at, role=Role.CUSTOMER_USER.value)
            case ev.PersonalInformationChanged():
                await connection.execute(
                    "UPDATE users SET first_name = $2, last_name = $3, function = $4,"
                    " phone = $5, language = $6, updated_at = $7 WHERE user_id = $1",
                    event.user_id,
                    event.first_name,
                    event.last_name,
                    event.function,
                    event.phone,
                    event.language,
                    at,
                )
            case ev.EmailChanged():
                # The unique index on users.email refuses an address taken meanwhile, and
                # with it the whole transaction.
                await connection.execute(
                    "UPDATE users SET email = $2, updated_at = $3 WHERE user_id = $1",
                    event.user_id,
                    normalise_email(event.email),
                    at,
                )
            case ev.ConsentGiven() | ev.ConsentWithdrawn():
                await connection.execute(
                    "INSERT INTO consents (user_id, purpose, given, changed_at)"
                    " VALUES ($1, $2, $3, $4) ON CONFLICT (user_id, purpose)"
                    " DO UPDATE SET given = $3, changed_at = $4",
                    event.user_id,
                    event.purpose,
                    isinstance(event, ev.ConsentGiven),
                    at,
                )


async def _upsert_user(
    connection: asyncpg.Connection,
    event: ev.PortalAccessGranted | ev.StaffAccountCreated | ev.UserSelfRegistered,
    at: Any,
    *,
    staff_role: Role | None = None,
    function: str = "",
) -> None:
    await connection.execute(
        "INSERT INTO users (user_id, user_code, email, first_name, last_name, function,"
        " language, staff_role, created_at, updated_at)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) ON CONFLICT (user_id) DO NOTHING",
        event.user_id,
        event.user_code,
        normalise_email(event.email),
        event.first_name,
        event.last_name,
        function,
        event.language,
        staff_role.value if staff_role else None,
        at,
    )


async def _insert_membership(
    connection: asyncpg.Connection,
    event: ev.PortalAccessGranted | ev.UserSelfRegistered,
    *,
    status: MembershipStatus,
    role: Role,
    networks: tuple[str, ...],
    at: Any,
) -> None:
    await connection.execute(
        "INSERT INTO memberships (user_id, organisation_id, contact_id, role, status, modules,"
        " allowed_networks, branch_id, created_at, updated_at)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)",
        event.user_id,
        event.organisation_id,
        getattr(event, "contact_id", None),
        role.value,
        status.value,
        sorted(event.modules),
        list(networks),
        getattr(event, "branch_id", None),
        at,
    )


async def _update_membership(
    connection: asyncpg.Connection,
    event: ev.AccountActivated
    | ev.AccountBlocked
    | ev.ModulesChanged
    | ev.CustomerAdminAppointed
    | ev.CustomerAdminRevoked,
    at: Any,
    **columns: Any,
) -> None:
    # Column names come from this module only, never from input.
    assignments = ", ".join(f"{name} = ${index}" for index, name in enumerate(columns, start=4))
    await connection.execute(
        f"UPDATE memberships SET updated_at = $3, {assignments}"
        " WHERE user_id = $1 AND organisation_id = $2",
        event.user_id,
        event.organisation_id,
        at,
        *columns.values(),
    )
