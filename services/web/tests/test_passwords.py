"""Passwords as users meet them: the invitation email's link, the live checklist (seed 000),
forgot password, and the change forced at sign-in when a password has expired."""

from __future__ import annotations

from playwright.async_api import Browser, Page, expect

from services.web.tests.conftest import Portal, check_page

NEW_PASSWORD = "Agrafeuse&Bleue58"


async def test_an_invited_contact_sets_a_password_with_the_live_checklist_then_signs_in(
    portal: Portal, page: Page
) -> None:
    staff = await portal.staff_token()
    organisation = await portal.organisation(staff)
    mireille = await portal.invite(staff, organisation["organisation_id"], first_name="Mireille")

    await page.goto(await portal.invitation_link(mireille["email"]))
    await expect(page.get_by_role("heading", name="Choisir mon mot de passe")).to_be_visible()
    rules = page.locator("[data-password-checklist] li")
    length_rule = rules.filter(has_text="au moins 8 caractères")
    digit_rule = rules.filter(has_text="chiffre")
    await page.get_by_label("Nouveau mot de passe").fill("abc")
    await expect(length_rule).to_have_class("broken")
    await expect(digit_rule).to_have_class("broken")
    await page.get_by_label("Nouveau mot de passe").fill("Password1!")  # too common
    await expect(digit_rule).to_have_class("met")
    await expect(page.locator('[data-rule="not_common"]')).to_have_class("broken")
    await page.get_by_label("Nouveau mot de passe").fill(NEW_PASSWORD)
    for index in range(await rules.count()):
        await expect(rules.nth(index)).to_have_class("met")
    await check_page(page, "set-password")
    await page.get_by_label("Confirmation du mot de passe").fill(NEW_PASSWORD)
    await page.get_by_role("button", name="Enregistrer le mot de passe").click()

    await expect(page.get_by_role("status")).to_have_text(
        "Votre mot de passe est enregistré. Connectez-vous."
    )
    await page.get_by_label("Adresse email ou identifiant").fill(mireille["email"])
    await page.get_by_label("Mot de passe").fill(NEW_PASSWORD)
    await page.get_by_role("button", name="Se connecter").click()
    await expect(page.get_by_role("heading", name="Bonjour Mireille")).to_be_visible()

    # The link has served: opened again, it says so.
    await page.goto(await portal.invitation_link(mireille["email"]))
    await page.get_by_label("Nouveau mot de passe").fill(NEW_PASSWORD)
    await page.get_by_label("Confirmation du mot de passe").fill(NEW_PASSWORD)
    await page.get_by_role("button", name="Enregistrer le mot de passe").click()
    await expect(page.get_by_role("alert")).to_contain_text("déjà servi ou a expiré")


async def test_without_javascript_a_refused_password_marks_the_broken_rules(
    portal: Portal, chromium: Browser
) -> None:
    staff = await portal.staff_token()
    organisation = await portal.organisation(staff)
    invited = await portal.invite(staff, organisation["organisation_id"], first_name="Paul")
    context = await chromium.new_context(java_script_enabled=False, locale="en-GB")
    try:
        page = await context.new_page()
        await page.goto(await portal.invitation_link(invited["email"]))
        # No profile yet: the browser's language (English) is the page's.
        await page.get_by_label("New password").fill("toner")
        await page.get_by_label("Confirm the password").fill("toner")
        await page.get_by_role("button", name="Save the password").click()
        await expect(page.get_by_role("alert")).to_have_text(
            "This password does not follow the rules below."
        )
        await expect(page.locator('[data-rule="digit"]')).to_have_class("broken")
        await expect(page.locator('[data-rule="digit"]')).to_contain_text("not met")
        await page.get_by_label("New password").fill(NEW_PASSWORD)
        await page.get_by_label("Confirm the password").fill(NEW_PASSWORD)
        await page.get_by_role("button", name="Save the password").click()
        await expect(page.get_by_role("status")).to_have_text("Your password is saved. Sign in.")
    finally:
        await context.close()


async def test_a_forgotten_password_is_reset_from_the_emailed_link(
    portal: Portal, page: Page
) -> None:
    staff = await portal.staff_token()
    organisation = await portal.organisation(staff)
    claire = await portal.customer(staff, organisation["organisation_id"])

    await page.goto(portal.url)
    await page.get_by_role("link", name="Mot de passe oublié ?").click()
    await page.get_by_label("Adresse email").fill(claire["email"])
    await page.get_by_role("button", name="Envoyer le lien").click()
    await expect(page.get_by_role("status")).to_contain_text("un lien de réinitialisation")
    await check_page(page, "forgot-password")

    await page.goto(await portal.link(claire["email"], "password/reset", count=2))
    await page.get_by_label("Nouveau mot de passe").fill(NEW_PASSWORD)
    await page.get_by_label("Confirmation du mot de passe").fill(NEW_PASSWORD)
    await page.get_by_role("button", name="Enregistrer le mot de passe").click()
    await page.get_by_label("Adresse email ou identifiant").fill(claire["email"])
    await page.get_by_label("Mot de passe").fill(NEW_PASSWORD)
    await page.get_by_role("button", name="Se connecter").click()
    await expect(page.get_by_role("heading", name="Bonjour Claire")).to_be_visible()


async def test_an_expired_password_must_be_changed_at_sign_in(portal: Portal, page: Page) -> None:
    staff = await portal.staff_token()
    organisation = await portal.organisation(staff)
    claire = await portal.customer(staff, organisation["organisation_id"])
    await portal.sql(
        "UPDATE identity.credentials SET changed_at = now() - interval '100 days'"
        " WHERE user_id = $1",
        claire["user_id"],
    )

    await page.goto(portal.url)
    await page.get_by_label("Adresse email ou identifiant").fill(claire["email"])
    await page.get_by_label("Mot de passe").fill(claire["password"])
    await page.get_by_role("button", name="Se connecter").click()
    await expect(
        page.get_by_role("heading", name="Changement de mot de passe obligatoire")
    ).to_be_visible()
    await check_page(page, "forced-change")
    await page.get_by_label("Nouveau mot de passe").fill(NEW_PASSWORD)
    await page.get_by_label("Confirmation du mot de passe").fill("Autre&Chose99")
    await page.get_by_role("button", name="Enregistrer le mot de passe").click()
    await expect(page.get_by_role("alert")).to_have_text(
        "Les deux mots de passe ne sont pas identiques."
    )
    await page.get_by_label("Nouveau mot de passe").fill(NEW_PASSWORD)
    await page.get_by_label("Confirmation du mot de passe").fill(NEW_PASSWORD)
    await page.get_by_role("button", name="Enregistrer le mot de passe").click()
    await expect(page.get_by_role("heading", name="Bonjour Claire")).to_be_visible()
