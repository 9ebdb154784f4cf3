"""Consumables orders as seed 003 describes them: from the PARC, "Commander des consommables"
on a machine (a quantity over the vendor's maximum refused next to its field), saved into the
cart counted in the header; the cart validated in one tab (the summary email follows), and
again in a second tab, which says the order was placed already and names it; the back office
validates, ships part, then the rest; the customer follows the statuses on the machine's page
and the order's, and downloads the delivery notes. Then cancelling: with a comment (confirmed
by email), and too late (the page says what the order has become). Another organisation's
user finds none of it."""

from __future__ import annotations

import re
import uuid
from typing import Any

from playwright.async_api import Browser, BrowserContext, Page, expect

from devstack import browser
from services.web.pages.orders import ORDERS_API, consumables_api
from services.web.pages.orders_back_office import AGENT_API
from services.web.portal import CART_API
from services.web.tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, Portal, check_page
from services.web.tests.test_fleet import COPIER, Fleet, mail_about, office_fleet
from services.web.tests.test_organisation import sign_in
from tests.support import eventually

BLACK, CYAN = "TN-BK-3226", "TN-CY-3226"


async def wide(page: Page) -> int:
    """How wide the page is drawn (wider than the window: it scrolls sideways)."""
    return int(await page.evaluate("document.documentElement.scrollWidth"))


async def copier_consumables(portal: Portal, staff: str, customer: str, asset_id: str) -> None:
    """The copier's model offers two toners (at most 4 and 2 per order); orders learns them,
    and the machine, from fleet's events."""
    shown = await portal.call("GET", f"/api/fleet/assets/{asset_id}", customer)
    model = shown["asset"]["model_id"]
    for reference, description, most in ((BLACK, "Toner noir", 4), (CYAN, "Toner cyan", 2)):
        await portal.call(
            "PUT",
            f"/api/agent/fleet/models/{model}/consumables/{reference}",
            staff,
            json={"description": description, "max_quantity_per_order": most},
        )

    async def offered() -> bool:
        async with portal.http.get(
            f"{portal.url}{consumables_api(asset_id)}",
            headers={"Authorization": f"Bearer {customer}"},
        ) as response:
            if response.status != 200:
                return False
            return len((await response.json())["consumables"]) == 2

    await eventually(offered, timeout=30.0)


async def ordering_customer(portal: Portal) -> tuple[str, dict[str, Any], str, Fleet]:
    """A new organisation with two machines, whose user Claire has the fleet and orders
    modules: the staff's token, Claire, her token, the fleet (its copier offers toners)."""
    staff = await portal.staff_token()
    organisation = await portal.organisation(staff)
    claire = await portal.customer(
        staff, organisation["organisation_id"], modules=("fleet", "orders")
    )
    token = await portal.sign_in(claire["email"], claire["password"])
    fleet = await office_fleet(portal, staff, organisation["organisation_id"])
    await copier_consumables(portal, staff, token, fleet.copier)
    return staff, claire, token, fleet


async def placed_by_api(
    portal: Portal, customer: str, asset_id: str, reference: str = CYAN, stock: int = 0
) -> dict[str, Any]:
    """An order placed without the pages (what the browser already proved), for the
    cancellation cases and the reorder hint."""
    await portal.call(
        "PUT",
        f"{CART_API}/assets/{asset_id}",
        customer,
        json={
            "lines": [{"reference": reference, "quantity": 1, "stock_on_hand": stock}],
            "delivery_comment": "",
            "customer_reference": "",
        },
    )
    placed = await portal.call("POST", f"{CART_API}/checkout", customer, json={})
    return placed["orders"][0]


async def test_a_customer_orders_toner_the_back_office_ships_it_in_two_parts(
    portal: Portal, page: Page, context: BrowserContext, chromium: Browser
) -> None:
    _, claire, token, fleet = await ordering_customer(portal)

    # From the PARC, the machine's page: "Commander des consommables".
    await sign_in(page, portal, claire["email"], claire["password"])
    await page.get_by_role("link", name="Parc", exact=True).click()
    await page.get_by_role("link", name=COPIER).first.click()
    await expect(page.locator("#orders")).to_contain_text("Aucune commande pour cet équipement.")
    await page.get_by_role("link", name="Commander des consommables").click()
    await expect(page.get_by_role("heading", level=1)).to_contain_text(fleet.copier_serial)
    black = page.get_by_role("group", name=re.compile(BLACK))
    cyan = page.get_by_role("group", name=re.compile(CYAN))
    await expect(black).to_contain_text("4 au plus par commande")
    await black.get_by_label("Quantité").fill("5")
    await black.get_by_label("Stock actuel").fill("1")
    await cyan.get_by_label("Quantité").fill("2")
    await page.get_by_label("Commentaire de livraison").fill("Code 4512B, bâtiment C, Mme Roux")
    await page.get_by_label("Référence interne de commande client").fill("BC-2026-118")
    await expect(page.locator("#customer-reference-help")).to_contain_text(
        "ne figurera pas sur le bon de livraison"
    )
    await page.get_by_role("button", name="Enregistrer dans le panier").click()
    await expect(black.locator(".field-error")).to_have_text("Un nombre entier de 1 à 4.")
    await expect(black.get_by_label("Quantité")).to_have_attribute("aria-invalid", "true")
    await expect(cyan.get_by_label("Quantité")).to_have_value("2")  # kept as typed
    await check_page(page, "order-consumables")
    await black.get_by_label("Quantité").fill("3")
    await page.get_by_role("button", name="Enregistrer dans le panier").click()

    # The cart: the machine with its lines, counted in the header.
    await expect(page.get_by_role("status")).to_contain_text("Enregistré dans votre panier")
    await expect(page.locator("#cart-count")).to_have_text("1")
    entry = page.locator(".cart-entry")
    await expect(entry).to_have_count(1)
    await expect(entry).to_contain_text(fleet.copier_serial)
    await expect(entry).to_contain_text("quantité 3")
    await expect(entry).to_contain_text("BC-2026-118")
    await check_page(page, "cart")

    # Two tabs validate the same cart: one order, and the second tab names it.
    other_tab = await context.new_page()
    await other_tab.goto(f"{portal.url}/cart")
    await page.get_by_role("button", name="Valider le panier").click()
    await expect(page.get_by_role("heading", name="Commande envoyée")).to_be_visible()
    placed = page.locator("table.orders tbody tr")
    await expect(placed).to_have_count(1)
    await expect(placed).to_contain_text("Envoyée — en attente de validation")
    number = (await placed.get_by_role("link").inner_text()).strip()
    await expect(page.locator("#cart-count")).to_have_count(0)
    await check_page(page, "order-placed")
    await other_tab.get_by_role("button", name="Valider le panier").click()
    await expect(other_tab.locator("#already-placed")).to_contain_text(
        f"Ce panier avait déjà été validé (dans un autre onglet ?) : commandes {number}."
    )
    await expect(other_tab.locator("table.orders tbody tr")).to_have_count(1)
    listed = await portal.call("GET", ORDERS_API, token)
    assert [order["number"] for order in listed["orders"]] == [number]
    summary = await mail_about(portal, claire["email"], f"[Commande n° {number}]")
    assert "Commande enregistrée" in summary["subject"]
    assert "TN-BK-3226 — Toner noir : 3" in summary["text"]
    assert f"{portal.url}/orders/" in summary["text"]  # to this order's page

    # The back office validates it, ships one black toner, then the rest.
    office = await chromium.new_context(locale="fr-FR", viewport={"width": 1280, "height": 800})
    await office.add_init_script(path=str(browser.AXE))
    try:
        agent = await office.new_page()
        await sign_in(agent, portal, ADMIN_EMAIL, ADMIN_PASSWORD)
        await agent.get_by_role("link", name="Commandes", exact=True).click()
        await agent.get_by_role("link", name=number).click()
        await agent.get_by_role("button", name="Valider la commande").click()
        await expect(agent.get_by_role("status")).to_contain_text("livrable en totalité")
        await expect(agent.locator(".status-line")).to_have_text(
            "Livrable en totalité — en préparation"
        )
        await agent.get_by_label("Transporteur").fill("Geodis")
        await agent.get_by_label("N° de bon de livraison").fill("BL-884120")
        await agent.get_by_label(re.compile(f"^{BLACK}")).fill("1")
        await agent.get_by_label(re.compile(f"^{CYAN}")).fill("0")
        await check_page(agent, "back-office-order")
        assert await wide(agent) <= 1280
        await agent.get_by_role("button", name="Enregistrer l'expédition").click()
        await expect(agent.get_by_role("status")).to_have_text("L'expédition est enregistrée.")
        await expect(agent.locator(".status-line")).to_have_text(
            "Livrée en partie — reste à livrer"
        )
        await agent.get_by_label("Transporteur").fill("Geodis")
        await agent.get_by_label("N° de bon de livraison").fill("BL-884121")
        await expect(agent.get_by_label(re.compile(f"^{BLACK}"))).to_have_value("2")
        await agent.get_by_role("button", name="Enregistrer l'expédition").click()
        await expect(agent.locator(".status-line")).to_have_text("Livrée en totalité — expédiée")
        await expect(agent.get_by_role("button", name="Enregistrer l'expédition")).to_have_count(0)
    finally:
        await office.close()

    # The customer follows it: the machine's orders, then the order with both delivery notes.
    await page.goto(f"{portal.url}/fleet/assets/{fleet.copier}")
    await expect(page.locator("#orders")).to_contain_text(number)
    await expect(page.locator("#orders")).to_contain_text("Livrée en totalité — expédiée")
    await page.locator("#orders").get_by_role("link", name=number).click()
    lines = page.locator("table.order-lines tbody tr")
    await expect(lines.filter(has_text=BLACK)).to_contain_text("3")
    await expect(page.locator("#shipments li")).to_have_count(2)
    await expect(page.locator("#shipments")).to_contain_text("Bon de livraison BL-884120")
    await expect(page.locator("#shipments")).to_contain_text("Transporteur : Geodis")
    await expect(page.get_by_role("button", name="Annuler la commande")).to_have_count(0)
    await check_page(page, "order")
    assert await wide(page) <= 1280
    async with page.expect_download() as downloading:
        await page.get_by_role("link", name="Télécharger le bon de livraison BL-884120").click()
    note = (await (await downloading.value).path()).read_bytes()
    assert note.startswith(b"%PDF")

    # The orders list, filtered by status.
    await page.get_by_role("link", name="Commandes", exact=True).click()
    filters = page.get_by_role("search", name="Filtrer les commandes")
    await filters.get_by_label("État").select_option(label="Envoyée — en attente de validation")
    await filters.get_by_role("button", name="Filtrer").click()
    await expect(page.get_by_text("Aucune commande ne correspond.")).to_be_visible()
    await filters.get_by_label("État").select_option(label="Livrée en totalité — expédiée")
    await filters.get_by_role("button", name="Filtrer").click()
    await expect(page.locator("table.orders tbody tr")).to_contain_text([number])
    await check_page(page, "orders")

    # The reorder hint: a month after that order (1 black toner left, 3 ordered), 2 are left.
    await portal.sql(
        "UPDATE orders.orders SET placed_at = placed_at - interval '30 days' WHERE number = $1",
        number,
    )
    await placed_by_api(portal, token, fleet.copier, BLACK, stock=2)
    await page.goto(f"{portal.url}/fleet/assets/{fleet.copier}/order")
    await expect(black).to_contain_text(re.compile(r"À recommander d'ici \d+ jours environ"))
    await expect(cyan).not_to_contain_text("À recommander")  # its stock was never said twice


async def test_an_order_is_cancelled_with_a_comment_and_not_once_it_has_shipped(
    portal: Portal, page: Page
) -> None:
    staff, claire, token, fleet = await ordering_customer(portal)
    first = await placed_by_api(portal, token, fleet.copier)

    await sign_in(page, portal, claire["email"], claire["password"])
    await page.goto(f"{portal.url}/orders/{first['order_id']}")
    await page.get_by_role("button", name="Annuler la commande").click()
    await expect(page.locator("#error-comment")).to_contain_text("un commentaire est requis")
    await page.get_by_label("Commentaire d'annulation").fill("Commandé en double.")
    await page.get_by_role("button", name="Annuler la commande").click()
    await expect(page.get_by_role("status")).to_have_text("La commande est annulée.")
    await expect(page.locator(".status-line")).to_have_text("Annulée")
    await expect(page.locator("#history")).to_contain_text("Commandé en double.")
    cancelled = await mail_about(portal, claire["email"], "Votre commande est annulée")
    assert first["number"] in cancelled["subject"]

    # Shipped while the customer's page still offers to cancel: the page says what it is now.
    second = await placed_by_api(portal, token, fleet.copier)
    await page.goto(f"{portal.url}/orders/{second['order_id']}")
    await portal.call("POST", f"{AGENT_API}/{second['order_id']}/validate", staff, json={})
    await portal.call(
        "POST",
        f"{AGENT_API}/{second['order_id']}/shipments",
        staff,
        json={"carrier": "Chronopost", "delivery_note_number": "BL-1"},
    )
    await page.get_by_label("Commentaire d'annulation").fill("Plus besoin.")
    await page.get_by_role("button", name="Annuler la commande").click()
    await expect(page.get_by_role("alert")).to_have_text(
        "Cette commande ne peut plus être annulée : elle est maintenant"
        " « Livrée en totalité — expédiée »."
    )
    await expect(page.get_by_role("button", name="Annuler la commande")).to_have_count(0)

    # Another organisation's user: neither the order nor its delivery note.
    other = await portal.organisation(staff, "Cabinet Durand")
    paul = await portal.customer(
        staff, other["organisation_id"], first_name="Paul", modules=("fleet", "orders")
    )
    await page.context.clear_cookies()
    await sign_in(page, portal, paul["email"], paul["password"])
    answer = await page.goto(f"{portal.url}/orders/{second['order_id']}")
    assert answer is not None
    assert answer.status == 404
    shown = await portal.call("GET", f"{AGENT_API}/{second['order_id']}", staff)
    shipment = shown["shipments"][0]["shipment_id"]
    answer = await page.goto(
        f"{portal.url}/orders/{second['order_id']}/shipments/{shipment}/delivery-note.pdf"
    )
    assert answer is not None
    assert answer.status == 404
    answer = await page.goto(f"{portal.url}/orders?cursor={uuid.uuid4()}")
    assert answer is not None
    assert answer.status == 200
