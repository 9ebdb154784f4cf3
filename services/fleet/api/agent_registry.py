"""The back office's side of sites, contracts and the catalogue of models: vendor staff
read every organisation's; the back office (and vendor admins) register and change them."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import TypeVar

import asyncpg
from aiohttp import web
from pydantic import BaseModel, Field

from services.fleet.api.common import back_office, domain_refusals, staff, today
from services.fleet.bodies import (
    BranchedSiteBody,
    ConsumableBody,
    ContractBody,
    ContractChange,
    ModelBody,
    ModelChange,
    Strict,
)
from services.fleet.domain import Consumable
from services.fleet.domain_types import REFERENCE, OptionalText
from services.fleet.handlers import catalogue
from services.fleet.handlers.common import unit_of_work
from services.fleet.queries import registry
from services.fleet.queries.views import (
    ContractList,
    ContractView,
    ModelList,
    ModelView,
    SiteList,
    SiteView,
)
from shared.http.keys import DB_POOL, EVENT_STORE
from shared.http.openapi import operation
from shared.http.problems import Problem, path_id, read_json, read_query

routes = web.RouteTableDef()
ViewT = TypeVar("ViewT")
TAGS = ("fleet (back office)",)


class OrganisationQuery(Strict):
    organisation_id: uuid.UUID | None = None


class NewSite(BranchedSiteBody):
    organisation_id: uuid.UUID


class NewContract(ContractBody):
    organisation_id: uuid.UUID


class EndContract(Strict):
    ended_on: dt.date | None = Field(default=None, description="Default: today")
    reason: OptionalText | None = None


def _json(model: BaseModel, status: int = 200) -> web.Response:
    return web.json_response(model.model_dump(mode="json"), status=status)


def found(view: ViewT | None, what: str) -> ViewT:
    if view is None:
        raise Problem(404, "Not found", f"There is no such {what}.")
    return view


# --- sites -----------------------------------------------------------------------------------


@routes.get("/agent/fleet/sites")
@operation(
    "Sites, of one organisation or all",
    query=OrganisationQuery,
    responses={200: SiteList},
    tags=TAGS,
)
async def agent_list_sites(request: web.Request) -> web.Response:
    staff(request)
    query = read_query(request, OrganisationQuery)
    async with request.app[DB_POOL].acquire() as connection:
        return _json(SiteList(sites=await registry.sites(connection, query.organisation_id)))


@routes.post("/agent/fleet/sites")
@operation(
    "Register a site", request=NewSite, responses={201: SiteView, 403: None, 422: None}, tags=TAGS
)
async def register_site(request: web.Request) -> web.Response:
    actor = back_office(request)
    body = await read_json(request, NewSite)
    async with domain_refusals(), unit_of_work(request.app[DB_POOL]) as connection:
        site_id = await catalogue.register_site(
            connection,
            request.app[EVENT_STORE],
            actor.context(request, body.organisation_id),
            organisation_id=body.organisation_id,
            fields=body.branched_fields(),
        )
        return _json(found(await registry.site(connection, site_id), "site"), 201)


@routes.put("/agent/fleet/sites/{site_id}")
@operation(
    "Change a site's name and address",
    request=BranchedSiteBody,
    responses={200: SiteView, 404: None, 422: None},
    tags=TAGS,
)
async def update_site(request: web.Request) -> web.Response:
    actor = back_office(request)
    site_id = path_id(request, "site_id", "site")
    body = await read_json(request, BranchedSiteBody)
    async with domain_refusals(), unit_of_work(request.app[DB_POOL]) as connection:
        current = found(await registry.site(connection, site_id), "site")
        await catalogue.update_site(
            connection,
            request.app[EVENT_STORE],
            actor.context(request, current.organisation_id),
            site_id,
            body.branched_fields(),
        )
        return _json(found(await registry.site(connection, site_id), "site"))


# --- contracts -------------------------------------------------------------------------------


@routes.get("/agent/fleet/contracts")
@operation(
    "Contracts, of one organisation or all",
    query=OrganisationQuery,
    responses={200: ContractList},
    tags=TAGS,
)
async def agent_list_contracts(request: web.Request) -> web.Response:
    staff(request)
    query = read_query(request, OrganisationQuery)
    async with request.app[DB_POOL].acquire() as connection:
        contracts = await registry.contracts(connection, query.organisation_id, today=today())
    return _json(ContractList(contracts=contracts))


@routes.post("/agent/fleet/contracts")
@operation(
    "Register a contract",
    request=NewContract,
    responses={201: ContractView, 403: None, 409: None, 422: None},
    tags=TAGS,
)
async def register_contract(request: web.Request) -> web.Response:
    actor = back_office(request)
    body = await read_json(request, NewContract)
    async with domain_refusals(), unit_of_work(request.app[DB_POOL]) as connection:
        contract_id = await catalogue.register_contract(
            connection,
            request.app[EVENT_STORE],
            actor.context(request, body.organisation_id),
            organisation_id=body.organisation_id,
            fields=body.contract_fields(),
        )
        view = await registry.contract_view(connection, contract_id, today=today())
    return _json(found(view, "contract"), 201)


async def _contract(connection: asyncpg.Connection, contract_id: uuid.UUID) -> ContractView:
    return found(await registry.contract_view(connection, contract_id, today=today()), "contract")


@routes.put("/agent/fleet/contracts/{contract_id}")
@operation(
    "Change a contract's terms",
    request=ContractChange,
    responses={200: ContractView, 404: None, 409: None, 422: None},
    tags=TAGS,
    description="Everything but its number, which never changes. An ended contract cannot change.",
)
async def change_contract(request: web.Request) -> web.Response:
    actor = back_office(request)
    contract_id = path_id(request, "contract_id", "contract")
    body = await read_json(request, ContractChange)
    async with domain_refusals(), unit_of_work(request.app[DB_POOL]) as connection:
        current = await _contract(connection, contract_id)
        await catalogue.change_contract(
            connection,
            request.app[EVENT_STORE],
            actor.context(request, current.organisation_id),
            contract_id,
            body.fields(current.number),
        )
        return _json(await _contract(connection, contract_id))


@routes.post("/agent/fleet/contracts/{contract_id}/end")
@operation(
    "End a contract",
    request=EndContract,
    responses={200: ContractView, 404: None, 409: None, 422: None},
    tags=TAGS,
    description="Terminated or expired: its assets keep it in their history, with no contract"
    " in force.",
)
async def end_contract(request: web.Request) -> web.Response:
    actor = back_office(request)
    contract_id = path_id(request, "contract_id", "contract")
    body = await read_json(request, EndContract)
    async with domain_refusals(), unit_of_work(request.app[DB_POOL]) as connection:
        current = await _contract(connection, contract_id)
        await catalogue.end_contract(
            connection,
            request.app[EVENT_STORE],
            actor.context(request, current.organisation_id),
            contract_id,
            ended_on=body.ended_on or today(),
            reason=body.reason,
        )
        return _json(await _contract(connection, contract_id))


# --- models and consumables ------------------------------------------------------------------


@routes.get("/agent/fleet/models")
@operation("The catalogue of models, with their consumables", responses={200: ModelList}, tags=TAGS)
async def list_models(request: web.Request) -> web.Response:
    staff(request)
    async with request.app[DB_POOL].acquire() as connection:
        return _json(ModelList(models=await registry.models(connection)))


async def _model(connection: asyncpg.Connection, model_id: uuid.UUID) -> ModelView:
    models = await registry.models(connection, model_id)
    return found(models[0] if models else None, "model")


@routes.post("/agent/fleet/models")
@operation(
    "Define a model", request=ModelBody, responses={201: ModelView, 409: None, 422: None}, tags=TAGS
)
async def define_model(request: web.Request) -> web.Response:
    actor = back_office(request)
    body = await read_json(request, ModelBody)
    async with domain_refusals(), unit_of_work(request.app[DB_POOL]) as connection:
        model_id = await catalogue.define_model(
            connection, request.app[EVENT_STORE], actor.context(request, None), body.fields()
        )
        return _json(await _model(connection, model_id), 201)


@routes.put("/agent/fleet/models/{model_id}")
@operation(
    "Change a model",
    request=ModelChange,
    responses={200: ModelView, 404: None, 422: None},
    tags=TAGS,
    description="Meters can be added, never removed (readings name them).",
)
async def change_model(request: web.Request) -> web.Response:
    actor = back_office(request)
    model_id = path_id(request, "model_id", "model")
    body = await read_json(request, ModelChange)
    async with domain_refusals(), unit_of_work(request.app[DB_POOL]) as connection:
        current = await _model(connection, model_id)
        fields = catalogue.ModelFields(
            current.code, body.name, body.manufacturer, tuple(body.counters)
        )
        await catalogue.change_model(
            connection, request.app[EVENT_STORE], actor.context(request, None), model_id, fields
        )
        return _json(await _model(connection, model_id))


def _reference(request: web.Request) -> str:
    reference = request.match_info["reference"]
    if not REFERENCE.match(reference):
        raise Problem(404, "Not found", "There is no such consumable.")
    return reference


@routes.put("/agent/fleet/models/{model_id}/consumables/{reference}")
@operation(
    "List a consumable for a model, or change it",
    request=ConsumableBody,
    responses={200: ModelView, 404: None, 422: None},
    tags=TAGS,
)
async def list_consumable(request: web.Request) -> web.Response:
    actor = back_office(request)
    model_id = path_id(request, "model_id", "model")
    reference = _reference(request)
    body = await read_json(request, ConsumableBody)
    async with domain_refusals(), unit_of_work(request.app[DB_POOL]) as connection:
        await _model(connection, model_id)
        await catalogue.list_consumable(
            connection,
            request.app[EVENT_STORE],
            actor.context(request, None),
            model_id,
            Consumable(reference, body.description, body.max_quantity_per_order),
        )
        return _json(await _model(connection, model_id))


@routes.delete("/agent/fleet/models/{model_id}/consumables/{reference}")
@operation(
    "Withdraw a consumable from a model's catalogue",
    responses={200: ModelView, 404: None, 409: None},
    tags=TAGS,
)
async def withdraw_consumable(request: web.Request) -> web.Response:
    actor = back_office(request)
    model_id = path_id(request, "model_id", "model")
    reference = _reference(request)
    async with domain_refusals(), unit_of_work(request.app[DB_POOL]) as connection:
        await _model(connection, model_id)
        await catalogue.withdraw_consumable(
            connection, request.app[EVENT_STORE], actor.context(request, None), model_id, reference
        )
        return _json(await _model(connection, model_id))
