"""`/organisation/webhooks`: a customer admin's endpoints for their own organisation's events.
The signing secret is in the answer to the registration, and never again."""

from __future__ import annotations

import uuid
from typing import Annotated

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from services.notifications.api.common import acting_user, json_response, read_query
from services.notifications.settings import NotificationsSettings
from services.notifications.webhooks import endpoints
from services.notifications.webhooks.addresses import RefusedAddress, check_url
from services.notifications.webhooks.catalogue import WEBHOOK_EVENT_TYPES
from services.notifications.webhooks.endpoints import WebhookDelivery, WebhookEndpoint
from shared.auth.claims import Role
from shared.http.keys import DB_POOL, SETTINGS
from shared.http.openapi import operation
from shared.http.principal import Principal, acting_principal, forbidden
from shared.http.problems import Problem, path_id, read_json
from shared.sealing import Sealer

routes = web.RouteTableDef()
MAX_ENDPOINTS = 10  # per organisation
TAGS = ("webhooks",)


class EventType(BaseModel):
    type: str
    description: str


class EventTypes(BaseModel):
    event_types: list[EventType]


class NewEndpoint(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: Annotated[str, StringConstraints(strip_whitespace=True, min_length=8, max_length=2000)]
    event_types: list[str] = Field(min_length=1, max_length=len(WEBHOOK_EVENT_TYPES))
    description: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] = ""

    @field_validator("event_types")
    @classmethod
    def _offered(cls, value: list[str]) -> list[str]:
        unknown = sorted(set(value) - set(WEBHOOK_EVENT_TYPES))
        if unknown:
            raise ValueError("not offered to webhooks: " + ", ".join(unknown)[:300])
        return sorted(set(value))


class RegisteredEndpoint(WebhookEndpoint):
    secret: str = Field(
        description="Signs every delivery (see Guichet-Signature). Shown this once: keep it."
    )


class Endpoints(BaseModel):
    endpoints: list[WebhookEndpoint]


class Deliveries(BaseModel):
    deliveries: list[WebhookDelivery]


class DeliveriesQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    limit: int = Field(default=25, ge=1, le=100)


def _admin(request: web.Request) -> tuple[Principal, uuid.UUID]:
    principal = acting_principal(request)
    if principal.role is not Role.CUSTOMER_ADMIN:
        raise forbidden("Only an administrator of the organisation can manage its webhooks.")
    return principal, principal.acting_organisation()


def _settings(request: web.Request) -> NotificationsSettings:
    settings = request.app[SETTINGS]
    assert isinstance(settings, NotificationsSettings)
    return settings


def _not_found() -> Problem:
    return Problem(404, "Not found", "There is no such webhook in this organisation.")


@routes.get("/organisation/webhooks/event-types")
@operation("The event types webhooks can subscribe to", responses={200: EventTypes}, tags=TAGS)
async def event_types(request: web.Request) -> web.Response:
    _admin(request)
    return json_response(
        EventTypes(
            event_types=[
                EventType(type=name, description=text) for name, text in WEBHOOK_EVENT_TYPES.items()
            ]
        )
    )


@routes.post("/organisation/webhooks")
@operation(
    "Register an HTTPS endpoint for some of the organisation's events",
    request=NewEndpoint,
    responses={201: RegisteredEndpoint, 409: None},
    tags=TAGS,
)
async def register(request: web.Request) -> web.Response:
    principal, organisation_id = _admin(request)
    owner = acting_user(principal)
    body = await read_json(request, NewEndpoint)
    settings = _settings(request)
    try:
        url = check_url(body.url, allow_insecure=settings.webhooks_allow_insecure)
    except RefusedAddress as refusal:
        raise Problem(
            422,
            "Invalid request",
            f"The URL {refusal}.",
            type_="https://guichet.dev/problems/validation",
            errors=[{"field": "url", "message": str(refusal), "code": "refused_url"}],
        ) from None
    async with request.app[DB_POOL].acquire() as connection, connection.transaction():
        # One registration at a time per organisation, so the limit holds.
        await connection.execute(
            "SELECT pg_advisory_xact_lock(hashtext('webhooks.' || $1::uuid::text))", organisation_id
        )
        if len(await endpoints.endpoints_of(connection, organisation_id)) >= MAX_ENDPOINTS:
            raise Problem(
                409, "Conflict", f"An organisation can have {MAX_ENDPOINTS} webhooks at most."
            )
        endpoint, secret = await endpoints.register(
            connection,
            Sealer(settings.sealing_key),
            organisation_id=organisation_id,
            url=url,
            event_types=body.event_types,
            description=body.description,
            created_by=owner,
        )
    return web.json_response(
        RegisteredEndpoint(**endpoint.model_dump(), secret=secret).model_dump(mode="json"),
        status=201,
        headers={"Location": f"/organisation/webhooks/{endpoint.endpoint_id}"},
    )


@routes.get("/organisation/webhooks")
@operation("The organisation's webhooks", responses={200: Endpoints}, tags=TAGS)
async def list_endpoints(request: web.Request) -> web.Response:
    _, organisation_id = _admin(request)
    async with request.app[DB_POOL].acquire() as connection:
        found = await endpoints.endpoints_of(connection, organisation_id)
    return json_response(Endpoints(endpoints=found))


@routes.get("/organisation/webhooks/{endpoint_id}")
@operation("One webhook", responses={200: WebhookEndpoint, 404: None}, tags=TAGS)
async def get_endpoint(request: web.Request) -> web.Response:
    _, organisation_id = _admin(request)
    endpoint_id = path_id(request, "endpoint_id", "webhook")
    async with request.app[DB_POOL].acquire() as connection:
        endpoint = await endpoints.endpoint_of(connection, organisation_id, endpoint_id)
    if endpoint is None:
        raise _not_found()
    return json_response(endpoint)


@routes.delete("/organisation/webhooks/{endpoint_id}")
@operation("Remove a webhook and its deliveries", responses={204: None, 404: None}, tags=TAGS)
async def remove_endpoint(request: web.Request) -> web.Response:
    _, organisation_id = _admin(request)
    endpoint_id = path_id(request, "endpoint_id", "webhook")
    async with request.app[DB_POOL].acquire() as connection:
        if not await endpoints.remove(connection, organisation_id, endpoint_id):
            raise _not_found()
    return web.Response(status=204)


@routes.post("/organisation/webhooks/{endpoint_id}/enable")
@operation(
    "Enable a disabled webhook again; what waited is delivered",
    responses={200: WebhookEndpoint, 404: None},
    tags=TAGS,
)
async def enable_endpoint(request: web.Request) -> web.Response:
    _, organisation_id = _admin(request)
    endpoint_id = path_id(request, "endpoint_id", "webhook")
    async with request.app[DB_POOL].acquire() as connection, connection.transaction():
        endpoint = await endpoints.enable(connection, organisation_id, endpoint_id)
    if endpoint is None:
        raise _not_found()
    return json_response(endpoint)


@routes.get("/organisation/webhooks/{endpoint_id}/deliveries")
@operation(
    "A webhook's latest deliveries, newest first, with every attempt",
    query=DeliveriesQuery,
    responses={200: Deliveries, 404: None},
    tags=TAGS,
)
async def list_deliveries(request: web.Request) -> web.Response:
    _, organisation_id = _admin(request)
    endpoint_id = path_id(request, "endpoint_id", "webhook")
    query = read_query(request, DeliveriesQuery)
    async with request.app[DB_POOL].acquire() as connection:
        if await endpoints.endpoint_of(connection, organisation_id, endpoint_id) is None:
            raise _not_found()
        found = await endpoints.deliveries_of(connection, endpoint_id, query.limit)
    return json_response(Deliveries(deliveries=found))
