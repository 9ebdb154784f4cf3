"""Opening a ticket (seed 004's "Créer une demande": contract, product, site, version; nature,
severity, wished delivery, two references; title, description, files; on behalf of a
colleague) and writing to a department. Each works without script; the API's field errors
are shown next to their fields, and files already sent are kept when a form is refused."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from services.web import ticket_forms
from services.web.api_client import ApiError
from services.web.i18n import translator
from services.web.pages import tickets
from services.web.pages.ticket_access import customer
from services.web.portal import api, flash, language, page, redirect

routes = web.RouteTableDef()
NEW = "/tickets/new"
CONTACT = "/tickets/contact"
TYPES = tuple(kind for kind in tickets.TYPES if kind != "contact")  # contact: the other form
NATURES = ("malfunction", "assistance", "configuration", "enhancement", "other")
SEVERITIES = ("minor", "major", "critical", "blocking")
DEPARTMENTS = ("technical", "sales", "billing", "logistics")
OPTIONAL = (
    "contract_id",
    "product",
    "site",
    "product_version",
    "nature",
    "severity",
    "wished_delivery_date",
    "reference_1",
    "reference_2",
    "on_behalf_of",
    "requester_email",
)
CONTRACT_REQUIRED = "https://guichet.dev/problems/support-contract-required"


async def _form_page(
    request: web.Request,
    template: str,
    *,
    status: int = 200,
    errors: dict[str, str] | None = None,
    posted: ticket_forms.TicketForm | None = None,
) -> web.Response:
    choices = await api(request).get("/api/tickets/choices")
    return await page(
        request,
        template,
        status=status,
        errors=errors or {},
        values=posted.fields if posted else {},
        kept=posted.kept if posted else [],
        colleagues=choices["colleagues"],
        contracts=choices["contracts"],
        types=TYPES,
        priorities=tickets.PRIORITIES,
        natures=NATURES,
        severities=SEVERITIES,
        departments=DEPARTMENTS,
    )


@routes.get(NEW)
async def new_ticket(request: web.Request) -> web.Response:
    await customer(request)
    return await _form_page(request, "tickets/new.html")


@routes.get(CONTACT)
async def contact_form(request: web.Request) -> web.Response:
    await customer(request)
    return await _form_page(request, "tickets/contact.html")


async def _open(
    request: web.Request,
    template: str,
    path: str,
    required: tuple[str, ...],
    optional: tuple[str, ...],
) -> Any:
    """Sends the files, then the form; a refusal is the form again, with its errors."""
    t = translator(await language(request))
    posted = await ticket_forms.read(request)
    errors = await ticket_forms.upload_files(api(request), posted, t)
    if not errors:
        body = {
            **{name: posted.text(name) for name in required},
            **ticket_forms.optional(posted, optional),
            "attachment_ids": ticket_forms.attachment_ids(posted),
        }
        try:
            opened = (await api(request).call("POST", path, json=body)).body
        except ApiError as error:
            if error.status == 403 and error.problem.get("type") == CONTRACT_REQUIRED:
                errors = {"": t("tickets.error.contract_required")}
            elif error.status == 422:
                errors = ticket_forms.field_errors(error, t)
            else:
                raise
    if errors:
        return await _form_page(request, template, status=422, errors=errors, posted=posted)
    await flash(request, "tickets.created", number=str(opened["number"]))
    raise redirect(f"/tickets/{opened['ticket_id']}")


@routes.post(NEW)
async def open_ticket(request: web.Request) -> web.Response:
    await customer(request)
    required = ("title", "description", "ticket_type", "priority")
    return await _open(request, "tickets/new.html", "/api/tickets", required, OPTIONAL)


@routes.post(CONTACT)
async def contact(request: web.Request) -> web.Response:
    await customer(request)
    required = ("department", "subject", "message")
    return await _open(
        request, "tickets/contact.html", "/api/tickets/contact", required, ("requester_email",)
    )
