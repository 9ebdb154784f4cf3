"""A customer admin's pages (seed 000): the organisation's users — search, 10 per page, the
padlock that activates a pending account, blocking, modules, the admin role — and the
organisation's details and referents, changed through requests the vendor approves."""

from __future__ import annotations

import uuid
from typing import Any

from aiohttp import web
from multidict import MultiDictProxy

from services.web.api_client import ApiError
from services.web.forms import form, local_path, text
from services.web.portal import acting, api, flash, page, redirect
from shared.auth.claims import Module

routes = web.RouteTableDef()
USERS = "/organisation/users"


async def _admin(request: web.Request) -> None:
    if not (await acting(request)).customer_admin:
        raise web.HTTPForbidden


def _user_id(request: web.Request) -> str:
    try:
        return str(uuid.UUID(request.match_info["user_id"]))
    except ValueError:
        raise web.HTTPNotFound from None


@routes.get(USERS)
async def users(request: web.Request) -> web.Response:
    await _admin(request)
    search = request.query.get("search", "")[:200]
    try:
        page_number = max(1, int(request.query.get("page", "1")))
    except ValueError:
        page_number = 1
    result = await api(request).get(f"/api{USERS}", search=search, page=str(page_number))
    pages = max(1, -(-result["total"] // result["per_page"]))
    return await page(
        request,
        "users.html",
        result=result,
        search=search,
        page_number=page_number,
        pages=pages,
        here=request.path_qs,
        modules=[module.value for module in Module],
    )


async def _membership_action(
    request: web.Request, method: str, action: str, done: str, body: Any = None
) -> web.Response:
    await _admin(request)
    user_id = _user_id(request)
    back = local_path((await form(request)).get("back"), USERS)
    try:
        await api(request).call(method, f"/api{USERS}/{user_id}/{action}", json=body)
    except ApiError as refused:
        if refused.status not in {404, 409, 422}:
            raise
        await flash(request, "users.refused", reason=str(refused))
        raise redirect(back) from None
    await flash(request, done)
    raise redirect(back)


@routes.post(USERS + "/{user_id}/activation")
async def activate(request: web.Request) -> web.Response:
    return await _membership_action(request, "POST", "activation", "users.activated")


@routes.post(USERS + "/{user_id}/block")
async def block(request: web.Request) -> web.Response:
    return await _membership_action(request, "POST", "block", "users.blocked")


@routes.post(USERS + "/{user_id}/administrator")
async def appoint(request: web.Request) -> web.Response:
    return await _membership_action(request, "POST", "administrator", "users.appointed")


@routes.post(USERS + "/{user_id}/administrator/removal")
async def revoke(request: web.Request) -> web.Response:
    return await _membership_action(request, "DELETE", "administrator", "users.revoked")


@routes.post(USERS + "/{user_id}/modules")
async def modules(request: web.Request) -> web.Response:
    chosen = [m.value for m in Module if m.value in (await form(request)).getall("modules", [])]
    return await _membership_action(
        request, "PUT", "modules", "users.modules_saved", {"modules": chosen}
    )


# --- the organisation and its referents ------------------------------------------------------


async def _active_members(request: web.Request) -> list[dict[str, Any]]:
    """Only active users can be referents (seed 000); the list is paged by 10."""
    members: list[dict[str, Any]] = []
    for number in range(1, 21):
        result = await api(request).get(f"/api{USERS}", page=str(number))
        members += [m for m in result["items"] if m["status"] == "active"]
        if number * result["per_page"] >= result["total"]:
            break
    return members


@routes.get("/organisation")
async def organisation(request: web.Request) -> web.Response:
    await _admin(request)
    details = await api(request).get("/api/organisation")
    requests = await api(request).get("/api/organisation/change-requests")
    members = await _active_members(request)
    return await page(
        request,
        "organisation.html",
        organisation=details,
        requests=requests,
        members=members,
        names={m["user_id"]: f"{m['first_name']} {m['last_name']}" for m in members},
        errors={},
    )


def _address(fields: MultiDictProxy[str], prefix: str, current: Any) -> dict[str, Any] | None:
    values = {
        name: text(fields, f"{prefix}_{name}")
        for name in ("line1", "line2", "postal_code", "city", "country")
    }
    if not any(values.values()):
        return None
    values["country"] = values["country"].upper()
    if current and current.get("label"):
        values["label"] = current["label"]
    return values


def _proposed(fields: MultiDictProxy[str], current: dict[str, Any]) -> dict[str, Any]:
    details = dict(current["details"])
    details["legal_name"] = text(fields, "legal_name")
    details["billing_address"] = _address(fields, "billing", details.get("billing_address"))
    labels, numbers = fields.getall("phone_label", []), fields.getall("phone_number", [])
    details["phone_lines"] = [
        {"label": label.strip(), "number": number.strip()}
        for label, number in zip(labels, numbers, strict=False)
        if label.strip() or number.strip()
    ]
    referents = {
        "technical": text(fields, "technical") or None,
        "accounting": [value for value in fields.getall("accounting", []) if value],
        "dpo": text(fields, "dpo") or None,
    }
    return {"details": details, "referents": referents}


@routes.post("/organisation/change-requests")
async def request_change(request: web.Request) -> web.Response:
    await _admin(request)
    current = await api(request).get("/api/organisation")
    proposed = _proposed(await form(request), current)
    try:
        await api(request).call("POST", "/api/organisation/change-requests", json=proposed)
    except ApiError as refused:
        if refused.status not in {409, 422}:
            raise
        members = await _active_members(request)
        return await page(
            request,
            "organisation.html",
            status=422,
            organisation={**current, **proposed},
            requests=await api(request).get("/api/organisation/change-requests"),
            members=members,
            names={m["user_id"]: f"{m['first_name']} {m['last_name']}" for m in members},
            errors=refused.field_errors or {"": str(refused)},
        )
    await flash(request, "organisation.requested")
    raise redirect("/organisation")
