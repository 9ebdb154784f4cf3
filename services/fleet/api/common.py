"""What every fleet route shares: who acts (a customer with a module, vendor staff, the back
office, the ERP with its scope), today's date, the event context, visibility of an asset,
and the domain's refusals as problems."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import asyncpg
from aiohttp import web

from services.fleet.domain import FleetRuleBroken, InvalidField, ReadingLowerThanLast
from services.fleet.handlers.common import AlreadyTaken, InvalidReference
from services.fleet.queries.assets import asset_owner
from services.fleet.settings import FleetSettings
from shared.auth.claims import CUSTOMER_ROLES, Module, Role, Scope
from shared.eventstore import ConcurrencyConflict, EventContext
from shared.http.middleware import REQUEST_ID
from shared.http.principal import (
    Principal,
    acting_principal,
    forbidden,
    require_module,
    require_scope,
)
from shared.http.problems import Problem

FLEET_SETTINGS = web.AppKey("fleet_settings", FleetSettings)
BACK_OFFICE = frozenset({Role.VENDOR_BACK_OFFICE, Role.VENDOR_ADMIN})
VALIDATION = "https://guichet.dev/problems/validation"
CONFLICT = "https://guichet.dev/problems/fleet-conflict"
READING_LOWER = "https://guichet.dev/problems/meter-reading-lower-than-last"


@dataclass(frozen=True)
class Actor:
    """Who acts, and the organisation their requests are scoped by (None for vendor staff
    and internal systems, who see every organisation's fleet)."""

    principal: Principal
    organisation_id: uuid.UUID | None

    @property
    def branch_id(self) -> uuid.UUID | None:
        """The one branch a customer's access is limited to: they see its sites' equipment
        only (vendor staff are never limited)."""
        return self.principal.branch_id if self.organisation_id is not None else None

    @property
    def user_id(self) -> uuid.UUID | None:
        try:
            return uuid.UUID(self.principal.user_id)
        except ValueError:  # an internal system's client id
            return None

    def context(self, request: web.Request, organisation_id: uuid.UUID | None) -> EventContext:
        return EventContext(
            correlation_id=request[REQUEST_ID],
            organisation_id=organisation_id,
            actor_id=self.principal.user_id,
        )


def today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


def customer(request: web.Request, module: Module = Module.FLEET) -> Actor:
    """A customer user with `module`, acting for their organisation."""
    principal = acting_principal(request)
    if principal.role not in CUSTOMER_ROLES:
        raise forbidden("This is the customers' side; vendor staff use /agent/fleet.")
    require_module(principal, module)
    return Actor(principal, principal.acting_organisation())


def staff(request: web.Request) -> Actor:
    principal = acting_principal(request)
    if not principal.is_vendor_staff:
        raise forbidden("Only the vendor's staff can do this.")
    return Actor(principal, None)


def back_office(request: web.Request) -> Actor:
    actor = staff(request)
    if actor.principal.role not in BACK_OFFICE:
        raise forbidden("Only the vendor's back office registers and changes the fleet.")
    return actor


def importer(request: web.Request) -> Actor:
    """The vendor's ERP (client credentials with the `fleet:import` scope) or the back office."""
    principal = acting_principal(request)
    if principal.role is Role.SERVICE:
        require_scope(principal, Scope.FLEET_IMPORT)
        return Actor(principal, None)
    return back_office(request)


def settings(request: web.Request) -> FleetSettings:
    return request.app[FLEET_SETTINGS]


async def visible_asset(
    connection: asyncpg.Connection, actor: Actor, asset_id: uuid.UUID
) -> uuid.UUID:
    """The asset's organisation when the actor may see it; 404 otherwise (another
    organisation's asset, or another branch's for a user limited to one, is an asset that
    does not exist)."""
    owner = await asset_owner(connection, asset_id)
    if owner is None:
        raise Problem(404, "Not found", "There is no such asset.")
    organisation, branch = owner
    foreign = actor.organisation_id is not None and organisation != actor.organisation_id
    if foreign or (actor.branch_id is not None and branch != actor.branch_id):
        raise Problem(404, "Not found", "There is no such asset.")
    return organisation


def field_problem(field: str | None, message: str, code: str, status: int = 422) -> Problem:
    return Problem(
        status,
        "Invalid request" if status == 422 else "Conflict",
        "Some fields are missing or invalid." if status == 422 else message,
        type_=VALIDATION if status == 422 else CONFLICT,
        errors=[{"field": field, "message": message, "code": code}],
    )


@asynccontextmanager
async def domain_refusals() -> AsyncIterator[None]:
    """The domain's and handlers' refusals, as the problems a client can act on."""
    try:
        yield
    except ReadingLowerThanLast as refused:
        last = f" of {refused.last_read_on.isoformat()}" if refused.last_read_on else ""
        raise Problem(
            422,
            "Meter reading lower than the last one",
            "Meters only go up: "
            + "; ".join(
                f"{item.counter.value} {item.value} is lower than the last accepted reading"
                f"{last}, {item.last_value}"
                for item in refused.lower
            )
            + ".",
            type_=READING_LOWER,
            errors=[
                {
                    "field": f"counters.{item.counter.value}",
                    "message": f"At least {item.last_value}, the last accepted value.",
                    "code": "lower_than_last",
                    "last_value": item.last_value,
                }
                for item in refused.lower
            ],
            last_read_on=refused.last_read_on,
        ) from None
    except InvalidField as invalid:
        raise field_problem(invalid.field, invalid.message, invalid.code) from None
    except InvalidReference as invalid:
        raise field_problem(invalid.field, invalid.message, "reference") from None
    except AlreadyTaken as taken:
        raise field_problem(taken.field, taken.message, "taken", status=409) from None
    except FleetRuleBroken as refused:
        raise Problem(409, "Conflict", str(refused).capitalize() + ".", type_=CONFLICT) from None
    except (ConcurrencyConflict, asyncpg.UniqueViolationError):
        # Lost a race with another change of the same thing: nothing was applied.
        raise Problem(
            409,
            "Conflict",
            "Someone changed this at the same moment; nothing was applied. Try again.",
            type_=CONFLICT,
        ) from None
