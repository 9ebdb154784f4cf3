"""Tenant isolation of every tickets operation: organisation A's customer user and admin find
none of organisation B's tickets, messages, notes and files, change none of them, by B's real
ids and by guessed ones; a user without the tickets module is refused; customers are refused
the agents' side; an internal note's file is refused even to B's own customer. The table names
every operation of tickets' OpenAPI document; one added without a case fails here.

GET /tickets/live is deliberately not in the document (a stream that never ends); that another
organisation's stream never carries B's events is proven in test_live.py."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

import aiohttp

from services.tickets.tests.conftest import Client, TicketsUnderTest
from services.tickets.tests.fleet_side import register_machine, terms
from tests.isolation import Entry, IsolationCase, Tenants, assert_isolated, assert_table_matches
from tests.support import assert_valid_openapi

PNG = bytes.fromhex("89504e470d0a1a0a0000000d49484452") + b"\x00" * 64
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n"
B_MARKERS = (
    "Zephyrine",
    "Zimmerli",
    "Zwingli",
    "zephyr.example",
    "Zorglub",
    "zephyr-plan",
    "ZEPHYR-SN",
)

# On one of B's tickets: a ticket of another organisation is a ticket that does not exist.
NOT_FOUND_TO_A = {"a_user": 404, "a_admin": 404, "a_without_module": 403, "staff": 403}
# The customers' side that names nothing of B: A works on its own organisation.
A_S_OWN = {"a_user": 200, "a_admin": 200, "a_without_module": 403, "staff": 403}
# Naming B's things in a body: the same 422 as a guessed id, which says nothing of B.
REFUSED_REFERENCE = {"a_user": 422, "a_admin": 422, "a_without_module": 403, "staff": 403}
CUSTOMERS_REFUSED = {"a_user": 403, "a_admin": 403}  # the agents' side


def _new_ticket(ids: Mapping[str, str]) -> dict[str, Any]:
    return {
        "title": "Le copieur affiche E-203",
        "description": "Plus rien ne sort.",
        "on_behalf_of": ids["on_behalf_of"],
    }


def _contact(ids: Mapping[str, str]) -> dict[str, Any]:
    return {
        "department": "sales",
        "subject": "Une question",
        "message": "Pouvez-vous me rappeler ?",
        "attachment_ids": [ids["attachment_id"]],
    }


def _message(_: Mapping[str, str]) -> dict[str, Any]:
    return {"body": "Une réponse"}


def _intervention(ids: Mapping[str, str]) -> dict[str, Any]:
    return {"asset_id": ids["machine"], "nature": "breakdown", "details": "Zephyrine en panne"}


def _file(_: Mapping[str, str]) -> aiohttp.FormData:
    form = aiohttp.FormData()
    form.add_field("file", PNG, filename="capture.png", content_type="image/png")
    return form


TABLE: tuple[Entry, ...] = (
    # --- the customers' side ---------------------------------------------------------------------
    IsolationCase(
        "GET /tickets",
        answers=A_S_OWN,
        own_scope="the tickets of the organisation the token acts for; B's are searched for",
        control=("b_user", 200),
    ),
    IsolationCase(
        "POST /tickets",
        answers=REFUSED_REFERENCE,
        ids={"on_behalf_of": "colleague"},
        body=_new_ticket,
        control=("b_user", 201),
    ),
    IsolationCase(
        "POST /tickets/contact",
        answers=REFUSED_REFERENCE,
        ids={"attachment_id": "pending_upload"},
        body=_contact,
        control=("b_user", 201),
    ),
    IsolationCase(
        "GET /tickets/{ticket_id}",
        answers=NOT_FOUND_TO_A,
        ids={"ticket_id": "ticket"},
        control=("b_user", 200),
    ),
    IsolationCase(
        "POST /tickets/{ticket_id}/messages",
        answers=NOT_FOUND_TO_A,
        ids={"ticket_id": "ticket"},
        body=_message,
        control=("b_user", 200),
    ),
    IsolationCase(
        "POST /tickets/{ticket_id}/resume",
        answers=NOT_FOUND_TO_A,
        ids={"ticket_id": "waiting_ticket"},
        body=_message,
        control=("b_user", 200),
    ),
    IsolationCase(
        "POST /tickets/{ticket_id}/resolve",
        answers=NOT_FOUND_TO_A,
        ids={"ticket_id": "new_ticket"},
        control=("b_user", 200),
    ),
    IsolationCase(
        "POST /tickets/{ticket_id}/close",
        answers=NOT_FOUND_TO_A,
        ids={"ticket_id": "resolved_ticket"},
        control=("b_user", 200),
    ),
    IsolationCase(
        "POST /tickets/{ticket_id}/duplicate",
        answers=NOT_FOUND_TO_A,
        ids={"ticket_id": "closed_ticket"},
        control=("b_user", 201),
    ),
    IsolationCase(
        "GET /tickets/{ticket_id}/attachments/{attachment_id}",
        answers={"a_user": 404, "a_admin": 404, "a_without_module": 403},
        ids={"ticket_id": "ticket", "attachment_id": "attachment"},
        control=("b_user", 200),
    ),
    IsolationCase(
        "GET /tickets/{ticket_id}/attachments/{attachment_id}",
        variant="an internal note's file",
        answers={"a_user": 404, "a_admin": 404, "b_user": 404},
        ids={"ticket_id": "ticket", "attachment_id": "note_attachment"},
        control=("staff", 200),
    ),
    IsolationCase(
        "POST /tickets/uploads",
        answers={"a_user": 201, "a_admin": 201, "a_without_module": 403},
        body=_file,
        own_scope="the file is the caller's own upload, in their own organisation",
    ),
    IsolationCase(
        "GET /tickets/choices",
        answers=A_S_OWN,
        own_scope="the colleagues and contracts of the caller's own organisation; B's are"
        " searched for",
        control=("b_user", 200),
    ),
    IsolationCase(
        "GET /tickets/columns",
        answers=A_S_OWN,
        own_scope="the caller's own choice of columns",
        control=("b_user", 200),
    ),
    IsolationCase(
        "PUT /tickets/columns",
        answers=A_S_OWN,
        body=lambda _: {"columns": ["number", "title"]},
        own_scope="the caller's own choice of columns; B's reads back unchanged",
        control=("b_user", 200),
    ),
    IsolationCase(
        "GET /tickets/export.csv",
        answers=A_S_OWN,
        own_scope="the tickets of the organisation the token acts for; B's are searched for",
        control=("b_user", 200),
    ),
    IsolationCase(
        "GET /tickets/export.xlsx",
        answers=A_S_OWN,
        own_scope="the tickets of the organisation the token acts for; B's are searched for",
        control=("b_user", 200),
    ),
    # --- the agents' side: every organisation's tickets, internal notes included ----------------
    IsolationCase("GET /agent/tickets", answers=CUSTOMERS_REFUSED, control=("staff", 200)),
    IsolationCase(
        "GET /agent/tickets/{ticket_id}",
        answers=CUSTOMERS_REFUSED,
        ids={"ticket_id": "ticket"},
        control=("staff", 200),
    ),
    IsolationCase(
        "POST /agent/tickets/{ticket_id}/messages",
        answers=CUSTOMERS_REFUSED,
        ids={"ticket_id": "ticket"},
        body=_message,
        control=("staff", 200),
    ),
    IsolationCase(
        "POST /agent/tickets/{ticket_id}/notes",
        answers=CUSTOMERS_REFUSED,
        ids={"ticket_id": "ticket"},
        body=_message,
        control=("staff", 200),
    ),
    IsolationCase(
        "PUT /agent/tickets/{ticket_id}/assignment",
        answers=CUSTOMERS_REFUSED,
        ids={"ticket_id": "ticket"},
        body=lambda _: {"department": "technical"},
        control=("staff", 200),
    ),
    IsolationCase(
        "POST /agent/tickets/{ticket_id}/status",
        answers=CUSTOMERS_REFUSED,
        ids={"ticket_id": "ticket"},
        body=lambda _: {"status": "open"},
        control=("staff", 200),
    ),
    # --- interventions on a machine (the fleet module) ------------------------------------------
    IsolationCase(
        "GET /interventions/natures",
        answers={"a_user": 200, "a_admin": 200, "a_without_module": 403, "staff": 200},
        own_scope="the vendor's list of natures, the same for every organisation",
        control=("b_user", 200),
    ),
    IsolationCase(
        "POST /interventions/uploads",
        answers={"a_user": 201, "a_admin": 201, "a_without_module": 403},
        body=_file,
        own_scope="the file is the caller's own upload, in their own organisation",
    ),
    IsolationCase(
        "GET /interventions",
        answers=A_S_OWN,
        own_scope="the interventions of the organisation the token acts for",
        control=("b_user", 200),
    ),
    IsolationCase(
        "POST /interventions",
        answers={"a_user": 404, "a_admin": 404, "a_without_module": 403, "staff": 403},
        ids={"machine": "machine"},
        body=_intervention,
        control=("b_user", 201),
    ),
    IsolationCase(
        "GET /interventions/{intervention_id}",
        answers=NOT_FOUND_TO_A,
        ids={"intervention_id": "intervention"},
        control=("b_user", 200),
    ),
    IsolationCase(
        "POST /interventions/{intervention_id}/cancel",
        answers=NOT_FOUND_TO_A,
        ids={"intervention_id": "waiting_intervention"},
        body=lambda _: {"comment": "Plus besoin"},
        control=("b_user", 200),
    ),
    IsolationCase(
        "GET /interventions/{intervention_id}/attachments/{attachment_id}",
        answers={"a_user": 404, "a_admin": 404, "a_without_module": 403},
        ids={"intervention_id": "intervention", "attachment_id": "intervention_attachment"},
        control=("b_user", 200),
    ),
    IsolationCase("GET /agent/interventions", answers=CUSTOMERS_REFUSED, control=("staff", 200)),
    IsolationCase(
        "GET /agent/interventions/{intervention_id}",
        answers=CUSTOMERS_REFUSED,
        ids={"intervention_id": "intervention"},
        control=("staff", 200),
    ),
    IsolationCase(
        "POST /agent/interventions/{intervention_id}/schedule",
        answers=CUSTOMERS_REFUSED,
        ids={"intervention_id": "intervention"},
        body=lambda _: {"scheduled_for": "2026-12-07T09:00:00+01:00", "technician": "Marc"},
        control=("staff", 200),
    ),
    IsolationCase(
        "POST /agent/interventions/{intervention_id}/start",
        answers=CUSTOMERS_REFUSED,
        ids={"intervention_id": "scheduled_intervention"},
        control=("staff", 200),
    ),
    IsolationCase(
        "POST /agent/interventions/{intervention_id}/complete",
        answers=CUSTOMERS_REFUSED,
        ids={"intervention_id": "started_intervention"},
        body=lambda _: {"report": "Zephyrine réparée"},
        control=("staff", 200),
    ),
    IsolationCase(
        "POST /agent/interventions/{intervention_id}/decline",
        answers=CUSTOMERS_REFUSED,
        ids={"intervention_id": "declinable_intervention"},
        body=lambda _: {"comment": "Zephyrine n'est pas sous contrat"},
        control=("staff", 200),
    ),
)


async def test_every_operation_of_the_api_has_an_isolation_case(
    tickets: TicketsUnderTest,
) -> None:
    async with tickets.session.get(f"{tickets.url}/openapi.json") as response:
        assert response.status == 200
        document = await response.json()
    assert_valid_openapi(document)
    assert "/tickets/live" not in document["paths"]  # the stream: see test_live.py
    assert_table_matches(document, TABLE)


async def test_organisation_a_is_refused_every_operation_on_organisation_b(
    tickets: TicketsUnderTest,
) -> None:
    await assert_isolated(await two_organisations(tickets), TABLE)


async def _upload(client: Client, content: bytes, filename: str, content_type: str) -> str:
    form = aiohttp.FormData()
    form.add_field("file", content, filename=filename, content_type=content_type)
    return (await client.ok("POST", "/tickets/uploads", 201, data=form))["attachment_id"]


async def two_organisations(tickets: TicketsUnderTest) -> Tenants:
    """Organisation A with a user and an admin known from identity's events, a user without the
    module and a ticket of its own; organisation B with two users known the same way, a ticket
    with a file, a reply and an internal note with its file, tickets waiting, new, resolved and
    closed, a file not yet attached, and its own choice of columns."""
    org_a, org_b = uuid.uuid4(), uuid.uuid4()
    b_user_id = await tickets.colleague(org_b, first_name="Zeno", last_name="Zimmerli")
    colleague = await tickets.colleague(org_b, first_name="Zacharie", last_name="Zwingli")
    # A's people are known too: a refusal of B's things is then never a refusal of A's person.
    both = ["tickets", "fleet"]
    a_user = tickets.customer(
        org_a, user=await tickets.colleague(org_a, first_name="Anne"), modules=both
    )
    a_admin = await tickets.colleague(org_a, first_name="Alain")
    clients = {
        "a_user": a_user,
        "a_admin": tickets.customer(org_a, user=a_admin, role="customer_admin", modules=both),
        "a_without_module": tickets.customer(org_a, modules=["invoices"]),
        "b_user": tickets.customer(org_b, user=b_user_id, modules=both),
        "staff": tickets.agent(),
    }
    b, staff = clients["b_user"], clients["staff"]
    await a_user.open(title="Le ticket d'Atelier Alpha")

    def b_ticket(title: str, **fields: Any) -> dict[str, Any]:
        return {"title": f"Zephyrine {title}", "requester_email": "zeno@zephyr.example", **fields}

    attachment = await _upload(b, PNG, "zephyr-plan.png", "image/png")
    ticket = (await b.open(**b_ticket("fuite de chaudière", attachment_ids=[attachment])))[
        "ticket_id"
    ]
    path = f"/agent/tickets/{ticket}"
    await staff.ok("POST", f"{path}/messages", json={"body": "Zephyrine : technicien demain"})
    note_attachment = await _upload(staff, PDF, "zephyr-plan-interne.pdf", "application/pdf")
    await staff.ok(
        "POST",
        f"{path}/notes",
        json={"body": "Zorglub : client à surveiller", "attachment_ids": [note_attachment]},
    )

    waiting = (await b.open(**b_ticket("badge perdu")))["ticket_id"]
    for status in ("open", "in_progress"):
        await staff.ok("POST", f"/agent/tickets/{waiting}/status", json={"status": status})
    await staff.ok(
        "POST",
        f"/agent/tickets/{waiting}/status",
        json={"status": "waiting_for_customer", "reason": "Le numéro du badge"},
    )
    new = (await b.open(**b_ticket("écran noir")))["ticket_id"]
    resolved, closed = [(await b.open(**b_ticket(title)))["ticket_id"] for title in ("a", "b")]
    for ticket_id in (resolved, closed):
        await b.ok("POST", f"/tickets/{ticket_id}/resolve")
    await b.ok("POST", f"/tickets/{closed}/close")
    pending_upload = await _upload(b, PNG, "zephyr-plan-2.png", "image/png")
    interventions = await _b_interventions(tickets, a_user, b, staff)
    await b.ok("PUT", "/tickets/columns", json={"columns": ["title", "status", "requester"]})

    ids = {
        "ticket": ticket,
        "waiting_ticket": waiting,
        "new_ticket": new,
        "resolved_ticket": resolved,
        "closed_ticket": closed,
        "attachment": attachment,
        "note_attachment": note_attachment,
        "pending_upload": pending_upload,
        "colleague": str(colleague),
        **interventions,
    }
    b_ids = [uuid.UUID(value) for value in ids.values()] + [b_user_id, org_b]

    async def b_as_b_and_staff_see_it() -> dict[str, Any]:
        every = await tickets.sql(
            "SELECT ticket_id FROM tickets WHERE organisation_id = $1 ORDER BY ticket_id", org_b
        )
        return {
            "agent_pages": [
                await staff.ok("GET", f"/agent/tickets/{row['ticket_id']}") for row in every
            ],
            "list": await b.ok("GET", "/tickets"),
            "interventions": [
                await staff.ok("GET", f"/agent/interventions/{interventions[name]}")
                for name in sorted(interventions)
                if name.endswith("intervention")
            ],
            "columns": await b.ok("GET", "/tickets/columns"),
            "people": _rows(
                await tickets.sql(
                    "SELECT user_id, status FROM memberships WHERE organisation_id = $1"
                    " ORDER BY user_id",
                    org_b,
                )
            ),
            "files": _rows(
                await tickets.sql(
                    "SELECT attachment_id, state, ticket_id, message_id, internal FROM attachments"
                    " WHERE organisation_id = $1 OR ticket_id = ANY($2::uuid[])"
                    " ORDER BY attachment_id",
                    org_b,
                    [row["ticket_id"] for row in every],
                )
            ),
            # Every change is an event: B's end where they ended.
            "events": _rows(
                await tickets.sql(
                    "SELECT count(*) AS events, max(position) AS last FROM events"
                    " WHERE organisation_id = $1",
                    org_b,
                )
            ),
        }

    return Tenants(
        url=tickets.url,
        session=tickets.session,
        tokens={name: _token(client) for name, client in clients.items()},
        ids=ids,
        foreign=frozenset({*(str(value) for value in b_ids), *B_MARKERS}),
        snapshot=b_as_b_and_staff_see_it,
    )


async def _b_interventions(
    tickets: TicketsUnderTest, a_user: Client, b: Client, staff: Client
) -> dict[str, str]:
    """A machine of A's with its intervention; B's machine with interventions waiting (one
    with a file, one to decline), scheduled and in progress."""
    assert a_user.organisation_id is not None
    assert b.organisation_id is not None
    own = await register_machine(tickets, a_user.organisation_id, terms())
    await a_user.ok(
        "POST",
        "/interventions",
        201,
        json={"asset_id": str(own.asset_id), "nature": "other", "details": "Atelier Alpha"},
    )
    machine = await register_machine(
        tickets, b.organisation_id, terms(), serial_number="ZEPHYR-SN-1"
    )
    form = _file({})
    attachment = (await b.ok("POST", "/interventions/uploads", 201, data=form))["attachment_id"]
    body = _intervention({"machine": str(machine.asset_id)})

    async def requested(**fields: Any) -> str:
        created = await b.ok("POST", "/interventions", 201, json={**body, **fields})
        return created["intervention_id"]

    ids = {
        "machine": str(machine.asset_id),
        "intervention": await requested(attachment_ids=[attachment]),
        "intervention_attachment": attachment,
        "waiting_intervention": await requested(),
        "declinable_intervention": await requested(),
        "scheduled_intervention": await requested(),
        "started_intervention": await requested(),
    }
    when = {"scheduled_for": "2026-12-07T09:00:00+01:00", "technician": "Zorglub"}
    for name in ("scheduled_intervention", "started_intervention"):
        await staff.ok("POST", f"/agent/interventions/{ids[name]}/schedule", json=when)
    await staff.ok("POST", f"/agent/interventions/{ids['started_intervention']}/start")
    return ids


def _rows(rows: list[Any]) -> list[dict[str, str]]:
    return [{key: str(value) for key, value in row.items()} for row in rows]


def _token(client: Client) -> str:
    return client.headers["Authorization"].removeprefix("Bearer ")
