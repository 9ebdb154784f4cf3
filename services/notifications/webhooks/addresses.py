"""Where a webhook may point: HTTPS on a public address. Unless the deployment allows it
(tests, local development), plain HTTP is refused, and so is any address a request from
inside the vendor's network could reach that the internet cannot (SSRF): loopback, private,
link-local (cloud metadata), multicast, reserved. Checked when an endpoint is registered, and
again at each connection, since a name may resolve elsewhere later."""

from __future__ import annotations

import ipaddress
import socket

from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import ThreadedResolver
from yarl import URL


class RefusedAddress(ValueError):
    """A URL or address webhooks may not be sent to."""


def is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def check_url(url: str, *, allow_insecure: bool) -> str:
    """The URL as it will be called, or RefusedAddress saying why not."""
    try:
        parsed = URL(url)
    except ValueError:
        raise RefusedAddress("not a URL") from None
    if parsed.scheme not in ({"https", "http"} if allow_insecure else {"https"}):
        raise RefusedAddress("must be an https:// URL")
    if not parsed.host or parsed.user or parsed.password:
        raise RefusedAddress("must name a host, without credentials")
    if parsed.fragment:
        raise RefusedAddress("must not have a #fragment")
    if not allow_insecure:
        try:
            literal = ipaddress.ip_address(parsed.host)
        except ValueError:
            if parsed.host == "localhost" or parsed.host.endswith((".localhost", ".local")):
                raise RefusedAddress("must be a public address") from None
        else:
            if not is_public(str(literal)):
                raise RefusedAddress("must be a public address")
    return str(parsed)


class PublicOnlyResolver(AbstractResolver):
    """Resolves as usual, then keeps only public addresses: a name that resolves to none is
    refused at connection time, whatever it resolved to when it was registered."""

    def __init__(self) -> None:
        self._resolver = ThreadedResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        resolved = await self._resolver.resolve(host, port, family)
        public = [entry for entry in resolved if is_public(entry["host"])]
        if not public:
            # An OSError, as for a name that does not resolve: aiohttp reports it as such.
            raise OSError(f"{host} resolves to no public address")
        return public

    async def close(self) -> None:
        await self._resolver.close()
