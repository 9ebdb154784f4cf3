"""What every orders route shares: who acts (a customer with the orders module, limited to a
branch or not; the vendor's staff), the app's keys, and the refusals as problems."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg
from aiohttp import web

from services.orders.domain import InvalidLines, OrderRuleBroken
from services.orders.handlers import (
    AlreadyPlaced,
    AssetWithdrawn,
    Buyer,
    CartChanged,
    EmptyCart,
    UnknownAsset,
    UnknownOrder,
    UnknownUser,
)
from services.orders.settings import OrdersSettings
from shared.auth.claims import CUSTOMER_ROLES, Module, Role
from shared.eventstore import ConcurrencyConflict, EventContext
from shared.http.middleware import REQUEST_ID
from shared.http.principal import Principal, acting_principal, forbidden, require_module
from shared.http.problems import Problem
from shared.pdf import Vendor

ORDERS_SETTINGS = web.AppKey("orders_settings", OrdersSettings)
VENDOR = web.AppKey("vendor", Vendor)
BACK_OFFICE = frozenset({Role.VENDOR_BACK_OFFICE, Role.VENDOR_ADMIN})
VALIDATION = "https://guichet.dev/problems/validation"
CONFLICT = "https://guichet.dev/problems/order-conflict"
ALREADY_PLACED = "https://guichet.dev/problems/cart-already-validated"


def customer(request: web.Request) -> Buyer:
    """A customer user with the orders module, acting for their organisation (and limited to
    their branch's sites when their access is)."""
    principal = acting_principal(request)
    if principal.role not in CUSTOMER_ROLES:
        raise forbidden("This is the customers' side; vendor staff use /agent/orders.")
    require_module(principal, Module.ORDERS)
    return Buyer(principal.acting_organisation(), _user(principal), principal.branch_id)


def staff(request: web.Request, *, changes: bool = False) -> uuid.UUID:
    """The vendor's staff (any of them reads; the back office validates, ships, cancels)."""
    principal = acting_principal(request)
    if not principal.is_vendor_staff:
        raise forbidden("Only the vendor's staff can do this.")
    if changes and principal.role not in BACK_OFFICE:
        raise forbidden("Only the vendor's back office validates, ships and cancels orders.")
    return _user(principal)


def _user(principal: Principal) -> uuid.UUID:
    try:
        return uuid.UUID(principal.user_id)
    except ValueError:
        raise forbidden("Orders are placed and handled by people, not systems.") from None


def context(request: web.Request, organisation_id: uuid.UUID | None = None) -> EventContext:
    return EventContext(
        correlation_id=request[REQUEST_ID],
        organisation_id=organisation_id,
        actor_id=acting_principal(request).user_id,
    )


def no_such_order() -> Problem:
    return Problem(404, "Not found", "There is no such order.")


def no_such_asset() -> Problem:
    return Problem(404, "Not found", "There is no such asset.")


def _line_errors(invalid: InvalidLines) -> list[dict[str, object]]:
    errors: list[dict[str, object]] = []
    for problem in invalid.problems:
        where = f"lines.{problem.index}"
        if problem.asset_id is not None:
            where = f"entries.{problem.asset_id}.{where}"
        errors.append(
            {
                "field": where,
                "message": problem.message,
                "code": problem.code,
                "reference": problem.reference or None,
            }
        )
    return errors


def sentence(refusal: Exception) -> str:
    """The refusal's message as a sentence (numbers such as C-2026-000042 kept as they are)."""
    text = str(refusal)
    return text[:1].upper() + text[1:] + "."


def conflict(detail: str, **extensions: object) -> Problem:
    return Problem(409, "Conflict", detail, type_=CONFLICT, **extensions)


@asynccontextmanager
async def refusals() -> AsyncIterator[None]:
    """The domain's and handlers' refusals, as the problems a client can act on."""
    try:
        yield
    except InvalidLines as invalid:
        raise Problem(
            422,
            "Invalid request",
            "Some lines cannot be ordered as they are.",
            type_=VALIDATION,
            errors=_line_errors(invalid),
        ) from None
    except UnknownAsset:
        raise no_such_asset() from None
    except UnknownOrder:
        raise no_such_order() from None
    except AssetWithdrawn as withdrawn:
        raise conflict(sentence(withdrawn)) from None
    except AlreadyPlaced as placed:
        raise Problem(
            409,
            "Cart already validated",
            f"This cart was already validated: order {', '.join(placed.numbers)}.",
            type_=ALREADY_PLACED,
            orders=placed.numbers,
        ) from None
    except EmptyCart:
        raise conflict("The cart is empty: add consumables from a machine first.") from None
    except CartChanged:
        raise conflict(
            "The cart changed since you looked at it (another tab?): check it and validate again."
        ) from None
    except UnknownUser:
        raise Problem(
            503,
            "Service unavailable",
            "Your account is not known to the orders service yet. Try again shortly.",
            headers={"Retry-After": "5"},
        ) from None
    except OrderRuleBroken as refused:
        raise conflict(
            sentence(refused),
            order_status=refused.status.value if refused.status else None,
        ) from None
    except (ConcurrencyConflict, asyncpg.UniqueViolationError):
        raise conflict(
            "Someone changed this order at the same moment; nothing was applied. Try again."
        ) from None
