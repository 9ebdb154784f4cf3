"""Flows 1 to 3 of the product (organisations and contacts, portal access, passwords) on the
running portal: every call through the gateway's `/api`, every email read from the mail
catcher, each test with an organisation of its own."""

from __future__ import annotations

import datetime as dt
import re
import uuid

import asyncpg
import pytest

from tests.e2e.conftest import (
    PASSWORD_MAX_AGE_DAYS,
    VENDOR_NAME,
)
from tests.e2e.portal import (
    CUSTOMER_PASSWORD,
    METZ,
    NANCY,
    Portal,
    link_token,
    unique_code,
    unique_email,
)

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]  # the first test starts the portal


def _problem_detail(problem: dict[str, object]) -> str:
    return str(problem.get("detail", "")).lower()


# --- flow 1 ----------------------------------------------------------------------------------


async def test_back_office_creates_an_organisation_and_its_contacts(portal: Portal) -> None:
    # The vendor admin gives a new back-office colleague an account; she is invited by email,
    # chooses her password, and does the back office's work under her own name.
    admin = await portal.vendor_admin()
    lucie, staff = await portal.staff_member(
        admin, role="vendor_back_office", first_name="Lucie", last_name="Bernard"
    )
    [invitation] = await portal.emails_to(lucie.email)
    assert invitation["subject"] == f"Votre compte collaborateur {VENDOR_NAME} a été créé"
    assert lucie.user_code in invitation["text"]
    listed = await portal.call(
        "GET", "/staff", token=admin, params={"search": lucie.email}, expect=200
    )
    assert [(m["user_id"], m["role"], m["status"]) for m in listed["items"]] == [
        (lucie.user_id, "vendor_back_office", "active")
    ]
    me = await portal.call("GET", "/me", token=staff, expect=200)
    assert (me["user_id"], me["staff_role"]) == (lucie.user_id, "vendor_back_office")
    # Giving staff accounts is the vendor admin's alone.
    await portal.call(
        "POST",
        "/staff",
        token=staff,
        json={
            "email": unique_email("intrus", "vendor.example"),
            "first_name": "Intrus",
            "last_name": "Interne",
            "role": "vendor_admin",
        },
        expect=403,
    )

    code = unique_code("ACT")
    montreal, quebec = str(uuid.uuid4()), str(uuid.uuid4())
    details = {
        "legal_name": "ACT BL Solutions",
        "billing_address": NANCY,
        "shipping_address": METZ,
        "phone_lines": [
            {"label": "Standard", "number": "03 83 90 10 00"},
            {"label": "SAV", "number": "+33 3 83 90 10 09"},
        ],
        "branches": [
            {"branch_id": montreal, "name": "Agence de Montréal", "address": NANCY},
            {"branch_id": quebec, "name": "Agence de Québec"},
        ],
    }
    created = await portal.call(
        "POST",
        "/organisations",
        token=staff,
        json={
            "code": code,
            "status": "prospect",
            "language": "en",
            "currency": "CAD",
            "details": details,
        },
        expect=201,
    )
    organisation_id = created["organisation_id"]
    read = await portal.call("GET", f"/organisations/{organisation_id}", token=staff, expect=200)
    assert read == created
    assert (read["code"], read["status"], read["language"], read["currency"]) == (
        code,
        "prospect",
        "en",
        "CAD",
    )
    assert read["details"]["legal_name"] == "ACT BL Solutions"
    assert read["details"]["billing_address"]["city"] == "Nancy"
    shipping = read["details"]["shipping_address"]
    assert (shipping["label"], shipping["line2"], shipping["city"]) == (
        "Entrepôt",
        "Bâtiment B",
        "Metz",
    )
    assert [line["number"] for line in read["details"]["phone_lines"]] == [
        "03 83 90 10 00",
        "+33 3 83 90 10 09",
    ]
    assert [(b["branch_id"], b["name"]) for b in read["details"]["branches"]] == [
        (montreal, "Agence de Montréal"),
        (quebec, "Agence de Québec"),
    ]
    found = await portal.call(
        "GET", "/organisations", token=staff, params={"search": code.lower()}, expect=200
    )
    assert [item["organisation_id"] for item in found["items"]] == [organisation_id]
    taken = await portal.call(
        "POST",
        "/organisations",
        token=staff,
        json={"code": code, "details": {"legal_name": "Homonyme"}},
        expect=409,
    )
    assert taken["status"] == 409

    contact = {
        "first_name": "Mireille",
        "last_name": "Couture",
        "title": "Responsable stock",
        "department": "Logistique",
        "contact_type": "Opérations",
        "email": unique_email("mireille.couture", "actbl.example"),
        "phone": "03 83 90 10 01",
        "mobile": "06 12 34 56 78",
        "fax": "03 83 90 10 99",
    }
    added = await portal.add_contact(staff, organisation_id, **contact)
    assert {key: added[key] for key in contact} == contact
    assert added["user_id"] is None  # a contact, not yet a user of the portal
    second = await portal.add_contact(staff, organisation_id, last_name="Bernard")
    contacts = await portal.call(
        "GET", f"/organisations/{organisation_id}/contacts", token=staff, expect=200
    )
    assert [c["contact_id"] for c in contacts] == [second["contact_id"], added["contact_id"]]
    assert await portal.call(
        "GET", f"/contacts/{added['contact_id']}", token=staff, expect=200
    ) == (added)
    moved = await portal.call(
        "PUT",
        f"/contacts/{added['contact_id']}",
        token=staff,
        json={**contact, "title": "Directrice logistique"},
        expect=200,
    )
    assert moved["title"] == "Directrice logistique"

    # The back office's pages are the vendor's: a customer admin is turned away at the door.
    _, customer = await portal.customer_admin(staff, organisation_id)
    refused = await portal.call(
        "GET", f"/organisations/{organisation_id}/contacts", token=customer, expect=403
    )
    assert refused["status"] == 403
    await portal.call("GET", "/staff", token=customer, expect=403)


# --- flow 2 ----------------------------------------------------------------------------------


async def test_granted_access_invites_the_contact_who_chooses_a_password_once_and_signs_in(
    portal: Portal,
) -> None:
    staff = await portal.vendor_admin()
    nancy, metz = str(uuid.uuid4()), str(uuid.uuid4())
    organisation = await portal.create_organisation(
        staff,
        language="en",
        branches=[{"branch_id": nancy, "name": "Nancy"}, {"branch_id": metz, "name": "Metz"}],
    )
    organisation_id = organisation["organisation_id"]
    email = unique_email("mireille", "client.example")
    contact = await portal.add_contact(
        staff, organisation_id, first_name="Mireille", last_name="Couture", email=email
    )
    granted = await portal.call(
        "POST",
        f"/contacts/{contact['contact_id']}/portal-access",
        token=staff,
        json={
            "modules": ["personal_data", "invoices"],
            "allowed_networks": ["127.0.0.0/8"],
            "branch_id": nancy,
        },
        expect=201,
    )
    # Seed 002: the user code is the organisation's code followed by a number.
    assert granted["user_code"] == f"{organisation['code']}001"
    read = await portal.call("GET", f"/contacts/{contact['contact_id']}", token=staff, expect=200)
    assert read["user_id"] == granted["user_id"]

    # The invitation, in the organisation's language, with the user code and a one-time link.
    [invitation] = await portal.emails_to(email)
    legal_name = organisation["details"]["legal_name"]
    assert invitation["subject"] == (
        f"Your access to the {VENDOR_NAME} customer portal \u2013 {legal_name}"
    )
    assert granted["user_code"] in invitation["text"]
    assert granted["user_code"] in invitation["html"]
    token = link_token(invitation)
    assert f"{portal.stack.url}/password/set?token={token}" in invitation["text"]

    await portal.call(
        "POST",
        "/auth/password/reset",
        json={"token": token, "new_password": CUSTOMER_PASSWORD},
        expect=204,
    )
    used = await portal.call(
        "POST",
        "/auth/password/reset",
        json={"token": token, "new_password": "Autre&Choix2027"},
        expect=410,
    )
    assert "already used" in _problem_detail(used)

    by_code = await portal.sign_in(granted["user_code"], CUSTOMER_PASSWORD)
    by_email = await portal.sign_in(f"  {email.upper()} ", CUSTOMER_PASSWORD)
    assert by_code["organisation_id"] == by_email["organisation_id"] == organisation_id
    signed_in = by_code["access_token"]
    me = await portal.call("GET", "/me", token=signed_in, expect=200)
    [membership] = me["organisations"]
    assert (me["user_code"], me["email"], me["first_name"]) == (
        granted["user_code"],
        email,
        "Mireille",
    )
    assert membership["role"] == "customer_user"
    assert sorted(membership["modules"]) == ["invoices", "personal_data"]
    assert membership["allowed_networks"] == ["127.0.0.0/8"]
    assert membership["branch_id"] == nancy

    # A module switched on opens; one left off is refused by the gateway.
    await portal.call("GET", "/me/personal-data", token=signed_in, expect=200)
    no_tickets = await portal.call(
        "POST",
        "/tickets",
        token=signed_in,
        json={"title": "Copieur", "description": "Bloqué", "requester_email": email},
        expect=403,
    )
    assert "tickets" in _problem_detail(no_tickets)
    await portal.call("GET", f"/tickets/{uuid.uuid4()}", token=signed_in, expect=403)

    # Access limited to one branch: another branch named in a request is refused.
    await portal.call(
        "GET", "/me/personal-data", token=signed_in, params={"branch_id": nancy}, expect=200
    )
    await portal.call(
        "GET", "/me/personal-data", token=signed_in, params={"branch_id": metz}, expect=403
    )

    # Access limited to an address range this client is not in: signing in is refused.
    colleague = await portal.invite(
        staff,
        organisation_id,
        first_name="Paul",
        last_name="Lointain",
        allowed_networks=["203.0.113.0/24"],
    )
    outside = await portal.call(
        "POST",
        "/auth/sign-in",
        json={"login": colleague.user_code, "password": colleague.password},
        expect=403,
    )
    assert "network" in _problem_detail(outside)


# --- flow 3 ----------------------------------------------------------------------------------


async def test_the_live_policy_refuses_weak_and_common_passwords_with_the_rules_broken(
    portal: Portal,
) -> None:
    policy = await portal.call("GET", "/auth/password-policy", expect=200)
    rules = {rule["id"]: rule for rule in policy["rules"]}
    assert {"min_length", "digit", "upper_case", "special", "not_common"} <= set(rules)
    assert rules["min_length"]["min_length"] == 8
    for special in "$?!&%*@":
        assert re.search(rules["special"]["pattern"], f"abc{special}"), special
    assert not re.search(rules["special"]["pattern"], "abc#")
    assert rules["not_common"]["description"]["fr"]

    short = await portal.call(
        "POST", "/auth/password-policy/check", json={"password": "Ab1$"}, expect=200
    )
    assert short["acceptable"] is False
    assert [violation["rule"] for violation in short["violations"]] == ["min_length"]

    staff = await portal.vendor_admin()
    organisation = await portal.create_organisation(staff)
    email = unique_email("lea", "client.example")
    contact = await portal.add_contact(
        staff, organisation["organisation_id"], first_name="Léa", last_name="Roux", email=email
    )
    await portal.call(
        "POST",
        f"/contacts/{contact['contact_id']}/portal-access",
        token=staff,
        json={"modules": ["tickets"]},
        expect=201,
    )
    token = link_token((await portal.emails_to(email))[0])

    weak = await portal.call(
        "POST",
        "/auth/password/reset",
        json={"token": token, "new_password": "imprimante"},
        expect=422,
    )
    assert {v["rule"] for v in weak["violations"]} == {"digit", "upper_case", "special"}
    assert all(v["message"]["fr"] and v["message"]["en"] for v in weak["violations"])
    common = await portal.call(
        "POST",
        "/auth/password/reset",
        json={"token": token, "new_password": "P@ssw0rd1"},
        expect=422,
    )
    assert [v["rule"] for v in common["violations"]] == ["not_common"]
    # Refusals change nothing: the link still sets a good password, once.
    await portal.call(
        "POST",
        "/auth/password/reset",
        json={"token": token, "new_password": CUSTOMER_PASSWORD},
        expect=204,
    )
    await portal.sign_in(email, CUSTOMER_PASSWORD)


async def test_a_forgotten_password_is_reset_from_the_emailed_link_without_revealing_accounts(
    portal: Portal,
) -> None:
    staff = await portal.vendor_admin()
    organisation = await portal.create_organisation(staff)
    customer = await portal.invite(
        staff, organisation["organisation_id"], first_name="Hugo", last_name="Lefèvre"
    )
    nobody = unique_email("personne", "client.example")
    for_nobody = await portal.call(
        "POST", "/auth/password/forgot", json={"email": nobody}, expect=202
    )
    for_customer = await portal.call(
        "POST", "/auth/password/forgot", json={"email": customer.email.upper()}, expect=202
    )
    assert for_nobody == for_customer  # the same answer: nothing says whether an account exists

    [reset] = await portal.emails_to(customer.email, subject="Réinitialisation")
    assert reset["subject"] == f"Réinitialisation de votre mot de passe {VENDOR_NAME}"
    token = link_token(reset)
    assert f"{portal.stack.url}/password/reset?token={token}" in reset["text"]
    new_password = "Trombone&Bleu2031"
    await portal.call(
        "POST",
        "/auth/password/reset",
        json={"token": token, "new_password": new_password},
        expect=204,
    )
    await portal.call(
        "POST",
        "/auth/password/reset",
        json={"token": token, "new_password": "Encore&Autre2032"},
        expect=410,
    )
    await portal.sign_in(customer.email, new_password)
    await portal.call(
        "POST",
        "/auth/sign-in",
        json={"login": customer.email, "password": customer.password},
        expect=401,
    )
    await portal.emails_to(customer.email, subject="le mot de passe de votre compte")
    assert await portal.mail.to(nobody) == []


async def test_remember_me_keeps_the_device_signed_in_for_longer(portal: Portal) -> None:
    staff = await portal.vendor_admin()
    organisation = await portal.create_organisation(staff)
    customer = await portal.invite(
        staff, organisation["organisation_id"], first_name="Inès", last_name="Garnier"
    )
    now = dt.datetime.now(dt.UTC)
    plain = await portal.sign_in(customer.user_code, customer.password)
    remembered = await portal.sign_in(customer.user_code, customer.password, remember_me=True)

    def lifetime(tokens: dict[str, str]) -> dt.timedelta:
        return dt.datetime.fromisoformat(tokens["refresh_expires_at"]) - now

    assert dt.timedelta(hours=11) < lifetime(plain) <= dt.timedelta(hours=12, minutes=1)
    assert dt.timedelta(days=29) < lifetime(remembered) <= dt.timedelta(days=30, minutes=1)
    refreshed = await portal.call(
        "POST",
        "/auth/refresh",
        json={"refresh_token": remembered["refresh_token"]},
        expect=200,
    )
    assert lifetime(refreshed) > dt.timedelta(days=29)  # the session keeps its length
    await portal.call("GET", "/me", token=refreshed["access_token"], expect=200)


async def test_a_password_set_by_someone_else_must_be_changed_at_the_next_sign_in(
    portal: Portal,
) -> None:
    staff = await portal.vendor_admin()
    organisation = await portal.create_organisation(staff)
    organisation_id = organisation["organisation_id"]
    admin, admin_token = await portal.customer_admin(staff, organisation_id)
    customer = await portal.invite(staff, organisation_id, first_name="Zoé", last_name="Marin")
    session = await portal.sign_in(customer.user_code, customer.password)

    # The back office sets a temporary password: the policy holds, as for any password.
    path = f"/organisations/{organisation_id}/users/{customer.user_id}/password"
    common = await portal.call(
        "POST", path, token=staff, json={"password": "P@ssw0rd1"}, expect=422
    )
    assert [v["rule"] for v in common["violations"]] == ["not_common"]
    temporary = "Provisoire&Mardi48"
    await portal.call("POST", path, token=staff, json={"password": temporary}, expect=204)

    # The user is told by email, their session is over, and the old password is gone.
    [notice] = await portal.emails_to(customer.email, subject="Sécurité")
    assert "par un administrateur" in notice["text"]
    ended = await portal.call(
        "POST", "/auth/refresh", json={"refresh_token": session["refresh_token"]}, expect=401
    )
    assert ended["type"] == "https://guichet.dev/problems/session-ended"
    await portal.call(
        "POST",
        "/auth/sign-in",
        json={"login": customer.user_code, "password": customer.password},
        expect=401,
    )

    # Signing in with the temporary password asks for a new one before anything else.
    answer = await portal.sign_in(customer.user_code, temporary)
    assert answer["password_change_required"] is True
    assert "access_token" not in answer
    chosen = "Classeur&Vert2030"
    tokens = await portal.call(
        "POST",
        "/auth/password/expired",
        json={"ticket": answer["ticket"], "new_password": chosen},
        expect=200,
    )
    me = await portal.call("GET", "/me", token=tokens["access_token"], expect=200)
    assert me["user_id"] == customer.user_id
    assert "access_token" in await portal.sign_in(customer.user_code, chosen)

    # The organisation's own admin does the same for their users, and not for themselves.
    await portal.call(
        "POST",
        f"/organisation/users/{customer.user_id}/password",
        token=admin_token,
        json={"password": temporary},
        expect=204,
    )
    assert (await portal.sign_in(customer.user_code, temporary))["password_change_required"]
    await portal.call(
        "POST",
        f"/organisation/users/{admin.user_id}/password",
        token=admin_token,
        json={"password": temporary},
        expect=409,
    )
    assert "access_token" in await portal.sign_in(admin.user_code, admin.password)


async def test_an_expired_password_must_be_changed_at_the_next_sign_in(portal: Portal) -> None:
    """The portal runs with passwords expiring after a year: a year is made to pass in the
    database."""
    staff = await portal.vendor_admin()
    organisation = await portal.create_organisation(staff)
    customer = await portal.invite(
        staff, organisation["organisation_id"], first_name="Noé", last_name="Perrin"
    )
    connection = await asyncpg.connect(portal.stack.database_url)
    try:
        await connection.execute(
            "UPDATE identity.credentials SET changed_at = changed_at - make_interval(days => $2)"
            " WHERE user_id = $1",
            uuid.UUID(customer.user_id),
            PASSWORD_MAX_AGE_DAYS + 1,
        )
    finally:
        await connection.close()

    answer = await portal.sign_in(customer.user_code, customer.password)
    assert answer["password_change_required"] is True
    assert "access_token" not in answer
    weak = await portal.call(
        "POST",
        "/auth/password/expired",
        json={"ticket": answer["ticket"], "new_password": "courtcourt"},
        expect=422,
    )
    assert {"digit", "upper_case", "special"} <= {v["rule"] for v in weak["violations"]}
    new_password = "Classeur&Vert2030"
    tokens = await portal.call(
        "POST",
        "/auth/password/expired",
        json={"ticket": answer["ticket"], "new_password": new_password},
        expect=200,
    )
    me = await portal.call("GET", "/me", token=tokens["access_token"], expect=200)
    assert me["user_id"] == customer.user_id
    assert "access_token" in await portal.sign_in(customer.user_code, new_password)
