"""Identity's HTTP API as its users meet it: the back office gives access, users set their
password, sign in, refresh, switch organisation; admins activate and block; and no
organisation sees another's people."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import aiohttp

from services.identity.app import create_app
from services.identity.bootstrap import create_admin
from services.identity.settings import IdentitySettings
from services.identity.tests.portal import (
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    CONTACT,
    GOOD_PASSWORD,
    ORGANISATION,
    Portal,
    back_office,
    customer_with_access,
)
from shared.auth.verifier import JwksKeySource, TokenVerifier
from shared.sealing import Sealer, new_sealing_key
from tests.support import serving


async def test_access_granted_by_the_back_office_leads_to_a_password_and_a_signed_in_user(
    portal: Portal,
) -> None:
    staff = await back_office(portal)
    organisation = await portal.call(
        "POST", "/organisations", token=staff, json=ORGANISATION, expect=201
    )
    assert organisation["details"]["legal_name"] == "Hervé David"
    contact = await portal.call(
        "POST",
        f"/organisations/{organisation['organisation_id']}/contacts",
        token=staff,
        json=CONTACT,
        expect=201,
    )
    granted = await portal.call(
        "POST",
        f"/contacts/{contact['contact_id']}/portal-access",
        token=staff,
        json={"modules": ["tickets", "invoices"]},
        expect=201,
    )
    # Seed 002: the user code is the organisation's code followed by a number.
    assert granted["user_code"] == "8005551001"
    token = await portal.link_token(granted["user_id"], "PortalAccessGranted")

    refused = await portal.call(
        "POST", "/auth/password/reset", json={"token": token, "new_password": "password1"}
    )
    assert refused["status"] == 422
    assert {"upper_case", "special", "not_common"} <= {v["rule"] for v in refused["violations"]}
    await portal.call(
        "POST",
        "/auth/password/reset",
        json={"token": token, "new_password": GOOD_PASSWORD},
        expect=204,
    )
    again = await portal.call(
        "POST", "/auth/password/reset", json={"token": token, "new_password": GOOD_PASSWORD}
    )
    assert again["status"] == 410

    by_code = await portal.sign_in("8005551001", GOOD_PASSWORD)
    by_email = await portal.sign_in("  MIREILLE.couture@hervedavid.COM ", GOOD_PASSWORD)
    assert by_code["organisation_id"] == by_email["organisation_id"]
    me = await portal.call("GET", "/me", token=by_email["access_token"], expect=200)
    assert me["user_code"] == "8005551001"
    assert [o["organisation_name"] for o in me["organisations"]] == ["Hervé David"]
    assert set(me["organisations"][0]["modules"]) == {"tickets", "invoices"}

    # The token verifies with the published keys, as the gateway and services check it.
    async with aiohttp.ClientSession() as session:
        verifier = TokenVerifier(
            JwksKeySource(f"{portal.url}/.well-known/jwks.json", session=session),
            "http://portal.test",
        )
        claims = await verifier.verify(by_email["access_token"])
    assert claims.sub == granted["user_id"]
    assert str(claims.org) == organisation["organisation_id"]
    assert claims.role == "customer_user"


async def test_a_refresh_token_works_once_and_its_reuse_ends_the_session(portal: Portal) -> None:
    staff = await back_office(portal)
    await customer_with_access(portal, staff)
    tokens = await portal.sign_in("8005551001", GOOD_PASSWORD)
    renewed = await portal.call(
        "POST", "/auth/refresh", json={"refresh_token": tokens["refresh_token"]}, expect=200
    )
    assert renewed["refresh_token"] != tokens["refresh_token"]
    reused = await portal.call(
        "POST", "/auth/refresh", json={"refresh_token": tokens["refresh_token"]}
    )
    assert reused["status"] == 401
    # The thief's reuse also ended the legitimate client's session (the whole family).
    after = await portal.call(
        "POST", "/auth/refresh", json={"refresh_token": renewed["refresh_token"]}
    )
    assert after["status"] == 401


async def test_forgot_password_answers_the_same_for_unknown_and_known_emails(
    portal: Portal,
) -> None:
    staff = await back_office(portal)
    _, user_id, _ = await customer_with_access(portal, staff)
    unknown = await portal.call(
        "POST", "/auth/password/forgot", json={"email": "nobody@nowhere.example"}, expect=202
    )
    known = await portal.call(
        "POST",
        "/auth/password/forgot",
        json={"email": "mireille.couture@hervedavid.com"},
        expect=202,
    )
    assert unknown == known
    token = await portal.link_token(user_id, "PasswordResetRequested")
    await portal.call(
        "POST",
        "/auth/password/reset",
        json={"token": token, "new_password": "Nouveau&Toner77"},
        expect=204,
    )
    await portal.sign_in("8005551001", "Nouveau&Toner77")


async def test_repeated_failures_lock_the_account_whatever_the_case_or_spaces(
    portal: Portal,
) -> None:
    staff = await back_office(portal)
    await customer_with_access(portal, staff)
    variants = [
        "mireille.couture@hervedavid.com",
        "MIREILLE.COUTURE@HERVEDAVID.COM",
        " Mireille.Couture@hervedavid.com",
        "mireille.couture@hervedavid.com  ",
        "mIreille.couture@HerveDavid.com",
    ]
    for login in variants:
        refused = await portal.call(
            "POST", "/auth/sign-in", json={"login": login, "password": "Wrong&Guess99"}
        )
        assert refused["status"] == 401
    locked = await portal.call(
        "POST",
        "/auth/sign-in",
        json={"login": "mireille.couture@hervedavid.com", "password": GOOD_PASSWORD},
    )
    assert locked["status"] == 429
    # An unknown account locks the same way: a lockout reveals nothing.
    for _ in range(5):
        await portal.call(
            "POST", "/auth/sign-in", json={"login": "ghost@nowhere.example", "password": "x"}
        )
    ghost = await portal.call(
        "POST", "/auth/sign-in", json={"login": "ghost@nowhere.example", "password": "x"}
    )
    assert ghost["status"] == 429


async def test_sign_in_from_outside_the_allowed_network_is_refused(portal: Portal) -> None:
    staff = await back_office(portal)
    await customer_with_access(portal, staff, networks=("203.0.113.0/24",))
    outside = await portal.call(
        "POST",
        "/auth/sign-in",
        json={"login": "8005551001", "password": GOOD_PASSWORD},
        ip="198.51.100.7",
    )
    assert outside["status"] == 403
    inside = await portal.sign_in("8005551001", GOOD_PASSWORD, ip="203.0.113.9")
    assert inside["access_token"]


async def test_self_registered_user_waits_for_activation_and_a_blocked_one_is_out(
    portal: Portal,
) -> None:
    staff = await back_office(portal)
    organisation_id, admin_id, _ = await customer_with_access(portal, staff)
    await portal.call(
        "POST",
        f"/organisations/{organisation_id}/users/{admin_id}/administrator",
        token=staff,
        expect=204,
    )
    await portal.call(
        "POST",
        "/auth/register",
        json={
            "organisation_code": "8005551",
            "email": "tristan.marchand@hervedavid.com",
            "first_name": "Tristan",
            "last_name": "Marchand",
            "function": "Responsable formation",
            "password": "Formation&2026x",
        },
        expect=202,
    )
    pending = await portal.sign_in("tristan.marchand@hervedavid.com", "Formation&2026x")
    me = await portal.call("GET", "/me", token=pending["access_token"], expect=200)
    assert me["organisations"][0]["status"] == "pending"
    assert me["organisations"][0]["modules"] == ["tickets"]  # the vendor's limited set

    admin = (await portal.sign_in("8005551001", GOOD_PASSWORD))["access_token"]
    listed = await portal.call(
        "GET", "/organisation/users?search=formation", token=admin, expect=200
    )
    assert [u["last_name"] for u in listed["items"]] == ["Marchand"]
    newcomer = listed["items"][0]["user_id"]
    await portal.call("POST", f"/organisation/users/{newcomer}/activation", token=admin, expect=204)
    active = await portal.sign_in("tristan.marchand@hervedavid.com", "Formation&2026x")
    me = await portal.call("GET", "/me", token=active["access_token"], expect=200)
    assert me["organisations"][0]["status"] == "active"

    await portal.call("POST", f"/organisation/users/{newcomer}/block", token=admin, expect=204)
    refreshed = await portal.call(
        "POST", "/auth/refresh", json={"refresh_token": active["refresh_token"]}
    )
    assert refreshed["status"] == 401
    blocked = await portal.call(
        "POST",
        "/auth/sign-in",
        json={"login": "tristan.marchand@hervedavid.com", "password": "Formation&2026x"},
    )
    assert blocked["status"] == 403
    # An admin cannot lock themselves out.
    itself = await portal.call("POST", f"/organisation/users/{admin_id}/block", token=admin)
    assert itself["status"] == 409


async def test_no_organisation_sees_or_changes_another_organisations_people(
    portal: Portal,
) -> None:
    staff = await back_office(portal)
    org_a, admin_a, _ = await customer_with_access(portal, staff, code="A100")
    org_b, user_b, _ = await customer_with_access(
        portal, staff, code="B200", email="b.user@b-corp.example"
    )
    await portal.call(
        "POST", f"/organisations/{org_a}/users/{admin_a}/administrator", token=staff, expect=204
    )
    admin = (await portal.sign_in("A100001", GOOD_PASSWORD))["access_token"]
    for method, path in [
        ("POST", f"/organisation/users/{user_b}/activation"),
        ("POST", f"/organisation/users/{user_b}/block"),
        ("PUT", f"/organisation/users/{user_b}/modules"),
        ("POST", f"/organisation/users/{user_b}/administrator"),
        ("POST", f"/organisation/users/{uuid.uuid4()}/block"),
    ]:
        answer = await portal.call(method, path, token=admin, json={"modules": ["tickets"]})
        assert answer["status"] == 404, (method, path, answer)
    listed = await portal.call("GET", "/organisation/users", token=admin, expect=200)
    assert {u["user_id"] for u in listed["items"]} == {admin_a}
    own = await portal.call("GET", "/organisation", token=admin, expect=200)
    assert own["organisation_id"] == org_a
    # Back-office routes are closed to customers, whatever id they guess.
    for method, path in [
        ("GET", f"/organisations/{org_b}"),
        ("GET", f"/organisations/{org_b}/users"),
        ("GET", f"/organisations/{org_b}/contacts"),
        ("POST", f"/organisations/{org_b}/users/{user_b}/block"),
        ("GET", "/organisations"),
        ("GET", "/change-requests"),
    ]:
        answer = await portal.call(method, path, token=admin)
        assert answer["status"] == 403, (method, path, answer)


async def test_referent_changes_are_requests_the_back_office_decides(portal: Portal) -> None:
    staff = await back_office(portal)
    organisation_id, admin_id, _ = await customer_with_access(portal, staff)
    await portal.call(
        "POST",
        f"/organisations/{organisation_id}/users/{admin_id}/administrator",
        token=staff,
        expect=204,
    )
    admin = (await portal.sign_in("8005551001", GOOD_PASSWORD))["access_token"]
    stranger = str(uuid.uuid4())
    refused = await portal.call(
        "POST",
        "/organisation/change-requests",
        token=admin,
        json={"referents": {"technical": stranger}},
    )
    assert refused["status"] == 422
    created = await portal.call(
        "POST",
        "/organisation/change-requests",
        token=admin,
        json={"referents": {"technical": admin_id, "accounting": [admin_id], "dpo": admin_id}},
        expect=201,
    )
    before = await portal.call("GET", "/organisation", token=admin, expect=200)
    assert before["referents"]["technical"] is None
    pending = await portal.call("GET", "/change-requests?status=pending", token=staff, expect=200)
    assert [r["request_id"] for r in pending] == [created["request_id"]]
    await portal.call(
        "POST", f"/change-requests/{created['request_id']}/approval", token=staff, expect=204
    )
    after = await portal.call("GET", "/organisation", token=admin, expect=200)
    assert after["referents"]["technical"] == admin_id
    assert after["referents"]["accounting"] == [admin_id]
    decided = await portal.call(
        "POST", f"/change-requests/{created['request_id']}/approval", token=staff
    )
    assert decided["status"] == 409


async def test_a_user_of_two_organisations_switches_without_signing_in_again(
    portal: Portal,
) -> None:
    staff = await back_office(portal)
    org_a, user_id, _ = await customer_with_access(portal, staff, code="A100")
    org_b = await portal.call(
        "POST", "/organisations", token=staff, json={**ORGANISATION, "code": "B200"}, expect=201
    )
    contact = await portal.call(
        "POST",
        f"/organisations/{org_b['organisation_id']}/contacts",
        token=staff,
        json=CONTACT,
        expect=201,
    )
    granted = await portal.call(
        "POST",
        f"/contacts/{contact['contact_id']}/portal-access",
        token=staff,
        json={"modules": ["invoices"]},
        expect=201,
    )
    assert granted["user_id"] == user_id  # the same person, one account
    tokens = await portal.sign_in("A100001", GOOD_PASSWORD, organisation_id=org_a)
    switched = await portal.call(
        "POST",
        "/auth/switch-organisation",
        token=tokens["access_token"],
        json={"organisation_id": org_b["organisation_id"]},
        expect=200,
    )
    assert switched["organisation_id"] == org_b["organisation_id"]
    elsewhere = await portal.call(
        "POST",
        "/auth/switch-organisation",
        token=tokens["access_token"],
        json={"organisation_id": str(uuid.uuid4())},
    )
    assert elsewhere["status"] == 403


async def test_an_expired_password_must_be_changed_at_sign_in(
    service_env: Callable[..., dict[str, Any]],
) -> None:
    key = new_sealing_key()
    settings = IdentitySettings(
        **service_env(sealing_key=key, identity_url=None, password_policy={"max_age_days": 90})
    )
    await create_admin(settings, ADMIN_EMAIL, ADMIN_PASSWORD)
    async with serving(create_app(settings)) as url, aiohttp.ClientSession() as session:
        portal = Portal(url, settings.database_url, Sealer(key), session)
        await portal.sql("UPDATE identity.credentials SET changed_at = now() - interval '91 days'")
        answer = await portal.sign_in(ADMIN_EMAIL, ADMIN_PASSWORD, remember_me=True)
        assert answer["password_change_required"] is True
        assert "access_token" not in answer
        same = await portal.call(
            "POST",
            "/auth/password/expired",
            json={"ticket": answer["ticket"], "new_password": ADMIN_PASSWORD},
        )
        assert same["status"] in {410, 422}
        answer = await portal.sign_in(ADMIN_EMAIL, ADMIN_PASSWORD)
        tokens = await portal.call(
            "POST",
            "/auth/password/expired",
            json={"ticket": answer["ticket"], "new_password": "Brand&New2027pw"},
            expect=200,
        )
        assert tokens["access_token"]
        assert (await portal.sign_in(ADMIN_EMAIL, "Brand&New2027pw"))["access_token"]


async def test_the_password_policy_is_served_for_live_checks(portal: Portal) -> None:
    policy = await portal.call("GET", "/auth/password-policy", expect=200)
    rules = {rule["id"] for rule in policy["rules"]}
    assert {"min_length", "digit", "upper_case", "special", "not_common"} <= rules
    common = await portal.call(
        "POST", "/auth/password-policy/check", json={"password": "P@ssw0rd1"}, expect=200
    )
    assert common["acceptable"] is False
    assert [v["rule"] for v in common["violations"]] == ["not_common"]
    fine = await portal.call(
        "POST", "/auth/password-policy/check", json={"password": GOOD_PASSWORD}, expect=200
    )
    assert fine == {"acceptable": True, "violations": []}


async def test_an_admin_role_is_given_and_removed_but_never_by_its_holder(portal: Portal) -> None:
    staff = await back_office(portal)
    organisation_id, first_id, first_code = await customer_with_access(portal, staff)
    await portal.call(
        "POST",
        f"/organisations/{organisation_id}/users/{first_id}/administrator",
        token=staff,
        expect=204,
    )
    contact = await portal.call(
        "POST",
        f"/organisations/{organisation_id}/contacts",
        token=staff,
        json={**CONTACT, "first_name": "Paul", "email": "paul.roy@hervedavid.com"},
        expect=201,
    )
    granted = await portal.call(
        "POST",
        f"/contacts/{contact['contact_id']}/portal-access",
        token=staff,
        json={"modules": ["tickets"]},
        expect=201,
    )
    second_id = granted["user_id"]
    first = (await portal.sign_in(first_code, GOOD_PASSWORD))["access_token"]
    await portal.call(
        "POST", f"/organisation/users/{second_id}/administrator", token=first, expect=204
    )

    itself = await portal.call(
        "DELETE", f"/organisation/users/{first_id}/administrator", token=first
    )
    assert itself["status"] == 409
    await portal.call(
        "DELETE", f"/organisation/users/{second_id}/administrator", token=first, expect=204
    )
    users = await portal.call("GET", "/organisation/users?search=paul", token=first, expect=200)
    assert [user["role"] for user in users["items"]] == ["customer_user"]
    # Removing a role someone does not hold changes nothing.
    await portal.call(
        "DELETE", f"/organisation/users/{second_id}/administrator", token=first, expect=204
    )
    revoked = await portal.sql(
        "SELECT count(*) FROM identity.events WHERE stream_id = $1 AND type = $2",
        second_id,
        "guichet.identity.CustomerAdminRevoked",
    )
    assert revoked == 1


async def test_only_the_first_password_of_an_account_is_marked_as_first_set(
    portal: Portal,
) -> None:
    staff = await back_office(portal)
    _, user_id, user_code = await customer_with_access(portal, staff)
    signed_in = await portal.sign_in(user_code, GOOD_PASSWORD)
    await portal.call(
        "POST",
        "/me/password",
        token=signed_in["access_token"],
        json={"current_password": GOOD_PASSWORD, "new_password": "Rotative&Presse31"},
        expect=204,
    )

    first_set = await portal.sql(
        "SELECT array_agg((data ->> 'first_set')::boolean ORDER BY version)"
        " FROM identity.events WHERE stream_id = $1 AND type = $2",
        user_id,
        "guichet.identity.PasswordChanged",
    )
    assert first_set == [True, False]


async def test_a_new_email_becomes_the_login_once_its_link_is_opened(portal: Portal) -> None:
    staff = await back_office(portal)
    _, user_id, user_code = await customer_with_access(portal, staff, code="8005552")
    await customer_with_access(portal, staff, code="8005553", email="taken@hervedavid.com")
    token = (await portal.sign_in(user_code, GOOD_PASSWORD))["access_token"]

    def change(new_email: str, password: str = GOOD_PASSWORD) -> Any:
        return portal.call(
            "POST",
            "/me/email",
            token=token,
            json={"current_password": password, "new_email": new_email},
        )

    assert (await change("m.couture@example.org", "Wrong&Password1"))["status"] == 403
    taken = await change("Taken@HerveDavid.com")
    assert taken["status"] == 422
    assert taken["errors"][0]["field"] == "new_email"
    assert (await change("mireille.couture@hervedavid.com"))["status"] == 422
    assert await change("M.Couture@Example.org") is None  # 202, no body
    link = await portal.link_token(user_id, "EmailChangeRequested")
    # Until the link is opened, nothing changes.
    await portal.sign_in("mireille.couture@hervedavid.com", GOOD_PASSWORD)

    await portal.call("POST", "/auth/email/confirmation", json={"token": link}, expect=204)
    again = await portal.call("POST", "/auth/email/confirmation", json={"token": link})
    assert again["status"] == 410
    await portal.sign_in("m.couture@example.org", GOOD_PASSWORD)
    old = await portal.call(
        "POST",
        "/auth/sign-in",
        json={"login": "mireille.couture@hervedavid.com", "password": GOOD_PASSWORD},
    )
    assert old["status"] == 401
    me = await portal.call("GET", "/me", token=token, expect=200)
    assert me["email"] == "m.couture@example.org"
