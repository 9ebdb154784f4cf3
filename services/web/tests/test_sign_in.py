"""Signing in as a person does it: the vendor's name on the page, a wrong password refused
with a message, the right one leading to the customer space; in French and in English; with
JavaScript off too; and the page's protections (CSRF, CSP)."""

from __future__ import annotations

import re

import aiohttp
from playwright.async_api import Browser, Page, expect

from services.web.tests.conftest import Portal, check_page


async def test_a_customer_signs_in_after_a_wrong_password_and_sees_their_space(
    portal: Portal, page: Page
) -> None:
    staff = await portal.staff_token()
    organisation = await portal.organisation(staff)
    claire = await portal.customer(staff, organisation["organisation_id"])

    await page.goto(portal.url)
    await expect(page.get_by_text("Imprimantes Dupuis")).to_be_visible()
    await expect(page.get_by_role("heading", name="Connexion")).to_be_visible()
    await check_page(page, "sign-in")
    await page.get_by_label("Adresse email ou identifiant").fill(claire["email"])
    await page.get_by_label("Mot de passe").fill("Pas&leBon1")
    await page.get_by_role("button", name="Se connecter").click()
    await expect(page.get_by_role("alert")).to_have_text(
        "L'identifiant ou le mot de passe est incorrect."
    )

    await page.get_by_label("Mot de passe").fill(claire["password"])
    await page.get_by_role("button", name="Se connecter").click()
    await expect(page.get_by_role("heading", name="Bonjour Claire")).to_be_visible()
    await expect(page.get_by_text(organisation["details"]["legal_name"])).to_be_visible()
    await check_page(page, "home")

    await page.get_by_role("button", name="Se déconnecter").click()
    await expect(page.get_by_role("heading", name="Connexion")).to_be_visible()
    await page.goto(f"{portal.url}/home")
    await expect(page).to_have_url(f"{portal.url}/sign-in")
    # A page asked for while signed out opens once signed in.
    await page.goto(f"{portal.url}/personal-data")
    await expect(page).to_have_url(re.compile(r"/sign-in\?next=(%2F|/)personal-data$"))
    await page.get_by_label("Adresse email ou identifiant").fill(claire["email"])
    await page.get_by_label("Mot de passe").fill(claire["password"])
    await page.get_by_role("button", name="Se connecter").click()
    await expect(page.get_by_role("heading", name="Mes données personnelles")).to_be_visible()


async def test_signing_in_in_english_with_javascript_off_and_a_user_code(
    portal: Portal, chromium: Browser
) -> None:
    staff = await portal.staff_token()
    organisation = await portal.organisation(staff)
    julien = await portal.customer(staff, organisation["organisation_id"], first_name="Julien")
    context = await chromium.new_context(
        java_script_enabled=False, locale="en-GB", viewport={"width": 360, "height": 740}
    )
    try:
        page = await context.new_page()
        await page.goto(portal.url)
        await expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
        await page.get_by_label("Email address or user code").fill(julien["user_code"])
        await page.get_by_label("Password").fill(julien["password"])
        await page.get_by_label("Remember me").check()
        await page.get_by_role("button", name="Sign in").click()
        await expect(page.get_by_role("heading", name="Bonjour Julien")).to_be_visible()
        cookie = next(c for c in await context.cookies() if c["name"] == "guichet-session")
        assert cookie["httpOnly"]
        assert cookie["sameSite"] == "Lax"
        assert cookie["expires"] > 0  # remembered: it outlives the browser
        width = await page.evaluate("document.documentElement.scrollWidth")
        assert width <= 360
    finally:
        await context.close()


async def test_a_form_posted_without_its_token_is_refused_and_pages_have_a_strict_policy(
    portal: Portal, page: Page
) -> None:
    async with (
        aiohttp.ClientSession() as http,
        http.post(f"{portal.url}/sign-in", data={"login": "someone", "password": "x"}) as response,
    ):
        assert response.status == 403
        assert "Formulaire expiré" in await response.text() or "Form expired" in (
            await response.text()
        )
    answer = await page.goto(f"{portal.url}/sign-in")
    assert answer is not None
    policy = answer.headers["content-security-policy"]
    assert "default-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy
    assert answer.headers["x-frame-options"] == "DENY"
    inline_scripts = await page.evaluate("Array.from(document.scripts).filter(s => !s.src).length")
    styled = await page.evaluate("document.querySelectorAll('[style]').length")
    assert (inline_scripts, styled) == (0, 0)


async def test_a_user_of_two_organisations_switches_without_signing_out(
    portal: Portal, page: Page
) -> None:
    staff = await portal.staff_token()
    first = await portal.organisation(staff, name="Imprimerie Martin")
    second = await portal.organisation(staff, name="Reprographie Martin")
    claire = await portal.customer(staff, first["organisation_id"])
    contact = await portal.call(
        "POST",
        f"/api/organisations/{second['organisation_id']}/contacts",
        staff,
        json={"first_name": "Claire", "last_name": "Martin", "email": claire["email"]},
    )
    await portal.call(
        "POST",
        f"/api/contacts/{contact['contact_id']}/portal-access",
        staff,
        json={"modules": ["tickets"]},
    )

    await page.goto(portal.url)
    await page.get_by_label("Adresse email ou identifiant").fill(claire["email"])
    await page.get_by_label("Mot de passe").fill(claire["password"])
    await page.get_by_role("button", name="Se connecter").click()
    rights = page.get_by_role("region", name="Mes droits")
    names = {org["details"]["legal_name"]: org for org in (first, second)}
    shown = await rights.inner_text()
    acting_for = next(name for name in names if name in shown)
    other = names[next(name for name in names if name != acting_for)]
    await page.get_by_label("Structure", exact=True).select_option(
        label=f"{other['details']['legal_name']} ({other['code']})"
    )
    await page.get_by_role("button", name="Changer", exact=True).click()
    await expect(page.get_by_role("status")).to_have_text(
        "Vous agissez maintenant pour cette structure."
    )
    await expect(rights).to_contain_text(f"Vous agissez pour {other['details']['legal_name']}")
    personal_data = rights.get_by_role("listitem").filter(has_text="Données personnelles")
    await expect(personal_data).to_contain_text("ouvert" if other is first else "fermé")
    await check_page(page, "home-switched")


async def test_an_unknown_page_is_a_page_that_says_so(portal: Portal, page: Page) -> None:
    answer = await page.goto(f"{portal.url}/nothing/here")
    assert answer is not None
    assert answer.status == 404
    await expect(page.get_by_role("heading", name="Page introuvable")).to_be_visible()
    await check_page(page, "not-found")
