"""The vendor's back office in the browser: creating an organisation, adding a contact,
granting portal access with seed 002's dialog (the invitation email follows), and deciding
the customers' change requests."""

from __future__ import annotations

import uuid

from playwright.async_api import Page, expect

from services.web.tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, Portal, check_page
from services.web.tests.test_organisation import sign_in


async def test_back_office_creates_an_organisation_adds_a_contact_and_grants_access(
    portal: Portal, page: Page
) -> None:
    code = f"BO{uuid.uuid4().hex[:6].upper()}"
    email = f"mireille.{uuid.uuid4().hex[:6]}@hervedavid.example"
    await sign_in(page, portal, ADMIN_EMAIL, ADMIN_PASSWORD)
    await page.get_by_role("navigation").get_by_role("link", name="Organisations").click()
    await check_page(page, "back-office-organisations")
    await page.get_by_role("link", name="Nouvelle organisation").click()
    await check_page(page, "back-office-new-organisation")
    await page.get_by_label("Code", exact=True).fill(code)
    await page.get_by_label("Raison sociale", exact=True).fill(f"Hervé David {code}")
    await page.get_by_label("Adresse", exact=True).fill("12 rue du Port")
    await page.get_by_label("Code postal", exact=True).fill("13002")
    await page.get_by_label("Ville", exact=True).fill("Marseille")
    await page.get_by_label("Pays (code à deux lettres, ex. FR)", exact=True).fill("fr")
    await page.get_by_role("button", name="Créer l'organisation").click()
    await expect(page.get_by_role("status")).to_have_text("L'organisation est créée.")
    await expect(page.get_by_role("heading", name=f"Hervé David {code}")).to_be_visible()

    await page.locator("summary", has_text="Ajouter un contact").click()
    await page.get_by_label("Prénom", exact=True).fill("Mireille")
    await page.get_by_label("Nom", exact=True).fill("Couture")
    await page.get_by_label("Fonction", exact=True).fill("Responsable stock")
    await page.get_by_label("Adresse email", exact=True).fill(email)
    await page.get_by_role("button", name="Ajouter un contact").click()
    await expect(page.get_by_role("status")).to_have_text("Le contact est ajouté.")
    await check_page(page, "back-office-organisation")

    await page.get_by_role("link", name="Mireille Couture", exact=True).click()
    await page.get_by_label("Service", exact=True).fill("Logistique")
    await page.get_by_role("button", name="Enregistrer", exact=True).click()
    await expect(page.get_by_role("status")).to_have_text("Le contact est enregistré.")

    await page.get_by_role("link", name="Donner l'accès : Mireille Couture").click()
    await expect(page.get_by_label("Adresse email", exact=True)).to_have_value(email)
    await expect(page.get_by_label("Rôle", exact=True)).to_have_value("utilisateur")
    await page.get_by_label("Factures", exact=True).check()
    await check_page(page, "grant-access")
    await page.get_by_role("button", name="Enregistrer et envoyer l'email").click()
    await expect(page.get_by_role("status")).to_contain_text(f"identifiant {code}")
    await expect(page.get_by_role("row").filter(has_text="Mireille Couture")).to_contain_text(
        "accès donné"
    )
    invitation = await portal.invitation_link(email)
    assert invitation.startswith(f"{portal.url}/password/set?token=")


async def test_back_office_approves_and_rejects_change_requests(portal: Portal, page: Page) -> None:
    staff = await portal.staff_token()
    organisation = await portal.organisation(staff, name="Papeterie Roux")
    admin = await portal.customer(staff, organisation["organisation_id"], admin=True)
    token = await portal.sign_in(admin["email"], admin["password"])
    details = organisation["details"]
    first = await portal.call(
        "POST",
        "/api/organisation/change-requests",
        token,
        json={"details": {**details, "legal_name": f"{details['legal_name']} SA"}},
    )
    second = await portal.call(
        "POST",
        "/api/organisation/change-requests",
        token,
        json={"details": {**details, "legal_name": "Un autre nom"}},
    )

    await sign_in(page, portal, ADMIN_EMAIL, ADMIN_PASSWORD)
    await page.get_by_role("link", name="Demandes de modification").click()
    await check_page(page, "change-requests")
    approval = page.locator(f"#change-{first['request_id']}").locator("..")
    await approval.get_by_role("button", name="Approuver").click()
    await expect(page.get_by_role("status")).to_have_text("La modification est approuvée.")
    rejection = page.get_by_role("article").filter(has_text="Un autre nom")
    await rejection.get_by_text("Refuser").first.click()
    await rejection.get_by_label("Motif du refus", exact=True).fill("Nom non conforme au Kbis")
    await rejection.get_by_role("button", name="Refuser").click()
    await expect(page.get_by_role("status")).to_have_text("La modification est refusée.")

    decided = {
        change["request_id"]: change
        for change in await portal.call("GET", "/api/organisation/change-requests", token)
    }
    assert decided[first["request_id"]]["status"] == "approved"
    assert decided[second["request_id"]]["status"] == "rejected"
    assert decided[second["request_id"]]["reason"] == "Nom non conforme au Kbis"
    current = await portal.call("GET", "/api/organisation", token)
    assert current["details"]["legal_name"] == f"{details['legal_name']} SA"
