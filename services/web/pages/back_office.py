"""The vendor's back office (seeds 001, 002): organisations and their contacts, granting a
contact portal access (role, user code, email, IP restriction, branch, modules, "save and
send"), and the customers' change requests to approve or reject."""

from __future__ import annotations

import uuid
from typing import Any

from aiohttp import web
from multidict import MultiDictProxy

from services.web.api_client import ApiError
from services.web.forms import form, text
from services.web.portal import acting, api, flash, page, redirect
from shared.auth.claims import Module

routes = web.RouteTableDef()
BASE = "/back-office"
PER_PAGE = 20
CONTACT_FIELDS = (
    "first_name",
    "last_name",
    "title",
    "department",
    "contact_type",
    "email",
    "phone",
    "mobile",
    "fax",
)


async def _staff(request: web.Request) -> None:
    if not (await acting(request)).staff:
        raise web.HTTPForbidden


def _id(request: web.Request, name: str) -> str:
    try:
        return str(uuid.UUID(request.match_info[name]))
    except ValueError:
        raise web.HTTPNotFound from None


# --- organisations ---------------------------------------------------------------------------


@routes.get(BASE + "/organisations")
async def organisations(request: web.Request) -> web.Response:
    await _staff(request)
    search = request.query.get("search", "")[:200]
    try:
        page_number = max(1, int(request.query.get("page", "1")))
    except ValueError:
        page_number = 1
    result = await api(request).get(
        "/api/organisations",
        search=search,
        limit=str(PER_PAGE),
        offset=str((page_number - 1) * PER_PAGE),
    )
    return await page(
        request,
        "back_office/organisations.html",
        result=result,
        search=search,
        page_number=page_number,
        pages=max(1, -(-result["total"] // PER_PAGE)),
    )


def _organisation_body(
    fields: MultiDictProxy[str], current: dict[str, Any] | None
) -> dict[str, Any]:
    details = dict(current["details"]) if current else {}
    details["legal_name"] = text(fields, "legal_name")
    address = {
        name: text(fields, f"billing_{name}")
        for name in ("line1", "line2", "postal_code", "city", "country")
    }
    address["country"] = address["country"].upper()
    details["billing_address"] = address if any(address.values()) else None
    body: dict[str, Any] = {
        "status": text(fields, "status") or "active",
        "language": text(fields, "language") or "fr",
        "currency": text(fields, "currency").upper() or "EUR",
        "details": details,
    }
    if current is None:
        body["code"] = text(fields, "code")
    return body


def _form_errors(refused: ApiError) -> dict[str, str]:
    return refused.field_errors or {"": str(refused)}


@routes.get(BASE + "/organisations/new")
async def new_organisation(request: web.Request) -> web.Response:
    await _staff(request)
    return await page(
        request, "back_office/organisation_form.html", organisation=None, errors={}, values={}
    )


@routes.post(BASE + "/organisations/new")
async def create_organisation(request: web.Request) -> web.Response:
    await _staff(request)
    body = _organisation_body(await form(request), None)
    try:
        created = (await api(request).call("POST", "/api/organisations", json=body)).body
    except ApiError as refused:
        if refused.status not in {403, 409, 422}:
            raise
        return await page(
            request,
            "back_office/organisation_form.html",
            status=refused.status,
            organisation=None,
            errors=_form_errors(refused),
            values=body,
        )
    await flash(request, "back_office.organisation_created")
    raise redirect(f"{BASE}/organisations/{created['organisation_id']}")


async def _organisation_page(
    request: web.Request,
    organisation_id: str,
    *,
    status: int = 200,
    errors: dict[str, str] | None = None,
    contact_errors: dict[str, str] | None = None,
) -> web.Response:
    organisation = await api(request).get(f"/api/organisations/{organisation_id}")
    contacts = await api(request).get(f"/api/organisations/{organisation_id}/contacts")
    return await page(
        request,
        "back_office/organisation.html",
        status=status,
        organisation=organisation,
        contacts=contacts,
        errors=errors or {},
        contact_errors=contact_errors or {},
        values=organisation,
        contact_fields=CONTACT_FIELDS,
    )


@routes.get(BASE + "/organisations/{organisation_id}")
async def organisation(request: web.Request) -> web.Response:
    await _staff(request)
    return await _organisation_page(request, _id(request, "organisation_id"))


@routes.post(BASE + "/organisations/{organisation_id}")
async def change_organisation(request: web.Request) -> web.Response:
    await _staff(request)
    organisation_id = _id(request, "organisation_id")
    current = await api(request).get(f"/api/organisations/{organisation_id}")
    body = _organisation_body(await form(request), current)
    try:
        await api(request).call("PUT", f"/api/organisations/{organisation_id}", json=body)
    except ApiError as refused:
        if refused.status not in {403, 409, 422}:
            raise
        return await _organisation_page(
            request, organisation_id, status=refused.status, errors=_form_errors(refused)
        )
    await flash(request, "back_office.organisation_saved")
    raise redirect(f"{BASE}/organisations/{organisation_id}")


@routes.post(BASE + "/organisations/{organisation_id}/contacts")
async def add_contact(request: web.Request) -> web.Response:
    await _staff(request)
    organisation_id = _id(request, "organisation_id")
    body = _contact_body(await form(request))
    try:
        await api(request).call("POST", f"/api/organisations/{organisation_id}/contacts", json=body)
    except ApiError as refused:
        if refused.status not in {403, 409, 422}:
            raise
        return await _organisation_page(
            request, organisation_id, status=refused.status, contact_errors=_form_errors(refused)
        )
    await flash(request, "back_office.contact_added")
    raise redirect(f"{BASE}/organisations/{organisation_id}")


def _contact_body(fields: MultiDictProxy[str]) -> dict[str, Any]:
    body: dict[str, Any] = {name: text(fields, name) for name in CONTACT_FIELDS}
    body["email"] = body["email"] or None
    return body


@routes.get(BASE + "/contacts/{contact_id}")
async def contact(request: web.Request) -> web.Response:
    await _staff(request)
    found = await api(request).get(f"/api/contacts/{_id(request, 'contact_id')}")
    return await page(
        request,
        "back_office/contact.html",
        contact=found,
        values=found,
        errors={},
        contact_fields=CONTACT_FIELDS,
    )


@routes.post(BASE + "/contacts/{contact_id}")
async def change_contact(request: web.Request) -> web.Response:
    await _staff(request)
    contact_id = _id(request, "contact_id")
    body = _contact_body(await form(request))
    try:
        changed = (await api(request).call("PUT", f"/api/contacts/{contact_id}", json=body)).body
    except ApiError as refused:
        if refused.status not in {403, 409, 422}:
            raise
        found = await api(request).get(f"/api/contacts/{contact_id}")
        return await page(
            request,
            "back_office/contact.html",
            status=refused.status,
            contact=found,
            values={**body, "email": body["email"] or ""},
            errors=_form_errors(refused),
            contact_fields=CONTACT_FIELDS,
        )
    await flash(request, "back_office.contact_saved")
    raise redirect(f"{BASE}/organisations/{changed['organisation_id']}")


# --- portal access (seed 002's dialog) -------------------------------------------------------


async def _access_page(
    request: web.Request,
    contact: dict[str, Any],
    *,
    status: int = 200,
    errors: dict[str, str] | None = None,
    values: dict[str, Any] | None = None,
) -> web.Response:
    organisation = await api(request).get(f"/api/organisations/{contact['organisation_id']}")
    return await page(
        request,
        "back_office/access.html",
        status=status,
        contact=contact,
        organisation=organisation,
        modules=[module.value for module in Module],
        errors=errors or {},
        values=values or {"email": contact["email"] or "", "modules": ["personal_data", "tickets"]},
    )


@routes.get(BASE + "/contacts/{contact_id}/access")
async def access_form(request: web.Request) -> web.Response:
    await _staff(request)
    contact = await api(request).get(f"/api/contacts/{_id(request, 'contact_id')}")
    return await _access_page(request, contact)


@routes.post(BASE + "/contacts/{contact_id}/access")
async def grant_access(request: web.Request) -> web.Response:
    await _staff(request)
    contact_id = _id(request, "contact_id")
    contact = await api(request).get(f"/api/contacts/{contact_id}")
    fields = await form(request)
    networks = [
        part.strip()
        for part in text(fields, "allowed_networks").replace(",", " ").split()
        if part.strip()
    ]
    values: dict[str, Any] = {
        "email": text(fields, "email") or None,
        "modules": [m.value for m in Module if m.value in fields.getall("modules", [])],
        "allowed_networks": networks,
        "branch_id": text(fields, "branch_id") or None,
        "language": text(fields, "language") or None,
    }
    try:
        granted = (
            await api(request).call(
                "POST", f"/api/contacts/{contact_id}/portal-access", json=values
            )
        ).body
    except ApiError as refused:
        if refused.status not in {403, 409, 422}:
            raise
        return await _access_page(
            request,
            contact,
            status=refused.status,
            errors=_form_errors(refused),
            values={**values, "email": values["email"] or "", "allowed_networks": networks},
        )
    await flash(request, "back_office.access_granted", user_code=granted["user_code"])
    raise redirect(f"{BASE}/organisations/{contact['organisation_id']}")


# --- change requests ---------------------------------------------------------------------------


@routes.get(BASE + "/change-requests")
async def change_requests(request: web.Request) -> web.Response:
    await _staff(request)
    pending = await api(request).get("/api/change-requests", status="pending")
    return await page(request, "back_office/change_requests.html", pending=pending)


@routes.post(BASE + "/change-requests/{request_id}/approval")
async def approve(request: web.Request) -> web.Response:
    await _staff(request)
    request_id = _id(request, "request_id")
    await api(request).call("POST", f"/api/change-requests/{request_id}/approval")
    await flash(request, "back_office.change_approved")
    raise redirect(f"{BASE}/change-requests")


@routes.post(BASE + "/change-requests/{request_id}/rejection")
async def reject(request: web.Request) -> web.Response:
    await _staff(request)
    request_id = _id(request, "request_id")
    reason = text(await form(request), "reason")
    if not reason:
        await flash(request, "back_office.reason_needed")
        raise redirect(f"{BASE}/change-requests")
    await api(request).call(
        "POST", f"/api/change-requests/{request_id}/rejection", json={"reason": reason}
    )
    await flash(request, "back_office.change_rejected")
    raise redirect(f"{BASE}/change-requests")
