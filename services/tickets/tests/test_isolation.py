"""Tenant isolation, endpoint by endpoint: a user of organisation B can neither read nor change
anything of organisation A's tickets, and a customer cannot use the agents' side. (Plain cases:
they move to the shared OpenAPI-driven runner when it lands.)"""

from __future__ import annotations

import uuid
from typing import Any

import aiohttp
import pytest

from services.tickets.tests.conftest import Answer, Client, TicketsUnderTest

PNG = bytes.fromhex("89504e470d0a1a0a0000000d49484452") + b"\x00" * 64


async def a_ticket_of_a(tickets: TicketsUnderTest) -> tuple[Client, dict[str, Any], str]:
    """Organisation A's ticket, with an attachment and an agent's reply."""
    alice = tickets.customer(uuid.uuid4())
    form = aiohttp.FormData()
    form.add_field("file", PNG, filename="a.png", content_type="image/png")
    upload = await alice.ok("POST", "/tickets/uploads", 201, data=form)
    ticket = await alice.open(
        title="Secret de l'organisation A", attachment_ids=[upload["attachment_id"]]
    )
    await tickets.agent().ok(
        "POST", f"/agent/tickets/{ticket['ticket_id']}/messages", json={"body": "Réponse A"}
    )
    return alice, ticket, upload["attachment_id"]


def assert_not_found(answer: Answer) -> None:
    assert answer.status == 404, (answer.status, answer.body)
    assert b"Secret" not in answer.raw


ONE_TICKET_OPERATIONS = [
    ("GET", "/tickets/{ticket}", None),
    ("POST", "/tickets/{ticket}/messages", {"body": "Je suis B"}),
    ("POST", "/tickets/{ticket}/resume", {"body": "Je suis B"}),
    ("POST", "/tickets/{ticket}/resolve", None),
    ("POST", "/tickets/{ticket}/close", None),
    ("POST", "/tickets/{ticket}/duplicate", None),
    ("GET", "/tickets/{ticket}/attachments/{attachment}", None),
    ("GET", "/tickets/live?ticket_id={ticket}", None),
]


@pytest.mark.parametrize(("method", "path", "body"), ONE_TICKET_OPERATIONS)
async def test_another_organisation_finds_nothing_and_changes_nothing(
    tickets: TicketsUnderTest, method: str, path: str, body: dict[str, Any] | None
) -> None:
    alice, ticket, attachment = await a_ticket_of_a(tickets)
    before = await tickets.sql("SELECT count(*) AS n FROM events")
    bob = tickets.customer(uuid.uuid4())
    url = path.format(ticket=ticket["ticket_id"], attachment=attachment)
    assert_not_found(await bob.call(method, url, **({"json": body} if body else {})))
    assert await tickets.sql("SELECT count(*) AS n FROM events") == before
    # Alice's own ticket is as she left it.
    page = await alice.ok("GET", f"/tickets/{ticket['ticket_id']}")
    assert page["ticket"]["status"] == "new"
    assert [m["body"] for m in page["conversation"]] == ["Réponse A"]


async def test_lists_search_exports_and_columns_are_the_organisations_own(
    tickets: TicketsUnderTest,
) -> None:
    alice, _, _ = await a_ticket_of_a(tickets)
    bob = tickets.customer(uuid.uuid4())
    await bob.open(title="Le ticket de B")
    listed = await bob.ok("GET", "/tickets")
    assert [t["title"] for t in listed["tickets"]] == ["Le ticket de B"]
    assert listed["unread_tickets"] == 0
    assert (await bob.ok("GET", "/tickets", params={"q": "Secret"}))["tickets"] == []
    by_alice = await bob.ok("GET", "/tickets", params={"requester_id": str(alice.user_id)})
    assert by_alice["tickets"] == []
    for export in ("/tickets/export.csv", "/tickets/export.xlsx"):
        answer = await bob.call("GET", export)
        assert answer.status == 200
        assert b"Secret" not in answer.raw
    await alice.ok("PUT", "/tickets/columns", json={"columns": ["title"]})
    assert (await bob.ok("GET", "/tickets/columns"))["columns"] != ["title"]


async def test_a_customer_cannot_use_the_agents_side(tickets: TicketsUnderTest) -> None:
    alice, ticket, _ = await a_ticket_of_a(tickets)
    before = await tickets.sql("SELECT count(*) AS n FROM events")
    path = f"/agent/tickets/{ticket['ticket_id']}"
    for method, url, body in (
        ("GET", "/agent/tickets", None),
        ("GET", path, None),
        ("POST", f"{path}/messages", {"body": "x"}),
        ("POST", f"{path}/notes", {"body": "x"}),
        ("PUT", f"{path}/assignment", {"department": "sales"}),
        ("POST", f"{path}/status", {"status": "open"}),
    ):
        answer = await alice.call(method, url, **({"json": body} if body else {}))
        assert answer.status == 403, (method, url, answer.status)
    assert await tickets.sql("SELECT count(*) AS n FROM events") == before


async def test_vendor_staff_have_no_customer_side_and_an_organisation_needs_the_module(
    tickets: TicketsUnderTest,
) -> None:
    agent = tickets.agent()
    assert (await agent.call("GET", "/tickets")).status == 403
    no_module = tickets.customer(uuid.uuid4(), modules=["invoices"])
    for method, url in (("GET", "/tickets"), ("GET", "/tickets/columns"), ("POST", "/tickets")):
        assert (await no_module.call(method, url, json={})).status == 403
