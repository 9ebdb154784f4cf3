"""Flow 14 as customers and agents meet it: request an intervention on a machine, follow it,
cancel it while it waits, and the vendor's agents scheduling, starting and completing it;
machines not covered, unknown or another organisation's; nothing half-applied."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import Any

import aiohttp

from services.fleet import events as fleet
from services.tickets.tests.conftest import Client, StartTickets, TicketsUnderTest
from services.tickets.tests.fleet_side import Machine, register_machine, terms

PNG = bytes.fromhex("89504e470d0a1a0a0000000d49484452") + b"\x00" * 64


def fleet_user(tickets: TicketsUnderTest, organisation: uuid.UUID, **claims: Any) -> Client:
    return tickets.customer(organisation, modules=["fleet"], **claims)


def request_body(machine: Machine, **fields: Any) -> dict[str, Any]:
    return {
        "asset_id": str(machine.asset_id),
        "nature": "paper_jam",
        "error_code": "SC-542",
        "details": "Bourrage à chaque impression recto-verso, magasin 2.",
        "urgency": "high",
        "requester_email": "claire@client.example",
        **fields,
    }


async def events_of(tickets: TicketsUnderTest, intervention_id: str) -> list[str]:
    rows = await tickets.sql(
        "SELECT type FROM events WHERE stream_id = $1 ORDER BY version", intervention_id
    )
    return [row["type"].rpartition(".")[2] for row in rows]


async def test_a_request_is_followed_from_validation_to_done(tickets: TicketsUnderTest) -> None:
    organisation = uuid.uuid4()
    machine = await register_machine(tickets, organisation, terms(number="FS-2024-17"))
    customer, agent = fleet_user(tickets, organisation), tickets.agent()
    form = aiohttp.FormData()
    form.add_field("file", PNG, filename="écran.png", content_type="image/png")
    upload = await customer.ok("POST", "/interventions/uploads", 201, data=form)

    natures = await customer.ok("GET", "/interventions/natures")
    assert natures["natures"][1] == {
        "code": "paper_jam",
        "labels": {"fr": "Bourrage papier", "en": "Paper jam"},
    }
    created = await customer.ok(
        "POST",
        "/interventions",
        201,
        json=request_body(machine, attachment_ids=[upload["attachment_id"]]),
    )
    assert created["status"] == "waiting_for_validation"
    assert created["cancellable"] is True
    assert created["number"] >= 1000
    assert (created["serial_number"], created["model_name"]) == (
        machine.serial_number,
        "Ricoh MP C3004",
    )
    assert (created["site_name"], created["location"]) == ("Siège, Lyon", "2e étage, couloir B")
    assert (created["covered"], created["contract_number"]) == (True, "FS-2024-17")
    assert created["nature_labels"]["fr"] == "Bourrage papier"
    assert (created["error_code"], created["urgency"]) == ("SC-542", "high")
    [attachment] = created["attachments"]
    download = await customer.call("GET", attachment["download_url"])
    assert (download.status, download.raw) == (200, PNG)
    assert download.headers["Content-Disposition"].startswith("attachment;")
    intervention = created["intervention_id"]

    listed = await customer.ok("GET", "/interventions", params={"asset_id": str(machine.asset_id)})
    assert [i["intervention_id"] for i in listed["interventions"]] == [intervention]
    other_machine = await register_machine(tickets, organisation, None)
    none = await customer.ok(
        "GET", "/interventions", params={"asset_id": str(other_machine.asset_id)}
    )
    assert none["interventions"] == []
    to_schedule = await agent.ok("GET", "/agent/interventions")
    assert intervention in [i["intervention_id"] for i in to_schedule["interventions"]]

    too_early = await agent.call("POST", f"/agent/interventions/{intervention}/start")
    assert too_early.status == 409
    assert too_early.body["status_now"] == "waiting_for_validation"
    when = "2026-12-03T09:30:00+01:00"
    scheduled = await agent.ok(
        "POST",
        f"/agent/interventions/{intervention}/schedule",
        json={"scheduled_for": when, "technician": "Marc Lefèvre"},
    )
    assert (scheduled["status"], scheduled["technician"]) == ("scheduled", "Marc Lefèvre")
    assert dt.datetime.fromisoformat(scheduled["scheduled_for"]) == dt.datetime.fromisoformat(when)
    assert scheduled["cancellable"] is False
    to_schedule = await agent.ok("GET", "/agent/interventions")
    assert intervention not in [i["intervention_id"] for i in to_schedule["interventions"]]

    late = await customer.call(
        "POST", f"/interventions/{intervention}/cancel", json={"comment": "Plus besoin"}
    )
    assert late.status == 409
    assert late.headers["Content-Type"].startswith("application/problem+json")
    assert late.body["status_now"] == "scheduled"
    assert "scheduled" in late.body["detail"]

    await agent.ok("POST", f"/agent/interventions/{intervention}/start")
    done = await agent.ok(
        "POST",
        f"/agent/interventions/{intervention}/complete",
        json={"report": "Rouleau d'entraînement du magasin 2 remplacé."},
    )
    assert done["status"] == "done"
    assert done["report"] == "Rouleau d'entraînement du magasin 2 remplacé."
    page = await customer.ok("GET", f"/interventions/{intervention}")
    assert (page["status"], page["allowed_statuses"]) == ("done", [])
    assert await events_of(tickets, intervention) == [
        "InterventionRequested",
        "InterventionScheduled",
        "InterventionStarted",
        "InterventionCompleted",
    ]


async def test_a_waiting_request_is_cancelled_with_a_comment_once(
    tickets: TicketsUnderTest,
) -> None:
    organisation = uuid.uuid4()
    machine = await register_machine(tickets, organisation, terms())
    customer = fleet_user(tickets, organisation)
    created = await customer.ok("POST", "/interventions", 201, json=request_body(machine))
    path = f"/interventions/{created['intervention_id']}/cancel"

    empty = await customer.call("POST", path, json={"comment": "  "})
    assert empty.status == 422
    assert [e["field"] for e in empty.body["errors"]] == ["comment"]
    cancelled = await customer.ok("POST", path, json={"comment": "Réparé par nos soins"})
    assert (cancelled["status"], cancelled["cancellation_comment"]) == (
        "cancelled",
        "Réparé par nos soins",
    )
    again = await customer.call("POST", path, json={"comment": "Encore"})
    assert again.status == 409
    assert again.body["status_now"] == "cancelled"
    assert await events_of(tickets, created["intervention_id"]) == [
        "InterventionRequested",
        "InterventionCancelled",
    ]
    assert cancelled["cancelled_by_vendor"] is False


async def test_the_vendor_declines_a_waiting_request_saying_why(
    tickets: TicketsUnderTest,
) -> None:
    organisation = uuid.uuid4()
    machine = await register_machine(tickets, organisation, None)  # no contract: flagged
    customer = fleet_user(tickets, organisation)
    agent = tickets.agent()
    created = await customer.ok("POST", "/interventions", 201, json=request_body(machine))
    assert created["covered"] is False
    path = f"/agent/interventions/{created['intervention_id']}/decline"

    silent = await agent.call("POST", path, json={})
    assert silent.status == 422
    assert [e["field"] for e in silent.body["errors"]] == ["comment"]
    declined = await agent.ok(
        "POST", path, json={"comment": "Machine hors contrat : nous vous envoyons un devis."}
    )
    assert (declined["status"], declined["cancelled_by_vendor"]) == ("cancelled", True)
    seen = await customer.ok("GET", f"/interventions/{created['intervention_id']}")
    assert seen["cancellation_comment"] == "Machine hors contrat : nous vous envoyons un devis."
    assert seen["cancelled_by_vendor"] is True
    again = await agent.call("POST", path, json={"comment": "Encore"})
    assert (again.status, again.body["status_now"]) == (409, "cancelled")
    [event] = await tickets.sql(
        "SELECT data FROM events WHERE stream_id = $1 AND type LIKE '%Cancelled'",
        created["intervention_id"],
    )
    assert json.loads(event["data"])["by_vendor"] is True


async def test_unknown_and_other_organisations_machines_are_not_found(
    tickets: TicketsUnderTest,
) -> None:
    organisation, other = uuid.uuid4(), uuid.uuid4()
    theirs = await register_machine(tickets, other, terms())
    mine = await register_machine(tickets, organisation, terms())
    customer = fleet_user(tickets, organisation)
    unknown = Machine(uuid.uuid4(), "X", None)
    for machine in (theirs, unknown):
        answer = await customer.call("POST", "/interventions", json=request_body(machine))
        assert answer.status == 404, answer.body
        assert answer.body["detail"] == "Your organisation has no such machine."
    bad_nature = await customer.call(
        "POST", "/interventions", json=request_body(mine, nature="teleportation")
    )
    assert bad_nature.status == 422
    assert [e["field"] for e in bad_nature.body["errors"]] == ["nature"]
    assert "paper_jam" in bad_nature.body["errors"][0]["message"]
    tickets_only = tickets.customer(organisation)  # the tickets module, not the fleet one
    refused = await tickets_only.call("POST", "/interventions", json=request_body(mine))
    assert refused.status == 403
    # A ticket may be about a machine: one of the organisation's.
    foreign = await tickets_only.call(
        "POST",
        "/tickets",
        json={
            "title": "Copies pâles",
            "description": "x",
            "requester_email": "claire@client.example",
            "asset_id": str(theirs.asset_id),
        },
    )
    assert foreign.status == 422
    assert [e["field"] for e in foreign.body["errors"]] == ["asset_id"]
    assert (await tickets.sql("SELECT count(*) AS n FROM events"))[0]["n"] == 0
    about = await tickets_only.open(asset_id=str(mine.asset_id))
    assert about["asset_id"] == str(mine.asset_id)


async def test_machines_not_covered_are_flagged_or_refused_as_the_vendor_chose(
    start_tickets: StartTickets,
) -> None:
    organisation = uuid.uuid4()
    async with start_tickets() as tickets:  # the default: flagged
        customer = fleet_user(tickets, organisation)
        rental_only = await register_machine(
            tickets, organisation, terms(covers_interventions=False, number="LOC-9")
        )
        no_contract = await register_machine(tickets, organisation, None)
        covered = await register_machine(tickets, organisation, terms(number="FS-1"))
        for machine, number in ((rental_only, "LOC-9"), (no_contract, None)):
            flagged = await customer.ok("POST", "/interventions", 201, json=request_body(machine))
            assert (flagged["covered"], flagged["contract_number"]) == (False, number)
        assert covered.contract is not None
        await tickets.consumed(
            "fleet",
            fleet.ContractEnded(
                contract_id=covered.contract.contract_id,
                organisation_id=organisation,
                number="FS-1",
                ended_on=dt.date.today(),
            ),
            organisation,
        )
        ended = await customer.ok("POST", "/interventions", 201, json=request_body(covered))
        assert ended["covered"] is False

    async with start_tickets(intervention_uncovered="refuse") as tickets:
        customer = fleet_user(tickets, organisation)
        [before] = await tickets.sql("SELECT count(*) AS n FROM events")
        refused = await customer.call("POST", "/interventions", json=request_body(rental_only))
        assert refused.status == 422
        assert refused.body["type"] == "https://guichet.dev/problems/intervention-not-covered"
        assert "LOC-9 does not cover interventions" in refused.body["detail"]
        assert rental_only.serial_number in refused.body["detail"]
        refused = await customer.call("POST", "/interventions", json=request_body(no_contract))
        assert "no contract in force" in refused.body["detail"]
        [after] = await tickets.sql("SELECT count(*) AS n FROM events")
        assert after["n"] == before["n"]
