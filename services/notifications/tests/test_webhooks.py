"""Webhooks: a customer admin registers an endpoint for their organisation's events; each is
delivered signed (verified here with the recipe docs/api.md gives receivers), retried after
failures, recorded; an endpoint that keeps failing is disabled and its owner emailed; another
organisation's events never reach it. The receiver is a real HTTP server on this machine
(plain HTTP and a loopback address: allowed by the test-only setting)."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid
from collections import defaultdict
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from conftest import Infrastructure
from services.identity import events as identity
from services.notifications.tests.identity_side import (
    VENDOR,
    Identity,
    address,
    granted,
    identity_side,
    registered,
)
from services.notifications.webhooks.addresses import (
    PublicOnlyResolver,
    RefusedAddress,
    check_url,
)
from services.orders import events as orders
from services.tickets import events as tickets
from shared.kafka import service_topic
from tests.orders_side import Order
from tests.support import TokenIssuer, eventually, publish, serving

ACTIVATED = identity.AccountActivated.type
BLOCKED = identity.AccountBlocked.type
DISABLE_AFTER = 3


# --- what a receiver does, as docs/api.md tells it ---------------------------------------------


def verify_signature(secret: str, header: str, body: bytes, tolerance: int = 300) -> bool:
    fields = dict(part.split("=", 1) for part in header.split(","))
    timestamp = int(fields["t"])
    signed = f"{timestamp}.".encode() + body
    expected = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    fresh = abs(time.time() - timestamp) <= tolerance
    return fresh and hmac.compare_digest(expected, fields["v1"])


@dataclass
class Delivery:
    headers: dict[str, str]
    body: bytes

    @property
    def event(self) -> dict[str, Any]:
        return json.loads(self.body)


@dataclass
class Receiver:
    """A customer's system: records what it is sent, answers what the test tells it."""

    url: str = ""
    received: dict[str, list[Delivery]] = field(default_factory=lambda: defaultdict(list))
    answers: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    failing: set[str] = field(default_factory=set)

    def app(self) -> web.Application:
        async def hook(request: web.Request) -> web.Response:
            name = request.match_info["name"]
            self.received[name].append(Delivery(dict(request.headers), await request.read()))
            queued = self.answers[name]
            status = queued.pop(0) if queued else 503 if name in self.failing else 200
            return web.Response(status=status)

        app = web.Application()
        app.router.add_post("/hooks/{name}", hook)
        return app

    def endpoint(self) -> tuple[str, str]:
        name = uuid.uuid4().hex[:8]
        return name, f"{self.url}/hooks/{name}"


@dataclass(frozen=True)
class Scene:
    idp: Identity
    receiver: Receiver


@pytest.fixture(scope="module")
async def scene(infrastructure: Infrastructure, token_issuer: TokenIssuer) -> AsyncIterator[Scene]:
    receiver = Receiver()
    async with (
        serving(receiver.app()) as receiver_url,
        identity_side(
            infrastructure,
            token_issuer,
            webhooks_allow_insecure=True,
            webhook_first_backoff=0.2,
            webhook_max_attempts=6,
            webhook_disable_after=DISABLE_AFTER,
            webhook_timeout=2,
        ) as idp,
    ):
        receiver.url = receiver_url
        yield Scene(idp, receiver)


@dataclass(frozen=True)
class Admin:
    organisation_id: uuid.UUID
    user_id: uuid.UUID
    email: str
    headers: dict[str, str]


async def organisation_with_admin(
    scene: Scene, token_issuer: TokenIssuer, language: str = "fr"
) -> Admin:
    organisation_id, user_id, email = uuid.uuid4(), uuid.uuid4(), address("admin")
    await scene.idp.settled(organisation_id, registered(organisation_id, "Imprimerie Roux"))
    await scene.idp.settled(
        user_id,
        granted(user_id, organisation_id, email, language=language),
        organisation_id=organisation_id,
    )
    headers = token_issuer.bearer(sub=str(user_id), role="customer_admin", org=organisation_id)
    return Admin(organisation_id, user_id, email, headers)


async def call(
    scene: Scene, method: str, path: str, headers: dict[str, str], body: Any = None
) -> tuple[int, Any]:
    async with (
        aiohttp.ClientSession() as session,
        session.request(method, scene.idp.url + path, headers=headers, json=body) as response,
    ):
        text = await response.text()
        return response.status, json.loads(text) if text else None


async def register(
    scene: Scene, admin: Admin, url: str, types: list[str] | None = None
) -> dict[str, Any]:
    status, body = await call(
        scene,
        "POST",
        "/organisation/webhooks",
        admin.headers,
        {"url": url, "event_types": types or [ACTIVATED], "description": "ERP"},
    )
    assert status == 201, body
    return body


async def activate(scene: Scene, admin: Admin) -> uuid.UUID:
    """An event of the admin's organisation that webhooks offer; its id."""
    user_id = uuid.uuid4()
    [recorded] = await scene.idp.settled(
        user_id,
        identity.AccountActivated(
            user_id=user_id,
            organisation_id=admin.organisation_id,
            modules=frozenset(),
            activated_by=admin.user_id,
        ),
        organisation_id=admin.organisation_id,
    )
    return recorded.event_id


async def deliveries(scene: Scene, admin: Admin, endpoint_id: str) -> list[dict[str, Any]]:
    status, body = await call(
        scene, "GET", f"/organisation/webhooks/{endpoint_id}/deliveries", admin.headers
    )
    assert status == 200, body
    return body["deliveries"]


# --- tests -------------------------------------------------------------------------------------


async def test_deliveries_are_signed_with_the_secret_shown_once(
    scene: Scene, token_issuer: TokenIssuer
) -> None:
    admin = await organisation_with_admin(scene, token_issuer)
    name, url = scene.receiver.endpoint()
    endpoint = await register(scene, admin, url)
    secret = endpoint["secret"]
    assert secret.startswith("whsec_")
    assert endpoint["status"] == "active"
    assert endpoint["created_by"] == str(admin.user_id)
    status, listed = await call(scene, "GET", "/organisation/webhooks", admin.headers)
    assert status == 200
    assert [e["endpoint_id"] for e in listed["endpoints"]] == [endpoint["endpoint_id"]]
    assert secret not in json.dumps(listed)
    status, one = await call(
        scene, "GET", f"/organisation/webhooks/{endpoint['endpoint_id']}", admin.headers
    )
    assert status == 200
    assert "secret" not in one

    event_id = await activate(scene, admin)
    [delivery] = await eventually(lambda: _received(scene, name, 1))
    assert verify_signature(secret, delivery.headers["Guichet-Signature"], delivery.body)
    assert not verify_signature(
        "whsec_another", delivery.headers["Guichet-Signature"], delivery.body
    )
    assert not verify_signature(secret, delivery.headers["Guichet-Signature"], delivery.body + b" ")
    assert delivery.headers["Content-Type"] == "application/cloudevents+json"
    assert delivery.headers["Guichet-Event-Type"] == ACTIVATED
    assert delivery.headers["Guichet-Event-Id"] == str(event_id)
    assert delivery.event["id"] == str(event_id)
    assert delivery.event["type"] == ACTIVATED
    assert delivery.event["organisationid"] == str(admin.organisation_id)
    assert "traceparent" not in delivery.event

    async def delivered() -> list[dict[str, Any]]:
        found = await deliveries(scene, admin, endpoint["endpoint_id"])
        return found if found and found[0]["status"] == "delivered" else []

    [recorded] = await eventually(delivered)
    assert recorded["event_id"] == str(event_id)
    assert [(a["attempt"], a["response_status"]) for a in recorded["history"]] == [(1, 200)]


async def test_only_chosen_types_of_the_organisations_own_events_arrive(
    scene: Scene, token_issuer: TokenIssuer
) -> None:
    mine = await organisation_with_admin(scene, token_issuer)
    theirs = await organisation_with_admin(scene, token_issuer)
    my_hook, my_url = scene.receiver.endpoint()
    their_hook, their_url = scene.receiver.endpoint()
    await register(scene, mine, my_url, [ACTIVATED])
    their_endpoint = await register(scene, theirs, their_url, [ACTIVATED, BLOCKED])

    user_id = uuid.uuid4()
    await scene.idp.settled(
        user_id,
        identity.AccountBlocked(
            user_id=user_id, organisation_id=mine.organisation_id, blocked_by=mine.user_id
        ),
        organisation_id=mine.organisation_id,
    )
    # The same kind of event, naming no organisation: nobody's.
    await scene.idp.settled(
        user_id,
        identity.AccountActivated(
            user_id=user_id,
            organisation_id=mine.organisation_id,
            modules=frozenset(),
            activated_by=mine.user_id,
        ),
    )
    event_id = await activate(scene, mine)

    [delivery] = await eventually(lambda: _received(scene, my_hook, 1))
    assert delivery.event["id"] == str(event_id)
    assert scene.receiver.received[their_hook] == []
    assert await deliveries(scene, theirs, their_endpoint["endpoint_id"]) == []
    assert len(scene.receiver.received[my_hook]) == 1


async def test_orders_and_interventions_reach_the_endpoints_of_their_organisation_only(
    scene: Scene, token_issuer: TokenIssuer
) -> None:
    mine = await organisation_with_admin(scene, token_issuer)
    theirs = await organisation_with_admin(scene, token_issuer)
    types = [orders.OrderShipped.type, tickets.InterventionCompleted.type]
    my_hook, my_url = scene.receiver.endpoint()
    their_hook, their_url = scene.receiver.endpoint()
    my_endpoint = await register(scene, mine, my_url, types)
    await register(scene, theirs, their_url, types)

    idp = scene.idp
    order = Order(mine.organisation_id, mine.user_id, mine.email)
    # Placed first on the order's key: handled before its shipment, and not chosen.
    await order.publish(idp.bootstrap, idp.namespace, order.placed())
    shipped = await order.publish(idp.bootstrap, idp.namespace, order.shipped({"TK-5240K": 2}))
    their_order = Order(theirs.organisation_id, theirs.user_id, theirs.email)
    theirs_shipped = await their_order.publish(
        idp.bootstrap, idp.namespace, their_order.shipped({"TK-5240C": 1})
    )
    completed = await publish(
        idp.bootstrap,
        service_topic(idp.namespace, "tickets"),
        tickets.InterventionCompleted(
            intervention_id=uuid.uuid4(),
            number=1042,
            organisation_id=mine.organisation_id,
            asset_id=order.asset_id,
            completed_by=uuid.uuid4(),
            report="Tambour remplacé",
        ),
        source="tickets",
        organisation=mine.organisation_id,
    )

    received = await eventually(lambda: _received(scene, my_hook, 2))
    assert {d.event["id"] for d in received} == {shipped.id, completed.id}
    by_type = {d.headers["Guichet-Event-Type"]: d.event for d in received}
    assert by_type[orders.OrderShipped.type]["data"]["delivery_note_number"] == "BL-2026-000317"
    assert by_type[tickets.InterventionCompleted.type]["data"]["report"] == "Tambour remplacé"
    [theirs_received] = await eventually(lambda: _received(scene, their_hook, 1))
    assert theirs_received.event["id"] == theirs_shipped.id
    recorded = await deliveries(scene, mine, my_endpoint["endpoint_id"])
    assert sorted(d["event_type"] for d in recorded) == sorted(types)


async def test_failed_deliveries_are_retried_with_backoff_until_one_succeeds(
    scene: Scene, token_issuer: TokenIssuer
) -> None:
    admin = await organisation_with_admin(scene, token_issuer)
    name, url = scene.receiver.endpoint()
    endpoint = await register(scene, admin, url)
    scene.receiver.answers[name] = [500, 500]
    await activate(scene, admin)

    received = await eventually(lambda: _received(scene, name, 3))
    assert len({d.headers["Guichet-Delivery-Id"] for d in received}) == 1
    assert [d.headers["Guichet-Delivery-Attempt"] for d in received] == ["1", "2", "3"]

    async def delivered() -> list[dict[str, Any]]:
        found = await deliveries(scene, admin, endpoint["endpoint_id"])
        return found if found and found[0]["status"] == "delivered" else []

    [recorded] = await eventually(delivered)
    assert [a["response_status"] for a in recorded["history"]] == [500, 500, 200]
    assert recorded["history"][0]["error"] == "the endpoint answered HTTP 500"
    moments = [a["attempted_at"] for a in recorded["history"]]
    assert moments == sorted(moments)
    _, after = await call(
        scene, "GET", f"/organisation/webhooks/{endpoint['endpoint_id']}", admin.headers
    )
    assert (after["status"], after["consecutive_failures"]) == ("active", 0)


async def test_an_endpoint_that_keeps_failing_is_disabled_and_its_owner_emailed(
    scene: Scene, token_issuer: TokenIssuer
) -> None:
    admin = await organisation_with_admin(scene, token_issuer, language="en")
    name, url = scene.receiver.endpoint()
    endpoint = await register(scene, admin, url)
    path = f"/organisation/webhooks/{endpoint['endpoint_id']}"
    scene.receiver.failing.add(name)
    await activate(scene, admin)

    await scene.idp.mail.wait_for(admin.email, count=2)  # access, then this
    mails = {m["subject"]: m for m in await scene.idp.mail.to(admin.email)}
    disabled = mails[f"Webhook disabled \N{EN DASH} Imprimerie Roux: {url}"]
    assert f"after {DISABLE_AFTER} failed deliveries in a row" in disabled["text"]
    assert "HTTP 503" in disabled["text"]
    assert VENDOR in disabled["html"]
    status, after = await call(scene, "GET", path, admin.headers)
    assert (after["status"], after["consecutive_failures"]) == ("disabled", DISABLE_AFTER)
    assert len(scene.receiver.received[name]) == DISABLE_AFTER
    # Disabled: events still happen, and wait.
    await activate(scene, admin)
    waiting = await deliveries(scene, admin, endpoint["endpoint_id"])
    assert {d["status"] for d in waiting} == {"pending"}
    assert len(scene.receiver.received[name]) == DISABLE_AFTER

    # Fixed and enabled again: what waited is delivered.
    scene.receiver.failing.discard(name)
    status, enabled = await call(scene, "POST", f"{path}/enable", admin.headers)
    assert (status, enabled["status"], enabled["consecutive_failures"]) == (200, "active", 0)

    async def all_delivered() -> list[dict[str, Any]]:
        found = await deliveries(scene, admin, endpoint["endpoint_id"])
        return found if {d["status"] for d in found} == {"delivered"} else []

    assert len(await eventually(all_delivered)) == 2


async def test_another_organisations_admin_cannot_see_or_touch_an_endpoint(
    scene: Scene, token_issuer: TokenIssuer
) -> None:
    owner = await organisation_with_admin(scene, token_issuer)
    other = await organisation_with_admin(scene, token_issuer)
    _, url = scene.receiver.endpoint()
    endpoint_id = (await register(scene, owner, url))["endpoint_id"]
    path = f"/organisation/webhooks/{endpoint_id}"
    for method, suffix in [
        ("GET", ""),
        ("GET", "/deliveries"),
        ("POST", "/enable"),
        ("DELETE", ""),
    ]:
        status, problem = await call(scene, method, path + suffix, other.headers)
        assert (status, problem["status"]) == (404, 404), (method, suffix)
    status, listed = await call(scene, "GET", "/organisation/webhooks", other.headers)
    assert listed["endpoints"] == []
    # The owner still has it, and can remove it.
    assert (await call(scene, "DELETE", path, owner.headers))[0] == 204
    assert (await call(scene, "GET", path, owner.headers))[0] == 404


@pytest.mark.parametrize(
    ("claims", "status"),
    [
        ({}, 401),
        ({"role": "customer_user", "org": uuid.uuid4()}, 403),
        ({"role": "vendor_admin"}, 403),
        ({"role": "customer_admin"}, 403),  # acting for no organisation
    ],
)
async def test_only_a_customer_admin_manages_webhooks(
    scene: Scene, token_issuer: TokenIssuer, claims: dict[str, Any], status: int
) -> None:
    headers = token_issuer.bearer(**claims) if claims else {}
    for method, path in [
        ("GET", "/organisation/webhooks"),
        ("GET", "/organisation/webhooks/event-types"),
        ("POST", "/organisation/webhooks"),
    ]:
        body = {"url": "https://example.com/hook", "event_types": [ACTIVATED]}
        answer, problem = await call(scene, method, path, headers, body)
        assert (answer, problem["status"]) == (status, status), (method, path)


@pytest.mark.parametrize(
    "body",
    [
        {"url": "ftp://example.com/hook", "event_types": [ACTIVATED]},
        {"url": "https://example.com/hook", "event_types": []},
        {"url": "https://example.com/hook", "event_types": ["guichet.identity.PasswordChanged"]},
        {"url": "https://example.com/hook", "event_types": [ACTIVATED], "secret": "mine"},
        {"event_types": [ACTIVATED]},
    ],
)
async def test_a_bad_registration_is_refused_and_registers_nothing(
    scene: Scene, token_issuer: TokenIssuer, body: dict[str, Any]
) -> None:
    admin = await organisation_with_admin(scene, token_issuer)
    status, problem = await call(scene, "POST", "/organisation/webhooks", admin.headers, body)
    assert (status, problem["status"]) == (422, 422)
    assert (await call(scene, "GET", "/organisation/webhooks", admin.headers))[1] == {
        "endpoints": []
    }


async def test_the_offered_event_types_are_published(
    scene: Scene, token_issuer: TokenIssuer
) -> None:
    admin = await organisation_with_admin(scene, token_issuer)
    status, body = await call(scene, "GET", "/organisation/webhooks/event-types", admin.headers)
    assert status == 200
    offered = {entry["type"] for entry in body["event_types"]}
    assert {ACTIVATED, BLOCKED, identity.OrganisationChangeApproved.type} <= offered
    assert set(orders.registry.types()) <= offered
    assert {
        tickets.InterventionRequested.type,
        tickets.InterventionScheduled.type,
        tickets.InterventionStarted.type,
        tickets.InterventionCompleted.type,
        tickets.InterventionCancelled.type,
    } <= offered
    # A ticket's internal note is for staff only.
    assert tickets.InternalNoteAdded.type not in offered
    # Secrets' carriers and other people's credentials are not on offer.
    assert identity.PasswordResetRequested.type not in offered
    assert identity.PasswordChanged.type not in offered


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com/hook",
        "https://127.0.0.1/hook",
        "https://10.1.2.3/hook",
        "https://192.168.1.10/hook",
        "https://169.254.169.254/latest/meta-data",
        "https://[::1]/hook",
        "https://[::ffff:10.0.0.1]/hook",
        "https://localhost/hook",
        "https://printer.local/hook",
        "https://user:password@example.com/hook",
        "not a url",
    ],
)
def test_only_public_https_urls_are_accepted_in_production(url: str) -> None:
    with pytest.raises(RefusedAddress):
        check_url(url, allow_insecure=False)


def test_public_https_is_accepted_and_the_test_setting_allows_local_http() -> None:
    assert check_url("https://erp.example.com/hooks/guichet", allow_insecure=False)
    assert check_url("http://127.0.0.1:8080/hook", allow_insecure=True)
    with pytest.raises(RefusedAddress):
        check_url("ftp://127.0.0.1/hook", allow_insecure=True)


async def test_a_name_resolving_to_a_private_address_is_refused_at_connection() -> None:
    resolver = PublicOnlyResolver()
    try:
        with pytest.raises(OSError, match="no public address"):
            await resolver.resolve("localhost", 443)
    finally:
        await resolver.close()


async def _received(scene: Scene, name: str, count: int) -> list[Delivery]:
    found = scene.receiver.received[name]
    return list(found) if len(found) >= count else []
