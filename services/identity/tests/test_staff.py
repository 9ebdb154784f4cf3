"""The vendor's staff accounts: the vendor admin creates them, the invitation's link sets the
password, the new member signs in with the role given; nobody else creates them, and the
staff list shows each member's role and status."""

from __future__ import annotations

from services.identity.tests.portal import (
    ADMIN_EMAIL,
    GOOD_PASSWORD,
    ORGANISATION,
    Portal,
    back_office,
    customer_with_access,
    staff_member,
)

NEW_MEMBER = {
    "email": "Lucie.Bernard@Vendor.example",
    "first_name": "Lucie",
    "last_name": "Bernard",
    "language": "en",
    "role": "vendor_back_office",
}


async def test_the_vendor_admin_creates_a_back_office_member_who_sets_a_password_and_works(
    portal: Portal,
) -> None:
    admin = await back_office(portal)
    created = await portal.call("POST", "/staff", token=admin, json=NEW_MEMBER, expect=201)
    assert created["user_code"] == "S002"  # the first admin, created at deployment, is S001

    listed = await portal.call("GET", "/staff?search=bernard", token=admin, expect=200)
    [lucie] = listed["items"]
    assert (lucie["user_id"], lucie["email"], lucie["role"], lucie["status"]) == (
        created["user_id"],
        "lucie.bernard@vendor.example",
        "vendor_back_office",
        "invited",
    )
    assert (lucie["first_name"], lucie["last_name"], lucie["language"]) == (
        "Lucie",
        "Bernard",
        "en",
    )

    # Signing in before choosing a password: there is none to match.
    refused = await portal.call(
        "POST", "/auth/sign-in", json={"login": created["user_code"], "password": GOOD_PASSWORD}
    )
    assert refused["status"] == 401
    token = await portal.link_token(created["user_id"], "StaffAccountCreated")
    await portal.call(
        "POST",
        "/auth/password/reset",
        json={"token": token, "new_password": GOOD_PASSWORD},
        expect=204,
    )
    signed_in = await portal.sign_in(created["user_code"], GOOD_PASSWORD)
    assert signed_in["organisation_id"] is None  # staff act for no organisation
    lucie_token = signed_in["access_token"]
    me = await portal.call("GET", "/me", token=lucie_token, expect=200)
    assert (me["user_id"], me["staff_role"], me["organisations"]) == (
        created["user_id"],
        "vendor_back_office",
        [],
    )
    listed = await portal.call("GET", "/staff?search=S002", token=admin, expect=200)
    assert [(item["user_id"], item["status"]) for item in listed["items"]] == [
        (created["user_id"], "active")
    ]

    # The back office's work is open to her; creating staff is the vendor admin's alone.
    await portal.call("POST", "/organisations", token=lucie_token, json=ORGANISATION, expect=201)
    await portal.call("GET", "/staff", token=lucie_token, expect=200)
    refused = await portal.call(
        "POST",
        "/staff",
        token=lucie_token,
        json={**NEW_MEMBER, "email": "autre@vendor.example"},
        expect=403,
    )
    assert refused["status"] == 403


async def test_only_the_vendor_admin_creates_staff_and_bad_requests_change_nothing(
    portal: Portal,
) -> None:
    admin = await back_office(portal)
    _, _, agent = await staff_member(
        portal, admin, role="vendor_agent", email="agent@vendor.example", last_name="Agent"
    )
    staff_before = await portal.call("GET", "/staff", token=admin, expect=200)
    organisation_id, customer_id, customer_code = await customer_with_access(portal, admin)
    await portal.call(
        "POST",
        f"/organisations/{organisation_id}/users/{customer_id}/administrator",
        token=admin,
        expect=204,
    )
    customer_admin = (await portal.sign_in(customer_code, GOOD_PASSWORD))["access_token"]

    for token in (agent, customer_admin):
        await portal.call("POST", "/staff", token=token, json=NEW_MEMBER, expect=403)
    await portal.call("GET", "/staff", token=customer_admin, expect=403)
    await portal.call("POST", "/staff", json=NEW_MEMBER, expect=401)

    taken = await portal.call(
        "POST", "/staff", token=admin, json={**NEW_MEMBER, "email": f"  {ADMIN_EMAIL.upper()}"}
    )
    assert taken["status"] == 409
    customer_email = await portal.call(
        "POST",
        "/staff",
        token=admin,
        json={**NEW_MEMBER, "email": "mireille.couture@hervedavid.com"},
        expect=409,
    )
    assert "already" in customer_email["detail"]
    for wrong in (
        {"role": "customer_admin"},
        {"role": "service"},
        {"email": "not an address"},
        {"last_name": " "},
        {"language": "de"},
        {"unknown": "field"},
    ):
        answer = await portal.call("POST", "/staff", token=admin, json={**NEW_MEMBER, **wrong})
        assert answer["status"] == 422, (wrong, answer)
    assert await portal.call("GET", "/staff", token=admin, expect=200) == staff_before


async def test_the_staff_list_is_searched_and_paginated_by_name(portal: Portal) -> None:
    admin = await back_office(portal)
    for number in range(11):
        await portal.call(
            "POST",
            "/staff",
            token=admin,
            json={
                **NEW_MEMBER,
                "email": f"agent{number:02d}@vendor.example",
                "last_name": f"Agent{number:02d}",
                "role": "vendor_agent",
            },
            expect=201,
        )
    first = await portal.call("GET", "/staff?search=agent", token=admin, expect=200)
    second = await portal.call("GET", "/staff?search=agent&page=2", token=admin, expect=200)
    assert (first["total"], first["page"], first["per_page"]) == (11, 1, 10)
    names = [item["last_name"] for item in first["items"] + second["items"]]
    assert names == [f"Agent{number:02d}" for number in range(11)]
    assert {item["role"] for item in first["items"]} == {"vendor_agent"}
    everyone = await portal.call("GET", "/staff", token=admin, expect=200)
    assert everyone["total"] == 12  # and the first admin
    nobody = await portal.call("GET", "/staff?search=Zz%25", token=admin, expect=200)
    assert nobody == {"items": [], "total": 0, "page": 1, "per_page": 10}
    bad = await portal.call("GET", "/staff?page=deux", token=admin)
    assert bad["status"] == 400


async def test_the_vendor_admin_changes_a_members_role_which_comes_with_the_next_refresh(
    portal: Portal,
) -> None:
    admin = await back_office(portal)
    agent_id, agent_code, _ = await staff_member(
        portal, admin, role="vendor_agent", email="agent@vendor.example", last_name="Agent"
    )
    session = await portal.sign_in(agent_code, GOOD_PASSWORD)
    await portal.call(
        "POST", "/organisations", token=session["access_token"], json=ORGANISATION, expect=403
    )
    role = f"/staff/{agent_id}/role"

    # Only the vendor admin, only on someone else, only to a vendor role, only on staff.
    await portal.call(
        "PUT",
        role,
        token=session["access_token"],
        json={"role": "vendor_admin"},
        expect=403,
    )
    for wrong in ({"role": "customer_admin"}, {"role": "service"}, {}):
        await portal.call("PUT", role, token=admin, json=wrong, expect=422)
    me = await portal.call("GET", "/me", token=admin, expect=200)
    own = await portal.call(
        "PUT", f"/staff/{me['user_id']}/role", token=admin, json={"role": "vendor_agent"}
    )
    assert own["status"] == 409
    _, customer_id, _ = await customer_with_access(portal, admin)
    for nobody in (customer_id, "8f1c2a7e-4a59-4c1e-9a11-0d1e1f2a3b4c"):
        await portal.call(
            "PUT",
            f"/staff/{nobody}/role",
            token=admin,
            json={"role": "vendor_admin"},
            expect=404,
        )
    listed = await portal.call("GET", "/staff?search=Agent", token=admin, expect=200)
    assert [item["role"] for item in listed["items"]] == ["vendor_agent"]

    await portal.call("PUT", role, token=admin, json={"role": "vendor_back_office"}, expect=204)
    listed = await portal.call("GET", "/staff?search=Agent", token=admin, expect=200)
    assert [item["role"] for item in listed["items"]] == ["vendor_back_office"]
    refreshed = await portal.call(
        "POST", "/auth/refresh", json={"refresh_token": session["refresh_token"]}, expect=200
    )
    me = await portal.call("GET", "/me", token=refreshed["access_token"], expect=200)
    assert me["staff_role"] == "vendor_back_office"
    await portal.call(
        "POST",
        "/organisations",
        token=refreshed["access_token"],
        json={**ORGANISATION, "code": "NEWROLE1"},
        expect=201,
    )
    # The same role again is no change at all.
    versions = await portal.sql(
        "SELECT max(version) FROM identity.events WHERE stream_id = $1", agent_id
    )
    await portal.call("PUT", role, token=admin, json={"role": "vendor_back_office"}, expect=204)
    assert versions == await portal.sql(
        "SELECT max(version) FROM identity.events WHERE stream_id = $1", agent_id
    )
