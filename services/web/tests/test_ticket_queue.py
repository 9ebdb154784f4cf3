"""The back office's ticket queue in the browser: an agent finds a customer's ticket, takes
it, writes an internal note, replies with a file and waits for the customer, who is emailed
the reply and never the note; new tickets and messages appear without reloading; only the
transitions the API allows are offered, and a refused one says which are. In French on a
desktop, in English on a phone; and the service worker's offline page."""

from __future__ import annotations

import uuid
from typing import Any

from playwright.async_api import Browser, Page, expect

from conftest import Infrastructure
from devstack import browser
from services.web.app import create_app as create_web
from services.web.settings import WebSettings
from services.web.tests.conftest import (
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    ARTEFACTS,
    GOOD_PASSWORD,
    PHONE,
    Portal,
    accessibility_violations,
    check_page,
    serving_on,
)
from services.web.tests.test_organisation import sign_in
from shared.sealing import new_sealing_key
from tests.support import free_port

NOTE = "Client sensible : ne pas évoquer la remise accordée en mars."
REPLY = "Bonjour, pouvez-vous nous envoyer le journal d'erreurs du copieur ?"
WAITING_REASON = "Le journal d'erreurs du copieur (menu Maintenance > Journal)."


async def open_ticket(portal: Portal, customer: dict[str, Any], title: str) -> dict[str, Any]:
    """A ticket the customer opens through the API (as the customer space would)."""
    token = await portal.sign_in(customer["email"], customer["password"])
    return await portal.call(
        "POST",
        "/api/tickets",
        token,
        json={
            "title": title,
            "description": "Le copieur du 2e étage affiche E-203 et n'imprime plus.",
            "ticket_type": "incident",
            "priority": "high",
            "requester_email": customer["email"],
        },
    )


async def test_an_agent_works_a_customer_ticket_from_the_queue(portal: Portal, page: Page) -> None:
    staff = await portal.staff_token()
    organisation = await portal.organisation(staff, name="Reprographie Lemoine")
    customer = await portal.customer(staff, organisation["organisation_id"], first_name="Odile")
    suffix = uuid.uuid4().hex[:6]
    first = await open_ticket(portal, customer, f"Copieur en panne {suffix}")

    await sign_in(page, portal, ADMIN_EMAIL, ADMIN_PASSWORD)
    await page.get_by_role("navigation").get_by_role("link", name="File des tickets").click()
    row = page.get_by_role("row").filter(has_text=f"Copieur en panne {suffix}")
    await expect(row).to_contain_text("nouveau")
    await expect(row).to_contain_text(organisation["details"]["legal_name"])
    await expect(row).to_contain_text("Non attribué")
    await check_page(page, "ticket-queue")

    # A ticket opened while the queue is on screen appears in it, the page not reloaded.
    await page.evaluate("window.stillTheSamePage = true")
    await expect(page.locator("#queue-live[data-live-state='open']")).to_be_attached()
    await open_ticket(portal, customer, f"Toner introuvable {suffix}")
    await expect(
        page.get_by_role("row").filter(has_text=f"Toner introuvable {suffix}")
    ).to_be_visible()
    assert await page.evaluate("window.stillTheSamePage") is True

    await row.get_by_role("link", name=f"Copieur en panne {suffix}").click()
    await expect(page.get_by_role("heading", level=1)).to_contain_text(
        f"#{first['number']} — Copieur en panne {suffix}"
    )
    # From "new", only what the state machine allows is offered.
    offered = page.get_by_label("Nouveau statut", exact=True).locator("option")
    await expect(offered).to_have_text(["Ouvert", "Résolu"])

    await page.get_by_role("button", name="M'attribuer le ticket").click()
    await expect(page.get_by_role("status")).to_have_text("Le ticket est attribué.")
    await expect(page.locator("#current-assignee")).to_contain_text("(moi)")

    await page.get_by_label("Note (pour le personnel)", exact=True).fill(NOTE)
    await page.get_by_role("button", name="Ajouter la note").click()
    await expect(page.get_by_role("status")).to_have_text("La note interne est ajoutée.")
    note = page.locator("#thread li[data-kind='note']")
    await expect(note).to_contain_text("Note interne — invisible pour le client")
    await expect(note).to_contain_text(NOTE)

    await page.get_by_label("Votre réponse (envoyée au client)", exact=True).fill(REPLY)
    await page.locator("#reply-files").set_input_files(
        files=[
            {
                "name": "procedure.txt",
                "mimeType": "text/plain",
                "buffer": b"Menu Maintenance, puis Journal, puis Exporter.\n",
            }
        ]
    )
    await page.get_by_role("button", name="Envoyer la réponse").click()
    await expect(page.get_by_role("status")).to_have_text("La réponse est envoyée.")
    reply = page.locator("#thread li[data-kind='message']").filter(has_text=REPLY)
    async with page.expect_download() as download:
        await reply.get_by_role("link", name="procedure.txt").click()
    saved = await download.value
    assert saved.suggested_filename == "procedure.txt"
    assert "Menu Maintenance" in (await saved.path()).read_text()

    for status in ("Ouvert", "En cours"):
        await page.get_by_label("Nouveau statut", exact=True).select_option(label=status)
        await page.get_by_role("button", name="Changer le statut").click()
        await expect(page.get_by_role("status")).to_have_text("Le statut est changé.")
    await page.get_by_label("Nouveau statut", exact=True).select_option(
        label="En attente du client"
    )
    await page.get_by_label("Ce que le client doit fournir", exact=True).fill(WAITING_REASON)
    await page.get_by_role("button", name="Changer le statut").click()
    await expect(page.get_by_role("status")).to_have_text("Le statut est changé.")
    await expect(page.locator("#current-status")).to_have_text("En attente du client")
    await expect(offered).to_have_text(["En cours", "Résolu"])
    await check_page(page, "agent-ticket")

    # The customer answers while the page is open: their message appears without reloading.
    token = await portal.sign_in(customer["email"], customer["password"])
    await portal.call(
        "POST",
        f"/api/tickets/{first['ticket_id']}/resume",
        token,
        json={"body": "Voici le journal demandé.", "attachment_ids": []},
    )
    await expect(page.locator("#thread")).to_contain_text("Voici le journal demandé.")
    await expect(page.locator("#current-status")).to_have_text("En cours")

    # A form left on screen while the ticket moved on: the API's 409 names what is allowed.
    await page.get_by_label("Nouveau statut", exact=True).select_option(
        label="En attente du client"
    )
    # Live updates leave alone the form being typed in.
    await page.get_by_label("Ce que le client doit fournir", exact=True).fill(WAITING_REASON)
    await portal.call(
        "POST",
        f"/api/agent/tickets/{first['ticket_id']}/status",
        staff,
        json={"status": "resolved"},
    )
    await expect(page.locator("#current-status")).to_have_text("Résolu")
    await page.get_by_role("button", name="Changer le statut").click()
    await expect(page.get_by_role("alert")).to_contain_text(
        "Ce changement n'est pas possible depuis le statut « Résolu »."
        " Statuts possibles : Clos, Ouvert."
    )

    # The customer's inbox: the reply and what to give, never the internal note.
    mails = await portal.mail.wait_for(customer["email"], 4)  # 2 openings, reply, waiting
    texts = [mail.get("text") or "" for mail in mails]
    assert any(REPLY in text for text in texts), texts
    assert any(WAITING_REASON in text for text in texts), texts
    assert not any(
        NOTE in text or NOTE in (mail.get("html") or "")
        for mail, text in zip(mails, texts, strict=True)
    )


async def staff_member(portal: Portal, staff: str, language: str) -> dict[str, str]:
    """A vendor agent (not an admin) who has set their password from the invitation."""
    email = f"agent.{uuid.uuid4().hex[:8]}@vendor.example"
    await portal.call(
        "POST",
        "/api/staff",
        staff,
        json={
            "email": email,
            "first_name": "Sam",
            "last_name": "Carter",
            "language": language,
            "role": "vendor_agent",
        },
    )
    token = (await portal.invitation_link(email)).split("token=", 1)[1]
    await portal.call(
        "POST", "/api/auth/password/reset", json={"token": token, "new_password": GOOD_PASSWORD}
    )
    return {"email": email, "password": GOOD_PASSWORD}


async def test_an_agent_takes_a_ticket_in_english_on_a_phone(
    portal: Portal, chromium: Browser
) -> None:
    staff = await portal.staff_token()
    organisation = await portal.organisation(staff, name="Print Shop")
    customer = await portal.customer(staff, organisation["organisation_id"], first_name="Ben")
    agent = await staff_member(portal, staff, "en")
    title = f"Scanner jams {uuid.uuid4().hex[:6]}"
    await open_ticket(portal, customer, title)

    context = await chromium.new_context(locale="en-GB", viewport=PHONE, is_mobile=True)
    await context.add_init_script(path=str(browser.AXE))
    try:
        page = await context.new_page()
        await page.goto(f"{portal.url}/sign-in")
        await page.get_by_label("Email address or user code").fill(agent["email"])
        await page.get_by_label("Password").fill(agent["password"])
        await page.get_by_role("button", name="Sign in").click()
        # Nonsense in the address (a stale cursor, a bad id, an unknown status): the queue's
        # first page, never an error.
        await page.goto(
            f"{portal.url}/back-office/tickets?filtered=1&cursor=stale&organisation_id=x&status=z"
        )
        await expect(page.get_by_role("heading", name="Ticket queue")).to_be_visible()
        await page.get_by_role("link", name="Reset").click()
        await page.get_by_label("Assignee", exact=True).select_option(label="Unassigned")
        await page.get_by_text("More filters").click()
        await page.get_by_label("Organisation", exact=True).select_option(
            value=organisation["organisation_id"]
        )
        await page.get_by_role("button", name="Filter").click()
        await expect(page.get_by_role("link", name=title)).to_be_visible()
        await expect(page.get_by_text("Tickets with unread messages: ")).to_be_visible()
        await phone_check(page, "ticket-queue-en")

        await page.get_by_role("link", name=title).click()
        await page.get_by_role("button", name="Assign to me").click()
        await expect(page.get_by_role("status")).to_have_text("The ticket is assigned.")
        await expect(page.locator("#current-assignee")).to_have_text("Sam Carter (me)")
        await page.get_by_label("Your reply (sent to the customer)").fill("On our way.")
        await page.get_by_role("button", name="Send the reply").click()
        await expect(page.get_by_role("status")).to_have_text("The reply is sent.")
        await phone_check(page, "agent-ticket-en")

        await page.get_by_role("link", name="Back to the queue").click()
        await page.get_by_label("Assignee", exact=True).select_option(label="Me")
        await page.get_by_role("button", name="Filter").click()
        await expect(page.get_by_role("link", name=title)).to_be_visible()
    finally:
        await context.close()


async def phone_check(page: Page, name: str) -> None:
    assert await accessibility_violations(page) == []
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{name} scrolls sideways on a phone ({width} px)"
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(ARTEFACTS / f"{name}-phone.png"), full_page=True)


async def test_the_service_worker_shows_the_offline_page_when_the_portal_is_unreachable(
    portal: Portal, infrastructure: Infrastructure, page: Page
) -> None:
    # A portal of its own, to stop: the browser then finds nothing at its address.
    port = free_port()
    settings = WebSettings(
        database_url=portal.database_url,
        kafka_bootstrap=infrastructure.kafka_bootstrap,
        public_url=f"{portal.url}/",
        gateway_url=f"{portal.url}/",
        session_key=new_sealing_key(),
        secure_cookies=False,
    )
    async with serving_on(create_web(settings), port) as url:
        await page.goto(f"{url}/sign-in")
        await page.evaluate("navigator.serviceWorker.ready.then(() => true)")
        await page.wait_for_function("navigator.serviceWorker.controller !== null")
        cached = await page.evaluate(
            "caches.open('guichet-static-v1').then(c => c.keys()).then(k => k.map(r => r.url))"
        )
        # Only the static files: never a page nor an answer of the API.
        assert cached
        assert all(u.startswith(f"{url}/static/") for u in cached), cached
    await page.goto(f"{url}/home")
    await expect(page.get_by_role("heading", name="Le portail est injoignable")).to_be_visible()
    await expect(page.get_by_role("heading", name="The portal cannot be reached")).to_be_visible()
    assert await accessibility_violations(page) == []
