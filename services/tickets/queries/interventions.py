"""Interventions as the API shows them: an asset's (or the organisation's) for a customer,
those to schedule (or in any status) for the vendor's agents, and one intervention's page."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from asyncpg import Connection, Pool
from pydantic import BaseModel, Field

from services.tickets.domain import INTERVENTION_TRANSITIONS
from services.tickets.domain_types import InterventionStatus, Priority
from services.tickets.queries.views import AttachmentView
from shared.http.paging import decode_cursor, encode_cursor

S = InterventionStatus


class InterventionSummary(BaseModel):
    """A row of a list."""

    intervention_id: uuid.UUID
    organisation_id: uuid.UUID
    number: int
    asset_id: uuid.UUID
    serial_number: str
    model_name: str
    site_name: str
    location: str
    nature: str
    nature_labels: dict[str, str]
    urgency: Priority
    status: InterventionStatus
    covered: bool
    """False: requested on a machine whose contract does not cover interventions."""
    contract_number: str | None
    requested_at: dt.datetime
    scheduled_for: dt.datetime | None
    technician: str | None
    updated_at: dt.datetime


class InterventionView(InterventionSummary):
    error_code: str | None
    details: str
    requested_by: uuid.UUID
    requester: str
    requester_email: str
    started_at: dt.datetime | None
    completed_at: dt.datetime | None
    report: str | None
    cancelled_at: dt.datetime | None
    cancellation_comment: str | None
    cancelled_by_vendor: bool
    """The vendor declined the request (rather than the customer cancelling it)."""
    cancellable: bool
    """The customer may still cancel it (only while waiting for validation)."""
    allowed_statuses: list[InterventionStatus]
    attachments: list[AttachmentView]


class InterventionList(BaseModel):
    interventions: list[InterventionSummary]
    next_cursor: str | None


class NatureView(BaseModel):
    code: str
    labels: dict[str, str]


class Natures(BaseModel):
    natures: list[NatureView]


class Paging(BaseModel):
    cursor: str | None = Field(default=None, max_length=200)
    limit: int = Field(default=25, ge=1, le=100)


class CustomerInterventionsQuery(Paging):
    asset_id: uuid.UUID | None = Field(default=None, description="Only this machine's")
    status: InterventionStatus | None = None


class AgentInterventionsQuery(Paging):
    status: InterventionStatus = Field(
        default=S.WAITING_FOR_VALIDATION,
        description="By default the requests to validate and schedule, oldest first",
    )
    organisation_id: uuid.UUID | None = None
    asset_id: uuid.UUID | None = None


_SUMMARY = ", ".join(InterventionSummary.model_fields)


async def list_interventions(
    connection: Pool | Connection,
    *,
    organisation_id: uuid.UUID | None,
    asset_id: uuid.UUID | None,
    status: InterventionStatus | None,
    cursor: str | None,
    limit: int,
    oldest_first: bool,
) -> InterventionList:
    """One page; `organisation_id` None lists every organisation's (vendor staff only)."""
    after: tuple[Any, ...] = (None, None)
    if cursor is not None:
        after = decode_cursor(cursor, (dt.datetime, uuid.UUID))
    direction, compare = ("ASC", ">") if oldest_first else ("DESC", "<")
    rows = await connection.fetch(
        f"SELECT {_SUMMARY} FROM interventions"
        " WHERE ($1::uuid IS NULL OR organisation_id = $1)"
        " AND ($2::uuid IS NULL OR asset_id = $2) AND ($3::text IS NULL OR status = $3)"
        f" AND ($4::timestamptz IS NULL OR (requested_at, intervention_id) {compare} ($4, $5))"
        f" ORDER BY requested_at {direction}, intervention_id {direction} LIMIT $6",
        organisation_id,
        asset_id,
        status.value if status else None,
        after[0],
        after[1],
        limit + 1,
    )
    page = [InterventionSummary(**dict(row)) for row in rows[:limit]]
    more = len(rows) > limit
    return InterventionList(
        interventions=page,
        next_cursor=(
            encode_cursor(page[-1].requested_at, page[-1].intervention_id) if more else None
        ),
    )


async def intervention(
    connection: Pool | Connection,
    intervention_id: uuid.UUID,
    organisation_id: uuid.UUID | None,
) -> InterventionView | None:
    """The intervention, if the organisation's (any organisation's for None)."""
    row = await connection.fetchrow(
        "SELECT i.*, coalesce(nullif(trim(p.first_name || ' ' || p.last_name), ''),"
        " i.requester_email) AS requester FROM interventions i"
        " LEFT JOIN people p ON p.user_id = i.requested_by"
        " WHERE i.intervention_id = $1 AND ($2::uuid IS NULL OR i.organisation_id = $2)",
        intervention_id,
        organisation_id,
    )
    if row is None:
        return None
    files = await connection.fetch(
        "SELECT attachment_id, filename, content_type, size FROM attachments"
        " WHERE intervention_id = $1 ORDER BY uploaded_at, attachment_id",
        intervention_id,
    )
    values = dict(row)
    status = InterventionStatus(values["status"])
    allowed = INTERVENTION_TRANSITIONS[status]
    return InterventionView(
        **{name: values[name] for name in InterventionView.model_fields if name in values},
        cancellable=S.CANCELLED in allowed,
        allowed_statuses=list(allowed),
        attachments=[
            AttachmentView(
                **dict(file),
                download_url=f"/interventions/{intervention_id}/attachments/{file['attachment_id']}",
            )
            for file in files
        ],
    )


async def organisation_of(connection: Pool | Connection, intervention_id: uuid.UUID) -> Any:
    return await connection.fetchval(
        "SELECT organisation_id FROM interventions WHERE intervention_id = $1", intervention_id
    )
