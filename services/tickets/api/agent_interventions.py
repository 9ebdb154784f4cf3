"""The vendor agents' side of interventions: those to validate and schedule (or in any status),
and moving one along: scheduled (date, technician), in progress, done; or declining a request
still waiting for validation."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from aiohttp import web
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

from services.tickets import intervention_handlers as handlers
from services.tickets.api.common import Actor, domain_refusals, staff, visible_intervention
from services.tickets.api.interventions import Comment, listed, view_of
from services.tickets.domain import Intervention
from services.tickets.queries.interventions import (
    AgentInterventionsQuery,
    InterventionList,
    InterventionView,
)
from shared.events import DomainEvent
from shared.http.keys import DB_POOL, EVENT_STORE
from shared.http.openapi import operation
from shared.http.problems import path_id, read_json, read_query

routes = web.RouteTableDef()
TAGS = ("interventions (agents)",)


class Schedule(BaseModel):
    model_config = ConfigDict(extra="forbid")

    scheduled_for: AwareDatetime = Field(description="When the technician comes, with its zone")
    technician: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)
    ] = Field(description="Who comes (the customer sees this name)")


class Completion(BaseModel):
    model_config = ConfigDict(extra="forbid")

    report: (
        Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=5000)]
        | None
    ) = Field(default=None, description="What was done, as the customer may read it")


class Decline(BaseModel):
    model_config = ConfigDict(extra="forbid")

    comment: Comment = Field(
        description="Why the vendor declines the request (sent to the customer)"
    )


@routes.get("/agent/interventions")
@operation(
    "Interventions to schedule (or in a status), every organisation's",
    query=AgentInterventionsQuery,
    responses={200: InterventionList},
    tags=TAGS,
    description="Oldest first: by default the requests waiting for validation.",
)
async def interventions_to_schedule(request: web.Request) -> web.Response:
    staff(request)
    query = read_query(request, AgentInterventionsQuery)
    return await listed(request, query, query.organisation_id, oldest_first=True)


@routes.get("/agent/interventions/{intervention_id}")
@operation("An intervention", responses={200: InterventionView, 404: None}, tags=TAGS)
async def agent_intervention(request: web.Request) -> web.Response:
    actor = staff(request)
    view = await view_of(request, actor, path_id(request, "intervention_id", "intervention"))
    return web.json_response(view.model_dump(mode="json"))


@dataclass(frozen=True)
class Target:
    """The intervention an agent's command moves (it exists), and who acts."""

    actor: Actor
    intervention_id: uuid.UUID
    organisation_id: uuid.UUID


async def _target(request: web.Request) -> Target:
    actor = staff(request)
    intervention_id = path_id(request, "intervention_id", "intervention")
    return Target(
        actor, intervention_id, await visible_intervention(request, actor, intervention_id)
    )


async def _decide(
    request: web.Request, target: Target, decide: Callable[[Intervention], list[DomainEvent]]
) -> web.Response:
    """Run the move if the domain agrees; the answer is the intervention as it is now."""
    async with domain_refusals():
        await handlers.decide(
            request.app[DB_POOL],
            request.app[EVENT_STORE],
            target.intervention_id,
            target.actor.context(request, target.organisation_id),
            decide,
        )
    view = await view_of(request, target.actor, target.intervention_id)
    return web.json_response(view.model_dump(mode="json"))


@routes.post("/agent/interventions/{intervention_id}/schedule")
@operation(
    "Schedule (or reschedule) an intervention",
    request=Schedule,
    responses={200: InterventionView, 404: None, 409: None},
    tags=TAGS,
    description="From waiting for validation, or scheduled (a new date or technician).",
)
async def schedule_intervention(request: web.Request) -> web.Response:
    target = await _target(request)
    body = await read_json(request, Schedule)
    return await _decide(
        request,
        target,
        lambda intervention: intervention.schedule(
            scheduled_for=body.scheduled_for, technician=body.technician, by=target.actor.user_id
        ),
    )


@routes.post("/agent/interventions/{intervention_id}/start")
@operation(
    "The technician started the intervention",
    responses={200: InterventionView, 404: None, 409: None},
    tags=TAGS,
    description="Only a scheduled intervention starts.",
)
async def start_intervention(request: web.Request) -> web.Response:
    target = await _target(request)
    return await _decide(
        request, target, lambda intervention: intervention.start(by=target.actor.user_id)
    )


@routes.post("/agent/interventions/{intervention_id}/complete")
@operation(
    "The intervention is done",
    request=Completion,
    responses={200: InterventionView, 404: None, 409: None},
    tags=TAGS,
    description="Only an intervention in progress is completed.",
)
async def complete_intervention(request: web.Request) -> web.Response:
    target = await _target(request)
    body = await read_json(request, Completion)
    return await _decide(
        request,
        target,
        lambda intervention: intervention.complete(by=target.actor.user_id, report=body.report),
    )


@routes.post("/agent/interventions/{intervention_id}/decline")
@operation(
    "Decline a request waiting for validation",
    request=Decline,
    responses={200: InterventionView, 404: None, 409: None},
    tags=TAGS,
    description="Only while waiting for validation (e.g. a machine its contract does not"
    " cover); otherwise a 409 naming the status. The intervention is cancelled, and its"
    " requester emailed the comment.",
)
async def decline_intervention(request: web.Request) -> web.Response:
    target = await _target(request)
    body = await read_json(request, Decline)
    return await _decide(
        request,
        target,
        lambda intervention: intervention.cancel(
            by=target.actor.user_id, comment=body.comment, by_vendor=True
        ),
    )
