"""Customer organisations and their contacts: created and edited by the vendor's back office,
seen by their members, changed by their admins through requests the back office decides."""

from __future__ import annotations

import uuid
from typing import Annotated

from aiohttp import web
from pydantic import BaseModel, ConfigDict, EmailStr, Field, RootModel, StringConstraints

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
from services.identity.domain_types import (
    ContactDetails,
    Language,
    Network,
    OrganisationCode,
    OrganisationDetails,
    OrganisationStatus,
    Referents,
)
from shared.auth.claims import CUSTOMER_ROLES, VENDOR_ROLES, Module, Role
from shared.http.keys import DB_POOL, EVENT_STORE
from shared.http.openapi import operation
from shared.http.principal import acting_principal, forbidden, require_role
from shared.http.problems import Problem, path_id, read_json

routes = web.RouteTableDef()
BACK_OFFICE = (Role.VENDOR_BACK_OFFICE, Role.VENDOR_ADMIN)
Currency = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class OrganisationForm(Strict):
    status: OrganisationStatus = OrganisationStatus.ACTIVE
    language: Language = "fr"
    currency: Currency = "EUR"
    details: OrganisationDetails


class NewOrganisation(OrganisationForm):
    code: OrganisationCode


class ContactForm(ContactDetails):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PortalAccessForm(Strict):
    """Seed 002's dialog: the role is always the customer role; the user code is generated."""

    email: EmailStr | None = Field(default=None, description="Defaults to the contact's email")
    modules: frozenset[Module]
    allowed_networks: tuple[Network, ...] = Field(default=(), max_length=20)
    branch_id: uuid.UUID | None = None
    language: Language | None = None


class AccessGranted(BaseModel):
    user_id: uuid.UUID
    user_code: str


class ChangeRequestForm(Strict):
    details: OrganisationDetails | None = None
    referents: Referents | None = None


class Rejection(Strict):
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]


class Created(BaseModel):
    request_id: uuid.UUID


# The lists' answers are JSON arrays, and say so in the OpenAPI document.
class ContactList(RootModel[list[queries.ContactView]]):
    pass


class ChangeRequestList(RootModel[list[queries.ChangeRequestView]]):
    pass


def _back_office(request: web.Request) -> uuid.UUID:
    principal = acting_principal(request)
    require_role(principal, *BACK_OFFICE)
    return actor(principal)


def _facts(form: OrganisationForm) -> handlers.OrganisationFacts:
    return handlers.OrganisationFacts(
        status=form.status, language=form.language, currency=form.currency, details=form.details
    )


async def _organisation_view(request: web.Request, organisation_id: uuid.UUID) -> web.Response:
    view = await queries.organisation(request.app[DB_POOL], organisation_id)
    if view is None:
        raise Problem(404, "Not found", "There is no such organisation.")
    return json_response(view)


# --- back office -----------------------------------------------------------------------------


@routes.post("/organisations")
@operation(
    "Create a customer organisation",
    request=NewOrganisation,
    responses={201: queries.OrganisationView, 409: None},
    tags=("back office",),
)
async def create_organisation(request: web.Request) -> web.Response:
    _back_office(request)
    body = await read_json(request, NewOrganisation)
    organisation_id = await handlers.register_organisation(
        request.app[DB_POOL], request.app[EVENT_STORE], body.code, _facts(body), context(request)
    )
    response = await _organisation_view(request, organisation_id)
    response.set_status(201)
    response.headers["Location"] = f"/organisations/{organisation_id}"
    return response


@routes.get("/organisations")
@operation(
    "Find organisations by name or code",
    responses={200: queries.OrganisationPage},
    tags=("back office",),
)
async def list_organisations(request: web.Request) -> web.Response:
    require_role(acting_principal(request), *VENDOR_ROLES)
    limit = query_number(request, "limit", 20, low=1, high=100)
    offset = query_number(request, "offset", 0, low=0, high=LARGEST_OFFSET)
    page = await queries.search_organisations(
        request.app[DB_POOL], search_text(request), limit, offset
    )
    return json_response(page)


@routes.get("/organisations/{organisation_id}")
@operation(
    "An organisation",
    responses={200: queries.OrganisationView, 404: None},
    tags=("back office",),
)
async def get_organisation(request: web.Request) -> web.Response:
    require_role(acting_principal(request), *VENDOR_ROLES)
    return await _organisation_view(request, path_id(request, "organisation_id", "organisation"))


@routes.put("/organisations/{organisation_id}")
@operation(
    "Change an organisation's details",
    request=OrganisationForm,
    responses={200: queries.OrganisationView, 404: None},
    tags=("back office",),
)
async def change_organisation(request: web.Request) -> web.Response:
    _back_office(request)
    organisation_id = path_id(request, "organisation_id", "organisation")
    body = await read_json(request, OrganisationForm)
    if not await queries.organisation_exists(request.app[DB_POOL], organisation_id):
        raise Problem(404, "Not found", "There is no such organisation.")
    await handlers.change_organisation(
        request.app[DB_POOL],
        request.app[EVENT_STORE],
        organisation_id,
        _facts(body),
        context(request, organisation_id),
    )
    return await _organisation_view(request, organisation_id)


@routes.get("/organisations/{organisation_id}/contacts")
@operation(
    "The organisation's contacts",
    responses={200: ContactList, 404: None},
    tags=("back office",),
)
async def list_contacts(request: web.Request) -> web.Response:
    require_role(acting_principal(request), *VENDOR_ROLES)
    organisation_id = path_id(request, "organisation_id", "organisation")
    if not await queries.organisation_exists(request.app[DB_POOL], organisation_id):
        raise Problem(404, "Not found", "There is no such organisation.")
    return json_response(
        await queries.contacts_of_organisation(request.app[DB_POOL], organisation_id)
    )


@routes.post("/organisations/{organisation_id}/contacts")
@operation(
    "Add a contact to an organisation",
    request=ContactForm,
    responses={201: queries.ContactView, 404: None},
    tags=("back office",),
)
async def add_contact(request: web.Request) -> web.Response:
    _back_office(request)
    organisation_id = path_id(request, "organisation_id", "organisation")
    body = await read_json(request, ContactForm)
    contact_id = await handlers.add_contact(
        request.app[DB_POOL],
        request.app[EVENT_STORE],
        organisation_id,
        ContactDetails.model_validate(body.model_dump()),
        context(request, organisation_id),
    )
    view = await queries.contact(request.app[DB_POOL], contact_id)
    assert view is not None
    response = json_response(view, status=201)
    response.headers["Location"] = f"/contacts/{contact_id}"
    return response


async def _contact(request: web.Request) -> queries.ContactView:
    require_role(acting_principal(request), *VENDOR_ROLES)
    view = await queries.contact(request.app[DB_POOL], path_id(request, "contact_id", "contact"))
    if view is None:
        raise Problem(404, "Not found", "There is no such contact.")
    return view


@routes.get("/contacts/{contact_id}")
@operation("A contact", responses={200: queries.ContactView, 404: None}, tags=("back office",))
async def get_contact(request: web.Request) -> web.Response:
    return json_response(await _contact(request))


@routes.put("/contacts/{contact_id}")
@operation(
    "Change a contact's details",
    request=ContactForm,
    responses={200: queries.ContactView, 404: None},
    tags=("back office",),
)
async def update_contact(request: web.Request) -> web.Response:
    _back_office(request)
    existing = await _contact(request)
    body = await read_json(request, ContactForm)
    await handlers.update_contact(
        request.app[DB_POOL],
        request.app[EVENT_STORE],
        existing.contact_id,
        ContactDetails.model_validate(body.model_dump()),
        context(request, existing.organisation_id),
    )
    return json_response(await _contact(request))


@routes.post("/contacts/{contact_id}/portal-access")
@operation(
    "Give the contact access to the customer space and email the invitation",
    request=PortalAccessForm,
    responses={201: AccessGranted, 404: None, 409: None},
    tags=("back office",),
)
async def grant_portal_access(request: web.Request) -> web.Response:
    by = _back_office(request)
    existing = await _contact(request)
    body = await read_json(request, PortalAccessForm)
    user_id = await handlers.grant_portal_access(
        request.app[DB_POOL],
        request.app[IDENTITY],
        handlers.PortalAccess(
            contact_id=existing.contact_id,
            email=body.email,
            modules=body.modules,
            allowed_networks=body.allowed_networks,
            branch_id=body.branch_id,
            language=body.language,
        ),
        by,
        context(request, existing.organisation_id),
    )
    user = await queries.user(request.app[DB_POOL], user_id)
    assert user is not None
    return json_response(AccessGranted(user_id=user_id, user_code=user.user_code), status=201)


@routes.get("/change-requests")
@operation(
    "Change requests of every organisation (filter by `status`: pending, approved, rejected)",
    responses={200: ChangeRequestList},
    tags=("back office",),
)
async def list_change_requests(request: web.Request) -> web.Response:
    require_role(acting_principal(request), *VENDOR_ROLES)
    status = request.query.get("status")
    if status not in {None, "pending", "approved", "rejected"}:
        raise Problem(400, "Bad request", "`status` is pending, approved or rejected.")
    return json_response(await queries.change_requests(request.app[DB_POOL], status=status))


@routes.post("/change-requests/{request_id}/approval")
@operation(
    "Approve a change request: the change takes effect",
    responses={204: None, 404: None, 409: None},
    tags=("back office",),
)
async def approve_change(request: web.Request) -> web.Response:
    by = _back_office(request)
    await handlers.decide_organisation_change(
        request.app[DB_POOL],
        request.app[EVENT_STORE],
        path_id(request, "request_id", "change request"),
        by,
        None,
        context(request),
    )
    return web.Response(status=204)


@routes.post("/change-requests/{request_id}/rejection")
@operation(
    "Reject a change request, saying why",
    request=Rejection,
    responses={204: None, 404: None, 409: None},
    tags=("back office",),
)
async def reject_change(request: web.Request) -> web.Response:
    by = _back_office(request)
    body = await read_json(request, Rejection)
    await handlers.decide_organisation_change(
        request.app[DB_POOL],
        request.app[EVENT_STORE],
        path_id(request, "request_id", "change request"),
        by,
        body.reason,
        context(request),
    )
    return web.Response(status=204)


# --- the customer's own organisation ------------------------------------------------------------


def _own_organisation(request: web.Request) -> uuid.UUID:
    principal = acting_principal(request)
    if principal.role not in CUSTOMER_ROLES:
        raise forbidden("Only a user of a customer organisation can do this.")
    return principal.acting_organisation()


@routes.get("/organisation")
@operation(
    "My organisation's details and referents",
    responses={200: queries.OrganisationView},
    tags=("my organisation",),
)
async def my_organisation(request: web.Request) -> web.Response:
    return await _organisation_view(request, _own_organisation(request))


@routes.post("/organisation/change-requests")
@operation(
    "Ask for a change of my organisation's details or referents (the vendor approves it)",
    request=ChangeRequestForm,
    responses={201: Created, 403: None, 422: None},
    tags=("my organisation",),
)
async def request_change(request: web.Request) -> web.Response:
    principal = acting_principal(request)
    organisation_id = _own_organisation(request)
    if principal.role is not Role.CUSTOMER_ADMIN:
        raise forbidden("Only an administrator of the organisation can do this.")
    body = await read_json(request, ChangeRequestForm)
    request_id = await handlers.request_organisation_change(
        request.app[DB_POOL],
        request.app[EVENT_STORE],
        organisation_id,
        actor(principal),
        body.details,
        body.referents,
        context(request),
    )
    return json_response(Created(request_id=request_id), status=201)


@routes.get("/organisation/change-requests")
@operation(
    "My organisation's change requests and their outcome",
    responses={200: ChangeRequestList},
    tags=("my organisation",),
)
async def my_change_requests(request: web.Request) -> web.Response:
    organisation_id = _own_organisation(request)
    return json_response(
        await queries.change_requests(request.app[DB_POOL], organisation_id=organisation_id)
    )
