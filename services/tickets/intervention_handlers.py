"""Interventions' commands, one function each: load, decide, append with the expected version,
project, in one transaction. The machine and its contract come from tickets' copy of fleet's
events, read in the same transaction."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

import asyncpg

from services.tickets import directory, fleet_copy
from services.tickets.domain import Intervention, NewIntervention, TicketRuleBroken
from services.tickets.domain_types import Priority, UncoveredInterventions
from services.tickets.handlers import InvalidReference, append, claim_uploads
from shared.events import DomainEvent
from shared.eventstore import EventContext, EventStore, RecordedEvent


class UnknownAsset(Exception):
    """The organisation has no such machine (another organisation's is one it does not have)."""


class NotCovered(Exception):
    """The machine's contract does not cover interventions, and the vendor refuses those."""

    def __init__(self, serial_number: str, contract_number: str | None) -> None:
        super().__init__(serial_number)
        self.serial_number = serial_number
        self.contract_number = contract_number


@dataclass(frozen=True)
class InterventionRules:
    natures: dict[str, dict[str, str]]
    uncovered: UncoveredInterventions


@dataclass(frozen=True)
class RequestIntervention:
    organisation_id: uuid.UUID
    requested_by: uuid.UUID
    asset_id: uuid.UUID
    nature: str
    details: str
    urgency: Priority
    error_code: str | None = None
    requester_email: str | None = None
    attachment_ids: list[uuid.UUID] = field(default_factory=list)


async def request_intervention(
    pool: asyncpg.Pool,
    store: EventStore,
    rules: InterventionRules,
    command: RequestIntervention,
    context: EventContext,
    *,
    today: dt.date,
) -> uuid.UUID:
    intervention = Intervention(intervention_id=uuid.uuid4())
    async with pool.acquire() as connection, connection.transaction():
        found = await fleet_copy.requested_on(
            connection, command.asset_id, command.organisation_id, today
        )
        if found is None:
            raise UnknownAsset
        asset, status = found
        if status == "withdrawn":
            raise TicketRuleBroken(f"machine {asset.serial_number} is withdrawn from service")
        if not asset.covered and rules.uncovered is UncoveredInterventions.REFUSE:
            raise NotCovered(asset.serial_number, asset.contract_number)
        labels = rules.natures.get(command.nature)
        if labels is None:
            raise InvalidReference("nature", f"Choose one of: {', '.join(rules.natures)}.")
        email = command.requester_email
        if email is None:
            person = await directory.find_person(connection, command.requested_by)
            if person is None:
                raise InvalidReference(
                    "requester_email", "Your address is not known to support yet: give one."
                )
            email = person.email
        attachments = await claim_uploads(connection, command.attachment_ids, command.requested_by)
        number = await connection.fetchval("SELECT nextval('ticket_number')")
        new = NewIntervention(
            number=number,
            organisation_id=command.organisation_id,
            asset=asset,
            nature=command.nature,
            nature_labels=labels,
            error_code=command.error_code,
            details=command.details,
            urgency=command.urgency,
            requested_by=command.requested_by,
            requester_email=email,
            attachments=attachments,
        )
        await append(
            connection,
            store,
            intervention.intervention_id,
            intervention,
            intervention.request(new),
            context,
        )
    return intervention.intervention_id


async def decide(
    pool: asyncpg.Pool,
    store: EventStore,
    intervention_id: uuid.UUID,
    context: EventContext,
    command: Callable[[Intervention], list[DomainEvent]],
) -> list[RecordedEvent]:
    """Run a command that needs nothing but the intervention itself."""
    async with pool.acquire() as connection, connection.transaction():
        events, _version = await store.load(connection, str(intervention_id))
        intervention = Intervention.from_history(intervention_id, events)
        return await append(
            connection, store, intervention_id, intervention, command(intervention), context
        )
