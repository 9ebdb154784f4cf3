"""Tenant isolation of every identity operation: organisation A's customer user and customer
admin are refused organisation B's organisation, people, contacts and change requests (and
the vendor's own staff accounts and OAuth clients), by B's real ids and by guessed ones, and
B's data reads back unchanged. The table names every operation of identity's OpenAPI
document; one added without a case fails here."""

from __future__ import annotations

import secrets
from typing import Any

from services.identity.tests.portal import (
    GOOD_PASSWORD,
    Portal,
    back_office,
    contact_with_access,
)
from tests.isolation import (
    ANONYMOUS,
    Entry,
    IsolationCase,
    Public,
    Tenants,
    assert_isolated,
    assert_table_matches,
)
from tests.support import assert_valid_openapi

A_USER_EMAIL = "anne.arnaud@alpha.example"
TEMPORARY_PASSWORD = "Provisoire&Mardi48"


def _organisation(code: str, legal_name: str, city: str) -> dict[str, Any]:
    return {
        "code": code,
        "status": "active",
        "language": "fr",
        "currency": "EUR",
        "details": {
            "legal_name": legal_name,
            "billing_address": {
                "line1": "3 place du Marché",
                "postal_code": "69002",
                "city": city,
                "country": "FR",
            },
            "phone_lines": [{"label": "Standard", "number": "04 72 00 00 00"}],
        },
    }


def _contact(first_name: str, last_name: str, email: str) -> dict[str, Any]:
    return {
        "first_name": first_name,
        "last_name": last_name,
        "title": "Acheteur",
        "email": email,
        "phone": "04 72 11 22 33",
    }


ORGANISATION_A = _organisation("ALPHA7", "Atelier Alpha", "Lyon")
ORGANISATION_B = _organisation("ZEPHYR9", "Quincaillerie Zéphyr", "Zermatt")
B_ADMIN = _contact("Zora", "Zablocka", "zora.zablocka@zephyr.example")
B_USER = _contact("Zeno", "Zimmerli", "zeno.zimmerli@zephyr.example")
B_SECOND_USER = _contact("Zelda", "Zorrilla", "zelda.zorrilla@zephyr.example")
B_SPARE_CONTACT = _contact("Zacharie", "Zwingli", "zacharie.zwingli@zephyr.example")
B_EVERY_PERSON = (B_ADMIN, B_USER, B_SECOND_USER, B_SPARE_CONTACT)

CUSTOMERS_REFUSED = {"a_user": 403, "a_admin": 403}  # a vendor-staff route
NOT_IN_MY_ORGANISATION = {"a_admin": 404, "a_user": 403}


def _form_without_code(organisation: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in organisation.items() if key != "code"}


TABLE: tuple[Entry, ...] = (
    # --- anyone, before signing in -----------------------------------------------------------
    Public("GET /branding", "the vendor's name and logo, the same for every organisation"),
    Public("GET /branding/logo", "the vendor's logo, the same for every organisation"),
    Public("GET /.well-known/jwks.json", "public keys, by definition public"),
    Public("GET /.well-known/openid-configuration", "the issuer's metadata, no customer data"),
    Public("GET /auth/password-policy", "the vendor's password rules, the same for everyone"),
    Public("POST /auth/password-policy/check", "checks the password it is sent; reads nothing"),
    Public(
        "POST /auth/password/forgot",
        "the same answer whether the email has an account or not (test_access); the link goes"
        " only to that account's own inbox",
    ),
    Public(
        "POST /auth/password/reset", "needs the one-time token mailed to the account's own inbox"
    ),
    Public(
        "GET /oauth/authorize",
        "the OAuth sign-in page: it shows the vendor's branding and reveals nothing without the"
        " user's own password (test_oauth)",
    ),
    Public(
        "POST /oauth/authorize",
        "the OAuth sign-in page's form: the same rules as sign-in, lockout included",
    ),
    Public(
        "POST /oauth/token",
        "trades a code, refresh token or client secret that only its holder has",
    ),
    Public(
        "POST /auth/email/confirmation",
        "needs the one-time token mailed to the new address, which only its inbox holds",
    ),
    Public(
        "POST /auth/password/expired",
        "needs the one-time ticket that signing in with the account's password gave",
    ),
    Public(
        "POST /auth/register",
        "joining an organisation by its code is the product (seeds 000, 001): the account waits,"
        " pending and with the limited modules only, for that organisation's admin",
    ),
    Public(
        "POST /auth/sign-out",
        "ends only the session of the refresh token it is sent, a 256-bit secret",
    ),
    IsolationCase(
        "POST /auth/sign-in",
        answers={ANONYMOUS: 403},
        ids={"organisation_id": "organisation"},
        body=lambda ids: {
            "login": A_USER_EMAIL,
            "password": GOOD_PASSWORD,
            "organisation_id": ids["organisation_id"],
        },
    ),
    IsolationCase(
        "POST /auth/refresh",
        answers={ANONYMOUS: 401},
        body=lambda _: {"refresh_token": secrets.token_urlsafe(32)},
    ),
    IsolationCase(
        "POST /auth/switch-organisation",
        answers={"a_user": 403, "a_admin": 403},
        ids={"organisation_id": "organisation"},
        body=lambda ids: {"organisation_id": ids["organisation_id"]},
        control=("b_admin", 200),
    ),
    # --- my own account ------------------------------------------------------------------------
    IsolationCase(
        "GET /me",
        answers={"a_user": 200, "a_admin": 200},
        own_scope="the caller's own account; no id to name",
    ),
    IsolationCase(
        "PUT /me",
        answers={"a_user": 200},
        body=lambda _: {"first_name": "Anne", "last_name": "Arnaud", "language": "fr"},
        own_scope="the caller's own information; no id to name",
    ),
    IsolationCase(
        "POST /me/password",
        answers={"a_admin": 204},
        body=lambda _: {"current_password": GOOD_PASSWORD, "new_password": GOOD_PASSWORD},
        own_scope="the caller's own password, proven by the current one",
    ),
    IsolationCase(
        "POST /me/email",
        answers={"a_user": 202},
        body=lambda _: {"current_password": GOOD_PASSWORD, "new_email": "anne@new.example"},
        own_scope="the caller's own address, proven by the current password",
    ),
    IsolationCase(
        "GET /me/personal-data",
        answers={"a_user": 200},
        own_scope="the caller's own personal-data space",
    ),
    IsolationCase(
        "PUT /me/consents/{purpose}",
        answers={"a_user": 204},
        params={"purpose": "newsletter"},
        own_scope="the caller's own consent",
    ),
    IsolationCase(
        "DELETE /me/consents/{purpose}",
        answers={"a_user": 204},
        params={"purpose": "newsletter"},
        own_scope="the caller's own consent",
    ),
    IsolationCase(
        "POST /me/erasure-request",
        answers={"a_user": 202},
        own_scope="the caller's own erasure request",
    ),
    IsolationCase(
        "GET /me/export",
        answers={"a_user": 200},
        own_scope="everything held about the caller, and only the caller",
    ),
    # --- my organisation, as its admin ---------------------------------------------------------
    IsolationCase(
        "GET /organisation",
        answers={"a_user": 200, "a_admin": 200},
        own_scope="the organisation the token acts for",
    ),
    IsolationCase(
        "POST /organisation/change-requests",
        # A referent must be an active user of the caller's own organisation: B's admin and a
        # guessed id get the same 422, which says nothing of whether the id exists.
        answers={"a_admin": 422, "a_user": 403},
        ids={"admin": "admin"},
        body=lambda ids: {"referents": {"technical": ids["admin"]}},
        control=("b_admin", 201),
    ),
    IsolationCase(
        "GET /organisation/change-requests",
        answers={"a_user": 200, "a_admin": 200},
        own_scope="the requests of the organisation the token acts for",
    ),
    IsolationCase(
        "GET /organisation/users",
        answers={"a_admin": 200, "a_user": 403},
        query="search=Zimmerli",
        own_scope="the users of the organisation the token acts for",
    ),
    IsolationCase(
        "POST /organisation/users/{user_id}/activation",
        answers=NOT_IN_MY_ORGANISATION,
        ids={"user_id": "user"},
        control=("b_admin", 204),
    ),
    IsolationCase(
        "POST /organisation/users/{user_id}/block",
        answers=NOT_IN_MY_ORGANISATION,
        ids={"user_id": "user"},
        control=("b_admin", 204),
    ),
    IsolationCase(
        "PUT /organisation/users/{user_id}/modules",
        answers=NOT_IN_MY_ORGANISATION,
        ids={"user_id": "user"},
        body=lambda _: {"modules": ["tickets", "invoices"]},
        control=("b_admin", 204),
    ),
    IsolationCase(
        "POST /organisation/users/{user_id}/administrator",
        answers=NOT_IN_MY_ORGANISATION,
        ids={"user_id": "second_user"},
        control=("b_admin", 204),
    ),
    IsolationCase(
        "DELETE /organisation/users/{user_id}/administrator",
        answers=NOT_IN_MY_ORGANISATION,
        ids={"user_id": "second_user"},
        control=("b_admin", 204),
    ),
    IsolationCase(
        "POST /organisation/users/{user_id}/password",
        answers=NOT_IN_MY_ORGANISATION,
        ids={"user_id": "user"},
        body=lambda _: {"password": TEMPORARY_PASSWORD},
        control=("b_admin", 204),
    ),
    # --- the vendor's back office ----------------------------------------------------------------
    IsolationCase(
        "GET /organisations/{organisation_id}/users",
        answers=CUSTOMERS_REFUSED,
        ids={"organisation_id": "organisation"},
        control=("staff", 200),
    ),
    IsolationCase(
        "POST /organisations/{organisation_id}/users/{user_id}/activation",
        answers=CUSTOMERS_REFUSED,
        ids={"organisation_id": "organisation", "user_id": "user"},
        control=("staff", 204),
    ),
    IsolationCase(
        "POST /organisations/{organisation_id}/users/{user_id}/block",
        answers=CUSTOMERS_REFUSED,
        ids={"organisation_id": "organisation", "user_id": "user"},
        control=("staff", 204),
    ),
    IsolationCase(
        "PUT /organisations/{organisation_id}/users/{user_id}/modules",
        answers=CUSTOMERS_REFUSED,
        ids={"organisation_id": "organisation", "user_id": "user"},
        body=lambda _: {"modules": ["tickets", "fleet"]},
        control=("staff", 204),
    ),
    IsolationCase(
        "POST /organisations/{organisation_id}/users/{user_id}/administrator",
        answers=CUSTOMERS_REFUSED,
        ids={"organisation_id": "organisation", "user_id": "second_user"},
        control=("staff", 204),
    ),
    IsolationCase(
        "DELETE /organisations/{organisation_id}/users/{user_id}/administrator",
        answers=CUSTOMERS_REFUSED,
        ids={"organisation_id": "organisation", "user_id": "second_user"},
        control=("staff", 204),
    ),
    IsolationCase(
        "POST /organisations/{organisation_id}/users/{user_id}/password",
        answers=CUSTOMERS_REFUSED,
        ids={"organisation_id": "organisation", "user_id": "user"},
        body=lambda _: {"password": TEMPORARY_PASSWORD},
        control=("staff", 204),
    ),
    # Staff accounts are the vendor's, not an organisation's: customers are refused them all.
    IsolationCase(
        "POST /staff",
        answers=CUSTOMERS_REFUSED,
        body=lambda _: {
            "email": "sacha.staff@vendor.example",
            "first_name": "Sacha",
            "last_name": "Staff",
            "role": "vendor_agent",
        },
        control=("staff", 201),
    ),
    IsolationCase("GET /staff", answers=CUSTOMERS_REFUSED, control=("staff", 200)),
    IsolationCase(
        "PUT /staff/{user_id}/role",
        answers=CUSTOMERS_REFUSED,
        ids={"user_id": "staff_member"},
        body=lambda _: {"role": "vendor_back_office"},
        control=("staff", 204),
    ),
    # OAuth clients are the vendor's, not an organisation's: customers are refused them all.
    IsolationCase(
        "POST /oauth-clients",
        answers=CUSTOMERS_REFUSED,
        body=lambda _: {"name": "ERP", "kind": "confidential", "scopes": ["invoices:write"]},
        control=("staff", 201),
    ),
    IsolationCase("GET /oauth-clients", answers=CUSTOMERS_REFUSED, control=("staff", 200)),
    IsolationCase(
        "GET /oauth-clients/{client_id}",
        answers=CUSTOMERS_REFUSED,
        ids={"client_id": "oauth_client"},
        control=("staff", 200),
    ),
    IsolationCase(
        "POST /oauth-clients/{client_id}/revocation",
        answers=CUSTOMERS_REFUSED,
        ids={"client_id": "oauth_client"},
        control=("staff", 204),
    ),
    IsolationCase(
        "POST /organisations",
        answers=CUSTOMERS_REFUSED,
        body=lambda _: _organisation("OMEGA3", "Omega Fournitures", "Nantes"),
        control=("staff", 201),
    ),
    IsolationCase("GET /organisations", answers=CUSTOMERS_REFUSED, control=("staff", 200)),
    IsolationCase(
        "GET /organisations/{organisation_id}",
        answers=CUSTOMERS_REFUSED,
        ids={"organisation_id": "organisation"},
        control=("staff", 200),
    ),
    IsolationCase(
        "PUT /organisations/{organisation_id}",
        answers=CUSTOMERS_REFUSED,
        ids={"organisation_id": "organisation"},
        body=lambda _: _form_without_code(ORGANISATION_B),
        control=("staff", 200),
    ),
    IsolationCase(
        "GET /organisations/{organisation_id}/contacts",
        answers=CUSTOMERS_REFUSED,
        ids={"organisation_id": "organisation"},
        control=("staff", 200),
    ),
    IsolationCase(
        "POST /organisations/{organisation_id}/contacts",
        answers=CUSTOMERS_REFUSED,
        ids={"organisation_id": "organisation"},
        body=lambda _: _contact("Zygmunt", "Zaleski", "zygmunt.zaleski@zephyr.example"),
        control=("staff", 201),
    ),
    IsolationCase(
        "GET /contacts/{contact_id}",
        answers=CUSTOMERS_REFUSED,
        ids={"contact_id": "contact"},
        control=("staff", 200),
    ),
    IsolationCase(
        "PUT /contacts/{contact_id}",
        answers=CUSTOMERS_REFUSED,
        ids={"contact_id": "contact"},
        body=lambda _: B_USER,
        control=("staff", 200),
    ),
    IsolationCase(
        "POST /contacts/{contact_id}/portal-access",
        answers=CUSTOMERS_REFUSED,
        ids={"contact_id": "spare_contact"},
        body=lambda _: {"modules": ["tickets"]},
        control=("staff", 201),
    ),
    IsolationCase("GET /change-requests", answers=CUSTOMERS_REFUSED, control=("staff", 200)),
    IsolationCase(
        "POST /change-requests/{request_id}/approval",
        answers=CUSTOMERS_REFUSED,
        ids={"request_id": "approvable_request"},
        control=("staff", 204),
    ),
    IsolationCase(
        "POST /change-requests/{request_id}/rejection",
        answers=CUSTOMERS_REFUSED,
        ids={"request_id": "rejectable_request"},
        body=lambda _: {"reason": "Les référents restent inchangés."},
        control=("staff", 204),
    ),
)


async def test_every_operation_of_the_api_has_an_isolation_case_or_is_declared_public(
    portal: Portal,
) -> None:
    document = await portal.call("GET", "/openapi.json", expect=200)
    assert_valid_openapi(document)
    assert_table_matches(document, TABLE)


async def test_organisation_a_is_refused_every_operation_on_organisation_b(
    portal: Portal,
) -> None:
    await assert_isolated(await two_organisations(portal), TABLE)


async def two_organisations(portal: Portal) -> Tenants:
    """Organisation A with a customer user and a customer admin; organisation B with an admin,
    two users, a contact without access and two pending change requests."""
    staff = await back_office(portal)
    org_a, org_b = [
        (await portal.call("POST", "/organisations", token=staff, json=form, expect=201))[
            "organisation_id"
        ]
        for form in (ORGANISATION_A, ORGANISATION_B)
    ]
    await contact_with_access(portal, staff, org_a, _contact("Anne", "Arnaud", A_USER_EMAIL))
    _, a_admin, a_admin_code = await contact_with_access(
        portal, staff, org_a, _contact("Alain", "Aubert", "alain.aubert@alpha.example")
    )
    _, b_admin, b_admin_code = await contact_with_access(portal, staff, org_b, B_ADMIN)
    b_contact, b_user, _ = await contact_with_access(portal, staff, org_b, B_USER, password=None)
    _, b_second_user, _ = await contact_with_access(
        portal, staff, org_b, B_SECOND_USER, password=None
    )
    b_spare_contact = (
        await portal.call(
            "POST", f"/organisations/{org_b}/contacts", token=staff, json=B_SPARE_CONTACT
        )
    )["contact_id"]
    for organisation, admin in ((org_a, a_admin), (org_b, b_admin)):
        await portal.call(
            "POST",
            f"/organisations/{organisation}/users/{admin}/administrator",
            token=staff,
            expect=204,
        )
    tokens = {
        "staff": staff,
        "a_user": (await portal.sign_in(A_USER_EMAIL, GOOD_PASSWORD))["access_token"],
        "a_admin": (await portal.sign_in(a_admin_code, GOOD_PASSWORD))["access_token"],
        "b_admin": (await portal.sign_in(b_admin_code, GOOD_PASSWORD))["access_token"],
    }
    approvable, rejectable = [
        (
            await portal.call(
                "POST",
                "/organisation/change-requests",
                token=tokens["b_admin"],
                json={"referents": referents},
                expect=201,
            )
        )["request_id"]
        for referents in ({"technical": b_admin}, {"dpo": b_admin})
    ]
    staff_member = await portal.call(
        "POST",
        "/staff",
        token=staff,
        json={
            "email": "zachary.agent@vendor.example",
            "first_name": "Zachary",
            "last_name": "Agent",
            "role": "vendor_agent",
        },
        expect=201,
    )
    oauth_client = await portal.call(
        "POST",
        "/oauth-clients",
        token=staff,
        json={"name": "Zephyr ERP", "kind": "confidential"},
        expect=201,
    )
    ids = {
        "oauth_client": oauth_client["client_id"],
        "staff_member": staff_member["user_id"],
        "organisation": org_b,
        "admin": b_admin,
        "user": b_user,
        "second_user": b_second_user,
        "contact": b_contact,
        "spare_contact": b_spare_contact,
        "approvable_request": approvable,
        "rejectable_request": rejectable,
    }

    async def b_as_b_and_staff_see_it() -> dict[str, Any]:
        async def read(path: str, token: str) -> Any:
            return await portal.call("GET", path, token=token, expect=200)

        requests = await read("/change-requests", staff)
        return {
            "organisation": await read(f"/organisations/{org_b}", staff),
            "users": await read(f"/organisations/{org_b}/users", staff),
            "contacts": await read(f"/organisations/{org_b}/contacts", staff),
            "change_requests": [r for r in requests if r["organisation_id"] == org_b],
            "own_requests": await read("/organisation/change-requests", tokens["b_admin"]),
            "admin_personal_data": await read("/me/personal-data", tokens["b_admin"]),
            "oauth_clients": await read("/oauth-clients", staff),
            "staff": await read("/staff", staff),
            # Every change is an event: B's streams end where they ended.
            "stream_versions": await portal.sql(
                "SELECT json_object_agg(stream_id, version ORDER BY stream_id) FROM"
                " (SELECT stream_id, max(version) AS version FROM identity.events"
                "  WHERE stream_id = ANY($1::text[]) GROUP BY stream_id) AS streams",
                list(ids.values()),
            ),
        }

    foreign = {
        *ids.values(),
        ORGANISATION_B["code"],
        ORGANISATION_B["details"]["legal_name"],
        *(person["last_name"] for person in B_EVERY_PERSON),
        "zephyr.example",
    }
    return Tenants(
        url=portal.url,
        session=portal.session,
        tokens=tokens,
        ids=ids,
        foreign=frozenset(foreign),
        snapshot=b_as_b_and_staff_see_it,
    )
