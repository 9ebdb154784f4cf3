"""Flows 10 to 12 as customers and agents meet them: open, converse, suspend and resume,
resolve, close, duplicate, contact a department, and everything refused on the way."""

from __future__ import annotations

import datetime as dt
import uuid

from services.fleet import events as fleet
from services.tickets.domain import TRANSITIONS
from services.tickets.domain_types import TicketStatus
from services.tickets.tests.conftest import StartTickets, TicketsUnderTest
from services.tickets.tests.fleet_side import register_contract, terms


async def test_every_create_field_is_kept_and_due_times_follow_the_priority(
    tickets: TicketsUnderTest,
) -> None:
    customer = tickets.customer(uuid.uuid4())
    created = await customer.open(
        ticket_type="request",
        priority="urgent",
        product="MX-4000",
        site="Lyon Part-Dieu",
        product_version="2.1",
        nature="malfunction",
        severity="blocking",
        wished_delivery_date="2026-12-01",
        reference_1="PO-77",
        reference_2="Bât. C",
    )
    page = await customer.ok("GET", f"/tickets/{created['ticket_id']}")
    ticket = page["ticket"]
    assert {k: ticket[k] for k in ("ticket_type", "priority", "product", "site", "severity")} == {
        "ticket_type": "request",
        "priority": "urgent",
        "product": "MX-4000",
        "site": "Lyon Part-Dieu",
        "severity": "blocking",
    }
    assert (ticket["reference_1"], ticket["reference_2"]) == ("PO-77", "Bât. C")
    assert ticket["wished_delivery_date"] == "2026-12-01"
    assert ticket["status"] == "new"
    assert ticket["requester_id"] == str(customer.user_id)
    # Urgent: first response within 1 h, resolution within 8 h (the default vendor settings).
    assert ticket["first_response_due_at"] < ticket["resolution_due_at"]
    assert not ticket["first_response_overdue"]
    assert page["timeline"]["submitted_at"] == ticket["opened_at"]
    assert page["allowed_statuses"] == ["open", "resolved"]


async def test_the_requester_is_known_from_identity_and_a_colleague_can_be_named(
    tickets: TicketsUnderTest,
) -> None:
    organisation = uuid.uuid4()
    customer = tickets.customer(organisation)
    await tickets.grant(customer.user_id, organisation, first_name="Claire", last_name="Martin")
    colleague = await tickets.colleague(organisation, first_name="Luc", last_name="Bernard")
    outsider = await tickets.colleague(uuid.uuid4(), first_name="Eve", last_name="Autre")

    mine = await customer.open(requester_email=None)
    assert mine["requester"] == "Claire Martin"
    assert mine["requester_email"].startswith("claire.")

    for_luc = await customer.open(requester_email=None, on_behalf_of=str(colleague))
    assert (for_luc["requester"], for_luc["requester_id"]) == ("Luc Bernard", str(colleague))
    assert for_luc["opened_by"] == str(customer.user_id)

    refused = await customer.call(
        "POST",
        "/tickets",
        json={"title": "Pour Eve", "description": "x", "on_behalf_of": str(outsider)},
    )
    assert refused.status == 422
    assert [e["field"] for e in refused.body["errors"]] == ["on_behalf_of"]

    unknown = tickets.customer(organisation)  # identity has not told tickets about them yet
    answer = await unknown.call("POST", "/tickets", json={"title": "Qui ?", "description": "x"})
    assert answer.status == 422
    assert [e["field"] for e in answer.body["errors"]] == ["requester_email"]


async def test_the_conversation_from_opening_to_duplicate(tickets: TicketsUnderTest) -> None:
    organisation = uuid.uuid4()
    customer = tickets.customer(organisation)
    agent = tickets.agent()
    ticket = await customer.open()
    path = f"/tickets/{ticket['ticket_id']}"
    agent_path = f"/agent{path}"

    await agent.ok("POST", f"{agent_path}/status", json={"status": "open"})
    await agent.ok("POST", f"{agent_path}/status", json={"status": "in_progress"})
    await agent.ok("POST", f"{agent_path}/messages", json={"body": "Quel modèle exactement ?"})
    suspended = await agent.ok(
        "POST",
        f"{agent_path}/status",
        json={"status": "waiting_for_customer", "reason": "Le numéro de série"},
    )
    assert suspended["suspension_reason"] == "Le numéro de série"

    resumed = await customer.ok("POST", f"{path}/resume", json={"body": "SN 12345"})
    assert resumed["status"] == "in_progress"
    assert resumed["suspension_reason"] is None

    await customer.ok("POST", f"{path}/resolve")
    closed = await customer.ok("POST", f"{path}/close")
    assert closed["status"] == "closed"

    page = await customer.ok("GET", path)
    assert [(m["author_side"], m["body"]) for m in page["conversation"]] == [
        ("agent", "Quel modèle exactement ?"),
        ("customer", "SN 12345"),
    ]
    timeline = page["timeline"]
    assert all(timeline[k] for k in timeline), timeline
    assert (
        timeline["submitted_at"]
        <= timeline["received_at"]
        <= timeline["first_intervention_at"]
        <= timeline["resolved_at"]
        <= timeline["closed_at"]
    )

    refused = await customer.call("POST", f"{path}/messages", json={"body": "Encore"})
    assert refused.status == 409
    assert "duplicate" in refused.body["detail"]

    copy = await customer.ok("POST", f"{path}/duplicate", 201)
    assert copy["duplicate_of"] == ticket["ticket_id"]
    assert copy["status"] == "new"
    assert (copy["title"], copy["description"]) == (ticket["title"], ticket["description"])
    assert copy["number"] != ticket["number"]
    original = await customer.ok("GET", path)
    assert original["ticket"]["duplicate_id"] == copy["ticket_id"]
    again = await customer.call("POST", f"{path}/duplicate")
    assert again.status == 201  # a closed ticket may be started again more than once


async def test_an_illegal_transition_is_a_409_naming_the_allowed_ones_and_changes_nothing(
    tickets: TicketsUnderTest,
) -> None:
    customer = tickets.customer(uuid.uuid4())
    agent = tickets.agent()
    ticket = await customer.open()
    agent_path = f"/agent/tickets/{ticket['ticket_id']}"
    for target in TicketStatus:
        if target in TRANSITIONS[TicketStatus.NEW]:
            continue
        answer = await agent.call(
            "POST", f"{agent_path}/status", json={"status": target.value, "reason": "x"}
        )
        assert answer.status == 409, target
        assert answer.body["type"] == "https://guichet.dev/problems/illegal-transition"
        assert answer.body["allowed"] == ["open", "resolved"]
        assert answer.body["status_now"] == "new"
    # Customers cannot close what is not resolved, nor resume what is not waiting.
    close = await customer.call("POST", f"/tickets/{ticket['ticket_id']}/close")
    assert close.status == 409
    assert close.body["allowed"] == ["open", "resolved"]
    resume = await customer.call(
        "POST", f"/tickets/{ticket['ticket_id']}/resume", json={"body": "x"}
    )
    assert resume.status == 409
    page = await agent.ok("GET", agent_path)
    assert page["ticket"]["status"] == "new"
    assert page["ticket"]["updated_at"] == ticket["updated_at"]
    # Waiting for the customer needs to say what for.
    await agent.ok("POST", f"{agent_path}/status", json={"status": "open"})
    await agent.ok("POST", f"{agent_path}/status", json={"status": "in_progress"})
    no_reason = await agent.call(
        "POST", f"{agent_path}/status", json={"status": "waiting_for_customer"}
    )
    assert no_reason.status == 409


async def test_assignment_names_a_known_member_of_staff_and_moves_the_department_queue(
    tickets: TicketsUnderTest,
) -> None:
    customer = tickets.customer(uuid.uuid4())
    agent = tickets.agent()
    paul = await tickets.staff_member("Paul")
    ticket = await customer.open()
    agent_path = f"/agent/tickets/{ticket['ticket_id']}"
    assigned = await agent.ok(
        "PUT", f"{agent_path}/assignment", json={"department": "billing", "assignee_id": str(paul)}
    )
    assert (assigned["department"], assigned["assignee_id"]) == ("billing", str(paul))
    stranger = await agent.call(
        "PUT",
        f"{agent_path}/assignment",
        json={"department": "billing", "assignee_id": str(uuid.uuid4())},
    )
    assert stranger.status == 422
    queue = await agent.ok("GET", "/agent/tickets", params={"assignee_id": str(paul)})
    assert [t["ticket_id"] for t in queue["tickets"]] == [ticket["ticket_id"]]
    billing = await agent.ok("GET", "/agent/tickets", params={"department": "billing"})
    assert ticket["ticket_id"] in [t["ticket_id"] for t in billing["tickets"]]
    technical = await agent.ok(
        "GET", "/agent/tickets", params={"department": "technical", "unassigned": "true"}
    )
    assert ticket["ticket_id"] not in [t["ticket_id"] for t in technical["tickets"]]


async def test_a_message_to_a_department_lands_in_its_queue(tickets: TicketsUnderTest) -> None:
    customer = tickets.customer(uuid.uuid4())
    agent = tickets.agent()
    sent = await customer.ok(
        "POST",
        "/tickets/contact",
        201,
        json={
            "department": "logistics",
            "subject": "Livraison de toner",
            "message": "Quand arrive la commande ?",
            "requester_email": "x@client.example",
        },
    )
    assert (sent["ticket_type"], sent["department"]) == ("contact", "logistics")
    await customer.open(title="Pas pour la logistique")
    queue = await agent.ok("GET", "/agent/tickets", params={"department": "logistics"})
    assert [(t["ticket_type"], t["title"]) for t in queue["tickets"]] == [
        ("contact", "Livraison de toner")
    ]


async def test_internal_notes_never_reach_the_customer(tickets: TicketsUnderTest) -> None:
    customer = tickets.customer(uuid.uuid4())
    agent = tickets.agent()
    ticket = await customer.open()
    secret = "Client mauvais payeur zorglub"
    await agent.ok("POST", f"/agent/tickets/{ticket['ticket_id']}/notes", json={"body": secret})
    agent_page = await agent.ok("GET", f"/agent/tickets/{ticket['ticket_id']}")
    assert [n["body"] for n in agent_page["internal_notes"]] == [secret]

    page = await customer.call("GET", f"/tickets/{ticket['ticket_id']}")
    assert b"zorglub" not in page.raw
    assert page.body["ticket"]["unread_messages"] == 0
    found = await customer.ok("GET", "/tickets", params={"q": "zorglub"})
    assert found["tickets"] == []
    for export in ("/tickets/export.csv", "/tickets/export.xlsx"):
        answer = await customer.call("GET", export, params={"q": "zorglub"})
        assert answer.status == 200
        assert b"zorglub" not in answer.raw
    listing = await customer.call("GET", "/tickets")
    assert b"zorglub" not in listing.raw


async def test_support_contract_required_follows_fleet_s_contracts(
    start_tickets: StartTickets,
) -> None:
    """No support contract: refused; fleet registers one covering support: tickets may be
    opened; fleet ends it: refused again. A contract without support changes nothing."""
    async with start_tickets(support_contract_required=True) as tickets:
        organisation, other = uuid.uuid4(), uuid.uuid4()
        customer = tickets.customer(organisation)
        ticket = {"title": "Aide", "description": "x", "requester_email": "a@client.example"}

        async def refused() -> None:
            answer = await customer.call("POST", "/tickets", json=ticket)
            assert answer.status == 403, answer.body
            assert answer.headers["Content-Type"].startswith("application/problem+json")
            assert answer.body["type"] == "https://guichet.dev/problems/support-contract-required"
            assert "support contract" in answer.body["detail"]

        await refused()
        await register_contract(
            tickets, organisation, terms(covers_support=False, covers_interventions=True)
        )
        await refused()
        assert (await tickets.sql("SELECT count(*) AS n FROM events"))[0]["n"] == 0

        support = terms(covers_support=True, covers_interventions=False, number="SUP-1")
        await register_contract(tickets, organisation, support)
        opened = await customer.open(contract_id=str(support.contract_id))
        assert opened["status"] == "new"
        foreign = await tickets.customer(other).call(
            "POST", "/tickets", json={**ticket, "contract_id": str(support.contract_id)}
        )
        assert foreign.status == 422

        await tickets.consumed(
            "fleet",
            fleet.ContractEnded(
                contract_id=support.contract_id,
                organisation_id=organisation,
                number="SUP-1",
                ended_on=dt.date.today(),
                reason="résilié",
            ),
            organisation,
        )
        await refused()
