"""Flow 3: a password set by someone else must be changed at the next sign-in. The back office
(any organisation) or a customer admin (their own organisation's users) sets a temporary
password; the user's sessions end; signing in with it asks for a new one."""

from __future__ import annotations

import json
from typing import Any

from services.identity.tests.portal import (
    CONTACT,
    GOOD_PASSWORD,
    ORGANISATION,
    Portal,
    back_office,
    contact_with_access,
    customer_with_access,
    staff_member,
)

TEMPORARY = "Provisoire&Mardi48"
CHOSEN = "Classeur&Vert2030"


async def _password_events(portal: Portal, user_id: str) -> list[dict[str, Any]]:
    rows = await portal.sql(
        "SELECT json_agg(data ORDER BY version) FROM identity.events"
        " WHERE stream_id = $1 AND type = 'guichet.identity.PasswordChanged'",
        user_id,
    )
    return json.loads(rows)


async def test_a_password_set_by_the_back_office_ends_sessions_and_must_be_changed_at_sign_in(
    portal: Portal,
) -> None:
    staff = await back_office(portal)
    organisation_id, user_id, user_code = await customer_with_access(portal, staff)
    before = await portal.sign_in(user_code, GOOD_PASSWORD, remember_me=True)
    path = f"/organisations/{organisation_id}/users/{user_id}/password"

    # The policy holds for a password someone else chooses: rules, common, personal.
    weak = await portal.call("POST", path, token=staff, json={"password": "imprimante"})
    assert weak["status"] == 422
    assert {v["rule"] for v in weak["violations"]} == {"digit", "upper_case", "special"}
    common = await portal.call("POST", path, token=staff, json={"password": "P@ssw0rd1"})
    assert [v["rule"] for v in common["violations"]] == ["not_common"]
    personal = await portal.call("POST", path, token=staff, json={"password": "Couture&2027x"})
    assert [v["rule"] for v in personal["violations"]] == ["not_personal"]
    # Refusals changed nothing: the session still refreshes, the password still works.
    before = await portal.call(
        "POST", "/auth/refresh", json={"refresh_token": before["refresh_token"]}, expect=200
    )
    assert len(await _password_events(portal, user_id)) == 1

    await portal.call("POST", path, token=staff, json={"password": TEMPORARY}, expect=204)
    ended = await portal.call(
        "POST", "/auth/refresh", json={"refresh_token": before["refresh_token"]}, expect=401
    )
    assert ended["type"] == "https://guichet.dev/problems/session-ended"
    await portal.call(
        "POST", "/auth/sign-in", json={"login": user_code, "password": GOOD_PASSWORD}, expect=401
    )
    *_, event = await _password_events(portal, user_id)
    assert (event["set_by_user"], event["first_set"]) == (False, False)

    answer = await portal.sign_in(user_code, TEMPORARY, remember_me=True)
    assert answer["password_change_required"] is True
    assert "access_token" not in answer
    same = await portal.call(
        "POST",
        "/auth/password/expired",
        json={"ticket": answer["ticket"], "new_password": TEMPORARY},
        expect=422,
    )
    assert same["status"] == 422
    tokens = await portal.call(
        "POST",
        "/auth/password/expired",
        json={"ticket": answer["ticket"], "new_password": CHOSEN},
        expect=200,
    )
    assert tokens["organisation_id"] == organisation_id
    me = await portal.call("GET", "/me", token=tokens["access_token"], expect=200)
    assert me["user_id"] == user_id
    *_, chosen = await _password_events(portal, user_id)
    assert chosen["set_by_user"] is True
    # Chosen by the user now: signing in with it opens a session at once.
    assert "access_token" in await portal.sign_in(user_code, CHOSEN)
    await portal.call(
        "POST", "/auth/sign-in", json={"login": user_code, "password": TEMPORARY}, expect=401
    )


async def test_a_customer_admin_sets_a_temporary_password_for_their_own_users_only(
    portal: Portal,
) -> None:
    staff = await back_office(portal)
    organisation_id, admin_id, admin_code = await customer_with_access(portal, staff)
    await portal.call(
        "POST",
        f"/organisations/{organisation_id}/users/{admin_id}/administrator",
        token=staff,
        expect=204,
    )
    _, colleague_id, colleague_code = await contact_with_access(
        portal,
        staff,
        organisation_id,
        {**CONTACT, "first_name": "Paul", "last_name": "Roy", "email": "paul.roy@hervedavid.com"},
    )
    admin = (await portal.sign_in(admin_code, GOOD_PASSWORD))["access_token"]
    colleague = await portal.sign_in(colleague_code, GOOD_PASSWORD)

    # Another organisation's user, a guessed id, and the admin's own account are refused.
    other = await portal.call(
        "POST", "/organisations", token=staff, json={**ORGANISATION, "code": "OTHER1"}, expect=201
    )
    _, stranger_id, stranger_code = await contact_with_access(
        portal,
        staff,
        other["organisation_id"],
        {**CONTACT, "last_name": "Étrangère", "email": "e@other.example"},
    )
    for someone in (stranger_id, "8f1c2a7e-4a59-4c1e-9a11-0d1e1f2a3b4c"):
        await portal.call(
            "POST",
            f"/organisation/users/{someone}/password",
            token=admin,
            json={"password": TEMPORARY},
            expect=404,
        )
    own = await portal.call(
        "POST",
        f"/organisation/users/{admin_id}/password",
        token=admin,
        json={"password": TEMPORARY},
        expect=409,
    )
    assert "your own password" in own["detail"]
    # A user of the organisation who is not its admin may not.
    await portal.call(
        "POST",
        f"/organisation/users/{admin_id}/password",
        token=colleague["access_token"],
        json={"password": TEMPORARY},
        expect=403,
    )
    assert "access_token" in await portal.sign_in(stranger_code, GOOD_PASSWORD)

    await portal.call(
        "POST",
        f"/organisation/users/{colleague_id}/password",
        token=admin,
        json={"password": TEMPORARY},
        expect=204,
    )
    await portal.call(
        "POST", "/auth/refresh", json={"refresh_token": colleague["refresh_token"]}, expect=401
    )
    answer = await portal.sign_in(colleague_code, TEMPORARY)
    assert answer["password_change_required"] is True
    tokens = await portal.call(
        "POST",
        "/auth/password/expired",
        json={"ticket": answer["ticket"], "new_password": CHOSEN},
        expect=200,
    )
    await portal.call("GET", "/me", token=tokens["access_token"], expect=200)


async def test_a_user_with_access_elsewhere_gets_a_temporary_password_from_the_vendor_only(
    portal: Portal,
) -> None:
    """With a password they chose, a customer admin could act in the user's other
    organisation: only the vendor's back office may set it."""
    staff = await back_office(portal)
    organisation_id, admin_id, admin_code = await customer_with_access(portal, staff)
    await portal.call(
        "POST",
        f"/organisations/{organisation_id}/users/{admin_id}/administrator",
        token=staff,
        expect=204,
    )
    admin = (await portal.sign_in(admin_code, GOOD_PASSWORD))["access_token"]
    shared_email = "paul.roy@hervedavid.com"
    _, user_id, user_code = await contact_with_access(
        portal, staff, organisation_id, {**CONTACT, "last_name": "Roy", "email": shared_email}
    )
    other = await portal.call(
        "POST", "/organisations", token=staff, json={**ORGANISATION, "code": "OTHER2"}, expect=201
    )
    _, same_user, _ = await contact_with_access(
        portal,
        staff,
        other["organisation_id"],
        {**CONTACT, "last_name": "Roy", "email": shared_email},
        password=None,
    )
    assert same_user == user_id
    elsewhere = await portal.call(
        "POST",
        f"/organisation/users/{user_id}/password",
        token=admin,
        json={"password": TEMPORARY},
        expect=409,
    )
    assert "another organisation" in elsewhere["detail"]
    assert "access_token" in await portal.sign_in(user_code, GOOD_PASSWORD)

    # Among the vendor's staff, an agent does not manage access; the back office does.
    _, _, agent = await staff_member(
        portal, staff, role="vendor_agent", email="agent@vendor.example"
    )
    path = f"/organisations/{other['organisation_id']}/users/{user_id}/password"
    await portal.call("POST", path, token=agent, json={"password": TEMPORARY}, expect=403)
    await portal.call("POST", path, token=staff, json={"password": TEMPORARY}, expect=204)
    assert (await portal.sign_in(user_code, TEMPORARY))["password_change_required"] is True


async def test_staff_accounts_get_no_temporary_password_through_an_organisation(
    portal: Portal,
) -> None:
    staff = await back_office(portal)
    organisation_id, _, _ = await customer_with_access(portal, staff)
    agent_id, agent_code, _ = await staff_member(
        portal, staff, role="vendor_agent", email="agent@vendor.example"
    )
    await portal.call(
        "POST",
        f"/organisations/{organisation_id}/users/{agent_id}/password",
        token=staff,
        json={"password": TEMPORARY},
        expect=404,
    )
    assert "access_token" in await portal.sign_in(agent_code, GOOD_PASSWORD)
