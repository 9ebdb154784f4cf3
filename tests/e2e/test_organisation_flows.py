"""Flows 4 to 8 and 19 of the product (self-registration, the customer admin's users and
organisation, several organisations, branding, personal data) on the running portal: every
call through the gateway's `/api`, every email read from the mail catcher, each test with an
organisation of its own."""

from __future__ import annotations

import time

import pytest

from tests.e2e.conftest import (
    DPO_EMAIL,
    LOGO,
    PERSONAL_DATA_INTRO,
    VENDOR_NAME,
)
from tests.e2e.portal import (
    CUSTOMER_PASSWORD,
    METZ,
    NANCY,
    Portal,
    link_token,
    unique_email,
)
from tests.support import eventually

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]  # the first test starts the portal


# --- flow 4 ----------------------------------------------------------------------------------


async def test_a_self_registered_user_waits_for_activation_and_a_blocked_one_is_out_at_once(
    portal: Portal,
) -> None:
    staff = await portal.vendor_admin()
    organisation = await portal.create_organisation(staff)
    admin, admin_token = await portal.customer_admin(staff, organisation["organisation_id"])
    email = unique_email("julien.petit", "client.example")
    await portal.call(
        "POST",
        "/auth/register",
        json={
            "organisation_code": organisation["code"].lower(),
            "email": email,
            "first_name": "Julien",
            "last_name": "Petit",
            "function": "Comptable",
            "language": "fr",
            "password": CUSTOMER_PASSWORD,
        },
        expect=202,
    )
    [pending_mail] = await portal.emails_to(email)
    assert pending_mail["subject"] == f"Votre compte {VENDOR_NAME} est en attente d'activation"
    [to_approve] = await portal.emails_to(admin.email, subject="attend l'activation")
    assert "Julien Petit" in to_approve["subject"]
    assert email in to_approve["text"]

    # Pending: signed in, with the vendor's limited modules only (ticket submission).
    pending = await portal.sign_in(email, CUSTOMER_PASSWORD)
    me = await portal.call("GET", "/me", token=pending["access_token"], expect=200)
    [membership] = me["organisations"]
    assert (membership["status"], membership["modules"]) == ("pending", ["tickets"])
    await portal.call(
        "POST",
        "/tickets",
        token=pending["access_token"],
        json={"title": "Facture", "description": "Question", "requester_email": email},
        expect=201,
    )
    await portal.call("GET", "/me/personal-data", token=pending["access_token"], expect=403)

    # The admin sees the red padlock and turns it green.
    listed = await portal.call(
        "GET", "/organisation/users", token=admin_token, params={"search": "Petit"}, expect=200
    )
    [julien] = listed["items"]
    assert (julien["email"], julien["status"], julien["function"]) == (
        email,
        "pending",
        "Comptable",
    )
    await portal.call(
        "POST", f"/organisation/users/{julien['user_id']}/activation", token=admin_token, expect=204
    )
    [activated_mail] = await portal.emails_to(email, subject="est activé")
    assert activated_mail["subject"].startswith(f"Votre compte {VENDOR_NAME} est activé")
    active = await portal.call(
        "POST", "/auth/refresh", json={"refresh_token": pending["refresh_token"]}, expect=200
    )
    me = await portal.call("GET", "/me", token=active["access_token"], expect=200)
    assert me["organisations"][0]["status"] == "active"
    assert sorted(me["organisations"][0]["modules"]) == ["personal_data", "tickets"]
    await portal.call("GET", "/me/personal-data", token=active["access_token"], expect=200)

    # Blocked: the still-valid access token is refused within a second, the session is over.
    await portal.call(
        "POST", f"/organisation/users/{julien['user_id']}/block", token=admin_token, expect=204
    )
    blocked_at = time.monotonic()

    async def refused() -> bool:
        status = await portal.status("GET", "/me", token=active["access_token"])
        return status == 403

    await eventually(refused, timeout=1.0, interval=0.05)
    assert time.monotonic() - blocked_at < 1.0
    await portal.call(
        "POST", "/auth/refresh", json={"refresh_token": active["refresh_token"]}, expect=401
    )
    await portal.call(
        "POST",
        "/auth/sign-in",
        json={"login": email, "password": CUSTOMER_PASSWORD},
        expect=403,
    )
    [blocked_mail] = await portal.emails_to(email, subject="a été retiré")
    assert blocked_mail["subject"].startswith(f"Votre accès à l'espace client {VENDOR_NAME}")
    listed = await portal.call(
        "GET", "/organisation/users", token=admin_token, params={"search": email}, expect=200
    )
    assert listed["items"][0]["status"] == "blocked"


# --- flow 5 ----------------------------------------------------------------------------------

PEOPLE = [  # (first name, last name, function)
    ("Mireille", "Couture", "Responsable stock"),
    ("Julien", "Petit", "Comptable"),
    ("Sophie", "Arnaud", "Assistante de direction"),
    ("Karim", "Benali", "Technicien"),
    ("Lucie", "Chevalier", "Acheteuse"),
    ("Marc", "Dupont", "Directeur"),
    ("Nadia", "Etienne", "Comptable fournisseurs"),
    ("Olivier", "Fabre", "Magasinier"),
    ("Pauline", "Gauthier", "Juriste"),
    ("Quentin", "Henry", "Commercial"),
    ("Rose", "Isnard", "Standardiste"),
]


async def test_the_customer_admin_finds_users_by_name_first_name_email_or_function(
    portal: Portal,
) -> None:
    staff = await portal.vendor_admin()
    organisation = await portal.create_organisation(staff)
    organisation_id = organisation["organisation_id"]
    _, admin_token = await portal.customer_admin(
        staff, organisation_id, title="Directrice administrative"
    )
    emails = {}
    for first_name, last_name, function in PEOPLE:
        emails[last_name] = unique_email(f"{first_name}.{last_name}".lower(), "client.example")
        contact = await portal.add_contact(
            staff,
            organisation_id,
            first_name=first_name,
            last_name=last_name,
            title=function,
            email=emails[last_name],
        )
        await portal.call(
            "POST",
            f"/contacts/{contact['contact_id']}/portal-access",
            token=staff,
            json={"modules": ["tickets"]},
            expect=201,
        )

    async def search(text: str = "", page: int = 1) -> dict:
        return await portal.call(
            "GET",
            "/organisation/users",
            token=admin_token,
            params={"search": text, "page": str(page)},
            expect=200,
        )

    first, second = await search(), await search(page=2)
    assert (first["total"], first["per_page"], len(first["items"])) == (12, 10, 10)
    assert len(second["items"]) == 2
    names = [user["last_name"] for user in first["items"] + second["items"]]
    assert names == sorted([last for _, last, _ in PEOPLE] + ["Admin"])
    assert (await search(page=3))["items"] == []

    def last_names(page: dict) -> list[str]:
        return [user["last_name"] for user in page["items"]]

    assert last_names(await search("couture")) == ["Couture"]  # name, any case
    assert last_names(await search("Mireille")) == ["Couture"]  # first name
    assert last_names(await search(emails["Fabre"].split("@")[0])) == ["Fabre"]  # email
    assert last_names(await search("comptable")) == ["Etienne", "Petit"]  # function
    assert last_names(await search("Directrice administrative")) == ["Admin"]
    [mireille] = (await search("Responsable stock"))["items"]
    assert (mireille["function"], mireille["email"], mireille["status"]) == (
        "Responsable stock",
        emails["Couture"],
        "active",
    )
    assert (await search("personne de ce nom"))["total"] == 0


# --- flow 6 ----------------------------------------------------------------------------------


async def test_changes_to_the_organisation_are_requests_the_back_office_decides(
    portal: Portal,
) -> None:
    staff = await portal.vendor_admin()
    organisation = await portal.create_organisation(
        staff, billing_address=NANCY, phone_lines=[{"label": "Standard", "number": "0383901000"}]
    )
    organisation_id = organisation["organisation_id"]
    admin, admin_token = await portal.customer_admin(staff, organisation_id)
    accountant = await portal.invite(
        staff, organisation_id, first_name="Julien", last_name="Compta", title="Comptable"
    )
    newcomer = unique_email("nouveau", "client.example")
    await portal.call(
        "POST",
        "/auth/register",
        json={
            "organisation_code": organisation["code"],
            "email": newcomer,
            "first_name": "Nouveau",
            "last_name": "Venu",
            "password": CUSTOMER_PASSWORD,
        },
        expect=202,
    )
    [pending] = (
        await portal.call(
            "GET",
            "/organisation/users",
            token=admin_token,
            params={"search": newcomer},
            expect=200,
        )
    )["items"]

    refused = await portal.call(
        "POST",
        "/organisation/change-requests",
        token=admin_token,
        json={"referents": {"technical": pending["user_id"]}},
        expect=422,
    )
    [error] = refused["errors"]
    assert error["field"] == "referents"
    assert "only active users" in error["message"]

    new_details = {
        "legal_name": "Imprimerie Martin & Fils",
        "billing_address": METZ,
        "shipping_address": NANCY,
        "phone_lines": [{"label": "Accueil", "number": "03 87 00 00 00"}],
    }
    details_request = await portal.call(
        "POST",
        "/organisation/change-requests",
        token=admin_token,
        json={"details": new_details},
        expect=201,
    )
    referents = {
        "technical": admin.user_id,
        "accounting": [accountant.user_id, admin.user_id],
        "dpo": accountant.user_id,
    }
    referents_request = await portal.call(
        "POST",
        "/organisation/change-requests",
        token=admin_token,
        json={"referents": referents},
        expect=201,
    )
    unwanted = await portal.call(
        "POST",
        "/organisation/change-requests",
        token=admin_token,
        json={"details": {"legal_name": "Nom de fantaisie"}},
        expect=201,
    )
    # Nothing changes until the back office decides.
    unchanged = await portal.call("GET", "/organisation", token=admin_token, expect=200)
    assert unchanged["details"] == organisation["details"]

    waiting = await portal.call(
        "GET", "/change-requests", token=staff, params={"status": "pending"}, expect=200
    )
    ours = {r["request_id"] for r in waiting if r["organisation_id"] == organisation_id}
    assert ours == {
        details_request["request_id"],
        referents_request["request_id"],
        unwanted["request_id"],
    }
    for accepted in (details_request, referents_request):
        await portal.call(
            "POST",
            f"/change-requests/{accepted['request_id']}/approval",
            token=staff,
            expect=204,
        )
    await portal.call(
        "POST",
        f"/change-requests/{unwanted['request_id']}/rejection",
        token=staff,
        json={"reason": "La raison sociale ne correspond pas au Kbis."},
        expect=204,
    )
    again = await portal.call(
        "POST", f"/change-requests/{unwanted['request_id']}/approval", token=staff, expect=409
    )
    assert again["status"] == 409

    approved_mails = await portal.emails_to(admin.email, subject="a été acceptée", count=2)
    assert len(approved_mails) == 2
    [rejected_mail] = await portal.emails_to(admin.email, subject="n'a pas été acceptée")
    assert "La raison sociale ne correspond pas au Kbis." in rejected_mail["text"]

    changed = await portal.call("GET", "/organisation", token=admin_token, expect=200)
    assert changed["details"]["legal_name"] == "Imprimerie Martin & Fils"
    assert changed["details"]["billing_address"]["city"] == "Metz"
    assert changed["details"]["shipping_address"]["city"] == "Nancy"
    assert [line["number"] for line in changed["details"]["phone_lines"]] == ["03 87 00 00 00"]
    assert changed["referents"]["technical"] == admin.user_id
    assert changed["referents"]["accounting"] == [accountant.user_id, admin.user_id]
    assert changed["referents"]["dpo"] == accountant.user_id
    assert changed == await portal.call(
        "GET", f"/organisations/{organisation_id}", token=staff, expect=200
    )
    outcomes = {
        r["request_id"]: (r["status"], r["reason"])
        for r in await portal.call(
            "GET", "/organisation/change-requests", token=admin_token, expect=200
        )
    }
    assert outcomes == {
        details_request["request_id"]: ("approved", None),
        referents_request["request_id"]: ("approved", None),
        unwanted["request_id"]: ("rejected", "La raison sociale ne correspond pas au Kbis."),
    }


# --- flow 7 ----------------------------------------------------------------------------------


async def test_a_user_of_two_organisations_switches_without_signing_in_again(
    portal: Portal,
) -> None:
    staff = await portal.vendor_admin()
    first = await portal.create_organisation(staff)
    second = await portal.create_organisation(staff)
    user = await portal.invite(
        staff, first["organisation_id"], first_name="Hervé", last_name="David"
    )
    contact = await portal.add_contact(
        staff, second["organisation_id"], first_name="Hervé", last_name="David", email=user.email
    )
    granted = await portal.call(
        "POST",
        f"/contacts/{contact['contact_id']}/portal-access",
        token=staff,
        json={"modules": ["personal_data", "tickets"]},
        expect=201,
    )
    assert granted["user_id"] == user.user_id  # one person, one account
    [added] = await portal.emails_to(user.email, subject="Vous avez désormais accès")
    assert second["details"]["legal_name"] in added["subject"]
    assert "token=" not in added["text"]  # the password exists already: no link to set one

    in_first = await portal.sign_in(
        user.user_code, user.password, organisation_id=first["organisation_id"]
    )
    me = await portal.call("GET", "/me", token=in_first["access_token"], expect=200)
    assert {m["organisation_id"] for m in me["organisations"]} == {
        first["organisation_id"],
        second["organisation_id"],
    }
    ticket = await portal.call(
        "POST",
        "/tickets",
        token=in_first["access_token"],
        json={"title": "Toner vide", "description": "Plus d'encre", "requester_email": user.email},
        expect=201,
    )

    in_second = await portal.call(
        "POST",
        "/auth/switch-organisation",
        token=in_first["access_token"],
        json={"organisation_id": second["organisation_id"]},
        expect=200,
    )
    assert in_second["organisation_id"] == second["organisation_id"]
    space = await portal.call(
        "GET", "/me/personal-data", token=in_second["access_token"], expect=200
    )
    assert space["organisation"]["legal_name"] == second["details"]["legal_name"]
    await portal.call(
        "GET", f"/tickets/{ticket['ticket_id']}", token=in_second["access_token"], expect=404
    )

    back = await portal.call(
        "POST",
        "/auth/switch-organisation",
        token=in_second["access_token"],
        json={"organisation_id": first["organisation_id"]},
        expect=200,
    )
    space = await portal.call("GET", "/me/personal-data", token=back["access_token"], expect=200)
    assert space["organisation"]["legal_name"] == first["details"]["legal_name"]
    read = await portal.call(
        "GET", f"/tickets/{ticket['ticket_id']}", token=back["access_token"], expect=200
    )
    assert read["ticket"]["title"] == "Toner vide"
    # The session carries on in the organisation last chosen.
    refreshed = await portal.call(
        "POST", "/auth/refresh", json={"refresh_token": back["refresh_token"]}, expect=200
    )
    assert refreshed["organisation_id"] == first["organisation_id"]
    stranger = await portal.create_organisation(staff)
    await portal.call(
        "POST",
        "/auth/switch-organisation",
        token=back["access_token"],
        json={"organisation_id": stranger["organisation_id"]},
        expect=403,
    )


# --- flow 8 ----------------------------------------------------------------------------------


async def test_the_sign_in_page_gets_the_vendors_name_and_logo(portal: Portal) -> None:
    branding = await portal.call("GET", "/branding", expect=200)
    assert branding == {"vendor_name": VENDOR_NAME, "logo_url": "/api/branding/logo"}
    async with portal.session.get(f"{portal.stack.service_url('identity')}/branding") as direct:
        assert await direct.json() == branding  # the gateway adds and hides nothing
    async with portal.session.get(f"{portal.stack.url}{branding['logo_url']}") as logo:
        assert logo.status == 200
        assert logo.headers["Content-Type"] == "image/svg+xml"
        assert await logo.read() == LOGO


# --- flow 19 ---------------------------------------------------------------------------------


async def test_the_personal_data_space_shows_consents_with_history_exports_and_erasure(
    portal: Portal,
) -> None:
    staff = await portal.vendor_admin()
    organisation = await portal.create_organisation(staff)
    customer = await portal.invite(
        staff,
        organisation["organisation_id"],
        first_name="Camille",
        last_name="Robert",
        modules=("personal_data",),
    )
    token = await portal.token(customer.user_code, customer.password)
    space = await portal.call("GET", "/me/personal-data", token=token, expect=200)
    assert space["organisation"]["legal_name"] == organisation["details"]["legal_name"]
    assert space["introduction"] == PERSONAL_DATA_INTRO
    assert space["dpo_email"] == DPO_EMAIL
    assert (space["me"]["email"], space["me"]["first_name"], space["me"]["last_name"]) == (
        customer.email,
        "Camille",
        "Robert",
    )
    assert {(c["purpose"], c["given"]) for c in space["consents"]} == {
        ("newsletter", False),
        ("satisfaction_surveys", False),
    }

    await portal.call("PUT", "/me/consents/newsletter", token=token, expect=204)
    await portal.call("PUT", "/me/consents/satisfaction_surveys", token=token, expect=204)
    await portal.call("DELETE", "/me/consents/newsletter", token=token, expect=204)
    await portal.call("PUT", "/me/consents/telemarketing", token=token, expect=404)
    space = await portal.call("GET", "/me/personal-data", token=token, expect=200)
    consents = {c["purpose"]: c for c in space["consents"]}
    assert consents["newsletter"]["given"] is False
    assert consents["newsletter"]["changed_at"] is not None  # withdrawn, not never asked
    assert [change["given"] for change in consents["newsletter"]["history"]] == [True, False]
    assert consents["satisfaction_surveys"]["given"] is True
    assert [change["given"] for change in consents["satisfaction_surveys"]["history"]] == [True]

    changed = await portal.call(
        "PUT",
        "/me",
        token=token,
        json={
            "first_name": "Camille",
            "last_name": "Robert-Simon",
            "function": "Office manager",
            "phone": "06 11 22 33 44",
            "language": "en",
        },
        expect=200,
    )
    assert (changed["last_name"], changed["function"], changed["language"]) == (
        "Robert-Simon",
        "Office manager",
        "en",
    )

    await portal.call("POST", "/me/erasure-request", token=token, expect=202)
    async with portal.session.get(
        f"{portal.stack.api_url}/me/export", headers={"Authorization": f"Bearer {token}"}
    ) as response:
        assert response.status == 200
        assert response.headers["Content-Disposition"].startswith("attachment")
        export = await response.json()
        exported_text = await response.text()
    assert export["user"]["email"] == customer.email
    assert export["user"]["last_name"] == "Robert-Simon"
    assert export["user"]["organisations"][0]["organisation_id"] == organisation["organisation_id"]
    assert {(c["purpose"], c["given"]) for c in export["consents"]} == {
        ("newsletter", False),
        ("satisfaction_surveys", True),
    }
    history = [entry["type"].rsplit(".", 1)[-1] for entry in export["history"]]
    assert history[0] == "PortalAccessGranted"
    consent_history = [
        (kind, entry["data"]["purpose"])
        for entry in export["history"]
        if (kind := entry["type"].rsplit(".", 1)[-1]) in {"ConsentGiven", "ConsentWithdrawn"}
    ]
    assert consent_history == [
        ("ConsentGiven", "newsletter"),
        ("ConsentGiven", "satisfaction_surveys"),
        ("ConsentWithdrawn", "newsletter"),
    ]
    assert {"PasswordChanged", "PersonalInformationChanged", "ErasureRequested"} <= set(history)
    # The invitation's one-time link is no personal data and does not leave the service.
    [invitation] = await portal.emails_to(customer.email, subject="Votre accès")
    assert link_token(invitation) not in exported_text
    assert "sealed_token" not in exported_text

    # Asking twice records it once; there is no email to promise (none is sent for it).
    await portal.call("POST", "/me/erasure-request", token=token, expect=202)
    async with portal.session.get(
        f"{portal.stack.api_url}/me/export", headers={"Authorization": f"Bearer {token}"}
    ) as response:
        again = await response.json()
    assert [e["type"] for e in again["history"]].count("guichet.identity.ErasureRequested") == 1
