"""The delivery log: customer admins read their organisation's (`/organisation/email-log`),
vendor staff any organisation's or all of it (`/email-log?organisation_id=…`)."""

from __future__ import annotations

import uuid

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from services.notifications import delivery_log
from services.notifications.api.common import json_response, read_query
from services.notifications.delivery_log import DeliveryStatus, EmailLogPage, Position
from shared.auth.claims import VENDOR_ROLES, Role
from shared.http.keys import DB_POOL
from shared.http.openapi import operation
from shared.http.paging import BadCursor
from shared.http.principal import acting_principal, forbidden, require_role
from shared.http.problems import Problem

routes = web.RouteTableDef()


class OrganisationLogQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: DeliveryStatus | None = None
    limit: int = Field(default=25, ge=1, le=100)
    cursor: str | None = Field(default=None, max_length=200)


class VendorLogQuery(OrganisationLogQuery):
    organisation_id: uuid.UUID | None = Field(
        default=None, description="One organisation's emails; all of them when absent"
    )


async def _page(
    request: web.Request,
    query: OrganisationLogQuery,
    organisation_id: uuid.UUID | None,
    *,
    with_errors: bool,
) -> web.Response:
    try:
        after = Position.from_cursor(query.cursor) if query.cursor else None
    except BadCursor:
        raise Problem(400, "Bad request", "`cursor` must be one a previous page gave.") from None
    async with request.app[DB_POOL].acquire() as connection:
        page = await delivery_log.page(
            connection,
            organisation_id=organisation_id,
            status=query.status,
            after=after,
            limit=query.limit,
            with_errors=with_errors,
        )
    return json_response(page)


@routes.get("/organisation/email-log")
@operation(
    "Emails sent to the organisation's users, newest first",
    query=OrganisationLogQuery,
    responses={200: EmailLogPage, 400: None},
    tags=("notifications",),
)
async def organisation_log(request: web.Request) -> web.Response:
    principal = acting_principal(request)
    if principal.role is not Role.CUSTOMER_ADMIN:
        raise forbidden("Only an administrator of the organisation can read its email log.")
    organisation_id = principal.acting_organisation()
    query = read_query(request, OrganisationLogQuery)
    return await _page(request, query, organisation_id, with_errors=False)


@routes.get("/email-log")
@operation(
    "Every email, or one organisation's, newest first (vendor staff)",
    query=VendorLogQuery,
    responses={200: EmailLogPage, 400: None},
    tags=("notifications",),
)
async def vendor_log(request: web.Request) -> web.Response:
    require_role(acting_principal(request), *VENDOR_ROLES)
    query = read_query(request, VendorLogQuery)
    return await _page(request, query, query.organisation_id, with_errors=True)
