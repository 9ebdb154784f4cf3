"""The gateway's routes: every public path goes through `handle`; plus the API's docs."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from urllib.parse import unquote

import aiohttp
from aiohttp import web
from yarl import URL

from services.gateway import access
from services.gateway.blocklist import BlockedMemberships
from services.gateway.client_address import Network, client_address, forwarded_proto_and_host
from services.gateway.proxy import Forwarding, forward, unavailable
from services.gateway.public_api import PublicApiDocument, docs_page
from services.gateway.ratelimit import TokenBuckets, retry_after
from services.gateway.routes import RouteTable
from services.gateway.settings import GatewaySettings
from shared.http.principal import acting_principal
from shared.http.problems import Problem


@dataclass
class Gateway:
    """Everything a request through the gateway needs, built once per app."""

    settings: GatewaySettings
    proxies: tuple[Network, ...]
    table: RouteTable
    upstreams: dict[str, URL]
    blocked: BlockedMemberships
    per_ip: TokenBuckets
    per_subject: TokenBuckets
    sign_in_per_ip: TokenBuckets
    session: aiohttp.ClientSession | None = None
    public_api: PublicApiDocument | None = None

    @classmethod
    def from_settings(cls, settings: GatewaySettings) -> Gateway:
        return cls(
            settings=settings,
            proxies=tuple(ipaddress.ip_network(str(net)) for net in settings.trusted_proxies),
            table=RouteTable(),
            upstreams={name: URL(str(url)) for name, url in settings.upstreams.items()},
            blocked=BlockedMemberships(),
            per_ip=TokenBuckets(settings.rate_per_ip, settings.burst_per_ip),
            per_subject=TokenBuckets(settings.rate_per_subject, settings.burst_per_subject),
            sign_in_per_ip=TokenBuckets(
                settings.sign_in_per_minute_per_ip / 60, settings.sign_in_burst_per_ip
            ),
        )


GATEWAY = web.AppKey("gateway", Gateway)


def too_many(wait: float, detail: str) -> Problem:
    return Problem(
        429,
        "Too many requests",
        detail,
        type_="https://guichet.dev/problems/rate-limited",
        headers={"Retry-After": retry_after(wait)},
    )


def _refuse_ambiguous_path(request: web.Request) -> None:
    """Routing looks at the decoded path, the service gets the path as sent: refuse any path
    on which the two could disagree (dot segments, encoded slashes or backslashes)."""
    raw = request.rel_url.raw_path
    segments = unquote(raw).split("/")
    if any(part in {".", ".."} for part in segments) or any(
        code in raw.lower() for code in ("%2f", "%5c", "%00")
    ):
        raise Problem(400, "Bad request", "This path is not allowed.")


async def handle(request: web.Request) -> web.StreamResponse:
    gateway = request.app[GATEWAY]
    settings = gateway.settings
    client = client_address(request, gateway.proxies)
    wait = gateway.per_ip.take(client)
    if wait:
        raise too_many(wait, "Too many requests from your address. Slow down.")
    _refuse_ambiguous_path(request)
    route = gateway.table.match(request.path)
    if route is None:
        raise Problem(404, "Not found", "There is nothing at this address.")
    if route.methods is not None and request.method not in route.methods:
        raise Problem(
            405,
            "Method not allowed",
            headers={"Allow": ", ".join(sorted(route.methods))},
        )
    if route.sign_in:
        wait = gateway.sign_in_per_ip.take(client)
        if wait:
            raise too_many(wait, "Too many attempts from your address. Wait, then try again.")
    if not route.public:
        principal = acting_principal(request)
        access.check_not_blocked(principal, gateway.blocked)
        access.check_networks(principal.networks, client)
        access.check_branch(principal, request)
        access.check_route_rights(principal, route)
        wait = gateway.per_subject.take(principal.user_id)
        if wait:
            raise too_many(wait, "Too many requests. Slow down.")
    upstream = gateway.upstreams.get(route.service)
    if upstream is None or gateway.session is None:
        raise unavailable(route.service)
    proto, host = forwarded_proto_and_host(request, gateway.proxies)
    return await forward(
        request,
        gateway.session,
        Forwarding(
            upstream=upstream,
            path=route.upstream_path(request.rel_url.raw_path),
            service=route.service,
            client=client,
            proto=proto,
            host=host,
        ),
        max_body_bytes=settings.max_body_bytes,
        connect_timeout=settings.upstream_connect_timeout,
        read_timeout=settings.upstream_timeout,
    )


async def openapi(request: web.Request) -> web.Response:
    public_api = request.app[GATEWAY].public_api
    assert public_api is not None
    return web.json_response(await public_api.document())


async def docs(request: web.Request) -> web.Response:
    public_api = request.app[GATEWAY].public_api
    assert public_api is not None
    page = docs_page(await public_api.document())
    return web.Response(
        text=page,
        content_type="text/html",
        headers={"Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'"},
    )


def add_routes(app: web.Application) -> None:
    app.router.add_get("/openapi.json", openapi)
    app.router.add_get("/docs", docs)
    app.router.add_route("*", "/api", handle)
    app.router.add_route("*", "/api/{tail:.*}", handle)
    app.router.add_route("*", "/.well-known/{tail:.*}", handle)
    app.router.add_route("*", "/{tail:.*}", handle)  # the web portal's pages (routes.py)
