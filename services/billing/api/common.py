"""What every billing route shares: who reads, the app's keys, and the domain's refusals as
problems."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from aiohttp import web

from services.billing.domain import BillingRuleBroken, InvalidDocument
from services.billing.handlers import NumberReused, UnknownInvoice
from services.billing.pdf import Vendor
from services.billing.settings import BillingSettings
from shared.auth.claims import CUSTOMER_ROLES, Module
from shared.files.storage import FileStorage
from shared.http.principal import acting_principal, forbidden, require_module
from shared.http.problems import Problem

BILLING_SETTINGS = web.AppKey("billing_settings", BillingSettings)
STORAGE = web.AppKey("invoice_storage", FileStorage)
VENDOR = web.AppKey("vendor", Vendor)
CONFLICT = "https://guichet.dev/problems/invoice-conflict"
NUMBER_REUSED = "https://guichet.dev/problems/invoice-number-reused"
VALIDATION = "https://guichet.dev/problems/validation"


def reader_scope(request: web.Request) -> uuid.UUID | None:
    """The organisation whose invoices the caller reads: a customer's own (with the invoices
    module); None for the vendor's staff, who read every organisation's."""
    principal = acting_principal(request)
    if principal.is_vendor_staff:
        return None
    if principal.role not in CUSTOMER_ROLES:
        raise forbidden("Invoices are read by customers and the vendor's staff.")
    require_module(principal, Module.INVOICES)
    return principal.acting_organisation()


def no_such_invoice() -> Problem:
    return Problem(404, "Not found", "There is no such invoice.")


def invalid(field: str, message: str, code: str = "invalid") -> Problem:
    return Problem(
        422,
        "Invalid request",
        "Some fields are missing or invalid.",
        type_=VALIDATION,
        errors=[{"field": field, "message": message, "code": code}],
    )


@asynccontextmanager
async def domain_refusals() -> AsyncIterator[None]:
    """The domain's and handlers' refusals, as the problems a client can act on."""
    try:
        yield
    except InvalidDocument as refused:
        raise invalid(refused.field, refused.message) from None
    except NumberReused as reused:
        raise Problem(
            409,
            "Number already issued",
            f"Document {reused} was already issued with other content; a document, once"
            " issued, does not change: issue a credit note and a new invoice.",
            type_=NUMBER_REUSED,
        ) from None
    except UnknownInvoice:
        raise Problem(404, "Not found", "No invoice has this number.") from None
    except BillingRuleBroken as refused:
        raise Problem(409, "Conflict", str(refused).capitalize() + ".", type_=CONFLICT) from None
