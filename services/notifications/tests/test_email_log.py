"""The delivery log: a customer admin sees what their organisation's users were sent, and
nothing of another organisation's; vendor staff see any organisation's; newest first, a page
at a time."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest

from conftest import Infrastructure
from services.identity import events as identity
from services.notifications.tests.identity_side import (
    Identity,
    address,
    granted,
    identity_side,
    registered,
)
from tests.support import TokenIssuer, eventually


@dataclass(frozen=True)
class Organisation:
    organisation_id: uuid.UUID
    users: dict[uuid.UUID, str]  # user → address
    reset_for: uuid.UUID


@dataclass(frozen=True)
class Scene:
    idp: Identity
    first: Organisation
    second: Organisation


async def organisation_with_users(idp: Identity, name: str, users: int) -> Organisation:
    organisation_id = uuid.uuid4()
    await idp.settled(organisation_id, registered(organisation_id, name))
    members = {uuid.uuid4(): address() for _ in range(users)}
    for user_id, email in members.items():
        await idp.settled(
            user_id, granted(user_id, organisation_id, email), organisation_id=organisation_id
        )
    # A password reset speaks of no organisation: still one of the organisation's users'.
    reset_for, email = next(iter(members.items()))
    _, link = idp.invitation(reset_for)
    await idp.settled(
        reset_for,
        identity.PasswordResetRequested(user_id=reset_for, email=email, language="fr", reset=link),
    )
    return Organisation(organisation_id, members, reset_for)


@pytest.fixture(scope="module")
async def scene(infrastructure: Infrastructure, token_issuer: TokenIssuer) -> AsyncIterator[Scene]:
    async with identity_side(infrastructure, token_issuer) as idp:
        first = await organisation_with_users(idp, "Imprimerie Roux", 3)
        second = await organisation_with_users(idp, "Garage Lefèvre", 2)
        yield Scene(idp, first, second)


async def get(scene: Scene, path: str, headers: dict[str, str], **query: Any) -> tuple[int, Any]:
    async with (
        aiohttp.ClientSession() as session,
        session.get(
            scene.idp.url + path,
            headers=headers,
            params={k: str(v) for k, v in query.items()},
        ) as response,
    ):
        return response.status, await response.json(content_type=None)


def admin_of(token_issuer: TokenIssuer, organisation: Organisation) -> dict[str, str]:
    return token_issuer.bearer(role="customer_admin", org=organisation.organisation_id)


async def whole_log(scene: Scene, path: str, headers: dict[str, str], **query: Any) -> list[Any]:
    emails: list[Any] = []
    cursor = None
    while True:
        status, body = await get(
            scene, path, headers, **query, **({"cursor": cursor} if cursor else {})
        )
        assert status == 200, body
        emails += body["emails"]
        cursor = body["next_cursor"]
        if cursor is None:
            return emails


async def test_an_admin_sees_their_users_emails_and_no_other_organisations(
    scene: Scene, token_issuer: TokenIssuer
) -> None:
    for mine, theirs in [(scene.first, scene.second), (scene.second, scene.first)]:

        async def all_sent(mine: Organisation = mine) -> list[Any]:
            emails = await whole_log(scene, "/organisation/email-log", admin_of(token_issuer, mine))
            return emails if all(e["status"] == "sent" for e in emails) else []

        emails = await eventually(all_sent)
        # Each user's access email, and the reset that named no organisation.
        assert sorted(e["recipient"] for e in emails) == sorted(
            [*mine.users.values(), mine.users[mine.reset_for]]
        )
        assert {e["template"] for e in emails} == {"portal_access_added", "password_reset"}
        assert {e["category"] for e in emails} == {"security"}
        assert not set(theirs.users.values()) & {e["recipient"] for e in emails}
        assert all(e["error"] is None for e in emails)
        assert all(e["sent_at"] and e["attempts"] == 1 for e in emails)


async def test_the_log_is_newest_first_a_page_at_a_time(
    scene: Scene, token_issuer: TokenIssuer
) -> None:
    headers = admin_of(token_issuer, scene.first)
    status, everything = await get(scene, "/organisation/email-log", headers, limit=100)
    assert status == 200
    assert everything["next_cursor"] is None
    pages: list[list[Any]] = []
    cursor = None
    while True:
        query: dict[str, Any] = {"limit": 1, **({"cursor": cursor} if cursor else {})}
        status, body = await get(scene, "/organisation/email-log", headers, **query)
        assert status == 200
        pages.append(body["emails"])
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert [len(page) for page in pages] == [1] * 4
    assert [page[0] for page in pages] == everything["emails"]
    moments = [e["created_at"] for e in everything["emails"]]
    assert moments == sorted(moments, reverse=True)
    # The first page's only email is the newest: the reset, asked for last.
    assert pages[0][0]["template"] == "password_reset"
    status, body = await get(scene, "/organisation/email-log", headers, status="skipped")
    assert (status, body["emails"]) == (200, [])


async def test_vendor_staff_read_any_organisations_log(
    scene: Scene, token_issuer: TokenIssuer
) -> None:
    staff = token_issuer.bearer(role="vendor_back_office")
    for organisation in (scene.first, scene.second):
        seen_by_staff = await whole_log(
            scene, "/email-log", staff, organisation_id=organisation.organisation_id
        )
        seen_by_admin = await whole_log(
            scene, "/organisation/email-log", admin_of(token_issuer, organisation)
        )
        assert [e["email_id"] for e in seen_by_staff] == [e["email_id"] for e in seen_by_admin]
    everything = {e["email_id"] for e in await whole_log(scene, "/email-log", staff)}
    assert len(everything) >= 4 + 3


@pytest.mark.parametrize(
    ("path", "claims", "status"),
    [
        ("/organisation/email-log", {}, 401),
        ("/organisation/email-log", {"role": "customer_user", "org": "first"}, 403),
        ("/organisation/email-log", {"role": "vendor_admin"}, 403),
        ("/organisation/email-log", {"role": "customer_admin"}, 403),  # acting for none
        ("/email-log", {"role": "customer_admin", "org": "first"}, 403),
        ("/email-log", {"role": "customer_user", "org": "first"}, 403),
    ],
)
async def test_who_may_not_read_a_log(
    scene: Scene, token_issuer: TokenIssuer, path: str, claims: dict[str, Any], status: int
) -> None:
    if claims.get("org") == "first":
        claims = {**claims, "org": scene.first.organisation_id}
    headers = token_issuer.bearer(**claims) if claims else {}
    answer, problem = await get(scene, path, headers)
    assert (answer, problem["status"]) == (status, status)


@pytest.mark.parametrize(
    ("query", "status"),
    [
        ({"cursor": "not-a-cursor"}, 400),
        ({"limit": 0}, 422),
        ({"limit": 101}, 422),
        ({"status": "lost"}, 422),
        # A customer admin cannot name another organisation.
        ({"organisation_id": "second"}, 422),
    ],
)
async def test_a_bad_query_is_a_problem(
    scene: Scene, token_issuer: TokenIssuer, query: dict[str, Any], status: int
) -> None:
    if query.get("organisation_id") == "second":
        query = {"organisation_id": scene.second.organisation_id}
    answer, problem = await get(
        scene, "/organisation/email-log", admin_of(token_issuer, scene.first), **query
    )
    assert (answer, problem["status"]) == (status, status)
