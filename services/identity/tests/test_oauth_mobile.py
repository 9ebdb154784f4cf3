"""OAuth 2.0 and OpenID Connect as mobile apps meet them: an app signs a user in with
authorization code + PKCE on identity's page, exchanges the code, refreshes; and everything
that should be refused is, the way RFC 6749 says."""

from __future__ import annotations

import secrets
import time
import uuid
from collections.abc import Callable
from typing import Any

import aiohttp
from joserfc import jwt
from joserfc.jwk import KeySet

from services.gateway.app import create_app as create_gateway
from services.gateway.settings import GatewaySettings
from services.identity.tests.oauth_app import (
    CUSTOMER_LOGIN,
    PUBLIC_URL,
    REDIRECT_URI,
    Browser,
    MobileApp,
    exchange,
    register_client,
    sign_in_for_a_code,
    token_call,
)
from services.identity.tests.portal import (
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    GOOD_PASSWORD,
    Portal,
    back_office,
    customer_with_access,
)
from tests.support import serving

# authlib refuses an authorization server that is not on https (but loopback): the
# `portal` fixture serves identity under this public URL.
PORTAL_PUBLIC_URL = f"{PUBLIC_URL}/"


# --- the mobile app's sign-in ------------------------------------------------------------


async def test_a_mobile_app_signs_a_user_in_with_pkce_gets_an_id_token_and_refreshes(
    portal: Portal,
) -> None:
    staff = await back_office(portal)
    _, user_id, _ = await customer_with_access(portal, staff)
    client = await register_client(portal, staff)
    assert client["client_secret"] is None
    assert client["scopes"] == ["openid"]
    app = MobileApp(client["client_id"])
    browser = Browser(portal.url, language="en-GB,en;q=0.9,fr;q=0.5")

    screen = await browser.open(**app.authorization_request())
    assert screen.status == 200
    assert "Guichet Mobile wants to access your Guichet customer space." in screen.page.words
    assert {"login", "password"} <= set(screen.page.labels)  # every field has its label
    assert screen.page.action == "authorize"
    assert screen.page.fields["csrf_token"]
    policy = screen.headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy
    assert "frame-ancestors 'none'" in policy
    assert "form-action 'self' com.guichet.mobile:" in policy

    answer = await browser.submit(screen, login=CUSTOMER_LOGIN, password=GOOD_PASSWORD)
    assert answer.status == 302
    parameters = answer.redirect_parameters()
    assert parameters["state"] == app.state
    status, headers, tokens = await token_call(portal.url, exchange(app, parameters["code"]))
    assert status == 200, tokens
    assert headers["Cache-Control"] == "no-store"
    assert tokens["token_type"] == "Bearer"
    assert tokens["scope"] == "openid"

    me = await portal.call("GET", "/me", token=tokens["access_token"], expect=200)
    assert me["user_code"] == CUSTOMER_LOGIN

    async with portal.session.get(f"{portal.url}/.well-known/jwks.json") as response:
        keys = KeySet.import_key_set(await response.json())
    id_token = jwt.decode(tokens["id_token"], keys, algorithms=["ES256"])
    claims = id_token.claims
    assert claims["iss"] == PUBLIC_URL
    assert claims["aud"] == app.client_id
    assert claims["sub"] == user_id
    assert claims["nonce"] == app.nonce
    assert abs(claims["auth_time"] - time.time()) < 60
    assert claims["exp"] > time.time()
    assert claims["amr"] == ["pwd"]
    assert claims["at_hash"]
    assert id_token.header["kid"] in {key.kid for key in keys.keys}
    # The app's refresh token is the app's: the portal's own refresh does not take it.
    foreign = await portal.call(
        "POST", "/auth/refresh", json={"refresh_token": tokens["refresh_token"]}
    )
    assert foreign["status"] == 401

    refreshed_status, _, refreshed = await token_call(
        portal.url,
        {
            "grant_type": "refresh_token",
            "refresh_token": tokens["refresh_token"],
            "client_id": app.client_id,
        },
    )
    assert refreshed_status == 200, refreshed
    assert refreshed["refresh_token"] != tokens["refresh_token"]
    await portal.call("GET", "/me", token=refreshed["access_token"], expect=200)
    # The old refresh token was used up: presenting it again ends the session.
    status, _, reused = await token_call(
        portal.url,
        {
            "grant_type": "refresh_token",
            "refresh_token": tokens["refresh_token"],
            "client_id": app.client_id,
        },
    )
    assert (status, reused["error"]) == (400, "invalid_grant")
    status, _, after = await token_call(
        portal.url,
        {
            "grant_type": "refresh_token",
            "refresh_token": refreshed["refresh_token"],
            "client_id": app.client_id,
        },
    )
    assert (status, after["error"]) == (400, "invalid_grant")


async def test_a_code_needs_its_verifier_works_once_and_its_reuse_ends_the_session(
    portal: Portal,
) -> None:
    staff = await back_office(portal)
    await customer_with_access(portal, staff)
    app = MobileApp((await register_client(portal, staff))["client_id"])
    code = await sign_in_for_a_code(Browser(portal.url), app, CUSTOMER_LOGIN, GOOD_PASSWORD)

    wrong = exchange(app, code, code_verifier=secrets.token_urlsafe(48))
    status, _, refused = await token_call(portal.url, wrong)
    assert (status, refused["error"]) == (400, "invalid_grant")
    status, _, refused = await token_call(portal.url, exchange(app, code, code_verifier=""))
    assert (status, refused["error"]) == (400, "invalid_request")
    elsewhere = exchange(app, code, redirect_uri="com.guichet.mobile:/other")
    status, _, refused = await token_call(portal.url, elsewhere)
    assert (status, refused["error"]) == (400, "invalid_grant")

    status, _, tokens = await token_call(portal.url, exchange(app, code))
    assert status == 200, tokens
    status, _, again = await token_call(portal.url, exchange(app, code))
    assert (status, again["error"]) == (400, "invalid_grant")
    # The code leaked: the session its first exchange opened is over.
    status, _, refreshed = await token_call(
        portal.url,
        {
            "grant_type": "refresh_token",
            "refresh_token": tokens["refresh_token"],
            "client_id": app.client_id,
        },
    )
    assert (status, refreshed["error"]) == (400, "invalid_grant")
    reason = await portal.sql(
        "SELECT revoked_reason FROM identity.sessions WHERE client_id = $1", app.client_id
    )
    assert reason == "authorization code reused"


async def test_a_bad_client_or_redirect_uri_gets_an_error_page_and_never_a_redirect(
    portal: Portal,
) -> None:
    staff = await back_office(portal)
    app = MobileApp((await register_client(portal, staff))["client_id"])
    browser = Browser(portal.url)
    for request in [
        app.authorization_request(client_id="gc_unknown"),
        app.authorization_request(redirect_uri="https://evil.example/steal"),
        app.authorization_request(redirect_uri=REDIRECT_URI + "/more"),
        {k: v for k, v in app.authorization_request().items() if k != "redirect_uri"},
        {k: v for k, v in app.authorization_request().items() if k != "client_id"},
    ]:
        screen = await browser.open(**request)
        assert screen.status == 400, request
        assert screen.location is None
        assert "Cette demande de connexion n'est pas valide." in screen.page.words
        assert screen.headers["Content-Type"].startswith("text/html")


async def test_what_the_app_can_be_told_goes_back_to_it_as_an_rfc_6749_error(
    portal: Portal,
) -> None:
    staff = await back_office(portal)
    app = MobileApp((await register_client(portal, staff))["client_id"])
    browser = Browser(portal.url)
    cases = [
        (app.authorization_request(code_challenge_method="plain"), "invalid_request"),
        (
            app.authorization_request(code_challenge=app.verifier, code_challenge_method=""),
            "invalid_request",
        ),
        (app.authorization_request(code_challenge=""), "invalid_request"),
        (app.authorization_request(scope="openid tickets"), "invalid_scope"),
        (app.authorization_request(response_type="token"), "unsupported_response_type"),
        (app.authorization_request(prompt="none"), "login_required"),
    ]
    for request, error in cases:
        screen = await browser.open(**request)
        assert screen.status == 302, (request, screen.page.words)
        parameters = screen.redirect_parameters()
        assert (parameters["error"], parameters["state"]) == (error, app.state), request
        assert "code" not in parameters
    # Without a state the app cannot tell its answers apart: refused, and said so.
    stateless = {k: v for k, v in app.authorization_request().items() if k != "state"}
    screen = await browser.open(**stateless)
    parameters = screen.redirect_parameters()
    assert parameters["error"] == "invalid_request"
    assert "state" in parameters["error_description"]


async def test_the_sign_in_page_applies_the_portals_sign_in_rules(portal: Portal) -> None:
    staff = await back_office(portal)
    organisation_id, user_id, _ = await customer_with_access(portal, staff)
    app = MobileApp((await register_client(portal, staff))["client_id"])
    browser = Browser(portal.url)
    screen = await browser.open(**app.authorization_request())

    # A form posted from elsewhere (no cookie, or no token) issues nothing.
    forged = await Browser(portal.url).submit(screen, login=CUSTOMER_LOGIN, password=GOOD_PASSWORD)
    assert forged.status == 403
    assert forged.location is None
    assert "Ce formulaire a expiré." in forged.page.words

    wrong = await browser.submit(screen, login=CUSTOMER_LOGIN, password="Wrong&Guess99")
    assert wrong.status == 200
    assert wrong.location is None
    assert "L'identifiant ou le mot de passe est incorrect." in wrong.page.words
    assert wrong.page.fields["login"] == CUSTOMER_LOGIN  # kept, the password is not

    cancelled = await browser.submit(screen, action="cancel")
    parameters = cancelled.redirect_parameters()
    assert (parameters["error"], parameters["state"]) == ("access_denied", app.state)
    assert "code" not in parameters

    # The user must change their password: told so, and no code.
    await portal.sql(
        "UPDATE identity.credentials SET set_by_user = false WHERE user_id = $1",
        uuid.UUID(user_id),
    )
    forced = await browser.submit(screen, login=CUSTOMER_LOGIN, password=GOOD_PASSWORD)
    assert forced.status == 200
    assert forced.location is None
    assert "Votre mot de passe doit être changé." in forced.page.words
    await portal.sql("UPDATE identity.credentials SET set_by_user = true")

    # Blocked: the user proved who they are, the app learns it is denied.
    admin_token = (await portal.sign_in(ADMIN_EMAIL, ADMIN_PASSWORD))["access_token"]
    await portal.call(
        "POST",
        f"/organisations/{organisation_id}/users/{user_id}/block",
        token=admin_token,
        expect=204,
    )
    blocked = await browser.submit(screen, login=CUSTOMER_LOGIN, password=GOOD_PASSWORD)
    parameters = blocked.redirect_parameters()
    assert (parameters["error"], parameters["state"]) == ("access_denied", app.state)
    assert "blocked" in parameters["error_description"]

    # Repeated failures lock the account, here as on the portal.
    for _ in range(5):
        await browser.submit(screen, login=CUSTOMER_LOGIN, password="Wrong&Guess99")
    locked = await browser.submit(screen, login=CUSTOMER_LOGIN, password=GOOD_PASSWORD)
    assert locked.status == 429
    assert int(locked.headers["Retry-After"]) > 0
    assert "Trop de tentatives échouées." in locked.page.words


# --- through the gateway ------------------------------------------------------------------


async def test_through_the_gateway_an_app_finds_every_endpoint_and_signs_a_user_in(
    portal: Portal, service_env: Callable[..., dict[str, Any]]
) -> None:
    staff = await back_office(portal)
    await customer_with_access(portal, staff)
    app = MobileApp((await register_client(portal, staff))["client_id"])
    settings = GatewaySettings(
        **service_env(
            public_url=f"{PUBLIC_URL}/", identity_url=portal.url, upstreams={"identity": portal.url}
        )
    )
    async with serving(create_gateway(settings)) as gateway, aiohttp.ClientSession() as http:
        async with http.get(f"{gateway}/.well-known/openid-configuration") as response:
            discovery = await response.json()
        assert discovery["issuer"] == PUBLIC_URL
        assert discovery["code_challenge_methods_supported"] == ["S256"]
        assert "userinfo_endpoint" not in discovery  # not built, so not announced

        def here(url: str) -> str:
            assert url.startswith(PUBLIC_URL + "/")
            return gateway + url.removeprefix(PUBLIC_URL)

        async with http.get(here(discovery["jwks_uri"])) as response:
            assert response.status == 200
            assert (await response.json())["keys"]
        async with http.get(here(discovery["authorization_endpoint"])) as response:
            assert response.status == 400  # no client: the error page
            assert response.content_type == "text/html"
        async with http.post(here(discovery["token_endpoint"]), data={}) as response:
            assert response.status == 400
            assert (await response.json())["error"] == "unsupported_grant_type"

        # The page's form posts back through the gateway's path.
        api = here(discovery["authorization_endpoint"]).removesuffix("/oauth/authorize")
        code = await sign_in_for_a_code(Browser(api), app, CUSTOMER_LOGIN, GOOD_PASSWORD)
        status, _, tokens = await token_call(api, exchange(app, code))
        assert status == 200, tokens
        bearer = {"Authorization": f"Bearer {tokens['access_token']}"}
        async with http.get(f"{api}/me", headers=bearer) as response:
            assert response.status == 200
            assert (await response.json())["user_code"] == CUSTOMER_LOGIN

        # Clients are the vendor admin's business alone.
        async with http.get(f"{api}/oauth-clients", headers=bearer) as response:
            assert response.status == 403
        async with http.get(
            f"{api}/oauth-clients", headers={"Authorization": f"Bearer {staff}"}
        ) as response:
            assert response.status == 200
            assert [c["client_id"] for c in await response.json()] == [app.client_id]
