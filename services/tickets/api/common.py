"""What every tickets route shares: who acts, the event context, the app's keys, and the
domain's refusals as problems."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from aiohttp import web

from services.tickets.domain import IllegalTransition, TicketRuleBroken
from services.tickets.handlers import InvalidReference, SupportContractRequired, SupportRules
from services.tickets.queries import page
from services.tickets.settings import TicketsSettings
from shared.auth.claims import CUSTOMER_ROLES, Module
from shared.eventstore import EventContext
from shared.files.storage import FileStorage
from shared.http.keys import DB_POOL
from shared.http.middleware import REQUEST_ID
from shared.http.principal import Principal, acting_principal, forbidden, require_module
from shared.http.problems import Problem

TICKETS_SETTINGS = web.AppKey("tickets_settings", TicketsSettings)
STORAGE = web.AppKey("attachment_storage", FileStorage)
CONFLICT = "https://guichet.dev/problems/ticket-conflict"
ILLEGAL_TRANSITION = "https://guichet.dev/problems/illegal-transition"
CONTRACT_REQUIRED = "https://guichet.dev/problems/support-contract-required"


@dataclass(frozen=True)
class Actor:
    """The verified user acting, and the organisation their customer requests are scoped by
    (None for vendor staff, who see every organisation's tickets)."""

    principal: Principal
    user_id: uuid.UUID
    organisation_id: uuid.UUID | None

    def context(self, request: web.Request, organisation_id: uuid.UUID | None) -> EventContext:
        return EventContext(
            correlation_id=request[REQUEST_ID],
            organisation_id=organisation_id,
            actor_id=str(self.user_id),
        )


def _user_id(principal: Principal) -> uuid.UUID:
    try:
        return uuid.UUID(principal.user_id)
    except ValueError:
        raise forbidden("Only a signed-in user can do this.") from None


def customer(request: web.Request) -> Actor:
    """A customer user with the tickets module, acting for their organisation."""
    principal = acting_principal(request)
    if principal.role not in CUSTOMER_ROLES:
        raise forbidden("This is the customers' side; vendor staff use /agent/tickets.")
    require_module(principal, Module.TICKETS)
    return Actor(principal, _user_id(principal), principal.acting_organisation())


def staff(request: web.Request) -> Actor:
    principal = acting_principal(request)
    if not principal.is_vendor_staff:
        raise forbidden("Only the vendor's staff can do this.")
    return Actor(principal, _user_id(principal), None)


def anyone(request: web.Request) -> Actor:
    """A customer (scoped to their organisation) or vendor staff (every organisation)."""
    principal = acting_principal(request)
    return staff(request) if principal.is_vendor_staff else customer(request)


def support_rules(request: web.Request) -> SupportRules:
    settings = request.app[TICKETS_SETTINGS]
    return SupportRules(settings.service_levels, settings.support_contract_required)


async def visible_ticket(request: web.Request, actor: Actor, ticket_id: uuid.UUID) -> uuid.UUID:
    """The ticket's organisation when the actor may see the ticket; 404 otherwise (another
    organisation's ticket is a ticket that does not exist)."""
    organisation = await page.organisation_of(request.app[DB_POOL], ticket_id)
    if organisation is None or (
        actor.organisation_id is not None and organisation != actor.organisation_id
    ):
        raise Problem(404, "Not found", "There is no such ticket.")
    return organisation


@asynccontextmanager
async def domain_refusals() -> AsyncIterator[None]:
    """The domain's and handlers' refusals, as the problems a client can act on."""
    try:
        yield
    except IllegalTransition as refused:
        raise Problem(
            409,
            "Not allowed in this status",
            str(refused),
            type_=ILLEGAL_TRANSITION,
            status_now=refused.current.value,
            allowed=[status.value for status in refused.allowed],
        ) from None
    except TicketRuleBroken as refused:
        raise Problem(409, "Conflict", str(refused).capitalize() + ".", type_=CONFLICT) from None
    except InvalidReference as invalid:
        raise Problem(
            422,
            "Invalid request",
            "Some fields are missing or invalid.",
            type_="https://guichet.dev/problems/validation",
            errors=[{"field": invalid.field, "message": invalid.message, "code": "reference"}],
        ) from None
    except SupportContractRequired:
        raise Problem(
            403,
            "Support contract required",
            "Support is open to organisations with a support contract in force; your"
            " organisation has none. Contact your sales representative.",
            type_=CONTRACT_REQUIRED,
        ) from None
