"""Tenant isolation of every notifications operation: organisation A's customer user and
customer admin (and the vendor's staff, on the customer admin's routes) are refused
organisation B's webhooks, deliveries and email log, by B's real ids and by guessed ones, and
B's endpoints, deliveries, log and users' preferences read back unchanged. The table names
every operation of notifications' OpenAPI document; one added without a case fails here."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest

from conftest import Infrastructure
from services.identity import events as identity
from services.notifications.app import create_app
from services.notifications.settings import NotificationsSettings
from services.notifications.tests.identity_side import Identity, granted, identity_side, registered
from services.notifications.tests.test_webhooks import Receiver
from shared.http.openapi import openapi_document
from shared.sealing import new_sealing_key
from tests.isolation import (
    ANONYMOUS,
    Entry,
    IsolationCase,
    Tenants,
    assert_isolated,
    assert_table_matches,
)
from tests.support import TokenIssuer, eventually, serving

ACTIVATED = identity.AccountActivated.type
BLOCKED = identity.AccountBlocked.type
B_ORGANISATION = uuid.uuid4()  # chosen here so that a query string can name it
B_LEGAL_NAME = "Quincaillerie Zéphyr"
B_DOMAIN = "zephyr.example"
B_USER_PREFERENCES = {"tickets": False, "invoices": False}
# What A's user asks for is not what B's user chose: a write landing on B's user shows.
A_USER_PREFERENCES = {"orders": False}

CUSTOMERS_REFUSED = {"a_user": 403, "a_admin": 403}  # a vendor-staff route
NOT_IN_MY_ORGANISATION = {"a_admin": 404, "a_user": 403, "staff": 403}
ENDPOINT_PATH = "/organisation/webhooks/{endpoint_id}"

TABLE: tuple[Entry, ...] = (
    # --- my own preferences --------------------------------------------------------------------
    IsolationCase(
        "GET /me/notification-preferences",
        answers={"a_user": 200, "a_admin": 200, ANONYMOUS: 401},
        own_scope="the caller's own choices; no id to name",
        control=("b_user", 200),
    ),
    IsolationCase(
        "PUT /me/notification-preferences",
        answers={"a_user": 200, ANONYMOUS: 401},
        body=lambda _: {"email": A_USER_PREFERENCES},
        own_scope="the caller's own choices; no id to name, and the body takes none",
    ),
    # --- the delivery log ----------------------------------------------------------------------
    IsolationCase(
        "GET /organisation/email-log",
        answers={"a_admin": 200, "a_user": 403, "staff": 403},
        query="limit=100",
        own_scope="the emails of the organisation the token acts for",
        control=("b_admin", 200),
    ),
    IsolationCase(
        "GET /email-log",
        answers=CUSTOMERS_REFUSED,
        query=f"organisation_id={B_ORGANISATION}",
        control=("staff", 200),
    ),
    # --- my organisation's webhooks, as its admin ---------------------------------------------
    IsolationCase(
        "GET /organisation/webhooks/event-types",
        answers={"a_admin": 200, "a_user": 403, "staff": 403},
        own_scope="the catalogue of event types, the same for every organisation",
        control=("b_admin", 200),
    ),
    IsolationCase(
        "GET /organisation/webhooks",
        answers={"a_admin": 200, "a_user": 403, "staff": 403},
        own_scope="the endpoints of the organisation the token acts for",
        control=("b_admin", 200),
    ),
    IsolationCase(
        "POST /organisation/webhooks",
        answers={"a_admin": 201, "a_user": 403, "staff": 403},
        body=lambda _: {"url": "http://127.0.0.1:9/hooks/alpha", "event_types": [BLOCKED]},
        own_scope="registers in the organisation the token acts for; the body names none",
        control=("b_admin", 201),
    ),
    IsolationCase(
        f"GET {ENDPOINT_PATH}",
        answers=NOT_IN_MY_ORGANISATION,
        ids={"endpoint_id": "endpoint"},
        control=("b_admin", 200),
    ),
    IsolationCase(
        f"GET {ENDPOINT_PATH}/deliveries",
        answers=NOT_IN_MY_ORGANISATION,
        ids={"endpoint_id": "endpoint"},
        control=("b_admin", 200),
    ),
    IsolationCase(
        f"DELETE {ENDPOINT_PATH}",
        answers=NOT_IN_MY_ORGANISATION,
        ids={"endpoint_id": "spare_endpoint"},
        control=("b_admin", 204),
    ),
    # Last: its control sends what waited for the disabled endpoint, B's data moves on.
    IsolationCase(
        f"POST {ENDPOINT_PATH}/enable",
        answers=NOT_IN_MY_ORGANISATION,
        ids={"endpoint_id": "disabled_endpoint"},
        control=("b_admin", 200),
    ),
)


def test_every_operation_of_the_api_has_an_isolation_case(
    service_env: Callable[..., dict[str, Any]],
) -> None:
    app = create_app(NotificationsSettings(**service_env(sealing_key=new_sealing_key())))
    document = openapi_document(app, title="Guichet notifications", version="test")
    assert_table_matches(document, TABLE)


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
            # One failure disables an endpoint: B gets a disabled one to enable.
            webhook_disable_after=1,
            webhook_timeout=2,
        ) as idp,
    ):
        receiver.url = receiver_url
        yield Scene(idp, receiver)


async def test_organisation_a_is_refused_every_operation_on_organisation_b(
    scene: Scene, token_issuer: TokenIssuer
) -> None:
    async with aiohttp.ClientSession() as session:
        await assert_isolated(await two_organisations(scene, token_issuer, session), TABLE)


async def two_organisations(
    scene: Scene, token_issuer: TokenIssuer, session: aiohttp.ClientSession
) -> Tenants:
    """Organisation A with a customer user and a customer admin; organisation B with an admin
    and a user who chose their notifications, three webhook endpoints (one delivered to, one
    disabled by a failure with its delivery waiting, one spare) and the emails all that sent."""
    idp = scene.idp
    org_a = uuid.uuid4()
    a_user, a_admin, b_admin, b_user = (uuid.uuid4() for _ in range(4))
    await idp.settled(org_a, registered(org_a, "Atelier Alpha"))
    await idp.settled(B_ORGANISATION, registered(B_ORGANISATION, B_LEGAL_NAME))
    people = [
        (a_user, org_a, "anne.arnaud@alpha.example", "AARNAUD"),
        (a_admin, org_a, "alain.aubert@alpha.example", "AAUBERT"),
        (b_admin, B_ORGANISATION, f"zora.zablocka@{B_DOMAIN}", "ZZABLOCKA"),
        (b_user, B_ORGANISATION, f"zeno.zimmerli@{B_DOMAIN}", "ZZIMMERLI"),
    ]
    for user_id, organisation_id, email, code in people:
        await idp.settled(
            user_id,
            granted(user_id, organisation_id, email, user_code=code),
            organisation_id=organisation_id,
        )
    tokens = {
        "a_user": token_issuer.mint(sub=str(a_user), role="customer_user", org=org_a),
        "a_admin": token_issuer.mint(sub=str(a_admin), role="customer_admin", org=org_a),
        "b_admin": token_issuer.mint(sub=str(b_admin), role="customer_admin", org=B_ORGANISATION),
        "b_user": token_issuer.mint(sub=str(b_user), role="customer_user", org=B_ORGANISATION),
        "staff": token_issuer.mint(role="vendor_back_office"),
    }

    async def call(method: str, path: str, caller: str, body: Any = None) -> Any:
        headers = {"Authorization": f"Bearer {tokens[caller]}"}
        async with session.request(method, idp.url + path, headers=headers, json=body) as response:
            answer = await response.json(content_type=None)
            assert response.status in {200, 201}, (method, path, response.status, answer)
            return answer

    await call("PUT", "/me/notification-preferences", "b_user", {"email": B_USER_PREFERENCES})
    hooks: dict[str, str] = {}
    endpoint_ids: dict[str, str] = {}
    for name, types in (
        ("endpoint", [ACTIVATED]),
        ("disabled_endpoint", [ACTIVATED, BLOCKED]),
        ("spare_endpoint", [BLOCKED]),
    ):
        hooks[name], url = scene.receiver.endpoint()
        registration = {"url": url, "event_types": types, "description": "Zéphyr ERP"}
        endpoint_ids[name] = (
            await call("POST", "/organisation/webhooks", "b_admin", registration)
        )["endpoint_id"]
    scene.receiver.failing.add(hooks["disabled_endpoint"])
    await idp.settled(
        b_user,
        identity.AccountActivated(
            user_id=b_user,
            organisation_id=B_ORGANISATION,
            modules=frozenset(),
            activated_by=b_admin,
        ),
        organisation_id=B_ORGANISATION,
    )

    async def webhooks_settled() -> bool:
        listed = await call("GET", "/organisation/webhooks", "b_admin")
        status = {e["endpoint_id"]: e["status"] for e in listed["endpoints"]}
        delivered = await call(
            "GET", f"/organisation/webhooks/{endpoint_ids['endpoint']}/deliveries", "b_admin"
        )
        return status[endpoint_ids["disabled_endpoint"]] == "disabled" and [
            d["status"] for d in delivered["deliveries"]
        ] == ["delivered"]

    await eventually(webhooks_settled)
    # Enabled again, it will be delivered to: only the control may do that.
    scene.receiver.failing.discard(hooks["disabled_endpoint"])

    async def log_settled() -> list[dict[str, Any]]:
        # Access for both, the activation for B's user, the disabled webhook for B's admin.
        log = await call("GET", f"/email-log?organisation_id={B_ORGANISATION}&limit=100", "staff")
        emails = log["emails"]
        return emails if len(emails) == 4 and {e["status"] for e in emails} == {"sent"} else []

    b_emails = await eventually(log_settled)
    ids = {
        "organisation": str(B_ORGANISATION),
        "admin": str(b_admin),
        "user": str(b_user),
        **endpoint_ids,
    }

    async def b_as_b_and_staff_see_it() -> dict[str, Any]:
        listed = await call("GET", "/organisation/webhooks", "b_admin")
        return {
            "endpoints": listed,
            "each_endpoint": {
                e["endpoint_id"]: await call(
                    "GET", f"/organisation/webhooks/{e['endpoint_id']}", "b_admin"
                )
                for e in listed["endpoints"]
            },
            "deliveries": {
                e["endpoint_id"]: await call(
                    "GET", f"/organisation/webhooks/{e['endpoint_id']}/deliveries", "b_admin"
                )
                for e in listed["endpoints"]
            },
            "own_log": await call("GET", "/organisation/email-log?limit=100", "b_admin"),
            "log_seen_by_staff": await call(
                "GET", f"/email-log?organisation_id={B_ORGANISATION}&limit=100", "staff"
            ),
            "preferences": {
                caller: await call("GET", "/me/notification-preferences", caller)
                for caller in ("b_user", "b_admin")
            },
        }

    foreign = {
        *ids.values(),
        *(email["email_id"] for email in b_emails),
        *hooks.values(),
        B_LEGAL_NAME,
        B_DOMAIN,
    }
    return Tenants(
        url=idp.url,
        session=session,
        tokens=tokens,
        ids=ids,
        foreign=frozenset(foreign),
        snapshot=b_as_b_and_staff_see_it,
    )
