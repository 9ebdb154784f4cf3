"""Flow 19 (seed 001): my information, my personal-data space with each consent and its
history, the download of everything held about me (and nothing about anyone else), the
erasure request, and what changing my password demands."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from services.identity.settings import IdentitySettings
from services.identity.tests.portal import (
    CONTACT,
    GOOD_PASSWORD,
    Portal,
    back_office,
    contact_with_access,
    customer_with_access,
)

MIREILLE = "mireille.couture@hervedavid.com"
DEFAULTS = IdentitySettings.model_fields


async def _signed_in_customer(
    portal: Portal, modules: tuple[str, ...] = ("tickets", "personal_data")
) -> tuple[str, str, str]:
    """(organisation id, user id, access token) of Mireille, a customer of Hervé David."""
    staff = await back_office(portal)
    organisation_id, user_id, _ = await customer_with_access(portal, staff, modules=modules)
    token = (await portal.sign_in(MIREILLE, GOOD_PASSWORD))["access_token"]
    return organisation_id, user_id, token


async def test_i_see_and_change_my_own_information(portal: Portal) -> None:
    _, user_id, token = await _signed_in_customer(portal)
    me = await portal.call("GET", "/me", token=token, expect=200)
    assert (me["user_id"], me["email"], me["first_name"], me["last_name"]) == (
        user_id,
        MIREILLE,
        "Mireille",
        "Couture",
    )
    assert [o["organisation_name"] for o in me["organisations"]] == ["Hervé David"]

    changed = await portal.call(
        "PUT",
        "/me",
        token=token,
        json={
            "first_name": "Mireille",
            "last_name": "Couture-Lemieux",
            "function": "Responsable achats",
            "phone": "521 1224 6399",
            "language": "en",
        },
        expect=200,
    )
    assert changed["last_name"] == "Couture-Lemieux"
    assert (changed["function"], changed["phone"], changed["language"]) == (
        "Responsable achats",
        "521 1224 6399",
        "en",
    )
    assert await portal.call("GET", "/me", token=token, expect=200) == changed

    # Bad input is refused field by field and changes nothing.
    for bad in (
        {"first_name": "Mireille", "last_name": "", "language": "fr"},
        {"first_name": "Mireille", "last_name": "Couture", "language": "klingon"},
        {"first_name": "Mireille", "last_name": "Couture", "language": "fr", "email": "x@y.z"},
        {"first_name": "Mireille", "last_name": "Couture"},
    ):
        status, problem = await portal.request("PUT", "/me", token=token, json=bad)
        assert status == 422, (bad, problem)
        assert problem["errors"], problem
    assert await portal.call("GET", "/me", token=token, expect=200) == changed


async def test_the_personal_data_space_shows_what_seed_001_lists(portal: Portal) -> None:
    organisation_id, user_id, token = await _signed_in_customer(portal)
    space = await portal.call("GET", "/me/personal-data", token=token, expect=200)
    assert space["organisation"]["organisation_id"] == organisation_id
    assert space["organisation"]["legal_name"] == "Hervé David"
    assert space["introduction"] == DEFAULTS["personal_data_intro"].default
    assert space["dpo_email"] == DEFAULTS["dpo_email"].default
    assert space["me"]["user_id"] == user_id
    assert space["consents"] == [
        {"purpose": "newsletter", "given": False, "changed_at": None, "history": []},
        {"purpose": "satisfaction_surveys", "given": False, "changed_at": None, "history": []},
    ]


async def test_a_user_without_the_module_has_no_personal_data_space(portal: Portal) -> None:
    _, _, token = await _signed_in_customer(portal, modules=("tickets",))
    for method, path in (
        ("GET", "/me/personal-data"),
        ("PUT", "/me/consents/newsletter"),
        ("DELETE", "/me/consents/newsletter"),
        ("GET", "/me/export"),
        ("POST", "/me/erasure-request"),
    ):
        status, problem = await portal.request(method, path, token=token)
        assert status == 403, (method, path, problem)
    # Their own information stays theirs to see.
    await portal.call("GET", "/me", token=token, expect=200)


async def test_give_withdraw_give_shows_three_entries_in_order(portal: Portal) -> None:
    _, _, token = await _signed_in_customer(portal)
    await portal.call("PUT", "/me/consents/newsletter", token=token, expect=204)
    await portal.call("PUT", "/me/consents/newsletter", token=token, expect=204)  # already given
    await portal.call("DELETE", "/me/consents/newsletter", token=token, expect=204)
    await portal.call("DELETE", "/me/consents/newsletter", token=token, expect=204)  # already
    await portal.call("PUT", "/me/consents/newsletter", token=token, expect=204)

    space = await portal.call("GET", "/me/personal-data", token=token, expect=200)
    newsletter, surveys = space["consents"]
    assert newsletter["purpose"] == "newsletter"
    assert newsletter["given"] is True
    assert [entry["given"] for entry in newsletter["history"]] == [True, False, True]
    moments = [dt.datetime.fromisoformat(entry["at"]) for entry in newsletter["history"]]
    assert moments == sorted(moments)
    assert dt.datetime.fromisoformat(newsletter["changed_at"]) == moments[-1]
    assert surveys == {
        "purpose": "satisfaction_surveys",
        "given": False,
        "changed_at": None,
        "history": [],
    }

    for method in ("PUT", "DELETE"):
        for purpose in ("marketing", "NEWSLETTER", "newsletter%20", "x" * 300):
            status, problem = await portal.request(method, f"/me/consents/{purpose}", token=token)
            assert status == 404, (method, purpose, problem)
            assert problem["title"] == "Not found"
    after = await portal.call("GET", "/me/personal-data", token=token, expect=200)
    assert after["consents"] == space["consents"]


async def test_the_export_holds_everything_about_me_and_nothing_about_anyone_else(
    portal: Portal,
) -> None:
    staff = await back_office(portal)
    organisation_id, user_id, _ = await customer_with_access(portal, staff)
    _, colleague_id, _ = await contact_with_access(
        portal,
        staff,
        organisation_id,
        {**CONTACT, "first_name": "Tristan", "last_name": "Marchand", "email": "t@hd.example"},
    )
    _, stranger_id, _ = await customer_with_access(
        portal, staff, code="B200", email="quentin.zola@b-corp.example"
    )
    token = (await portal.sign_in(MIREILLE, GOOD_PASSWORD))["access_token"]
    colleague = (await portal.sign_in("t@hd.example", GOOD_PASSWORD))["access_token"]
    await portal.call(
        "PUT",
        "/me",
        token=token,
        json={"first_name": "Mireille", "last_name": "Couture", "phone": "514", "language": "fr"},
        expect=200,
    )
    await portal.call("PUT", "/me/consents/satisfaction_surveys", token=token, expect=204)
    await portal.call("DELETE", "/me/consents/satisfaction_surveys", token=token, expect=204)
    await portal.call("PUT", "/me/consents/newsletter", token=colleague, expect=204)
    await portal.call("POST", "/auth/password/forgot", json={"email": MIREILLE}, expect=202)

    async with portal.session.get(
        f"{portal.url}/me/export", headers={"Authorization": f"Bearer {token}"}
    ) as response:
        assert response.status == 200
        assert response.headers["Content-Disposition"] == (
            f'attachment; filename="guichet-{user_id}.json"'
        )
        text = await response.text()
    export = json.loads(text)
    assert export["user"] == await portal.call("GET", "/me", token=token, expect=200)
    assert export["user"]["phone"] == "514"
    assert [m["organisation_id"] for m in export["user"]["organisations"]] == [organisation_id]
    surveys = next(c for c in export["consents"] if c["purpose"] == "satisfaction_surveys")
    assert [entry["given"] for entry in surveys["history"]] == [True, False]
    newsletter = next(c for c in export["consents"] if c["purpose"] == "newsletter")
    assert newsletter["history"] == []  # the colleague's consent is the colleague's
    assert [entry["type"] for entry in export["history"]] == [
        "guichet.identity.PortalAccessGranted",
        "guichet.identity.PasswordChanged",
        "guichet.identity.PersonalInformationChanged",
        "guichet.identity.ConsentGiven",
        "guichet.identity.ConsentWithdrawn",
        "guichet.identity.PasswordResetRequested",
    ]
    assert export["history"][0]["data"]["email"] == MIREILLE

    for someone_else in (colleague_id, stranger_id, "Marchand", "t@hd.example", "b-corp", "B200"):
        assert someone_else not in text, someone_else
    # No secret leaves the service: not the one-time links, not the password's hash.
    for secret in ("sealed_token", "invitation", "reset", "argon2", "$argon"):
        assert secret not in text, secret


async def test_an_erasure_request_is_recorded_once(portal: Portal) -> None:
    _, _, token = await _signed_in_customer(portal)
    await portal.call("POST", "/me/erasure-request", token=token, expect=202)
    await portal.call("POST", "/me/erasure-request", token=token, expect=202)  # idempotent
    export = await portal.call("GET", "/me/export", token=token, expect=200)
    requests = [e for e in export["history"] if e["type"] == "guichet.identity.ErasureRequested"]
    assert len(requests) == 1


async def test_changing_my_password_demands_the_current_one_and_the_policy(
    portal: Portal,
) -> None:
    _, _, token = await _signed_in_customer(portal)

    async def change(current: str, new: str) -> tuple[int, Any]:
        return await portal.request(
            "POST",
            "/me/password",
            token=token,
            json={"current_password": current, "new_password": new},
        )

    status, problem = await change("Wrong&Guess99", "Nouveau&Toner77")
    assert status == 403, problem
    assert problem["detail"] == "The current password is not right."
    for weak, rules in (
        ("Court1!", {"min_length"}),
        ("toner&copieur", {"digit", "upper_case"}),
        ("Copieur2Toner", {"special"}),
        ("P@ssw0rd1", {"not_common"}),
        ("Couture&2026", {"not_personal"}),
    ):
        status, problem = await change(GOOD_PASSWORD, weak)
        assert status == 422, (weak, problem)
        assert rules <= {v["rule"] for v in problem["violations"]}, (weak, problem)
    status, problem = await portal.request(
        "POST", "/me/password", token=token, json={"new_password": "Nouveau&Toner77"}
    )
    assert status == 422, problem
    # None of the refusals changed anything.
    await portal.sign_in(MIREILLE, GOOD_PASSWORD)

    status, _ = await change(GOOD_PASSWORD, "Nouveau&Toner77")
    assert status == 204
    assert (await portal.sign_in(MIREILLE, "Nouveau&Toner77"))["access_token"]
    old = await portal.call(
        "POST", "/auth/sign-in", json={"login": MIREILLE, "password": GOOD_PASSWORD}
    )
    assert old["status"] == 401
