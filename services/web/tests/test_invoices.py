"""A customer's invoices as a person uses them (seeds 001 and 003, flow 18): the list newest
first with what is still owed, filtered by status and period; an invoice with its lines,
totals and payments; its PDF, read back; two invoices as one ZIP; another organisation's
invoice not found, and no invoices for a user without the module; the back office's view of
an organisation's invoices — in French on a desktop, in English on a phone without script."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from typing import Any

from playwright.async_api import Browser, Locator, Page, expect

from devstack.demo_invoices import documents, internal_system_token
from services.billing.tests.conftest import pdf_text, zip_entries
from services.web.tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, ARTEFACTS, Portal, check_page
from services.web.tests.test_organisation import sign_in
from tests.support import eventually

INVOICES = ("invoices", "tickets")


async def as_erp(portal: Portal, token: str, path: str, body: dict[str, Any]) -> Any:
    """POST as the ERP until accepted, trying again what a real ERP tries again: an unknown
    customer (billing learns organisations from identity's events, a moment later) and a
    conflict (the overdue check was marking the same invoice)."""

    async def accepted() -> Any:
        async with portal.http.post(
            f"{portal.url}{path}", json=body, headers={"Authorization": f"Bearer {token}"}
        ) as response:
            answer = await response.json()
            if response.status < 300:
                return answer
            unknown_customer = response.status == 422 and "customer_code" in str(answer)
            assert unknown_customer or response.status == 409, (response.status, answer)
            return None

    return await eventually(accepted)


async def issue_invoices(
    portal: Portal, staff: str, organisation: dict[str, Any], extra: int = 0
) -> dict[str, dict[str, Any]]:
    """The demo's documents, numbered for this test, sent as the ERP sends them (client
    credentials, through the gateway): two paid (0101, 0158), two past due (0203 paid in
    part, 0244), one just issued (0291, paid in part here), a credit note (0012); then
    `extra` invoices issued and paid long ago. By demo number, the documents as the ERP's
    API answered."""
    token = await internal_system_token(portal.http, f"{portal.url}/api", staff)
    suffix = uuid.uuid4().hex[:6].upper()
    docs, paid = documents(organisation["code"], dt.date.today())
    paid[next(doc["number"] for doc in docs if doc["number"].endswith("0291"))] = "100.00"
    for number in range(extra):  # paid long ago
        day = dt.date.today() - dt.timedelta(days=400 + number)
        docs.insert(0, {**docs[0], "number": f"FA-OLD-{number:02d}", "order_reference": None})
        docs[0].update(issue_date=day.isoformat(), due_date=(day + dt.timedelta(30)).isoformat())
        paid[docs[0]["number"]] = docs[0]["total_incl_tax"]
    issued: dict[str, dict[str, Any]] = {}
    for doc in docs:
        short = doc["number"].rsplit("-", 1)[1]
        doc["number"] = f"{doc['number']}-{suffix}"
        if doc.get("credited_invoice_number"):
            doc["credited_invoice_number"] += f"-{suffix}"
        issued[short] = await as_erp(portal, token, "/api/erp/invoices", doc)
    for number, amount in paid.items():
        payment = {
            "invoice_number": f"{number}-{suffix}",
            "payment_reference": f"VIR-{number}-{suffix}",
            "amount": amount,
            "paid_on": dt.date.today().isoformat(),
        }
        await as_erp(portal, token, "/api/erp/payments", payment)
    return issued


async def overdue(portal: Portal, token: str, count: int = 2) -> None:
    """The overdue check has run over the invoices past due."""

    async def marked() -> bool:
        listed = await portal.call("GET", "/api/invoices?status=overdue", token)
        return len(listed["invoices"]) == count

    await eventually(marked)


async def shown(locator: Locator) -> str:
    """Text as a reader sees it: the locale's no-break spaces read as spaces."""
    return " ".join(
        (await locator.inner_text()).replace("\u202f", " ").replace("\xa0", " ").split()
    )


async def opened(page: Page, address: str) -> int:
    response = await page.goto(address)
    assert response is not None
    return response.status


def number_of(issued: dict[str, dict[str, Any]], short: str) -> str:
    return str(issued[short]["number"])


async def test_a_customer_finds_filters_reads_and_downloads_invoices(
    portal: Portal, page: Page
) -> None:
    staff = await portal.staff_token()
    organisation = await portal.organisation(staff)
    other = await portal.organisation(staff, "Reprographie Leroy")
    claire, luc, issued, elsewhere = await asyncio.gather(
        portal.customer(staff, organisation["organisation_id"], modules=INVOICES),
        portal.customer(staff, organisation["organisation_id"], first_name="Luc"),
        issue_invoices(portal, staff, organisation),
        issue_invoices(portal, staff, other),
    )
    await overdue(portal, await portal.sign_in(claire["email"], claire["password"]))
    today = dt.date.today()

    await sign_in(page, portal, claire["email"], claire["password"])
    await page.get_by_role("navigation").get_by_role("link", name="Factures").click()
    await expect(page.get_by_role("heading", name="Mes factures", level=1)).to_be_visible()
    # Owed: 115,00 (0203) + 701,52 (0244), both overdue, + 199,52 (0291, paid in part).
    owed = page.get_by_role("region", name="Encours")
    assert await shown(owed.locator(".outstanding-total")) == "1 016,04 €"
    assert "dont 816,52 € en retard" in await shown(owed)
    rows = page.locator("table.invoices tbody tr")
    await expect(rows).to_have_count(6)
    newest_first = ["0291", "0012", "0244", "0203", "0158", "0101"]
    for row, short in zip(await rows.all(), newest_first, strict=True):
        await expect(row).to_contain_text(number_of(issued, short))
    await expect(rows.nth(0)).to_contain_text("Partiellement payée")
    await expect(rows.nth(5)).to_contain_text("Payée")
    late = rows.filter(has_text=number_of(issued, "0244"))
    await expect(late.get_by_text("En retard")).to_be_visible()
    await expect(late).to_have_class("overdue")
    issued_on = today - dt.timedelta(days=45)
    months = ("janv.", "févr.", "mars", "avr.", "mai", "juin")
    months += ("juil.", "août", "sept.", "oct.", "nov.", "déc.")
    await expect(late).to_contain_text(f"{issued_on.day} {months[issued_on.month - 1]}")
    assert "701,52 €" in await shown(late)
    await check_page(page, "invoices")

    # Filtered by status, then by period.
    filters = page.get_by_role("search", name="Filtrer les factures")
    await filters.get_by_label("Statut").select_option(label="En retard")
    await filters.get_by_role("button", name="Filtrer").click()
    await expect(rows).to_have_count(2)
    await expect(rows.nth(0)).to_contain_text(number_of(issued, "0244"))
    await expect(rows.nth(1)).to_contain_text(number_of(issued, "0203"))
    assert await shown(owed.locator(".outstanding-total")) == "1 016,04 €"  # whatever the filters
    await page.get_by_role("link", name="Effacer les filtres").click()
    await expect(rows).to_have_count(6)
    await filters.get_by_label("Émises à partir du").fill(
        (today - dt.timedelta(days=50)).isoformat()
    )
    await filters.get_by_label("Émises jusqu'au").fill((today - dt.timedelta(days=30)).isoformat())
    await filters.get_by_role("button", name="Filtrer").click()
    await expect(rows).to_have_count(2)
    await expect(rows.nth(0)).to_contain_text(number_of(issued, "0012"))
    await expect(rows.nth(0)).to_contain_text("Avoir")
    await expect(rows.nth(1)).to_contain_text(number_of(issued, "0244"))

    # The overdue invoice: lines, totals, status; its PDF read back.
    await rows.get_by_role("link", name=number_of(issued, "0244"), exact=True).click()
    await expect(page.get_by_role("heading", level=1)).to_have_text(
        f"Facture {number_of(issued, '0244')}"
    )
    await expect(page.locator(".status-line")).to_contain_text("En retard")
    lines = page.locator("table.lines tbody tr")
    await expect(lines).to_have_count(2)
    await expect(lines.first).to_contain_text("Toner noir TK-5240K")
    totals = page.locator(".totals")
    assert "Total HT 584,60 € TVA 116,92 € Total TTC 701,52 €" in await shown(totals)
    await expect(page.get_by_role("region", name="Paiements")).to_contain_text(
        "Aucun paiement reçu"
    )
    await check_page(page, "invoice")
    async with page.expect_download() as downloading:
        await page.get_by_role("link", name="Télécharger le PDF").click()
    download = await downloading.value
    assert download.suggested_filename == f"{number_of(issued, '0244')}.pdf"
    text = pdf_text((await download.path()).read_bytes())
    assert number_of(issued, "0244") in text
    assert "701,52 €" in text

    # Two invoices ticked, one ZIP holding both PDFs.
    await page.get_by_role("link", name="← Toutes les factures").click()
    await expect(rows).to_have_count(6)
    for short in ("0203", "0101"):
        await page.get_by_label(f"Sélectionner {number_of(issued, short)}").check()
    async with page.expect_download() as downloading:
        await page.get_by_role("button", name="Télécharger la sélection (ZIP)").click()
    entries = zip_entries((await (await downloading.value).path()).read_bytes())
    assert sorted(entries) == sorted(
        f"{number_of(issued, short)}.pdf" for short in ("0203", "0101")
    )
    for short in ("0203", "0101"):
        assert number_of(issued, short) in pdf_text(entries[f"{number_of(issued, short)}.pdf"])

    # Another organisation's invoice, and its PDF, are not found.
    foreign = elsewhere["0244"]["invoice_id"]
    for address in (f"/invoices/{foreign}", f"/invoices/{foreign}/pdf"):
        assert await opened(page, f"{portal.url}{address}") == 404
        await expect(page.get_by_role("heading", name="Page introuvable")).to_be_visible()

    # A colleague without the invoices module: no link, and the address is refused.
    await page.context.clear_cookies()
    await sign_in(page, portal, luc["email"], luc["password"])
    await expect(page.get_by_role("navigation").get_by_role("link", name="Factures")).to_have_count(
        0
    )
    assert await opened(page, f"{portal.url}/invoices") == 403
    await expect(page.get_by_role("heading", name="Accès refusé")).to_be_visible()

    # The back office: the organisation's invoices, on the same pages.
    await page.context.clear_cookies()
    await sign_in(page, portal, ADMIN_EMAIL, ADMIN_PASSWORD)
    await page.goto(f"{portal.url}/back-office/organisations/{organisation['organisation_id']}")
    await page.get_by_role("link", name="Factures de l'organisation").click()
    await expect(page.get_by_role("heading", level=1)).to_contain_text(
        "Factures : Imprimerie Martin"
    )
    await expect(rows).to_have_count(6)
    assert await shown(owed.locator(".outstanding-total")) == "1 016,04 €"
    await check_page(page, "back-office-invoices")
    await rows.get_by_role("link", name=number_of(issued, "0203"), exact=True).click()
    assert "200,00 €" in await shown(page.get_by_role("region", name="Paiements"))
    foreign_here = (
        f"/back-office/organisations/{organisation['organisation_id']}/invoices/{foreign}"
    )
    assert await opened(page, f"{portal.url}{foreign_here}") == 404


async def test_in_english_on_a_phone_without_script_invoices_page_and_download(
    portal: Portal, chromium: Browser
) -> None:
    staff = await portal.staff_token()
    organisation = await portal.organisation(staff)
    julia = await portal.customer(
        staff, organisation["organisation_id"], first_name="Julia", modules=INVOICES
    )
    token = await portal.sign_in(julia["email"], julia["password"])
    await portal.choose_language(token, "en")
    issued = await issue_invoices(portal, staff, organisation, extra=20)
    await overdue(portal, token)
    context = await chromium.new_context(
        java_script_enabled=False, locale="en-GB", viewport={"width": 360, "height": 740}
    )
    try:
        page = await context.new_page()
        await page.goto(f"{portal.url}/sign-in")
        await page.get_by_label("Email address or user code").fill(julia["email"])
        await page.get_by_label("Password").fill(julia["password"])
        await page.get_by_role("button", name="Sign in").click()
        await page.get_by_role("link", name="Invoices").click()
        await expect(page.get_by_role("heading", name="My invoices", level=1)).to_be_visible()
        owed = page.get_by_role("region", name="Outstanding")
        assert await shown(owed.locator(".outstanding-total")) == "€1,016.04"
        assert "of which €816.52 overdue" in await shown(owed)
        rows = page.locator("table.invoices tbody tr")
        await expect(rows).to_have_count(25)
        await expect(rows.first).to_contain_text(number_of(issued, "0291"))
        assert await page.evaluate("document.documentElement.scrollWidth") <= 360
        ARTEFACTS.mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=str(ARTEFACTS / "invoices-en-phone.png"), full_page=True)

        # Nothing ticked: said, and the list stays as it was.
        await page.get_by_role("button", name="Download the selection (ZIP)").click()
        await expect(page.get_by_role("status")).to_have_text(
            "Tick at least one invoice to download."
        )
        # 25 a page: the oldest invoice on the next, then back to the first.
        await page.get_by_role("link", name="Next page").click()
        await expect(rows).to_have_count(1)
        await expect(rows.first).to_contain_text("FA-OLD-19")
        await page.get_by_role("link", name="First page").click()
        await expect(rows).to_have_count(25)

        late = rows.filter(has_text=number_of(issued, "0244"))
        await expect(late).to_contain_text("Overdue")
        await late.get_by_role("link", name=number_of(issued, "0244"), exact=True).click()
        await expect(page.get_by_role("heading", level=1)).to_have_text(
            f"Invoice {number_of(issued, '0244')}"
        )
        assert "Total incl. tax €701.52" in await shown(page.locator(".totals"))
        assert await page.evaluate("document.documentElement.scrollWidth") <= 360
        await page.screenshot(path=str(ARTEFACTS / "invoice-en-phone.png"), full_page=True)
        async with page.expect_download() as downloading:
            await page.get_by_role("link", name="Download the PDF").click()
        text = pdf_text((await (await downloading.value).path()).read_bytes())
        assert number_of(issued, "0244") in text
    finally:
        await context.close()
