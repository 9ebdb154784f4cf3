"""OAuth 2.0 clients as the vendor registers them, and internal systems' client-credentials
tokens: what they get, and what is refused."""

from __future__ import annotations

from joserfc import jwt
from joserfc.jwk import KeySet

from services.identity.tests.oauth_app import (
    CUSTOMER_LOGIN,
    PUBLIC_URL,
    REDIRECT_URI,
    Browser,
    MobileApp,
    basic,
    exchange,
    register_client,
    sign_in_for_a_code,
    token_call,
)
from services.identity.tests.portal import (
    GOOD_PASSWORD,
    Portal,
    back_office,
    customer_with_access,
)

# authlib refuses an authorization server that is not on https (but loopback): the
# `portal` fixture serves identity under this public URL.
PORTAL_PUBLIC_URL = f"{PUBLIC_URL}/"


# --- internal systems ----------------------------------------------------------------------


async def test_an_internal_system_gets_a_service_token_with_client_credentials(
    portal: Portal,
) -> None:
    staff = await back_office(portal)
    registered = await register_client(
        portal,
        staff,
        name="ERP",
        kind="confidential",
        redirect_uris=[],
        scopes=["tickets:read", "orders:write"],
    )
    client_id, secret = registered["client_id"], registered["client_secret"]
    assert secret
    listed = await portal.call("GET", "/oauth-clients", token=staff, expect=200)
    assert [c["client_id"] for c in listed] == [client_id]
    assert "client_secret" not in listed[0]
    events = await portal.sql(
        "SELECT string_agg(data::text, ' ') FROM identity.events WHERE stream_id = $1",
        client_id,
    )
    assert "ERP" in events
    assert secret not in events
    assert "secret" not in events

    authorization = basic(client_id, secret)
    status, _, tokens = await token_call(
        portal.url, {"grant_type": "client_credentials"}, auth=authorization
    )
    assert status == 200, tokens
    assert "refresh_token" not in tokens
    assert tokens["scope"] == "tickets:read orders:write"
    async with portal.session.get(f"{portal.url}/.well-known/jwks.json") as response:
        keys = KeySet.import_key_set(await response.json())
    claims = jwt.decode(tokens["access_token"], keys, algorithms=["ES256"]).claims
    assert (claims["sub"], claims["role"], claims["aud"]) == (client_id, "service", "guichet")
    assert "org" not in claims
    assert claims["scope"] == "tickets:read orders:write"
    # Identity's user routes are not for it, and say so cleanly.
    refused = await portal.call("GET", "/me", token=tokens["access_token"])
    assert refused["status"] == 403

    status, _, narrower = await token_call(
        portal.url,
        {
            "grant_type": "client_credentials",
            "client_id": client_id,
            "client_secret": secret,
            "scope": "tickets:read",
        },
    )
    assert (status, narrower["scope"]) == (200, "tickets:read")
    status, _, wider = await token_call(
        portal.url, {"grant_type": "client_credentials", "scope": "admin"}, auth=authorization
    )
    assert (status, wider["error"]) == (400, "invalid_scope")

    for auth, form in [
        (basic(client_id, secret + "x"), {}),
        (None, {"client_id": client_id, "client_secret": "not-the-secret"}),
        (basic("gc_unknown", secret), {}),
    ]:
        status, headers, refused = await token_call(
            portal.url, {"grant_type": "client_credentials", **form}, auth=auth
        )
        assert (status, refused["error"]) == (401, "invalid_client"), form
        assert headers["WWW-Authenticate"].startswith("Basic ")
    # A mobile app has no secret and no client credentials.
    app = await register_client(portal, staff)
    status, _, refused = await token_call(
        portal.url, {"grant_type": "client_credentials", "client_id": app["client_id"]}
    )
    assert status in {400, 401}
    assert refused["error"] in {"invalid_client", "unauthorized_client"}


async def test_a_revoked_client_gets_nothing_more_and_its_sessions_end(portal: Portal) -> None:
    staff = await back_office(portal)
    await customer_with_access(portal, staff)
    app = MobileApp((await register_client(portal, staff))["client_id"])
    system = await register_client(
        portal, staff, name="ERP", kind="confidential", redirect_uris=[], scopes=[]
    )
    code = await sign_in_for_a_code(Browser(portal.url), app, CUSTOMER_LOGIN, GOOD_PASSWORD)
    _, _, tokens = await token_call(portal.url, exchange(app, code))

    customer = (await portal.sign_in(CUSTOMER_LOGIN, GOOD_PASSWORD))["access_token"]
    denied = await portal.call("POST", f"/oauth-clients/{app.client_id}/revocation", token=customer)
    assert denied["status"] == 403
    for client_id in (app.client_id, system["client_id"]):
        await portal.call("POST", f"/oauth-clients/{client_id}/revocation", token=staff, expect=204)
    again = await portal.call("POST", f"/oauth-clients/{app.client_id}/revocation", token=staff)
    assert again["status"] == 409
    shown = await portal.call("GET", f"/oauth-clients/{app.client_id}", token=staff, expect=200)
    assert shown["revoked_at"] is not None

    status, _, refused = await token_call(
        portal.url,
        {
            "grant_type": "refresh_token",
            "refresh_token": tokens["refresh_token"],
            "client_id": app.client_id,
        },
    )
    assert (status, refused["error"]) == (400, "invalid_client")
    reason = await portal.sql(
        "SELECT revoked_reason FROM identity.sessions WHERE client_id = $1", app.client_id
    )
    assert reason == "client revoked"
    screen = await Browser(portal.url).open(**app.authorization_request())
    assert (screen.status, screen.location) == (400, None)
    status, _, refused = await token_call(
        portal.url,
        {"grant_type": "client_credentials"},
        auth=basic(system["client_id"], system["client_secret"]),
    )
    assert (status, refused["error"]) == (401, "invalid_client")


async def test_registration_refuses_clients_that_would_be_unsafe(portal: Portal) -> None:
    staff = await back_office(portal)
    for registration in [
        {"name": "App", "kind": "public", "redirect_uris": ["http://app.example/cb"]},
        {"name": "App", "kind": "public", "redirect_uris": ["https://app.example/cb#x"]},
        {"name": "App", "kind": "public", "redirect_uris": ["myapp:/cb"]},
        {"name": "App", "kind": "public", "redirect_uris": []},
        {"name": "App", "kind": "public", "redirect_uris": [REDIRECT_URI], "scopes": ["x"]},
        {"name": "ERP", "kind": "confidential", "redirect_uris": [REDIRECT_URI]},
        {"name": "ERP", "kind": "confidential", "scopes": ["openid"]},
        {"name": "ERP", "kind": "confidential", "scopes": ["Not A Scope"]},
    ]:
        refused = await portal.call("POST", "/oauth-clients", token=staff, json=registration)
        assert refused["status"] == 422, registration
    assert await portal.call("GET", "/oauth-clients", token=staff, expect=200) == []
    missing = await portal.call("GET", "/oauth-clients/gc_nothing", token=staff)
    assert missing["status"] == 404
