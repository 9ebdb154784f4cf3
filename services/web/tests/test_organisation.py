"""A customer admin's pages (seed 000): activating a pending account with the padlock,
blocking a user (whose sign-in then stops), searching and paging the users, and asking for a
change of the organisation's details and referents."""

from __future__ import annotations

import uuid

import aiohttp
from playwright.async_api import Page, expect

from services.web.tests.conftest import GOOD_PASSWORD, Portal, check_page


async def sign_in(page: Page, portal: Portal, login: str, password: str) -> None:
    await page.goto(f"{portal.url}/sign-in")
    await page.get_by_label("Adresse email ou identifiant").fill(login)
    await page.get_by_label("Mot de passe").fill(password)
    await page.get_by_role("button", name="Se connecter").click()
    await expect(page.get_by_role("button", name="Se déconnecter")).to_be_visible()


async def register(portal: Portal, code: str, first_name: str, last_name: str) -> str:
    email = f"{first_name.lower()}.{uuid.uuid4().hex[:6]}@imprimerie.example"
    await portal.call(
        "POST",
        "/api/auth/register",
        json={
            "organisation_code": code,
            "email": email,
            "first_name": first_name,
            "last_name": last_name,
            "function": "Technicien",
            "password": GOOD_PASSWORD,
        },
    )
    return email


async def test_an_admin_activates_a_pending_user_with_the_padlock_and_blocks_another(
    portal: Portal, page: Page
) -> None:
    staff = await portal.staff_token()
    organisation = await portal.organisation(staff)
    admin = await portal.customer(staff, organisation["organisation_id"], admin=True)
    leaving = await portal.customer(staff, organisation["organisation_id"], first_name="Julien")
    await register(portal, organisation["code"], "Karim", "Benali")

    await sign_in(page, portal, admin["email"], admin["password"])
    await page.get_by_role("link", name="Utilisateurs").click()
    await expect(page.get_by_role("heading", name="Utilisateurs de ma structure")).to_be_visible()
    await check_page(page, "users")
    padlock = page.get_by_role("button", name="activer l'accès de Karim Benali")
    await expect(padlock).to_contain_text("en attente")
    await padlock.click()
    await expect(page.get_by_role("status")).to_have_text("L'accès est activé.")
    karim = page.get_by_role("row").filter(has_text="Karim Benali")
    await expect(karim.locator(".padlock")).to_have_text("actif")

    page.once("dialog", lambda dialog: dialog.accept())
    await page.get_by_role("button", name="Bloquer Julien Martin").click()
    await expect(page.get_by_role("status")).to_have_text("L'accès est bloqué.")
    julien = page.get_by_role("row").filter(has_text="Julien Martin")
    await expect(
        julien.get_by_role("button", name="Activer l'accès de Julien Martin")
    ).to_contain_text("bloqué")
    async with (
        aiohttp.ClientSession() as http,
        http.post(
            f"{portal.url}/api/auth/sign-in",
            json={"login": leaving["email"], "password": leaving["password"]},
        ) as response,
    ):
        assert response.status == 403


async def test_users_are_searched_and_shown_ten_per_page(portal: Portal, page: Page) -> None:
    staff = await portal.staff_token()
    organisation = await portal.organisation(staff)
    admin = await portal.customer(staff, organisation["organisation_id"], admin=True)
    for number in range(11):
        await register(portal, organisation["code"], f"Agent{number:02d}", "Dubois")

    await sign_in(page, portal, admin["email"], admin["password"])
    await page.goto(f"{portal.url}/organisation/users")
    await expect(page.get_by_text("12 utilisateur(s)")).to_be_visible()
    await expect(page.get_by_role("row")).to_have_count(11)  # the header and 10 users
    await page.get_by_role("link", name="Page suivante").click()
    await expect(page.get_by_text("Page 2 sur 2")).to_be_visible()
    await expect(page.get_by_role("row")).to_have_count(3)
    await page.get_by_label("Rechercher par nom, prénom, email ou fonction").fill("agent07")
    await page.get_by_role("button", name="Rechercher").click()
    await expect(page.get_by_text("1 utilisateur(s)")).to_be_visible()
    await expect(page.get_by_role("row").filter(has_text="Agent07 Dubois")).to_be_visible()


async def test_an_admin_asks_to_change_the_details_and_names_a_referent(
    portal: Portal, page: Page
) -> None:
    staff = await portal.staff_token()
    organisation = await portal.organisation(staff)
    admin = await portal.customer(staff, organisation["organisation_id"], admin=True)

    await sign_in(page, portal, admin["email"], admin["password"])
    await page.get_by_role("link", name="Ma structure").click()
    await page.get_by_label("Ville").fill("Metz")
    await page.get_by_label("Libellé").fill("Standard")
    await page.get_by_label("Numéro").fill("03 87 00 00 00")
    await page.get_by_label("Référent DPO (incidents sur les données)").select_option(
        label="Claire Martin"
    )
    await page.get_by_role("button", name="Demander la modification").click()
    await expect(page.get_by_role("status")).to_have_text(
        "Votre demande est envoyée : nos services vont la valider."
    )
    await expect(page.get_by_role("region", name="Demandes de modification")).to_contain_text(
        "en attente"
    )
    await check_page(page, "organisation")
    requests = await portal.call("GET", "/api/change-requests?status=pending", staff)
    mine = [r for r in requests if r["organisation_id"] == organisation["organisation_id"]]
    assert mine[0]["details"]["billing_address"]["city"] == "Metz"
    assert mine[0]["referents"]["dpo"] == admin["user_id"]


async def test_a_visitor_creates_an_account_that_waits_for_the_admins_padlock(
    portal: Portal, page: Page
) -> None:
    staff = await portal.staff_token()
    organisation = await portal.organisation(staff)
    admin = await portal.customer(staff, organisation["organisation_id"], admin=True)
    email = f"nadia.{uuid.uuid4().hex[:6]}@imprimerie.example"

    await page.goto(f"{portal.url}/sign-in")
    await page.get_by_role("link", name="Créer un compte pour ma structure").click()
    await page.get_by_label("Code de votre structure (sur vos factures)").fill(organisation["code"])
    await page.get_by_label("Adresse email").fill(email)
    await page.get_by_label("Prénom").fill("Nadia")
    await page.get_by_label("Nom", exact=True).fill("Haddad")
    await page.get_by_label("Nouveau mot de passe").fill(GOOD_PASSWORD)
    await page.get_by_label("Confirmation du mot de passe").fill(GOOD_PASSWORD)
    await check_page(page, "register")
    await page.get_by_role("button", name="Créer mon compte").click()
    await expect(page.get_by_role("status")).to_contain_text("attend la validation")

    await sign_in(page, portal, admin["email"], admin["password"])
    await page.goto(f"{portal.url}/organisation/users?search=Haddad")
    await page.get_by_role("button", name="activer l'accès de Nadia Haddad").click()
    await expect(page.get_by_role("status")).to_have_text("L'accès est activé.")
