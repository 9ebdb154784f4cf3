"""A customer's tickets as a person uses them (seeds 001 and 004): opening one with a file,
the confirmation email, the list with its filters, search and export, an agent's replies
arriving live with the unread badge, the wait for the customer's information, resolving,
closing and starting again — in French with script, in English on a phone without it."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import Any

import aiohttp
import openpyxl
from playwright.async_api import Browser, Page, expect

from services.web.tests.conftest import ARTEFACTS, Portal, check_page
from services.web.tests.test_organisation import sign_in
from tests.support import eventually

LOG = "Bourrage papier en bac 2 depuis la mise à jour du pilote.\n"


async def known_to_tickets(portal: Portal, token: str, *user_ids: str) -> None:
    """Tickets learns users from identity's events: wait until it knows these."""

    async def known() -> bool:
        choices = await portal.call("GET", "/api/tickets/choices", token)
        return set(user_ids) <= {c["user_id"] for c in choices["colleagues"]}

    await eventually(known)


async def agent_moves(portal: Portal, staff: str, ticket_id: str, *statuses: str) -> None:
    for status in statuses:
        body: dict[str, Any] = {"status": status}
        if status == "waiting_for_customer":
            body["reason"] = "Le numéro de série de l'imprimante, s'il vous plaît."
        await portal.call("POST", f"/api/agent/tickets/{ticket_id}/status", staff, json=body)


async def agent_replies(portal: Portal, staff: str, ticket_id: str, text: str) -> None:
    await portal.call(
        "POST", f"/api/agent/tickets/{ticket_id}/messages", staff, json={"body": text}
    )


def ticket_id_of(page: Page) -> str:
    found = re.search(r"/tickets/([0-9a-f-]{36})$", page.url)
    assert found, page.url
    return found.group(1)


async def test_a_customer_opens_a_ticket_finds_it_exports_it_and_follows_it_live(
    portal: Portal, page: Page, tmp_path: Path
) -> None:
    staff = await portal.staff_token()
    organisation = await portal.organisation(staff)
    claire = await portal.customer(staff, organisation["organisation_id"])
    luc = await portal.customer(staff, organisation["organisation_id"], first_name="Luc")
    luc_token = await portal.sign_in(luc["email"], luc["password"])
    await known_to_tickets(portal, luc_token, claire["user_id"], luc["user_id"])
    scanner = await portal.call(
        "POST",
        "/api/tickets",
        luc_token,
        json={
            "title": "Scanner en panne",
            "description": "Le scanner ne démarre plus",
            "product": "Scan 300",
        },
    )
    log_file = tmp_path / "journal.txt"
    log_file.write_text(LOG, encoding="utf-8")

    await sign_in(page, portal, claire["email"], claire["password"])
    await page.get_by_role("link", name="Tickets").click()
    await expect(page.get_by_role("heading", name="Mes demandes de support")).to_be_visible()
    await page.get_by_role("link", name="Créer une demande").click()

    # A title too short: the API's field error is shown next to the title, the file is kept.
    await page.get_by_label("Titre", exact=True).fill("MX")
    await page.get_by_label("Priorité").select_option(label="Haute")
    await page.get_by_label("Description").fill("L'imprimante MX-4000 bloque en bac 2.")
    await page.get_by_label("Pièces jointes").set_input_files(str(log_file))
    await page.get_by_role("button", name="Créer la demande").click()
    await expect(page.locator("#error-title")).to_have_text("Trop court : écrivez-en un peu plus.")
    await expect(page.get_by_label("Titre", exact=True)).to_have_attribute("aria-invalid", "true")
    await expect(page.get_by_text("journal.txt")).to_be_visible()
    await check_page(page, "ticket-new-refused")
    await page.get_by_label("Titre", exact=True).fill("Imprimante bloquée en bac 2")
    await page.get_by_text("Contrat, contexte et demandeur (facultatif)").click()
    await page.get_by_label("Produit").fill("MX-4000")
    await page.get_by_label("Site").fill("Nancy")
    await page.get_by_label("Nature de la demande").select_option(
        label="Correction (dysfonctionnement)"
    )
    await page.get_by_label("Référence 1").fill("BC-2024-118")
    await page.get_by_role("button", name="Créer la demande").click()

    await expect(page.get_by_role("status")).to_contain_text("est enregistrée")
    ticket_id = ticket_id_of(page)
    await expect(page.get_by_role("heading", level=1)).to_contain_text(
        "Imprimante bloquée en bac 2"
    )
    async with page.expect_download() as downloading:
        await page.get_by_role("link", name="journal.txt").click()
    download = await downloading.value
    assert (await download.path()).read_text(encoding="utf-8") == LOG
    await check_page(page, "ticket")

    # The confirmation email, and its link to the ticket.
    [mail] = [m for m in await portal.mail.wait_for(claire["email"], 2) if "[#" in m["subject"]]
    assert "Imprimante bloquée en bac 2" in mail["subject"]
    link = next(word for word in mail["text"].split() if word.endswith(ticket_id))
    await page.goto(link)
    await expect(page.get_by_text("L'imprimante MX-4000 bloque en bac 2.")).to_be_visible()

    # The list: both tickets, then filtered, searched and exported.
    await page.get_by_role("link", name="← Toutes les demandes").click()
    rows = page.locator("table.tickets tbody tr")
    await expect(rows).to_have_count(2)
    await expect(rows.first).to_contain_text("Imprimante bloquée en bac 2")  # changed last
    await check_page(page, "tickets")
    filters = page.get_by_role("search", name="Filtrer les demandes")
    await filters.get_by_label("Demandeur").select_option(label="Luc Martin")
    await page.get_by_role("button", name="Filtrer").click()
    await expect(rows).to_have_count(1)
    await expect(rows.first).to_contain_text("Scanner en panne")
    await page.get_by_role("link", name="Effacer les filtres").click()
    await filters.get_by_label("Rechercher dans les titres").fill("imprimantes bloquées")
    await page.get_by_role("button", name="Filtrer").click()
    await expect(rows).to_have_count(1)
    await expect(rows.first).to_contain_text("Imprimante bloquée en bac 2")
    await page.get_by_text("Choisir les colonnes").click()
    await page.get_by_role("checkbox", name="Priorité").check()
    await page.get_by_role("checkbox", name="Nature de la demande").uncheck()
    await page.get_by_role("button", name="Enregistrer les colonnes").click()
    await expect(page.get_by_role("status")).to_have_text("Vos colonnes sont enregistrées.")
    await expect(rows).to_have_count(1)  # back on the same filtered list
    headers = page.locator("table.tickets th")
    await expect(headers).to_contain_text(["Numéro", "Titre", "Priorité"])
    await expect(headers.filter(has_text="Nature de la demande")).to_have_count(0)
    async with page.expect_download() as downloading:
        await page.get_by_role("link", name="Exporter vers Excel").click()
    sheet = openpyxl.load_workbook(
        io.BytesIO((await (await downloading.value).path()).read_bytes())
    ).active
    assert sheet is not None
    workbook_rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert len(workbook_rows) == 2  # the header and the one ticket of the filtered list
    first = dict(zip(workbook_rows[0], workbook_rows[1], strict=True))
    shown_number = int(re.sub(r"\D", "", await rows.locator("td").first.inner_text()))
    assert (first["Number"], first["Title"], first["Priority"]) == (
        shown_number,
        "Imprimante bloquée en bac 2",
        "high",
    )
    async with page.expect_download() as downloading:
        await page.get_by_role("link", name="Exporter en CSV").click()
    exported = (await (await downloading.value).path()).read_text(encoding="utf-8-sig")
    table = list(csv.DictReader(io.StringIO(exported)))
    shown = await rows.locator("td").first.inner_text()
    assert [row["Number"] for row in table] == [re.sub(r"\D", "", shown)]
    assert table[0]["Title"] == "Imprimante bloquée en bac 2"
    assert table[0]["Product"] == "MX-4000"
    assert table[0]["Priority"] == "high"
    assert "Nature" not in table[0]  # the columns the user chose
    await page.get_by_role("link", name="Effacer les filtres").click()
    await expect(rows).to_have_count(2)

    # An agent answers Luc's ticket: its row gets the unread badge without a reload.
    await page.evaluate("window.notReloaded = true")
    await expect(page.locator("[data-live-state='open']")).to_be_attached()
    await agent_replies(portal, staff, scanner["ticket_id"], "Nous envoyons un technicien.")
    scanner_row = rows.filter(has_text="Scanner en panne")
    await expect(scanner_row.locator(".badge.unread")).to_have_text("1 non lu(s)")
    await expect(page.locator("#unread-count")).to_have_text(
        "1 demande(s) avec des messages non lus"
    )
    assert await page.evaluate("window.notReloaded === true")

    # On Claire's open ticket, a reply and the wait for her information arrive live.
    await rows.filter(has_text="Imprimante").get_by_role("link").click()
    await page.evaluate("window.notReloaded = true")
    await expect(page.locator("[data-live-state='open']")).to_be_attached()
    await agent_replies(portal, staff, ticket_id, "Pouvez-vous redémarrer l'imprimante ?")
    await expect(page.locator("#conversation")).to_contain_text(
        "Pouvez-vous redémarrer l'imprimante ?"
    )
    await agent_moves(portal, staff, ticket_id, "open", "in_progress", "waiting_for_customer")
    await expect(page.get_by_text("Le numéro de série de l'imprimante")).to_be_visible()
    await expect(page.locator("#ticket-head")).to_contain_text(
        "Suspendue, en attente de votre réponse"
    )
    assert await page.evaluate("window.notReloaded === true")
    await check_page(page, "ticket-waiting")
    await page.get_by_role("textbox", name="Message").fill("Numéro de série : XK-42")
    await page.get_by_role("button", name="Envoyer et reprendre la demande").click()
    await expect(page.get_by_role("status")).to_have_text(
        "Merci : votre demande reprend son cours."
    )
    await expect(page.locator("#ticket-head")).to_contain_text("En cours")
    await expect(page.locator("#conversation")).to_contain_text("Numéro de série : XK-42")

    # Resolved, closed, started again.
    await page.get_by_role("button", name="Marquer comme résolue").click()
    await expect(page.get_by_role("status")).to_contain_text("est marquée comme résolue")
    await expect(page.locator("#timeline")).not_to_contain_text("Résolution\n—")
    page.once("dialog", lambda dialog: dialog.accept())
    await page.get_by_role("button", name="Clôturer").click()
    await expect(page.locator("#ticket-head")).to_contain_text("Clôturée")
    await expect(page.get_by_role("button", name="Envoyer")).to_have_count(0)
    await page.get_by_role("button", name="Dupliquer pour rouvrir").click()
    await expect(page.get_by_role("status")).to_contain_text("La demande est reprise sous le n°")
    assert ticket_id_of(page) != ticket_id
    await page.get_by_role("link", name="Reprise d'une demande clôturée").click()
    assert ticket_id_of(page) == ticket_id
    await expect(page.get_by_role("link", name="Reprise dans une nouvelle demande")).to_be_visible()


async def test_in_english_on_a_phone_without_script_every_ticket_form_works(
    portal: Portal, chromium: Browser, tmp_path: Path
) -> None:
    staff = await portal.staff_token()
    organisation = await portal.organisation(staff)
    julia = await portal.customer(staff, organisation["organisation_id"], first_name="Julia")
    token = await portal.sign_in(julia["email"], julia["password"])
    await portal.choose_language(token, "en")
    await known_to_tickets(portal, token, julia["user_id"])
    photo = tmp_path / "jam.txt"
    photo.write_text("Tray 2 jams on every second page.\n", encoding="utf-8")
    context = await chromium.new_context(
        java_script_enabled=False, locale="en-GB", viewport={"width": 360, "height": 740}
    )
    try:
        page = await context.new_page()
        await page.goto(f"{portal.url}/sign-in")
        await page.get_by_label("Email address or user code").fill(julia["email"])
        await page.get_by_label("Password").fill(julia["password"])
        await page.get_by_role("button", name="Sign in").click()
        await page.get_by_role("link", name="Tickets").click()
        await page.get_by_role("link", name="New request").click()
        await page.get_by_label("Title", exact=True).fill("Copier jams in tray 2")
        await page.get_by_label("Description").fill("Since Monday.")
        await page.get_by_label("Attachments").set_input_files(str(photo))
        await page.get_by_role("button", name="Create the request").click()
        await expect(page.get_by_role("status")).to_contain_text("is recorded")
        await expect(page.get_by_role("link", name="jam.txt")).to_be_visible()
        ticket_id = ticket_id_of(page)
        assert await page.evaluate("document.documentElement.scrollWidth") <= 360
        await page.screenshot(path=str(_artefact("ticket-en-phone")), full_page=True)

        await page.get_by_role("textbox", name="Message").fill("It happens with thick paper only.")
        await page.get_by_role("button", name="Send").click()
        await expect(page.get_by_role("status")).to_have_text("Your message is sent.")
        await agent_replies(portal, staff, ticket_id, "Which paper weight?")
        await agent_moves(portal, staff, ticket_id, "open", "in_progress", "waiting_for_customer")
        await page.reload()
        await expect(page.locator("#conversation")).to_contain_text("Which paper weight?")
        await expect(page.locator("#ticket-head")).to_contain_text("Waiting for your answer")
        await page.get_by_role("textbox", name="Message").fill("120 g/m².")
        await page.get_by_role("button", name="Send and resume the request").click()
        await expect(page.get_by_role("status")).to_have_text(
            "Thank you: your request is under way again."
        )
        await page.get_by_role("button", name="Mark as resolved").click()
        await page.get_by_role("button", name="Close").click()  # no script: no confirm dialog
        await expect(page.locator("#ticket-head")).to_contain_text("Closed")
        await page.get_by_role("button", name="Duplicate to reopen").click()
        await expect(page.get_by_role("status")).to_contain_text("started again as no.")

        await page.get_by_role("link", name="← All requests").click()
        await page.get_by_role("link", name="Write to a department").click()
        await page.get_by_label("Department").select_option(label="Billing")
        await page.get_by_label("Subject").fill("Invoice 2024-118")
        await page.get_by_role("textbox", name="Message").fill("The VAT rate looks wrong.")
        await page.get_by_role("button", name="Send").click()
        await expect(page.get_by_role("status")).to_contain_text("is recorded")
        await expect(page.get_by_role("region", name="Details")).to_contain_text("Billing")

        await page.get_by_role("link", name="← All requests").click()
        rows = page.locator("table.tickets tbody tr")
        await expect(rows).to_have_count(3)
        copier = rows.filter(has_text="Copier jams in tray 2")
        await expect(copier.filter(has_text="Closed")).to_have_count(1)
        await expect(copier.filter(has_text="New")).to_have_count(1)  # started again
        await page.screenshot(path=str(_artefact("tickets-en-phone")), full_page=True)
        assert await page.evaluate("document.documentElement.scrollWidth") <= 360

        # 25 a page, most recently changed first: the next page and back again.
        for number in range(23):
            await portal.call(
                "POST",
                "/api/tickets",
                token,
                json={"title": f"Toner order {number:02d}", "description": "Black, x2"},
            )
        await page.reload()
        await expect(rows).to_have_count(25)
        await expect(rows.first).to_contain_text("Toner order 22")
        await expect(page.get_by_role("link", name="Previous page")).to_have_count(0)
        await page.get_by_role("link", name="Next page").click()
        await expect(rows).to_have_count(1)
        await expect(rows.first).to_contain_text("Copier jams in tray 2")
        await expect(page.get_by_role("link", name="Next page")).to_have_count(0)
        await page.get_by_role("link", name="Previous page").click()
        await expect(rows).to_have_count(25)
        await expect(rows.first).to_contain_text("Toner order 22")
        await expect(page.get_by_role("link", name="Previous page")).to_have_count(0)
    finally:
        await context.close()


def _artefact(name: str) -> Path:
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    return ARTEFACTS / f"{name}.png"


async def test_only_a_signed_in_user_may_post_a_form_larger_than_a_mebibyte(
    portal: Portal,
) -> None:
    large = aiohttp.FormData()
    large.add_field("csrf", "whatever")
    large.add_field("attachments", b"x" * (2 * 1024 * 1024), filename="big.txt")
    async with portal.http.post(f"{portal.url}/tickets/new", data=large) as response:
        assert response.status == 413
        assert "Envoi trop volumineux" in await response.text()
