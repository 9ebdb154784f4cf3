"""The ticket list as users read it: order, filters, search in French and English, pages that
neither repeat nor skip, unread flags per user, remembered columns, and exports that say the
same as the list."""

from __future__ import annotations

import csv
import io
import uuid
from typing import Any

import openpyxl

from services.tickets.tests.conftest import Client, TicketsUnderTest


async def all_pages(client: Client, limit: int, **params: str) -> list[str]:
    ids: list[str] = []
    cursor: str | None = None
    while True:
        query = {"limit": str(limit), **params, **({"cursor": cursor} if cursor else {})}
        page = await client.ok("GET", "/tickets", params=query)
        ids += [t["ticket_id"] for t in page["tickets"]]
        cursor = page["next_cursor"]
        if cursor is None:
            return ids


async def test_most_recently_changed_first_and_pages_neither_repeat_nor_skip(
    tickets: TicketsUnderTest,
) -> None:
    customer = tickets.customer(uuid.uuid4())
    opened = [(await customer.open(title=f"Ticket numéro {i}"))["ticket_id"] for i in range(7)]
    assert await all_pages(customer, 3) == list(reversed(opened))

    # A reply moves a ticket to the top; a reader in the middle of the pages sees every
    # other ticket once, and no ticket twice.
    first = await customer.ok("GET", "/tickets", params={"limit": "3"})
    await customer.ok("POST", f"/tickets/{opened[0]}/messages", json={"body": "Du nouveau"})
    rest: list[str] = []
    cursor = first["next_cursor"]
    while cursor:
        page = await customer.ok("GET", "/tickets", params={"limit": "3", "cursor": cursor})
        rest += [t["ticket_id"] for t in page["tickets"]]
        cursor = page["next_cursor"]
    seen = [t["ticket_id"] for t in first["tickets"]] + rest
    assert len(seen) == len(set(seen))
    assert set(seen) | {opened[0]} == set(opened)
    assert (await all_pages(customer, 100))[0] == opened[0]

    bad = await customer.call("GET", "/tickets", params={"cursor": "not-a-cursor"})
    assert bad.status == 422
    assert [e["field"] for e in bad.body["errors"]] == ["cursor"]


async def test_the_previous_page_is_the_page_before_and_the_first_page_has_none(
    tickets: TicketsUnderTest,
) -> None:
    customer = tickets.customer(uuid.uuid4())
    opened = [(await customer.open(title=f"Ticket numéro {i}"))["ticket_id"] for i in range(5)]
    newest_first = list(reversed(opened))

    def ids(page: dict[str, Any]) -> list[str]:
        return [t["ticket_id"] for t in page["tickets"]]

    first = await customer.ok("GET", "/tickets", params={"limit": "2"})
    assert first["previous_cursor"] is None
    second = await customer.ok(
        "GET", "/tickets", params={"limit": "2", "cursor": first["next_cursor"]}
    )
    third = await customer.ok(
        "GET", "/tickets", params={"limit": "2", "cursor": second["next_cursor"]}
    )
    assert ids(third) == newest_first[4:]
    assert third["next_cursor"] is None
    back = await customer.ok(
        "GET", "/tickets", params={"limit": "2", "cursor": third["previous_cursor"]}
    )
    assert ids(back) == ids(second) == newest_first[2:4]
    assert back["next_cursor"] is not None
    front = await customer.ok(
        "GET", "/tickets", params={"limit": "2", "cursor": back["previous_cursor"]}
    )
    assert ids(front) == newest_first[:2]
    assert front["previous_cursor"] is None  # nothing before the first page
    forward = await customer.ok(
        "GET", "/tickets", params={"limit": "2", "cursor": front["next_cursor"]}
    )
    assert ids(forward) == ids(second)


async def test_the_choices_are_the_organisation_s_active_colleagues_and_contracts(
    tickets: TicketsUnderTest,
) -> None:
    organisation, other = uuid.uuid4(), uuid.uuid4()
    claire = await tickets.colleague(organisation, first_name="Claire", last_name="Martin")
    luc = await tickets.colleague(organisation, first_name="Luc", last_name="Bernard")
    await tickets.colleague(other, first_name="Zoé", last_name="Ailleurs")
    contract = uuid.uuid4()
    await tickets.sql(
        "INSERT INTO support_contracts (contract_id, organisation_id, number, starts_on, ends_on)"
        " VALUES ($1, $3, 'SUP-7', current_date - 10, NULL),"
        " ($2, $3, 'SUP-OLD', current_date - 400, current_date - 30)",
        contract,
        uuid.uuid4(),
        organisation,
    )
    choices = await tickets.customer(organisation, user=claire).ok("GET", "/tickets/choices")
    assert [(c["first_name"], c["user_id"]) for c in choices["colleagues"]] == [
        ("Luc", str(luc)),
        ("Claire", str(claire)),
    ]
    assert [(c["number"], c["contract_id"]) for c in choices["contracts"]] == [
        ("SUP-7", str(contract))
    ]
    refused = await tickets.customer(organisation, modules=["invoices"]).call(
        "GET", "/tickets/choices"
    )
    assert refused.status == 403


async def test_filters_by_status_priority_requester_type_product_and_site(
    tickets: TicketsUnderTest,
) -> None:
    organisation = uuid.uuid4()
    claire = tickets.customer(organisation)
    luc = tickets.customer(organisation)
    agent = tickets.agent()
    urgent = await claire.open(priority="urgent", product="MX-4000", site="Lyon")
    request = await luc.open(ticket_type="request", product="Scan 300", site="Paris Nord")
    await agent.ok("POST", f"/agent/tickets/{request['ticket_id']}/status", json={"status": "open"})

    async def ids(**params: str | list[str]) -> set[str]:
        page = await claire.ok("GET", "/tickets", params=_multi(params))
        return {t["ticket_id"] for t in page["tickets"]}

    both = {urgent["ticket_id"], request["ticket_id"]}
    assert await ids() == both
    assert await ids(status="open") == {request["ticket_id"]}
    assert await ids(status=["open", "new"]) == both
    assert await ids(priority="urgent") == {urgent["ticket_id"]}
    assert await ids(requester_id=str(luc.user_id)) == {request["ticket_id"]}
    assert await ids(ticket_type="request") == {request["ticket_id"]}
    assert await ids(product="mx-4") == {urgent["ticket_id"]}
    assert await ids(site="nord") == {request["ticket_id"]}
    assert await ids(site="%") == set()  # the wildcard is a character, not a pattern
    invalid = await claire.call("GET", "/tickets", params={"status": "lost"})
    assert invalid.status == 422


def _multi(params: dict[str, str | list[str]]) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    for name, value in params.items():
        pairs += [(name, v) for v in value] if isinstance(value, list) else [(name, value)]
    return pairs


async def test_full_text_search_in_french_and_english_over_titles_descriptions_and_messages(
    tickets: TicketsUnderTest,
) -> None:
    customer = tickets.customer(uuid.uuid4())
    agent = tickets.agent()
    french = await customer.open(
        title="Imprimantes bloquées", description="Les bourrages papier se répètent"
    )
    english = await customer.open(
        title="Scanner issue", description="The scanners keep failing after updates"
    )
    message = await customer.open(title="Autre chose", description="Rien à voir")
    await agent.ok(
        "POST",
        f"/agent/tickets/{message['ticket_id']}/messages",
        json={"body": "Nous remplaçons le fusible du four"},
    )

    async def found(words: str) -> set[str]:
        page = await customer.ok("GET", "/tickets", params={"q": words})
        return {t["ticket_id"] for t in page["tickets"]}

    assert await found("imprimante bloquée") == {french["ticket_id"]}  # French stems
    assert await found("bourrage") == {french["ticket_id"]}
    assert await found("scanner failed") == {english["ticket_id"]}  # English stems
    assert await found("update") == {english["ticket_id"]}
    assert await found("fusibles") == {message["ticket_id"]}  # in a message
    assert await found("licorne") == set()
    other = tickets.customer(uuid.uuid4())
    assert (await other.ok("GET", "/tickets", params={"q": "imprimante"}))["tickets"] == []


async def test_unread_flags_and_counts_are_per_user(tickets: TicketsUnderTest) -> None:
    organisation = uuid.uuid4()
    claire, luc = tickets.customer(organisation), tickets.customer(organisation)
    agent = tickets.agent()
    ticket = await claire.open()
    quiet = await claire.open(title="Sans réponse")
    path = f"/agent/tickets/{ticket['ticket_id']}/messages"
    await agent.ok("POST", path, json={"body": "Première réponse"})
    await agent.ok("POST", path, json={"body": "Seconde réponse"})

    async def unread(client: Client) -> tuple[dict[str, int], int]:
        page = await client.ok("GET", "/tickets")
        counts = {t["ticket_id"]: t["unread_messages"] for t in page["tickets"]}
        return counts, page["unread_tickets"]

    assert await unread(claire) == ({ticket["ticket_id"]: 2, quiet["ticket_id"]: 0}, 1)
    await claire.ok("GET", f"/tickets/{ticket['ticket_id']}")  # Claire reads it
    assert await unread(claire) == ({ticket["ticket_id"]: 0, quiet["ticket_id"]: 0}, 0)
    assert (await unread(luc))[1] == 1  # Luc has not
    await claire.ok("POST", f"/tickets/{ticket['ticket_id']}/messages", json={"body": "Merci"})
    assert (await unread(claire))[0][ticket["ticket_id"]] == 0  # her own message
    assert (await unread(luc))[0][ticket["ticket_id"]] == 3


async def test_columns_are_remembered_per_user_and_the_exports_match_the_filtered_list(
    tickets: TicketsUnderTest,
) -> None:
    organisation = uuid.uuid4()
    customer, colleague = tickets.customer(organisation), tickets.customer(organisation)
    default = await colleague.ok("GET", "/tickets/columns")
    columns = ["number", "title", "priority", "reference_1", "opened_at"]
    await customer.ok("PUT", "/tickets/columns", json={"columns": columns})
    assert (await customer.ok("GET", "/tickets/columns"))["columns"] == columns
    assert (await colleague.ok("GET", "/tickets/columns")) == default
    bad = await customer.call("PUT", "/tickets/columns", json={"columns": ["password"]})
    assert bad.status == 422

    for i in range(3):
        await customer.open(title=f"Urgent {i}", priority="urgent", reference_1=f"=cmd|{i}")
    await customer.open(title="Tranquille", priority="low")
    listed = await customer.ok("GET", "/tickets", params={"priority": "urgent"})
    expected = [
        [t["number"], t["title"], t["priority"], t["reference_1"]] for t in listed["tickets"]
    ]

    xlsx = await customer.call("GET", "/tickets/export.xlsx", params={"priority": "urgent"})
    assert xlsx.status == 200
    assert xlsx.headers["Content-Disposition"].startswith("attachment")
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.raw), read_only=True).active
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert rows[0] == ["Number", "Title", "Priority", "Reference 1", "Opened at"]
    assert [row[:4] for row in rows[1:]] == expected
    assert all(row[4] is not None for row in rows[1:])

    text = await customer.call("GET", "/tickets/export.csv", params={"priority": "urgent"})
    assert text.headers["Content-Type"].startswith("text/csv")
    read = list(csv.reader(io.StringIO(text.raw.decode("utf-8-sig"))))
    assert read[0] == ["Number", "Title", "Priority", "Reference 1", "Opened at"]
    # A value that looks like a formula is written as text, never as a formula.
    assert [row[:4] for row in read[1:]] == [
        [str(n), title, p, "'" + ref] for n, title, p, ref in expected
    ]
