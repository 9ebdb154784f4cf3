"""The vendor's staff accounts: the vendor admin creates them (each gets an invitation email
with a one-time link to choose a password) and changes their role; every member of the staff
sees the list."""

from __future__ import annotations

import uuid
from typing import Literal

from aiohttp import web
from pydantic import BaseModel, ConfigDict, EmailStr

from services.identity import handlers, queries
from services.identity.api.common import (
    IDENTITY,
    LARGEST_OFFSET,
    actor,
    context,
    json_response,
    query_number,
    search_text,
)
from services.identity.domain_types import Language, ShortText
from shared.auth.claims import VENDOR_ROLES, Role
from shared.http.keys import DB_POOL, EVENT_STORE
from shared.http.openapi import operation
from shared.http.principal import acting_principal, require_role
from shared.http.problems import Problem, path_id, read_json

routes = web.RouteTableDef()
StaffRole = Literal["vendor_agent", "vendor_back_office", "vendor_admin"]


class NewStaffMember(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: EmailStr
    first_name: ShortText
    last_name: ShortText
    language: Language = "fr"
    role: StaffRole


class StaffRoleForm(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: StaffRole


class StaffCreated(BaseModel):
    user_id: uuid.UUID
    user_code: str


@routes.post("/staff")
@operation(
    "Create a staff account (agent, back office or admin) and email its invitation",
    request=NewStaffMember,
    responses={201: StaffCreated, 409: None},
    tags=("staff",),
    description="Vendor admins only. The invitation carries the user code and a one-time link"
    " to choose a password; an email that already has an account is refused (409).",
)
async def create_staff_member(request: web.Request) -> web.Response:
    principal = acting_principal(request)
    require_role(principal, Role.VENDOR_ADMIN)
    body = await read_json(request, NewStaffMember)
    user_id = await handlers.create_staff_account(
        request.app[DB_POOL],
        request.app[IDENTITY],
        handlers.StaffMember(
            email=body.email,
            first_name=body.first_name,
            last_name=body.last_name,
            language=body.language,
            role=Role(body.role),
        ),
        context(request),
    )
    user = await queries.user(request.app[DB_POOL], user_id)
    assert user is not None
    return json_response(StaffCreated(user_id=user_id, user_code=user.user_code), status=201)


@routes.get("/staff")
@operation(
    "The vendor's staff, with role and status: search by name, first name, email or user code;"
    " 10 per page",
    responses={200: queries.StaffPage},
    tags=("staff",),
)
async def list_staff(request: web.Request) -> web.Response:
    require_role(acting_principal(request), *VENDOR_ROLES)
    page = query_number(request, "page", 1, low=1, high=LARGEST_OFFSET // queries.STAFF_PER_PAGE)
    return json_response(await queries.staff(request.app[DB_POOL], search_text(request), page))


@routes.put("/staff/{user_id}/role")
@operation(
    "Give a member of the staff another role; their tokens carry it from their next refresh",
    request=StaffRoleForm,
    responses={204: None, 404: None, 409: None},
    tags=("staff",),
    description="Vendor admins only, and never on their own account (409), so the staff"
    " always keeps the admin who acts.",
)
async def change_staff_role(request: web.Request) -> web.Response:
    principal = acting_principal(request)
    require_role(principal, Role.VENDOR_ADMIN)
    user_id = path_id(request, "user_id", "staff member")
    body = await read_json(request, StaffRoleForm)
    member = await queries.user(request.app[DB_POOL], user_id)
    if member is None or member.staff_role is None:
        raise Problem(404, "Not found", "There is no such member of the staff.")
    by = actor(principal)
    await handlers.run_user_command(
        request.app[DB_POOL],
        request.app[EVENT_STORE],
        user_id,
        lambda user: user.change_staff_role(role=Role(body.role), by=by),
        context(request),
    )
    return web.Response(status=204)
