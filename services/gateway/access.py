"""What the gateway checks about a signed-in caller before forwarding: blocked, networks,
branch, role, module. Each check refuses with a 403 problem saying which rule applied."""

from __future__ import annotations

import ipaddress
import uuid

from aiohttp import web

from services.gateway.blocklist import BlockedMemberships
from services.gateway.routes import Route
from shared.http.client_ip import IPAddress
from shared.http.principal import Principal, forbidden, require_scope
from shared.http.problems import Problem

BRANCH_QUERY_PARAMETERS = ("branch_id", "branch")
BRANCH_PATH_SEGMENT = "branches"


def check_not_blocked(principal: Principal, blocked: BlockedMemberships) -> None:
    if blocked.is_blocked(principal.user_id, principal.organisation_id):
        raise Problem(
            403,
            "Access blocked",
            "Your access to this organisation has been blocked. Contact its administrator.",
            type_="https://guichet.dev/problems/access-blocked",
        )


def check_networks(networks: tuple[str, ...], client: IPAddress) -> None:
    """An empty list allows any address; a network we cannot parse allows nothing."""
    if not networks:
        return
    for raw in networks:
        try:
            network = ipaddress.ip_network(raw, strict=False)
        except ValueError:
            continue
        if client.version == network.version and client in network:
            return
    raise Problem(
        403,
        "Address not allowed",
        "Your organisation only allows access from its own networks.",
        type_="https://guichet.dev/problems/network-not-allowed",
    )


def named_branches(request: web.Request) -> set[str]:
    """Branches a request names where the gateway can see them: the `branch_id`/`branch`
    query parameters and a path segment following `branches`. (Bodies are streamed, not
    read: a branch named in a body is the service's to check, with `principal.branch_id`.)"""
    names = {value for key in BRANCH_QUERY_PARAMETERS for value in request.query.getall(key, [])}
    segments = request.path.split("/")
    names.update(
        segments[index + 1]
        for index, segment in enumerate(segments[:-1])
        if segment == BRANCH_PATH_SEGMENT and segments[index + 1]
    )
    return names


def check_branch(principal: Principal, request: web.Request) -> None:
    if principal.branch_id is None:
        return
    for name in named_branches(request):
        try:
            same = uuid.UUID(name) == principal.branch_id
        except ValueError:
            same = False
        if not same:
            raise forbidden("You may only act for your own branch.")


def check_route_rights(principal: Principal, route: Route) -> None:
    if route.roles is not None and principal.role not in route.roles:
        raise forbidden("Your role does not allow this.")
    if route.module is not None and not principal.has_module(route.module):
        raise forbidden(f"Your access does not include the {route.module.value} module.")
    if route.scope is not None:
        require_scope(principal, route.scope)
