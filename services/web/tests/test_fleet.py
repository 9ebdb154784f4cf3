"""The fleet as seed 003's customers use it: the PARC with its filters, a machine's page, meter
readings (a lower one refused next to its field, then one accepted and confirmed by email), an
intervention requested with a file (its number in the summary email) and cancelled with a
comment; the back office schedules another one, which its requester, in English on a phone,
can no longer cancel and sees scheduled."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from playwright.async_api import Browser, BrowserContext, Page, expect

from services.web.tests.conftest import (
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    ARTEFACTS,
    Portal,
    check_page,
)
from services.web.tests.test_organisation import sign_in
from tests.support import eventually

COPIER = "imageRUNNER C3226i"
PRINTER = "ECOSYS M2540dn"


@dataclass(frozen=True)
class Fleet:
    copier: str  # asset ids
    printer: str
    copier_serial: str
    printer_serial: str
    contract_number: str


async def _registered(portal: Portal, staff: str, path: str, body: dict[str, Any]) -> Any:
    """A registration by the back office; fleet learns the organisation from identity's
    events, so the first one may have to wait for it."""

    async def attempt() -> Any:
        async with portal.http.post(
            f"{portal.url}{path}", json=body, headers={"Authorization": f"Bearer {staff}"}
        ) as response:
            answer = await response.json(content_type=None)
            assert response.status in {201, 422}, (path, response.status, answer)
            return answer if response.status == 201 else None

    return await eventually(attempt)


async def office_fleet(portal: Portal, staff: str, organisation_id: str) -> Fleet:
    """Two machines at two sites under one contract whose meters are read every 30 days; the
    copier was last read 35 days ago (its reading is overdue)."""
    sites = [
        await _registered(
            portal,
            staff,
            "/api/agent/fleet/sites",
            {
                "organisation_id": organisation_id,
                "name": name,
                "address": {"line1": "14 rue des Presses", "postal_code": "54000", "city": city},
            },
        )
        for name, city in (("Atelier de Nancy", "Nancy"), ("Agence de Metz", "Metz"))
    ]
    suffix = uuid.uuid4().hex[:6].upper()
    contract = await _registered(
        portal,
        staff,
        "/api/agent/fleet/contracts",
        {
            "organisation_id": organisation_id,
            "number": f"CT-{suffix}",
            "contract_type": "full_service",
            "starts_on": "2026-01-01",
            "service_level": "J+1",
            "covers_support": True,
            "covers_interventions": True,
            "reading_every_days": 30,
        },
    )
    assets = []
    for site, (model, counters) in zip(
        sites,
        ((COPIER, ["black_and_white", "colour"]), (PRINTER, ["black_and_white"])),
        strict=True,
    ):
        created = await _registered(
            portal,
            staff,
            "/api/agent/fleet/models",
            {
                "code": f"M-{uuid.uuid4().hex[:8]}",
                "name": model,
                "manufacturer": "Canon" if model == COPIER else "Kyocera",
                "counters": counters,
            },
        )
        asset = await _registered(
            portal,
            staff,
            "/api/agent/fleet/assets",
            {
                "organisation_id": organisation_id,
                "model_id": created["model_id"],
                "serial_number": f"SN{uuid.uuid4().hex[:8].upper()}",
                "site_id": site["site_id"],
                "location": "2e étage, bureau 12",
                "installed_on": (dt.date.today() - dt.timedelta(days=60)).isoformat(),
                "contract_id": contract["contract_id"],
            },
        )
        assets.append(asset["asset"])
    await portal.call(
        "POST",
        f"/api/agent/fleet/assets/{assets[0]['asset_id']}/readings",
        staff,
        json={
            "read_on": (dt.date.today() - dt.timedelta(days=35)).isoformat(),
            "counters": {"black_and_white": 120345, "colour": 40210},
        },
    )
    return Fleet(
        assets[0]["asset_id"],
        assets[1]["asset_id"],
        assets[0]["serial_number"],
        assets[1]["serial_number"],
        contract["number"],
    )


async def known_to_tickets(portal: Portal, user_id: str, *asset_ids: str) -> None:
    """Tickets validates a request against its copies of identity's users and fleet's
    machines, kept from their events: wait until it has these."""

    async def known() -> bool:
        people = await portal.sql("SELECT 1 FROM tickets.people WHERE user_id = $1", user_id)
        machines = await portal.sql(
            "SELECT 1 FROM tickets.assets WHERE asset_id = ANY($1::uuid[])", list(asset_ids)
        )
        return people == "SELECT 1" and machines == f"SELECT {len(asset_ids)}"

    await eventually(known)


async def mail_about(portal: Portal, email: str, subject: str) -> dict[str, Any]:
    async def arrived() -> dict[str, Any] | None:
        found = [m for m in await portal.mail.to(email) if subject in m["subject"]]
        return found[-1] if found else None

    return await eventually(arrived, timeout=30.0)


async def test_a_customer_finds_a_machine_reads_its_meters_and_requests_an_intervention(
    portal: Portal, page: Page, tmp_path: Path
) -> None:
    staff = await portal.staff_token()
    organisation = await portal.organisation(staff)
    claire = await portal.customer(
        staff, organisation["organisation_id"], modules=("fleet", "meter_readings")
    )
    fleet = await office_fleet(portal, staff, organisation["organisation_id"])
    await known_to_tickets(portal, claire["user_id"], fleet.copier)
    photo = tmp_path / "ecran-erreur.txt"
    photo.write_text("E-210 : bourrage unité de fusion\n", encoding="utf-8")

    # The PARC: both machines with their model, serial number, site and contract number.
    await sign_in(page, portal, claire["email"], claire["password"])
    await page.get_by_role("link", name="Parc", exact=True).click()
    await expect(page.get_by_role("heading", name="Mon parc")).to_be_visible()
    rows = page.locator("table.fleet tbody tr")
    await expect(rows).to_have_count(2)
    copier_row = rows.filter(has_text=fleet.copier_serial)
    await expect(copier_row).to_contain_text(COPIER)
    await expect(copier_row).to_contain_text("Atelier de Nancy")
    await expect(copier_row).to_contain_text(fleet.contract_number)
    await expect(copier_row).to_contain_text("Relevé en retard")
    await check_page(page, "fleet")
    await page.get_by_role("link", name="Relevés à saisir").click()  # the reminder's link
    due = page.locator(".due-list li")
    await expect(due).to_have_count(2)
    await expect(due.filter(has_text=fleet.copier_serial)).to_contain_text("Relevé en retard")
    await page.get_by_role("link", name="← Tout le parc").click()

    filters = page.get_by_role("search", name="Filtrer le parc")
    await filters.get_by_label("Site", exact=True).select_option(label="Agence de Metz")
    await page.get_by_role("button", name="Filtrer").click()
    await expect(rows).to_have_count(1)
    await expect(rows.first).to_contain_text(fleet.printer_serial)
    await page.get_by_role("link", name="Effacer les filtres").click()
    await filters.get_by_label("Modèle", exact=True).select_option(label=COPIER)
    await filters.get_by_label("Rechercher").fill(fleet.copier_serial.lower())
    await page.get_by_role("button", name="Filtrer").click()
    await expect(rows).to_have_count(1)
    await rows.first.get_by_role("link", name=COPIER).click()

    # The machine's page: facts, contract, meters with their last values, the reading due.
    await expect(page.get_by_role("heading", level=1)).to_contain_text(fleet.copier_serial)
    await expect(page.locator("#contract")).to_contain_text(fleet.contract_number)
    await expect(page.locator("#contract")).to_contain_text("Coût à la page")
    await expect(page.locator("#reading-due")).to_contain_text("Relevé en retard")
    await expect(page.locator("#history")).to_contain_text("Relevé de compteurs")
    await check_page(page, "fleet-asset")

    # A colour meter lower than the last accepted one: refused, said next to that field.
    await page.get_by_label("Noir & blanc").fill("130 000")
    await page.get_by_label("Couleur").fill("30000")
    await page.get_by_role("button", name="Enregistrer le relevé").click()
    await expect(page.get_by_role("alert")).to_have_text(
        "Le relevé n'est pas enregistré : corrigez les valeurs signalées."
    )
    await expect(page.locator("#error-counters-colour")).to_contain_text(
        "c'est la dernière valeur acceptée"
    )
    await expect(page.get_by_label("Couleur")).to_have_attribute("aria-invalid", "true")
    await expect(page.get_by_label("Noir & blanc")).to_have_value("130000")
    await page.get_by_label("Couleur").fill("41000")
    await page.get_by_role("button", name="Enregistrer le relevé").click()
    await expect(page.get_by_role("status")).to_contain_text("votre relevé est enregistré")
    await expect(page.locator("#reading-due")).to_have_count(0)
    confirmation = await mail_about(portal, claire["email"], "Relevé de compteurs enregistré")
    assert fleet.copier_serial in confirmation["subject"]
    assert "Couleur : 41" in confirmation["text"]

    # An intervention with a file: its number on the page and in the summary email.
    await page.get_by_role("link", name="Déclencher une intervention").click()
    await page.get_by_label("Nature de l'intervention").select_option(label="Bourrage papier")
    await page.get_by_label("Code erreur").fill("E-210")
    await page.get_by_label("Détail de la demande").fill("Bourrage à chaque page en bac 2.")
    await page.get_by_label("Degré d'urgence").select_option(label="Élevée")
    await page.get_by_label("Pièces jointes").set_input_files(str(photo))
    await page.get_by_role("button", name="Envoyer la demande").click()
    await expect(page.get_by_role("status")).to_contain_text("est enregistrée")
    number = re.search(r"n° (\d+)", await page.get_by_role("status").inner_text())
    assert number, await page.get_by_role("status").inner_text()
    await expect(page.get_by_role("heading", level=1)).to_have_text(
        f"Demande d'intervention n° {number.group(1)}"
    )
    details = page.locator("#intervention-details")
    await expect(details).to_contain_text("En attente de validation / à planifier")
    await expect(details).to_contain_text("E-210")
    async with page.expect_download() as downloading:
        await page.get_by_role("link", name="ecran-erreur.txt").click()
    saved = await (await downloading.value).path()
    assert saved.read_text(encoding="utf-8") == photo.read_text(encoding="utf-8")
    await check_page(page, "intervention")
    summary = await mail_about(portal, claire["email"], f"[DIT n° {number.group(1)}]")
    assert fleet.copier_serial in summary["subject"]

    # Cancelled with a comment while it waits for validation.
    await page.get_by_label("Commentaire d'annulation").fill("Le papier était humide.")
    await page.get_by_role("button", name="Annuler la demande").click()
    await expect(page.get_by_role("status")).to_contain_text("est annulée")
    await expect(details).to_contain_text("Annulée")
    await expect(details).to_contain_text("Le papier était humide.")
    await expect(page.get_by_role("button", name="Annuler la demande")).to_have_count(0)
    await page.get_by_role("link", name="← Toutes les interventions").click()
    await expect(page.locator("table.interventions tbody tr")).to_contain_text(["Annulée"])
    await check_page(page, "interventions")

    # The machine's history has it all (fleet learns interventions from tickets' events).
    await page.goto(f"{portal.url}/fleet/assets/{fleet.copier}")

    async def in_history() -> bool:
        await page.reload()
        return "Intervention annulée" in await page.locator("#history").inner_text()

    await eventually(in_history)
    await expect(page.locator("#interventions")).to_contain_text("Annulée")
    # An address edited by hand (a history page that never was) shows the newest entries.
    await page.goto(f"{portal.url}/fleet/assets/{fleet.copier}?history=nonsense")
    assert page.url.endswith(f"/fleet/assets/{fleet.copier}")
    await expect(page.locator("#history")).to_contain_text("Intervention annulée")


async def test_the_back_office_schedules_a_request_its_requester_then_cannot_cancel(
    portal: Portal, chromium: Browser, context: BrowserContext
) -> None:
    staff = await portal.staff_token()
    organisation = await portal.organisation(staff)
    julia = await portal.customer(
        staff, organisation["organisation_id"], first_name="Julia", modules=("fleet",)
    )
    token = await portal.sign_in(julia["email"], julia["password"])
    await portal.choose_language(token, "en")
    fleet = await office_fleet(portal, staff, organisation["organisation_id"])
    await known_to_tickets(portal, julia["user_id"], fleet.printer)
    phone = await chromium.new_context(locale="en-GB", viewport={"width": 360, "height": 740})
    try:
        customer = await phone.new_page()
        await customer.goto(f"{portal.url}/sign-in")
        await customer.get_by_label("Email address or user code").fill(julia["email"])
        await customer.get_by_label("Password").fill(julia["password"])
        await customer.get_by_role("button", name="Sign in").click()
        await customer.get_by_role("link", name="Fleet", exact=True).click()
        await customer.get_by_role("link", name=PRINTER).click()
        await expect(customer.get_by_role("button", name="Save the reading")).to_have_count(0)
        await customer.get_by_role("link", name="Request an intervention").click()
        await customer.get_by_label("Nature of the intervention").select_option(label="Breakdown")
        await customer.get_by_label("Details of the request").fill("It does not start.")
        await customer.get_by_role("button", name="Send the request").click()
        await expect(customer.get_by_role("status")).to_contain_text("is recorded")
        number = re.search(r"no\. (\d+)", await customer.get_by_role("status").inner_text())
        assert number
        assert await customer.evaluate("document.documentElement.scrollWidth") <= 360
        ARTEFACTS.mkdir(parents=True, exist_ok=True)
        await customer.screenshot(path=str(ARTEFACTS / "intervention-en-phone.png"), full_page=True)

        # Meanwhile the back office schedules it.
        office = await context.new_page()
        await sign_in(office, portal, ADMIN_EMAIL, ADMIN_PASSWORD)
        await office.get_by_role("link", name="Interventions", exact=True).click()
        await expect(
            office.get_by_role("heading", name="Interventions à planifier")
        ).to_be_visible()
        request = office.get_by_role("link", name=f"DIT n° {number.group(1)}")
        await check_page(office, "back-office-interventions")
        await request.click()
        await office.get_by_label("Date et heure (Europe/Paris)").fill("2026-12-03T09:30")
        await office.get_by_label("Technicien").fill("Marc Petit")
        await office.get_by_role("button", name="Planifier").click()
        await expect(office.get_by_role("status")).to_have_text("L'intervention est planifiée.")
        await expect(office.locator("#intervention-details")).to_contain_text("Planifiée")
        await check_page(office, "back-office-intervention")

        # Julia's page still offers to cancel: the API refuses, and the page says why.
        await customer.get_by_label("Cancellation comment").fill("No longer needed.")
        await customer.get_by_role("button", name="Cancel the request").click()
        await expect(customer.get_by_role("alert")).to_contain_text(
            "can no longer be cancelled: it is now \u201cScheduled\u201d"
        )
        await expect(customer.locator("#scheduled-for")).to_contain_text("3 Dec 2026, 09:30")
        await expect(customer.locator("#intervention-details")).to_contain_text("Marc Petit")
        await expect(customer.get_by_role("button", name="Cancel the request")).to_have_count(0)

        # Started and done; the customer reads the report.
        await office.get_by_role("button", name="Commencer l'intervention").click()
        await office.get_by_label("Compte rendu").fill("Fuser unit replaced.")
        await office.get_by_role("button", name="Marquer comme terminée").click()
        await expect(office.get_by_role("status")).to_have_text("L'intervention est terminée.")
        await customer.get_by_role("link", name="← All interventions").click()
        await expect(customer.locator("table.interventions tbody tr")).to_contain_text(["Done"])
        await customer.get_by_role("link", name=f"Request no. {number.group(1)}").click()
        await expect(customer.locator("#intervention-details")).to_contain_text(
            "Fuser unit replaced."
        )

        # A second request the back office declines: Julia reads why.
        await customer.get_by_role("link", name="Fleet", exact=True).click()
        await customer.get_by_role("link", name=PRINTER).click()
        await customer.get_by_role("link", name="Request an intervention").click()
        await customer.get_by_label("Nature of the intervention").select_option(label="Training")
        await customer.get_by_label("Details of the request").fill("Train three new staff.")
        await customer.get_by_role("button", name="Send the request").click()
        second = re.search(r"no\. (\d+)", await customer.get_by_role("status").inner_text())
        assert second
        await office.get_by_role("link", name="← Toutes les interventions").click()
        await office.get_by_role("link", name=f"DIT n° {second.group(1)}").click()
        await office.get_by_label("Motif (envoyé au client)").fill("Formation facturée : devis.")
        await office.get_by_role("button", name="Décliner la demande").click()
        await expect(office.get_by_role("status")).to_contain_text("La demande est déclinée")
        await customer.reload()
        await expect(customer.locator("#intervention-details")).to_contain_text(
            "Declined by the vendor, reason"
        )
        await expect(customer.locator("#intervention-details")).to_contain_text(
            "Formation facturée : devis."
        )

        # The organisation's fleet in the back office: a new site, and a machine on it.
        await office.get_by_role("link", name="Parc du client Imprimerie Martin").click()
        await expect(office.locator("table.fleet tbody tr")).to_have_count(2)
        await office.get_by_text("Enregistrer un site").click()
        await office.get_by_label("Nom du site").fill("Entrepôt de Toul")
        await office.get_by_label("Adresse", exact=True).fill("3 rue du Port")
        await office.get_by_label("Ville").fill("Toul")
        await office.get_by_role("button", name="Enregistrer le site").click()
        await expect(office.get_by_role("status")).to_have_text("Le site est enregistré.")
        await office.get_by_text("Enregistrer un équipement").click()
        await office.get_by_label("Modèle").select_option(label=f"{PRINTER} (Kyocera)")
        await office.get_by_label("N° de série").fill(f"TOUL-{fleet.printer_serial}")
        await office.get_by_label("Site", exact=True).select_option(label="Entrepôt de Toul")
        await office.get_by_label("Contrat").select_option(label=fleet.contract_number)
        await office.get_by_role("button", name="Enregistrer l'équipement").click()
        await expect(office.get_by_role("status")).to_have_text("L'équipement est enregistré.")
        toul = office.locator("table.fleet tbody tr").filter(has_text="Entrepôt de Toul")
        await expect(toul).to_contain_text(f"TOUL-{fleet.printer_serial}")
        # No reading yet: due a month after its contract began, long ago.
        await expect(toul).to_contain_text("Relevé en retard")
        await check_page(office, "back-office-fleet")
    finally:
        await phone.close()
