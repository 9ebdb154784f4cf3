"""A customer's own space: consents given and withdrawn with their history, the download of
everything held, the erasure request (seed 001); the profile in another language, a password
change, and a new email address confirmed from the emailed link."""

from __future__ import annotations

import json
import uuid

from playwright.async_api import Page, expect

from services.web.tests.conftest import Portal, check_page
from services.web.tests.test_organisation import sign_in

NEW_PASSWORD = "Agrafeuse&Bleue58"


async def test_consents_are_given_and_withdrawn_with_their_history_and_data_downloaded(
    portal: Portal, page: Page
) -> None:
    staff = await portal.staff_token()
    organisation = await portal.organisation(staff)
    claire = await portal.customer(staff, organisation["organisation_id"])

    await sign_in(page, portal, claire["email"], claire["password"])
    await page.get_by_role("link", name="Données personnelles").click()
    await expect(page.get_by_role("heading", name="Mes données personnelles")).to_be_visible()
    await expect(page.get_by_role("link", name="dpo@guichet.localhost")).to_be_visible()
    newsletter = page.get_by_role("article", name="Lettre d'information")
    await expect(newsletter).to_contain_text("non donné")
    await newsletter.get_by_role("button", name="Donner mon consentement").click()
    await expect(page.get_by_role("status")).to_have_text("Votre consentement est enregistré.")
    await expect(newsletter.locator(".badge")).to_have_text("donné")
    await newsletter.get_by_role("button", name="Retirer mon consentement").click()
    await expect(page.get_by_role("status")).to_have_text("Votre consentement est retiré.")
    await newsletter.get_by_text("Historique").click()
    await expect(newsletter.get_by_role("listitem")).to_have_count(2)
    await expect(newsletter.get_by_role("listitem").first).to_contain_text("consentement retiré")
    await check_page(page, "personal-data")

    async with page.expect_download() as download_info:
        await page.get_by_role("link", name="Télécharger toutes mes données").click()
    download = await download_info.value
    document = json.loads((await download.path()).read_bytes())
    assert document["user"]["email"] == claire["email"]

    page.once("dialog", lambda dialog: dialog.accept())
    await page.get_by_role("button", name="Demander l'effacement de mes données").click()
    await expect(page.get_by_role("status")).to_have_text(
        "Votre demande d'effacement est enregistrée."
    )


async def test_the_profile_changes_language_password_and_email(portal: Portal, page: Page) -> None:
    staff = await portal.staff_token()
    organisation = await portal.organisation(staff)
    claire = await portal.customer(staff, organisation["organisation_id"])

    await sign_in(page, portal, claire["email"], claire["password"])
    await page.get_by_role("link", name="Mon profil", exact=True).click()
    await page.get_by_label("Fonction").fill("Gérante")
    await page.get_by_label("Langue").select_option("en")
    await page.get_by_role("button", name="Enregistrer", exact=True).click()
    await expect(page.get_by_role("status")).to_have_text("Your information is saved.")
    await expect(page.get_by_role("heading", name="My profile", exact=True)).to_be_visible()
    await check_page(page, "profile")

    await page.get_by_label("Current password", exact=True).first.fill("Pas&leBon12")
    await page.get_by_label("New password").fill(NEW_PASSWORD)
    await page.get_by_label("Confirm the password").fill(NEW_PASSWORD)
    await page.get_by_role("button", name="Change the password").click()
    await expect(page.get_by_role("alert")).to_have_text("The current password is not right.")
    await page.get_by_label("Current password", exact=True).first.fill(claire["password"])
    await page.get_by_label("New password").fill(NEW_PASSWORD)
    await page.get_by_label("Confirm the password").fill(NEW_PASSWORD)
    await page.get_by_role("button", name="Change the password").click()
    await expect(page.get_by_role("status")).to_have_text("Your password is changed.")

    new_email = f"claire.{uuid.uuid4().hex[:6]}@martin.example"
    email_form = page.get_by_role("region", name="My email address")
    await email_form.get_by_label("New email address").fill(new_email)
    await email_form.get_by_label("Current password").fill(NEW_PASSWORD)
    await email_form.get_by_role("button", name="Send the confirmation link").click()
    await expect(page.get_by_role("status")).to_have_text(
        "A confirmation link is on its way to the new address."
    )
    await page.goto(await portal.link(new_email, "email/confirm"))
    await check_page(page, "email-confirm")
    await page.get_by_role("button", name="Confirm the address").click()
    await expect(page.get_by_role("status")).to_contain_text("it is now your login")
    await page.get_by_role("button", name="Sign out").click()
    await page.get_by_label("Email address or user code").fill(new_email)
    await page.get_by_label("Password").fill(NEW_PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.get_by_role("heading", name="Hello Claire")).to_be_visible()
