"""OpenAPI 3.1 descriptions of a service's routes, from the pydantic models they already use.

A handler is described once, next to its route:

    @routes.post("/tickets")
    @operation("Open a ticket", request=OpenTicketRequest, responses={201: TicketView})
    async def open_ticket(request): ...

Each service serves its own document at `/openapi.json` (service-local paths); the gateway
merges them into the public API's document.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field

from aiohttp import web
from pydantic import BaseModel

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
OPERATION_ATTRIBUTE = "__openapi_operation__"


@dataclass(frozen=True)
class Operation:
    summary: str
    request: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    # status → body model (None: no body, or a problem+json for 4xx)
    responses: Mapping[int, type[BaseModel] | None] = field(default_factory=dict)
    tags: tuple[str, ...] = ()
    public: bool = False  # true when no access token is needed
    description: str = ""


def operation(
    summary: str,
    *,
    request: type[BaseModel] | None = None,
    query: type[BaseModel] | None = None,
    responses: Mapping[int, type[BaseModel] | None] | None = None,
    tags: tuple[str, ...] = (),
    public: bool = False,
    description: str = "",
) -> Callable[[Handler], Handler]:
    described = Operation(
        summary=summary,
        request=request,
        query=query,
        responses=dict(responses or {}),
        tags=tags,
        public=public,
        description=description,
    )

    def describe(handler: Handler) -> Handler:
        setattr(handler, OPERATION_ATTRIBUTE, described)
        return handler

    return describe


def described_operation(handler: object) -> Operation | None:
    return getattr(handler, OPERATION_ATTRIBUTE, None)
