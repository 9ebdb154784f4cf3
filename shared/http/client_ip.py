"""The client's IP address as a service sees it: the one way to read it.

Services are reached only through the gateway (network policies enforce it), which replaces
whatever a client sent in `X-Forwarded-For` with exactly one address: the client it
determined (honouring only its own trusted proxies). So a service reads the last entry of
that header; the TCP peer is the fallback for calls that did not come through the gateway
(health probes, tests).
"""

from __future__ import annotations

import ipaddress

from aiohttp import web

FORWARDED_FOR = "X-Forwarded-For"
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def parse_ip(value: str) -> IPAddress | None:
    """An address in its normal form (IPv4-mapped IPv6 as IPv4), or None when not one."""
    try:
        address = ipaddress.ip_address(value.strip().strip("[]"))
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def client_ip(request: web.Request) -> IPAddress | None:
    forwarded = request.headers.get(FORWARDED_FOR)
    if forwarded:
        return parse_ip(forwarded.rsplit(",", 1)[-1])
    return parse_ip(request.remote) if request.remote else None
