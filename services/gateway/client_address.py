"""Who the client is, as the gateway determines it: the TCP peer, unless that peer is one of
our trusted proxies, in which case X-Forwarded-For is read from the right, skipping trusted
hops. Everything left of the first untrusted address is client-controlled and ignored."""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

from aiohttp import web

from shared.http.client_ip import IPAddress, parse_ip

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
UNKNOWN = ipaddress.IPv4Address("0.0.0.0")  # noqa: S104 - an address, not a bind


def trusted(address: IPAddress, proxies: Sequence[Network]) -> bool:
    return any(address.version == net.version and address in net for net in proxies)


def client_address(request: web.Request, proxies: Sequence[Network]) -> IPAddress:
    peer = parse_ip(request.remote or "")
    if peer is None:
        return UNKNOWN
    if not trusted(peer, proxies):
        return peer
    hops = [
        hop for header in request.headers.getall("X-Forwarded-For", []) for hop in header.split(",")
    ]
    client = peer
    for hop in reversed(hops):
        address = parse_ip(hop)
        if address is None:  # garbage from a client: the last trusted hop is what we know
            return client
        client = address
        if not trusted(address, proxies):
            return address
    return client


def forwarded_proto_and_host(request: web.Request, proxies: Sequence[Network]) -> tuple[str, str]:
    """The scheme and host the client used: from a trusted proxy's headers, else our own."""
    peer = parse_ip(request.remote or "")
    if peer is not None and trusted(peer, proxies):
        proto = request.headers.get("X-Forwarded-Proto", "").split(",")[0].strip()
        host = request.headers.get("X-Forwarded-Host", "").split(",")[0].strip()
        if proto in {"http", "https"} and host:
            return proto, host
    return request.scheme, request.host
