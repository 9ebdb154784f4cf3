"""The interventions' read model, updated in the same transaction as their events."""

from __future__ import annotations

import asyncpg

from services.tickets.domain_types import InterventionStatus
from services.tickets.events import (
    InterventionCancelled,
    InterventionCompleted,
    InterventionEvent,
    InterventionRequested,
    InterventionScheduled,
    InterventionStarted,
)
from shared.eventstore import RecordedEvent


async def project_one(
    connection: asyncpg.Connection, event: InterventionEvent, record: RecordedEvent
) -> None:
    at = record.recorded_at
    match event:
        case InterventionRequested():
            await _requested(connection, event, record)
            return
        case InterventionScheduled():
            await connection.execute(
                "UPDATE interventions SET scheduled_for = $2, technician = $3"
                " WHERE intervention_id = $1",
                event.intervention_id,
                event.scheduled_for,
                event.technician,
            )
            status = InterventionStatus.SCHEDULED
        case InterventionStarted():
            await connection.execute(
                "UPDATE interventions SET started_at = $2 WHERE intervention_id = $1",
                event.intervention_id,
                at,
            )
            status = InterventionStatus.IN_PROGRESS
        case InterventionCompleted():
            await connection.execute(
                "UPDATE interventions SET completed_at = $2, report = $3"
                " WHERE intervention_id = $1",
                event.intervention_id,
                at,
                event.report,
            )
            status = InterventionStatus.DONE
        case InterventionCancelled():
            await connection.execute(
                "UPDATE interventions SET cancelled_at = $2, cancellation_comment = $3,"
                " cancelled_by_vendor = $4 WHERE intervention_id = $1",
                event.intervention_id,
                at,
                event.comment,
                event.by_vendor,
            )
            status = InterventionStatus.CANCELLED
        case _:
            return
    await connection.execute(
        "UPDATE interventions SET status = $2, updated_at = $3, version = $4"
        " WHERE intervention_id = $1",
        event.intervention_id,
        status.value,
        at,
        record.version,
    )


async def _requested(
    connection: asyncpg.Connection, event: InterventionRequested, record: RecordedEvent
) -> None:
    await connection.execute(
        "INSERT INTO interventions (intervention_id, organisation_id, number, asset_id,"
        " serial_number, model_name, site_name, location, nature, nature_labels, error_code,"
        " details, urgency, status, requested_by, requester_email, contract_id,"
        " contract_number, covered, requested_at, updated_at, version) VALUES ($1, $2, $3, $4,"
        " $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $20, $21)",
        event.intervention_id,
        event.organisation_id,
        event.number,
        event.asset_id,
        event.serial_number,
        event.model_name,
        event.site_name,
        event.location,
        event.nature,
        event.nature_labels,
        event.error_code,
        event.details,
        event.urgency.value,
        InterventionStatus.WAITING_FOR_VALIDATION.value,
        event.requested_by,
        str(event.requester_email),
        event.contract_id,
        event.contract_number,
        event.covered,
        record.recorded_at,
        record.version,
    )
    if event.attachments:
        await connection.execute(
            "UPDATE attachments SET intervention_id = $1, internal = false"
            " WHERE attachment_id = ANY($2::uuid[])",
            event.intervention_id,
            [ref.attachment_id for ref in event.attachments],
        )
