"""Each user chooses which notifications reach them by email; security ones always do. An
email turned off is recorded as skipped, never silently lost."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from conftest import Infrastructure
from services.identity import events as identity
from services.notifications.categories import Category, UncategorisedTemplate, category_of
from services.notifications.rendering import TEMPLATES
from services.notifications.tests.identity_side import (
    Identity,
    address,
    granted,
    identity_side,
    registered,
)
from shared.http.keys import DB_POOL
from tests.support import TokenIssuer

PREFERENCES = "/me/notification-preferences"


@pytest.fixture(scope="module")
async def idp(infrastructure: Infrastructure, token_issuer: TokenIssuer) -> AsyncIterator[Identity]:
    async with identity_side(infrastructure, token_issuer) as side:
        yield side


async def call(
    idp: Identity, method: str, headers: dict[str, str], body: Any = None
) -> tuple[int, Any]:
    async with (
        aiohttp.ClientSession() as session,
        session.request(method, idp.url + PREFERENCES, headers=headers, json=body) as response,
    ):
        return response.status, await response.json(content_type=None)


def choices(body: dict[str, Any]) -> dict[str, bool]:
    return {entry["category"]: entry["email"] for entry in body["categories"]}


def test_every_template_has_a_category() -> None:
    templates = {path.name.split(".")[0] for path in Path(TEMPLATES, "en").iterdir()}
    assert templates
    for template in templates:
        assert isinstance(category_of(template), Category)
    assert category_of("order_shipped") is Category.ORDERS
    assert category_of("invoice_issued") is Category.INVOICES
    with pytest.raises(UncategorisedTemplate):
        category_of("something_new")


async def test_by_default_everything_is_on_and_security_is_mandatory(
    idp: Identity, token_issuer: TokenIssuer
) -> None:
    status, body = await call(idp, "GET", token_issuer.bearer())
    assert status == 200
    assert choices(body) == {category.value: True for category in Category}
    mandatory = {entry["category"] for entry in body["categories"] if entry["mandatory"]}
    assert mandatory == {"security"}


async def test_a_user_turns_categories_off_and_on_again(
    idp: Identity, token_issuer: TokenIssuer
) -> None:
    me, someone_else = token_issuer.bearer(), token_issuer.bearer()
    status, body = await call(
        idp, "PUT", me, {"email": {"tickets": False, "orders": False, "security": True}}
    )
    assert status == 200
    assert choices(body)["tickets"] is False
    assert choices(body)["orders"] is False
    assert choices(body)["invoices"] is True
    assert choices((await call(idp, "GET", me))[1])["tickets"] is False
    # Mine only.
    assert choices((await call(idp, "GET", someone_else))[1])["tickets"] is True
    # The whole set: what is not named is on again.
    status, body = await call(idp, "PUT", me, {"email": {"orders": False}})
    assert choices(body)["tickets"] is True
    assert choices(body)["orders"] is False


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"email": {"security": False}}, 422),
        ({"email": {"tickets": False, "security": False}}, 422),
        ({"email": {"newsletters": False}}, 422),
        ({"email": {"tickets": "maybe"}}, 422),
        ({"email": {}, "extra": 1}, 422),
        ({}, 422),
    ],
)
async def test_refused_changes_change_nothing(
    idp: Identity, token_issuer: TokenIssuer, body: dict[str, Any], status: int
) -> None:
    me = token_issuer.bearer()
    await call(idp, "PUT", me, {"email": {"invoices": False}})
    answer, problem = await call(idp, "PUT", me, body)
    assert answer == status
    assert problem["status"] == status
    after = choices((await call(idp, "GET", me))[1])
    assert after["invoices"] is False
    assert after["security"] is True
    assert after["tickets"] is True


async def test_only_a_signed_in_user_has_preferences(
    idp: Identity, token_issuer: TokenIssuer
) -> None:
    assert (await call(idp, "GET", {}))[0] == 401
    assert (await call(idp, "GET", {"Authorization": "Bearer nonsense"}))[0] == 401
    # An internal system (client credentials) is nobody to email.
    assert (await call(idp, "GET", token_issuer.bearer(sub="erp-connector")))[0] == 403
    async with (
        aiohttp.ClientSession() as session,
        session.put(
            idp.url + PREFERENCES, headers=token_issuer.bearer(), data=b"{not json"
        ) as response,
    ):
        assert response.status in {400, 415}


async def test_an_email_turned_off_is_skipped_and_logged_but_security_still_arrives(
    idp: Identity, token_issuer: TokenIssuer
) -> None:
    organisation_id, user_id, email = uuid.uuid4(), uuid.uuid4(), address()
    me = token_issuer.bearer(sub=str(user_id))
    status, _ = await call(idp, "PUT", me, {"email": {"organisation": False}})
    assert status == 200
    await idp.settled(organisation_id, registered(organisation_id, "Atelier Perrin"))
    await idp.settled(
        user_id, granted(user_id, organisation_id, email), organisation_id=organisation_id
    )
    [decision] = await idp.settled(
        organisation_id,
        identity.OrganisationChangeApproved(
            request_id=uuid.uuid4(),
            organisation_id=organisation_id,
            requested_by=user_id,
            decided_by=uuid.uuid4(),
        ),
        organisation_id=organisation_id,
    )
    await idp.settled(user_id, identity.PasswordChanged(user_id=user_id, set_by_user=True))

    mails = await idp.mail.wait_for(email, count=2)  # access granted, password changed
    subjects = sorted(mail["subject"] for mail in mails)
    assert not any("modification" in subject for subject in subjects), subjects
    assert any("mot de passe" in subject for subject in subjects), subjects
    skipped = await idp.app[DB_POOL].fetchrow(
        "SELECT status, template, user_id, recipient FROM outgoing_emails WHERE event_id = $1",
        decision.event_id,
    )
    assert dict(skipped) == {
        "status": "skipped",
        "template": "organisation_change_approved",
        "user_id": user_id,
        "recipient": email,
    }
    # Nothing more comes: the skipped email is never sent later.
    assert len(await idp.mail.to(email)) == 2
