"""Who may use an organisation's customer space: activating, blocking, modules,
administrators and temporary passwords. Customer admins act on their own organisation
(`/organisation/users/…`), the vendor's back office on any (`/organisations/{id}/users/…`)."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable

from aiohttp import web
from pydantic import BaseModel, ConfigDict

from services.identity import handlers, queries
from services.identity.api.auth import Password
from services.identity.api.common import (
    IDENTITY_SETTINGS,
    LARGEST_OFFSET,
    PASSWORD_RULES,
    actor,
    context,
    query_number,
    search_text,
)
from services.identity.domain import User
from shared.auth.claims import VENDOR_ROLES, Module, Role
from shared.events import DomainEvent
from shared.http.keys import DB_POOL, EVENT_STORE
from shared.http.openapi import described_operation, operation
from shared.http.principal import acting_principal, forbidden, require_role
from shared.http.problems import Problem, path_id, read_json

routes = web.RouteTableDef()
BACK_OFFICE = frozenset({Role.VENDOR_BACK_OFFICE, Role.VENDOR_ADMIN})
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class Activation(BaseModel):
    model_config = ConfigDict(extra="forbid")

    modules: frozenset[Module] | None = None


class Modules(BaseModel):
    model_config = ConfigDict(extra="forbid")

    modules: frozenset[Module]


class TemporaryPassword(BaseModel):
    model_config = ConfigDict(extra="forbid")

    password: Password


def organisation_in_scope(
    request: web.Request, vendor_roles: frozenset[Role] | None = None
) -> uuid.UUID:
    """The organisation the route names: a customer admin's own, or the one in the path for
    vendor staff (`vendor_roles` when only some may). Anyone else is refused."""
    principal = acting_principal(request)
    if "organisation_id" in request.match_info:
        require_role(principal, *(vendor_roles or VENDOR_ROLES))
        return path_id(request, "organisation_id", "organisation")
    if principal.role is not Role.CUSTOMER_ADMIN:
        raise forbidden("Only an administrator of the organisation can do this.")
    return principal.acting_organisation()


async def _member(
    request: web.Request, vendor_roles: frozenset[Role] | None = None
) -> tuple[uuid.UUID, uuid.UUID]:
    organisation_id = organisation_in_scope(request, vendor_roles)
    user_id = path_id(request, "user_id", "user")
    if not await queries.is_member(request.app[DB_POOL], organisation_id, user_id):
        raise Problem(404, "Not found", "There is no such user in this organisation.")
    return organisation_id, user_id


async def _change(
    request: web.Request, decide: Callable[[User, uuid.UUID, uuid.UUID], list[DomainEvent]]
) -> web.Response:
    organisation_id, user_id = await _member(request)
    by = actor(acting_principal(request))
    await handlers.change_membership(
        request.app[DB_POOL],
        request.app[EVENT_STORE],
        user_id,
        organisation_id,
        lambda user: decide(user, organisation_id, by),
        context(request, organisation_id),
    )
    return web.Response(status=204)


@routes.get("/organisation/users")
@operation(
    "Users of the organisation: search by name, first name, email or function; 10 per page",
    responses={200: queries.MemberPage},
    tags=("organisation users",),
)
async def list_members(request: web.Request) -> web.Response:
    organisation_id = organisation_in_scope(request)
    page = query_number(request, "page", 1, low=1, high=LARGEST_OFFSET // queries.CONTACTS_PER_PAGE)
    result = await queries.members(
        request.app[DB_POOL], organisation_id, search_text(request), page
    )
    return web.json_response(result.model_dump(mode="json"))


@routes.post("/organisation/users/{user_id}/activation")
@operation(
    "Activate a user (the red padlock turns green)",
    request=Activation,
    responses={204: None, 404: None},
    tags=("organisation users",),
)
async def activate(request: web.Request) -> web.Response:
    body = await read_json(request, Activation) if request.can_read_body else Activation()
    default = request.app[IDENTITY_SETTINGS].activated_modules

    def decide(user: User, organisation_id: uuid.UUID, by: uuid.UUID) -> list[DomainEvent]:
        membership = user.memberships.get(organisation_id)
        keep = membership.modules if membership and membership.status == "blocked" else None
        return user.activate(
            organisation_id=organisation_id, modules=body.modules or keep or default, by=by
        )

    return await _change(request, decide)


@routes.post("/organisation/users/{user_id}/block")
@operation(
    "Block a user: their sessions end at once",
    responses={204: None, 404: None, 409: None},
    tags=("organisation users",),
)
async def block(request: web.Request) -> web.Response:
    return await _change(
        request,
        lambda user, organisation_id, by: user.block(organisation_id=organisation_id, by=by),
    )


@routes.put("/organisation/users/{user_id}/modules")
@operation(
    "Choose which modules a user has",
    request=Modules,
    responses={204: None, 404: None},
    tags=("organisation users",),
)
async def change_modules(request: web.Request) -> web.Response:
    body = await read_json(request, Modules)
    return await _change(
        request,
        lambda user, organisation_id, by: user.change_modules(
            organisation_id=organisation_id, modules=body.modules, by=by
        ),
    )


@routes.post("/organisation/users/{user_id}/administrator")
@operation(
    "Make a user an administrator of the organisation",
    responses={204: None, 404: None, 409: None},
    tags=("organisation users",),
)
async def appoint_admin(request: web.Request) -> web.Response:
    return await _change(
        request,
        lambda user, organisation_id, by: user.appoint_admin(
            organisation_id=organisation_id, by=by
        ),
    )


@routes.delete("/organisation/users/{user_id}/administrator")
@operation(
    "Remove a user's administrator role; they stay a user of the organisation",
    responses={204: None, 404: None, 409: None},
    tags=("organisation users",),
)
async def revoke_admin(request: web.Request) -> web.Response:
    return await _change(
        request,
        lambda user, organisation_id, by: user.revoke_admin(organisation_id=organisation_id, by=by),
    )


@routes.post("/organisation/users/{user_id}/password")
@operation(
    "Set a temporary password for a user: their sessions end, and they must change it at their"
    " next sign-in",
    request=TemporaryPassword,
    responses={204: None, 404: None, 409: None, 422: None},
    tags=("organisation users",),
    description="The password follows the policy like any other. An administrator cannot set"
    " their own password this way (409), and a customer admin cannot set the password of a"
    " user who also has access to another organisation (409).",
)
async def set_temporary_password(request: web.Request) -> web.Response:
    # Among the vendor's staff, only the back office gives and manages access (seed 002).
    organisation_id, user_id = await _member(request, BACK_OFFICE)
    body = await read_json(request, TemporaryPassword)
    principal = acting_principal(request)
    await handlers.set_temporary_password(
        request.app[DB_POOL],
        request.app[EVENT_STORE],
        user_id,
        body.password,
        request.app[PASSWORD_RULES],
        by=actor(principal),
        administered=None if principal.is_vendor_staff else organisation_id,
        context=context(request, organisation_id),
    )
    return web.Response(status=204)


# The back office does the same to the organisation in the path. Each route is an operation of
# its own in the OpenAPI document (one handler under two routes would share an operationId).


def _for_back_office(method: str, tail: str, handler: Handler) -> None:
    customer_side = described_operation(handler)
    assert customer_side is not None

    async def in_named_organisation(request: web.Request) -> web.StreamResponse:
        return await handler(request)

    in_named_organisation.__name__ = f"{handler.__name__}_in_organisation"
    described = operation(
        customer_side.summary,
        request=customer_side.request,
        # The organisation in the path may not exist.
        responses={**customer_side.responses, 404: None},
        tags=("back office",),
    )
    routes.route(method, f"/organisations/{{organisation_id}}/users{tail}")(
        described(in_named_organisation)
    )


_for_back_office("GET", "", list_members)
_for_back_office("POST", "/{user_id}/activation", activate)
_for_back_office("POST", "/{user_id}/block", block)
_for_back_office("PUT", "/{user_id}/modules", change_modules)
_for_back_office("POST", "/{user_id}/administrator", appoint_admin)
_for_back_office("DELETE", "/{user_id}/administrator", revoke_admin)
_for_back_office("POST", "/{user_id}/password", set_temporary_password)
