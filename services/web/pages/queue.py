"""The back office's ticket queue (issue 4's agent side): every organisation's tickets with
the customers' filters plus organisation, assignee ("mine", "unassigned") and department;
search; keyset pages; overdue and unread flagged. Live: static/app.js refreshes the rows."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from aiohttp import web
from multidict import MultiDictProxy

from services.web.api_client import Api, ApiError
from services.web.portal import acting, api, page

routes = web.RouteTableDef()
BASE = "/back-office/tickets"
PER_PAGE = 25
STATUSES = ("new", "open", "in_progress", "waiting_for_customer", "resolved", "closed")
ACTIVE = STATUSES[:4]
PRIORITIES = ("urgent", "high", "normal", "low")
TYPES = ("incident", "request", "question", "contact")
DEPARTMENTS = ("technical", "sales", "billing", "logistics")
STAFF_PAGES = 20  # the staff list comes 10 a page; a vendor's staff fits in far fewer
ORGANISATIONS_IN_FILTER = 100
TEXT_FILTERS = ("q", "product", "site")


async def staff_required(request: web.Request) -> dict[str, Any]:
    """The signed-in member of the vendor's staff (every staff role works the queue)."""
    who = await acting(request)
    if not who.staff:
        raise web.HTTPForbidden
    return who.user


async def staff_members(client: Api) -> list[dict[str, Any]]:
    """The vendor's staff with an account in use, by name: who a ticket can be assigned to."""
    members: list[dict[str, Any]] = []
    for number in range(1, STAFF_PAGES + 1):
        found = await client.get("/api/staff", page=str(number))
        members += found["items"]
        if len(members) >= found["total"] or not found["items"]:
            break
    return [member for member in members if member["status"] == "active"]


def full_name(person: dict[str, Any]) -> str:
    return f"{person['first_name']} {person['last_name']}".strip()


async def organisation_names(
    client: Api, known: dict[str, str], wanted: set[str]
) -> dict[str, str]:
    """Names of the organisations of the rows shown; those beyond the filter's list are asked
    one by one (at most a page's worth)."""
    missing = sorted(wanted - set(known))

    async def name_of(organisation_id: str) -> tuple[str, str] | None:
        try:
            found = await client.get(f"/api/organisations/{organisation_id}")
        except ApiError as refused:
            if refused.status == 404:
                return None
            raise
        return organisation_id, found["details"]["legal_name"]

    found = await asyncio.gather(*(name_of(one) for one in missing))
    return {**known, **dict(pair for pair in found if pair is not None)}


@dataclass(frozen=True)
class Filters:
    """The queue's filters as the form posts them (GET), and as the API takes them."""

    statuses: tuple[str, ...]
    priorities: tuple[str, ...]
    ticket_type: str
    department: str
    assignee: str  # "", "mine", "unassigned" or a member of staff's id
    organisation_id: str
    requester_id: str
    overdue: bool
    words: dict[str, str]

    @classmethod
    def read(cls, query: MultiDictProxy[str]) -> Filters:
        # The form sends `filtered`; without it (the first visit) the queue shows what is
        # still to be worked on.
        statuses = query.getall("status", []) if "filtered" in query else list(ACTIVE)
        return cls(
            statuses=tuple(s for s in STATUSES if s in statuses),
            priorities=tuple(p for p in PRIORITIES if p in query.getall("priority", [])),
            ticket_type=_one_of(query.get("ticket_type", ""), TYPES),
            department=_one_of(query.get("department", ""), DEPARTMENTS),
            assignee=_assignee(query.get("assignee", "")),
            organisation_id=_uuid(query.get("organisation_id", "")),
            requester_id=_uuid(query.get("requester_id", "")),
            overdue=query.get("overdue") == "on",
            words={name: query.get(name, "").strip()[:200] for name in TEXT_FILTERS},
        )

    @property
    def beyond_the_first(self) -> bool:
        """Filters set beyond the first row's (search, assignee, department): their part of
        the form opens."""
        return bool(
            self.statuses != ACTIVE
            or self.priorities
            or self.ticket_type
            or self.organisation_id
            or self.requester_id
            or self.overdue
            or self.words["product"]
            or self.words["site"]
        )

    def _shared(self) -> list[tuple[str, str]]:
        """The filters the form and the API name the same way."""
        pairs = [("status", s) for s in self.statuses]
        pairs += [("priority", p) for p in self.priorities]
        for name, value in (
            ("ticket_type", self.ticket_type),
            ("department", self.department),
            ("organisation_id", self.organisation_id),
            ("requester_id", self.requester_id),
            *self.words.items(),
        ):
            if value:
                pairs.append((name, value))
        return pairs

    def api_params(self, me: str) -> list[tuple[str, str]]:
        params = self._shared()
        if self.assignee == "mine":
            params.append(("assignee_id", me))
        elif self.assignee == "unassigned":
            params.append(("unassigned", "true"))
        elif self.assignee:
            params.append(("assignee_id", self.assignee))
        if self.overdue:
            params.append(("overdue", "true"))
        return params

    def query_string(self, **extra: str) -> str:
        """This queue's address with the same filters (for the next page, or a row's link)."""
        pairs = [("filtered", "1"), *self._shared()]
        if self.assignee:
            pairs.append(("assignee", self.assignee))
        if self.overdue:
            pairs.append(("overdue", "on"))
        # A row's link replaces a filter rather than repeating it.
        pairs = [(name, value) for name, value in pairs if name not in extra]
        return urlencode(pairs + list(extra.items()))


def _one_of(value: str, allowed: tuple[str, ...]) -> str:
    return value if value in allowed else ""


def _uuid(value: str) -> str:
    try:
        return str(uuid.UUID(value)) if value else ""
    except ValueError:
        return ""


def _assignee(value: str) -> str:
    return value if value in {"mine", "unassigned"} else _uuid(value)


@routes.get(BASE)
async def queue(request: web.Request) -> web.Response:
    me = await staff_required(request)
    client = api(request)
    filters = Filters.read(request.query)
    params = filters.api_params(str(me["user_id"]))
    params.append(("limit", str(PER_PAGE)))
    cursor = request.query.get("cursor", "")[:200]
    if cursor:
        params.append(("cursor", cursor))
    try:
        result = (await client.call("GET", "/api/agent/tickets", params=params)).body
    except ApiError as refused:
        if refused.status != 422 or "cursor" not in refused.field_errors:
            raise
        raise web.HTTPSeeOther(f"{BASE}?{filters.query_string()}") from None  # a stale cursor
    staff, organisations = await asyncio.gather(
        staff_members(client),
        client.get("/api/organisations", limit=str(ORGANISATIONS_IN_FILTER)),
    )
    names = await organisation_names(
        client,
        {o["organisation_id"]: o["legal_name"] for o in organisations["items"]},
        {ticket["organisation_id"] for ticket in result["tickets"]},
    )
    return await page(
        request,
        "back_office/queue.html",
        result=result,
        filters=filters,
        cursor=cursor,
        staff=staff,
        staff_names={member["user_id"]: full_name(member) for member in staff},
        organisations=organisations["items"],
        organisation_names=names,
        me=me,
        statuses=STATUSES,
        priorities=PRIORITIES,
        types=TYPES,
        departments=DEPARTMENTS,
    )
