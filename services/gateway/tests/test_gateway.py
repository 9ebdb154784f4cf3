"""The gateway as a client meets it: routing, tokens, restrictions, limits, failures, docs."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
import warnings
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

import aiohttp
from joserfc import jwt
from joserfc.jwk import ECKey, OKPKey
from multidict import CIMultiDict

from tests.support import TokenIssuer, free_port

ORG_A = uuid.uuid4()
ORG_B = uuid.uuid4()
TICKET = {
    "title": "Imprimante en panne",
    "description": "Bac 2 bloqué.",
    "priority": "high",
    "requester_email": "claire@client.example",
}
RunningGateway = Callable[..., AbstractAsyncContextManager[str]]


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def call(
    method: str, url: str, headers: dict[str, str] | None = None, **kwargs: Any
) -> tuple[int, CIMultiDict[str], Any]:
    async with (
        aiohttp.ClientSession() as session,
        session.request(method, url, headers=headers, **kwargs) as response,
    ):
        text = await response.text()
        try:
            body = json.loads(text)
        except ValueError:
            body = text
        return response.status, response.headers.copy(), body


# --- routing ------------------------------------------------------------------------------


async def test_tickets_are_opened_and_read_through_the_gateway_within_the_organisation(
    gateway_url: str, token_issuer: TokenIssuer
) -> None:
    alice = token_issuer.bearer(org=ORG_A, modules=["tickets"])
    status, headers, created = await call("POST", f"{gateway_url}/api/tickets", alice, json=TICKET)
    assert status == 201, created
    assert created["title"] == TICKET["title"]
    path = f"/api/tickets/{created['ticket_id']}"
    status, _, fetched = await call("GET", f"{gateway_url}{path}", alice)
    assert (status, fetched["ticket"]) == (200, created)
    # Organisation B's user, with the same rights, cannot see A's ticket.
    bob = token_issuer.bearer(org=ORG_B, modules=["tickets"])
    status, headers, _ = await call("GET", f"{gateway_url}{path}", bob)
    assert status == 404
    assert headers["Content-Type"].startswith("application/problem+json")


async def test_public_paths_need_no_token_and_others_do(gateway_url: str) -> None:
    status, _, echoed = await call("POST", f"{gateway_url}/api/auth/sign-in", json={"a": 1})
    assert status == 200
    assert echoed["path"] == "/auth/sign-in"
    status, _, echoed = await call("GET", f"{gateway_url}/.well-known/jwks.json")
    assert (status, echoed["path"]) == (200, "/.well-known/jwks.json")
    status, _, echoed = await call("GET", f"{gateway_url}/api/oauth/authorize?client_id=x")
    assert (status, echoed["path"], echoed["query"]) == (200, "/oauth/authorize", "client_id=x")

    status, headers, problem = await call("GET", f"{gateway_url}/api/me")
    assert status == 401
    assert headers["WWW-Authenticate"].startswith("Bearer")
    assert problem["status"] == 401
    status, headers, _ = await call("GET", f"{gateway_url}/api/auth/sign-in")
    assert (status, headers["Allow"]) == (405, "POST")
    for unknown in ("/api/nothing-here", "/api/auth/unknown", "/api", "/api/ticketsx"):
        status, headers, _ = await call("GET", f"{gateway_url}{unknown}")
        assert status == 404, unknown
        assert headers["Content-Type"].startswith("application/problem+json")


async def test_ambiguous_paths_are_refused(gateway_url: str, token_issuer: TokenIssuer) -> None:
    alice = token_issuer.bearer(org=ORG_A, modules=["tickets"], role="customer_admin")
    for path in ("/api/me/%2e%2e/organisations", "/api/me%2Forganisations", "/api/me/..%5Cx"):
        async with (
            aiohttp.ClientSession() as session,
            session.get(
                aiohttp.client.URL(f"{gateway_url}{path}", encoded=True), headers=alice
            ) as response,
        ):
            assert response.status in {400, 404}, path


async def test_the_service_is_told_who_the_client_is_and_nothing_a_client_made_up(
    gateway_url: str, token_issuer: TokenIssuer
) -> None:
    token = token_issuer.mint(org=ORG_A)
    status, headers, echoed = await call(
        "GET",
        f"{gateway_url}/api/me?x=1",
        {
            "Authorization": f"Bearer {token}",
            "X-Forwarded-For": "203.0.113.9",
            "X-Forwarded-Host": "evil.example",
            "Forwarded": "for=203.0.113.9",
            "X-Guichet-Organisation": str(ORG_B),
            "Connection": "keep-alive, X-Secret",
            "X-Secret": "hop-by-hop, named by Connection",
            "X-Request-Id": "req-123",
            "Accept-Language": "fr",
        },
    )
    assert status == 200
    seen = {name.lower(): value for name, value in echoed["headers"].items()}
    assert seen["authorization"] == f"Bearer {token}"  # services verify it again
    assert seen["x-forwarded-for"] == "127.0.0.1"
    assert seen["x-forwarded-proto"] == "http"
    assert seen["x-forwarded-host"] != "evil.example"
    assert seen["x-request-id"] == "req-123" == headers["X-Request-Id"]
    assert seen["traceparent"].startswith("00-")
    assert seen["accept-language"] == "fr"
    for dropped in ("forwarded", "x-guichet-organisation", "x-secret"):
        assert dropped not in seen
    assert echoed["path"] == "/me"
    assert echoed["query"] == "x=1"


# --- tokens -------------------------------------------------------------------------------


def forged_tokens(issuer: TokenIssuer) -> dict[str, str]:
    claims = issuer.claims(org=str(ORG_A), role="customer_admin")
    header = {"alg": "ES256", "kid": issuer.key.kid, "typ": "JWT"}
    payload = b64(json.dumps(claims).encode())

    def unsigned(alg: str) -> str:
        return f"{b64(json.dumps({**header, 'alg': alg}).encode())}.{payload}."

    # HS256 "signed" with the public key: the classic algorithm-confusion attack.
    public_pem = issuer.key.as_pem(private=False)
    hs_input = f"{b64(json.dumps({**header, 'alg': 'HS256'}).encode())}.{payload}"
    hs256 = f"{hs_input}.{b64(hmac.new(public_pem, hs_input.encode(), hashlib.sha256).digest())}"
    okp = OKPKey.generate_key("Ed25519", auto_kid=True)
    with warnings.catch_warnings():  # joserfc warns that EdDSA is deprecated: we forge it
        warnings.simplefilter("ignore")
        eddsa = jwt.encode(
            {"alg": "EdDSA", "kid": issuer.key.kid}, claims, okp, algorithms=["EdDSA"]
        )
    valid = issuer.sign(claims)
    head, _, signature = valid.split(".")
    tampered_claims = {**claims, "role": "vendor_admin"}
    tampered = f"{head}.{b64(json.dumps(tampered_claims).encode())}.{signature}"
    other_key = ECKey.generate_key("P-256", auto_kid=True)
    return {
        "alg-none": unsigned("none"),
        "hs256-with-public-key": hs256,
        "eddsa": eddsa,
        "wrong-key-same-kid": issuer.sign(claims, key=other_key, header={"kid": issuer.key.kid}),
        "unknown-key": issuer.sign(claims, key=other_key),
        "wrong-audience": issuer.mint(org=str(ORG_A), aud="another-api"),
        "wrong-issuer": issuer.mint(org=str(ORG_A), iss="https://attacker.example"),
        "expired": issuer.mint(org=str(ORG_A), iat=1_700_000_000, exp=1_700_000_300),
        "tampered-payload": tampered,
        "not-a-jwt": "abc.def",
        "garbage": "%%%",
    }


async def test_every_forged_or_stale_token_is_refused(
    gateway_url: str, token_issuer: TokenIssuer
) -> None:
    forged = forged_tokens(token_issuer)
    for name, token in forged.items():
        status, headers, problem = await call("GET", f"{gateway_url}/api/me", bearer(token))
        assert status == 401, name
        assert 'error="invalid_token"' in headers["WWW-Authenticate"], name
        assert problem["type"] == "https://guichet.dev/problems/unauthenticated", name
    # and the genuine token goes through
    status, _, _ = await call("GET", f"{gateway_url}/api/me", token_issuer.bearer(org=ORG_A))
    assert status == 200


# --- restrictions -------------------------------------------------------------------------


async def test_a_token_restricted_to_networks_is_refused_from_elsewhere(
    gateway_url: str, token_issuer: TokenIssuer
) -> None:
    inside = token_issuer.bearer(org=ORG_A, ipr=["127.0.0.0/8", "2001:db8::/32"])
    outside = token_issuer.bearer(org=ORG_A, ipr=["10.0.0.0/8"])
    spoofing = {**outside, "X-Forwarded-For": "10.1.2.3"}  # from an untrusted peer: ignored
    assert (await call("GET", f"{gateway_url}/api/me", inside))[0] == 200
    for headers in (outside, spoofing):
        status, _, problem = await call("GET", f"{gateway_url}/api/me", headers)
        assert status == 403
        assert problem["type"] == "https://guichet.dev/problems/network-not-allowed"


async def test_behind_a_trusted_proxy_the_forwarded_client_address_counts(
    running_gateway: RunningGateway, token_issuer: TokenIssuer
) -> None:
    token = token_issuer.bearer(org=ORG_A, ipr=["10.0.0.0/8"])
    async with running_gateway(trusted_proxies=["127.0.0.1/32"]) as url:
        # The client made up the first address; our proxy appended the real one.
        headers = {**token, "X-Forwarded-For": "10.9.9.9, 10.1.2.3"}
        status, _, echoed = await call("GET", f"{url}/api/me", headers)
        assert status == 200
        assert echoed["headers"]["X-Forwarded-For"] == "10.1.2.3"
        headers = {**token, "X-Forwarded-For": "10.9.9.9, 198.51.100.7"}
        assert (await call("GET", f"{url}/api/me", headers))[0] == 403


async def test_module_rights_apply_to_customers_but_not_to_vendor_staff(
    gateway_url: str, token_issuer: TokenIssuer
) -> None:
    without = token_issuer.bearer(org=ORG_A, modules=["invoices"])
    status, _, problem = await call("POST", f"{gateway_url}/api/tickets", without, json=TICKET)
    assert status == 403
    assert "tickets" in problem["detail"]
    personal = token_issuer.bearer(org=ORG_A, modules=["personal_data"])
    assert (await call("GET", f"{gateway_url}/api/me/consents", without))[0] == 403
    assert (await call("GET", f"{gateway_url}/api/me/consents", personal))[0] == 200
    assert (await call("GET", f"{gateway_url}/api/me", without))[0] == 200
    staff = token_issuer.bearer(role="vendor_agent")
    assert (await call("GET", f"{gateway_url}/api/me/consents", staff))[0] == 200


async def test_role_families_guard_back_office_and_organisation_routes(
    gateway_url: str, token_issuer: TokenIssuer
) -> None:
    customer_admin = token_issuer.bearer(org=ORG_A, role="customer_admin")
    customer_user = token_issuer.bearer(org=ORG_A, role="customer_user")
    vendor = token_issuer.bearer(role="vendor_back_office")
    assert (await call("GET", f"{gateway_url}/api/organisations", customer_admin))[0] == 403
    assert (await call("GET", f"{gateway_url}/api/organisations", vendor))[0] == 200
    assert (await call("GET", f"{gateway_url}/api/organisation", customer_user))[0] == 403
    assert (await call("GET", f"{gateway_url}/api/organisation", customer_admin))[0] == 200


async def test_the_erp_s_routes_take_only_an_internal_system_with_their_scope(
    running_gateway: RunningGateway, echo_url: str, tickets_url: str, token_issuer: TokenIssuer
) -> None:
    upstreams = {"identity": echo_url, "tickets": tickets_url, "billing": echo_url}
    callers = {
        "customer": ({"org": ORG_A, "modules": ["invoices"]}, 403),
        "vendor admin": ({"role": "vendor_admin"}, 403),
        "system without the scope": ({"role": "service", "scope": "fleet:write"}, 403),
        "the ERP": ({"role": "service", "scope": "orders:read billing:write"}, 200),
    }
    async with running_gateway(upstreams=upstreams) as url:
        invoices = f"{url}/api/erp/invoices"
        for name, (claims, expected) in callers.items():
            status, _, body = await call("POST", invoices, token_issuer.bearer(**claims), json={})
            assert status == expected, (name, body)
        erp = token_issuer.bearer(role="service", scope="billing:write")
        assert (await call("GET", invoices, erp))[0] == 405
        # ...and an internal system reads no invoice (no module, no staff role)
        assert (await call("GET", f"{url}/api/invoices", erp))[0] == 403


async def test_a_user_restricted_to_a_branch_cannot_name_another(
    gateway_url: str, token_issuer: TokenIssuer
) -> None:
    own, other = uuid.uuid4(), uuid.uuid4()
    token = token_issuer.bearer(org=ORG_A, role="customer_admin", branch=own)
    for allowed in (f"/api/me?branch_id={own}", f"/api/organisation/branches/{own}/sites"):
        assert (await call("GET", f"{gateway_url}{allowed}", token))[0] == 200, allowed
    for refused in (
        f"/api/me?branch_id={other}",
        f"/api/me?branch={other}",
        f"/api/organisation/branches/{other}",
        "/api/me?branch_id=not-a-uuid",
    ):
        assert (await call("GET", f"{gateway_url}{refused}", token))[0] == 403, refused
    unrestricted = token_issuer.bearer(org=ORG_A, role="customer_admin")
    assert (await call("GET", f"{gateway_url}/api/me?branch_id={other}", unrestricted))[0] == 200


# --- limits and failures ------------------------------------------------------------------


async def test_too_many_calls_are_answered_429_with_retry_after(
    running_gateway: RunningGateway, token_issuer: TokenIssuer
) -> None:
    async with running_gateway(
        burst_per_subject=3, rate_per_subject=0.01, sign_in_burst_per_ip=2
    ) as url:
        token = token_issuer.bearer(org=ORG_A)
        statuses = [(await call("GET", f"{url}/api/me", token))[0] for _ in range(4)]
        assert statuses == [200, 200, 200, 429]
        status, headers, problem = await call("GET", f"{url}/api/me", token)
        assert status == 429
        assert int(headers["Retry-After"]) >= 1
        assert problem["type"] == "https://guichet.dev/problems/rate-limited"
        # another user is not affected by the first one's limit
        assert (await call("GET", f"{url}/api/me", token_issuer.bearer(org=ORG_A)))[0] == 200
        # sign-in attempts from one address have a limit of their own
        sign_ins = [(await call("POST", f"{url}/api/auth/sign-in", json={}))[0] for _ in range(3)]
        assert sign_ins == [200, 200, 429]


async def test_calls_per_address_are_limited_before_anything_else(
    running_gateway: RunningGateway,
) -> None:
    async with running_gateway(burst_per_ip=2, rate_per_ip=0.01) as url:
        statuses = [(await call("GET", f"{url}/api/branding"))[0] for _ in range(3)]
        assert statuses == [200, 200, 429]


async def test_an_upstream_that_is_down_is_a_502_problem(
    running_gateway: RunningGateway, echo_url: str, token_issuer: TokenIssuer
) -> None:
    down = f"http://127.0.0.1:{free_port()}"
    async with running_gateway(upstreams={"identity": echo_url, "tickets": down}) as url:
        token = token_issuer.bearer(org=ORG_A, modules=["tickets"])
        status, headers, problem = await call("POST", f"{url}/api/tickets", token, json=TICKET)
        assert status == 502
        assert headers["Content-Type"].startswith("application/problem+json")
        assert problem["title"] == "Bad gateway"
        assert "Traceback" not in json.dumps(problem)
    async with running_gateway(upstreams={"identity": echo_url}) as url:
        status, _, problem = await call("GET", f"{url}/api/tickets/x", token)
        assert status == 503


async def test_request_bodies_stream_through_within_the_size_limit(
    running_gateway: RunningGateway,
) -> None:
    async with running_gateway(max_body_bytes=100_000) as url:
        status, _, echoed = await call("POST", f"{url}/api/auth/register", data=b"x" * 100_000)
        assert (status, echoed["body_length"]) == (200, 100_000)
        status, _, problem = await call("POST", f"{url}/api/auth/register", data=b"x" * 100_001)
        assert status == 413

        async def chunks() -> Any:
            for _ in range(30):
                yield b"y" * 10_000

        status, _, problem = await call("POST", f"{url}/api/auth/register", data=chunks())
        assert status == 413
        assert problem["type"] == "https://guichet.dev/problems/too-large"


# --- documentation ------------------------------------------------------------------------


async def test_the_public_document_merges_the_services_documents(
    running_gateway: RunningGateway, echo_url: str, tickets_url: str
) -> None:
    down = f"http://127.0.0.1:{free_port()}"
    async with running_gateway(upstreams={"identity": echo_url, "tickets": tickets_url}) as url:
        status, _, document = await call("GET", f"{url}/openapi.json")
        assert status == 200
        paths = document["paths"]
        assert paths["/api/auth/sign-in"]["post"]["security"] == []
        assert paths["/api/me"]["get"]["security"] == [{"bearer": []}]
        assert not any(path.endswith("/internal/keys") for path in paths)
        assert paths["/api/tickets"]["post"]["x-guichet-module"] == "tickets"
        assert "/api/tickets/{ticket_id}" in paths
        schemas = document["components"]["schemas"]
        assert document["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
        # identity's clashing TicketView is renamed and its reference follows
        me_404 = paths["/api/me"]["get"]["responses"]["404"]["content"]
        identity_name = me_404["application/problem+json"]["schema"]["$ref"].rsplit("/", 1)[-1]
        ticket_201 = paths["/api/tickets"]["post"]["responses"]["201"]["content"]
        tickets_name = ticket_201["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
        assert identity_name != tickets_name
        assert schemas[identity_name]["properties"] == {"clash": {"type": "integer"}}
        assert "number" in schemas[tickets_name]["properties"]
        status, headers, page = await call("GET", f"{url}/docs")
        assert status == 200
        assert headers["Content-Type"].startswith("text/html")
        assert "/api/tickets/{ticket_id}" in page
        assert "<script" not in page
    async with running_gateway(upstreams={"identity": echo_url, "tickets": down}) as url:
        status, _, document = await call("GET", f"{url}/openapi.json")
        assert status == 200
        assert "/api/me" in document["paths"]
        assert not any(path.startswith("/api/tickets") for path in document["paths"])


async def test_every_other_path_is_the_web_portals_but_the_api_stays_closed(
    running_gateway: Callable[..., AbstractAsyncContextManager[str]], echo_url: str
) -> None:
    upstreams = {"identity": echo_url, "web": echo_url}
    async with running_gateway(upstreams=upstreams) as url:
        for path in ("/", "/sign-in", "/password/set?token=abc", "/static/app.css"):
            status, _, echoed = await call("GET", f"{url}{path}")
            assert status == 200, path
            assert echoed["path"] + (f"?{echoed['query']}" if echoed["query"] else "") == path
        status, _, echoed = await call("POST", f"{url}/sign-in", data=b"login=x")
        assert (status, echoed["method"]) == (200, "POST")
        for unknown in ("/api/nothing-here", "/api"):
            status, headers, _ = await call("GET", f"{url}{unknown}")
            assert status == 404, unknown
            assert headers["Content-Type"].startswith("application/problem+json")
        status, _, document = await call("GET", f"{url}/openapi.json")
        assert status == 200
        assert all(path.startswith(("/api", "/.well-known")) for path in document["paths"])
