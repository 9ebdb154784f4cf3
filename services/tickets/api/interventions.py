"""The customer's side of interventions on their machines (the fleet module): the natures to
choose from, requesting one on a machine, following an asset's, and cancelling one still
waiting for validation. Fixed paths come before `/interventions/{intervention_id}`."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated

from aiohttp import web
from pydantic import BaseModel, ConfigDict, EmailStr, Field, StringConstraints

from services.tickets import intervention_handlers as handlers
from services.tickets.api.attachments import receive_upload, send_stored
from services.tickets.api.common import (
    TICKETS_SETTINGS,
    Actor,
    anyone,
    customer,
    domain_refusals,
    intervention_rules,
    visible_intervention,
)
from services.tickets.attachments import uploads
from services.tickets.domain_types import Priority
from services.tickets.events import AttachmentRef
from services.tickets.queries import interventions as queries
from services.tickets.queries.interventions import (
    AgentInterventionsQuery,
    CustomerInterventionsQuery,
    InterventionList,
    InterventionView,
    Natures,
    NatureView,
)
from shared.auth.claims import Module
from shared.http.keys import DB_POOL, EVENT_STORE
from shared.http.openapi import operation
from shared.http.paging import BadCursor, bad_cursor
from shared.http.problems import Problem, path_id, read_json, read_query

routes = web.RouteTableDef()
TAGS = ("interventions",)

Details = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=5000)]
Comment = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
ErrorCode = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50)]
NatureCode = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,39}$")]


class RequestInterventionBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    asset_id: uuid.UUID = Field(description="One of the organisation's machines (fleet)")
    nature: NatureCode = Field(description="A code of GET /interventions/natures")
    error_code: ErrorCode | None = Field(
        default=None, description="The code the machine shows, if any"
    )
    details: Details
    urgency: Priority = Priority.NORMAL
    requester_email: EmailStr | None = Field(
        default=None, description="Where the summary goes; by default the requester's address"
    )
    attachment_ids: Annotated[list[uuid.UUID], Field(max_length=20)] = Field(
        default_factory=list, description="Uploads of POST /interventions/uploads"
    )


class CancelBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    comment: Comment = Field(description="Why the intervention is no longer needed")


def fleet_customer(request: web.Request) -> Actor:
    return customer(request, Module.FLEET)


def _intervention_id(request: web.Request) -> uuid.UUID:
    return path_id(request, "intervention_id", "intervention")


async def view_of(
    request: web.Request, actor: Actor, intervention_id: uuid.UUID
) -> InterventionView:
    view = await queries.intervention(request.app[DB_POOL], intervention_id, actor.organisation_id)
    if view is None:
        raise Problem(404, "Not found", "There is no such intervention.")
    return view


@routes.get("/interventions/natures")
@operation(
    "The natures of intervention to choose from",
    responses={200: Natures},
    tags=TAGS,
    description="The vendor's list (GUICHET_INTERVENTION_NATURES), in its order, with labels.",
)
async def intervention_natures(request: web.Request) -> web.Response:
    anyone(request, Module.FLEET)
    listed = request.app[TICKETS_SETTINGS].intervention_natures
    result = Natures(natures=[NatureView(code=c, labels=labels) for c, labels in listed.items()])
    return web.json_response(result.model_dump(mode="json"))


@routes.post("/interventions/uploads")
@operation(
    "Upload a file to attach to an intervention request",
    responses={201: AttachmentRef, 400: None, 413: None, 415: None},
    tags=TAGS,
    description="As POST /tickets/uploads (same types and size limit), for the fleet module.",
)
async def upload_for_intervention(request: web.Request) -> web.Response:
    return await receive_upload(request, anyone(request, Module.FLEET))


@routes.get("/interventions")
@operation(
    "The organisation's interventions (one machine's, with asset_id)",
    query=CustomerInterventionsQuery,
    responses={200: InterventionList},
    tags=TAGS,
    description="Newest first. Pass `next_cursor` back as `cursor` for the next page.",
)
async def list_interventions(request: web.Request) -> web.Response:
    actor = fleet_customer(request)
    query = read_query(request, CustomerInterventionsQuery)
    return await listed(request, query, actor.organisation_id, oldest_first=False)


async def listed(
    request: web.Request,
    query: CustomerInterventionsQuery | AgentInterventionsQuery,
    organisation_id: uuid.UUID | None,
    *,
    oldest_first: bool,
) -> web.Response:
    """One page of interventions (every organisation's for None), as the answer."""
    try:
        result = await queries.list_interventions(
            request.app[DB_POOL],
            organisation_id=organisation_id,
            asset_id=query.asset_id,
            status=query.status,
            cursor=query.cursor,
            limit=query.limit,
            oldest_first=oldest_first,
        )
    except BadCursor:
        raise bad_cursor() from None
    return web.json_response(result.model_dump(mode="json"))


@routes.post("/interventions")
@operation(
    "Request an intervention on a machine",
    request=RequestInterventionBody,
    responses={201: InterventionView, 404: None, 409: None},
    tags=TAGS,
    description="Waits for the vendor's validation; a summary email gives its number. A"
    " machine whose contract does not cover interventions is refused (422"
    " intervention-not-covered) or accepted with `covered` false, as the vendor chose.",
)
async def request_intervention(request: web.Request) -> web.Response:
    actor = fleet_customer(request)
    body = await read_json(request, RequestInterventionBody)
    assert actor.organisation_id is not None
    async with domain_refusals():
        intervention_id = await handlers.request_intervention(
            request.app[DB_POOL],
            request.app[EVENT_STORE],
            intervention_rules(request),
            handlers.RequestIntervention(
                organisation_id=actor.organisation_id,
                requested_by=actor.user_id,
                asset_id=body.asset_id,
                nature=body.nature,
                details=body.details,
                urgency=body.urgency,
                error_code=body.error_code,
                requester_email=str(body.requester_email) if body.requester_email else None,
                attachment_ids=body.attachment_ids,
            ),
            actor.context(request, actor.organisation_id),
            today=dt.datetime.now(dt.UTC).date(),
        )
    view = await view_of(request, actor, intervention_id)
    return web.json_response(
        view.model_dump(mode="json"),
        status=201,
        headers={"Location": f"/interventions/{intervention_id}"},
    )


@routes.get("/interventions/{intervention_id}")
@operation(
    "Read an intervention",
    responses={200: InterventionView, 404: None},
    tags=TAGS,
)
async def get_intervention(request: web.Request) -> web.Response:
    actor = fleet_customer(request)
    view = await view_of(request, actor, _intervention_id(request))
    return web.json_response(view.model_dump(mode="json"))


@routes.post("/interventions/{intervention_id}/cancel")
@operation(
    "Cancel an intervention still waiting for validation",
    request=CancelBody,
    responses={200: InterventionView, 404: None, 409: None},
    tags=TAGS,
    description="Only while waiting for validation / to be scheduled; otherwise a 409 naming"
    " the status. The cancellation is confirmed by email.",
)
async def cancel_intervention(request: web.Request) -> web.Response:
    actor = fleet_customer(request)
    intervention_id = _intervention_id(request)
    organisation = await visible_intervention(request, actor, intervention_id)
    body = await read_json(request, CancelBody)
    async with domain_refusals():
        await handlers.decide(
            request.app[DB_POOL],
            request.app[EVENT_STORE],
            intervention_id,
            actor.context(request, organisation),
            lambda intervention: intervention.cancel(by=actor.user_id, comment=body.comment),
        )
    view = await view_of(request, actor, intervention_id)
    return web.json_response(view.model_dump(mode="json"))


@routes.get("/interventions/{intervention_id}/attachments/{attachment_id}")
@operation(
    "Download an intervention's attachment",
    responses={200: None, 404: None},
    tags=TAGS,
    description="Always as a download (`Content-Disposition: attachment`), never rendered.",
)
async def download_intervention_attachment(request: web.Request) -> web.StreamResponse:
    actor = anyone(request, Module.FLEET)
    intervention_id = _intervention_id(request)
    attachment_id = path_id(request, "attachment_id", "attachment")
    await visible_intervention(request, actor, intervention_id)
    stored = await uploads.for_intervention_download(
        request.app[DB_POOL], intervention_id, attachment_id
    )
    return await send_stored(request, stored)
