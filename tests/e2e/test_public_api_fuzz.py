"""The public API as the gateway documents it, sent schemathesis-generated requests on the
running portal: no 5xx, and every answer as documented. Each operation is fuzzed as the
role that can reach it, per the gateway's route table: a customer admin for the public,
signed-in and customer routes, the vendor admin for the back office's, an internal system
with every scope the routes ask for (the ERP) for theirs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from services.gateway.routes import ROUTES, Route, RouteTable
from shared.auth.claims import Module, Role
from tests.e2e.portal import Portal
from tests.support import assert_valid_openapi, fuzz

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]  # the first test starts the portal

# Enough to reach every branch of validation without the run growing past a few minutes.
EXAMPLES_PER_OPERATION = 10
# Operations whose every generated request is rightly refused: they check a secret or a right
# that no generated value holds (a refresh token, the current password, a membership).
REFUSING = {
    "POST /api/auth/sign-in",
    "POST /api/auth/refresh",
    "POST /api/auth/switch-organisation",
    "POST /api/me/password",
}


def for_customers(route: Route) -> bool:
    return route.roles is None or Role.CUSTOMER_ADMIN in route.roles


def for_vendor_staff(route: Route) -> bool:
    return route.roles is not None and Role.VENDOR_ADMIN in route.roles


def for_internal_systems(route: Route) -> bool:
    return route.roles is not None and Role.SERVICE in route.roles


def reached(document: dict[str, Any], by: Callable[[Route], bool]) -> dict[str, Any]:
    """The document with only the paths whose gateway route `by` accepts."""
    table = RouteTable()
    paths = {
        path: item
        for path, item in document["paths"].items()
        if (route := table.match(path)) is not None and by(route)
    }
    return {**document, "paths": paths}


async def public_document(portal: Portal) -> dict[str, Any]:
    async with portal.session.get(f"{portal.stack.url}/openapi.json") as response:
        assert response.status == 200
        document = await response.json()
    assert_valid_openapi(document)
    every_path = set(document["paths"])
    by_customers = set(reached(document, for_customers)["paths"])
    by_staff = set(reached(document, for_vendor_staff)["paths"])
    by_systems = set(reached(document, for_internal_systems)["paths"])
    # no operation is left out of the fuzzing
    assert by_customers | by_staff | by_systems == every_path
    assert {"/api/auth/sign-in", "/api/tickets", "/api/organisations"} <= every_path
    return document


async def test_a_customer_admin_gets_no_server_error_and_only_documented_answers(
    portal: Portal,
) -> None:
    staff = await portal.vendor_admin()
    organisation = await portal.create_organisation(staff)
    _, token = await portal.customer_admin(
        staff, organisation["organisation_id"], modules=tuple(Module)
    )
    await fuzz(
        reached(await public_document(portal), for_customers),
        portal.stack.url,
        headers={"Authorization": f"Bearer {token}"},
        max_examples=EXAMPLES_PER_OPERATION,
        refusing=REFUSING,
    )


async def test_the_vendor_admin_gets_no_server_error_and_only_documented_answers(
    portal: Portal,
) -> None:
    await fuzz(
        reached(await public_document(portal), for_vendor_staff),
        portal.stack.url,
        headers={"Authorization": f"Bearer {await portal.vendor_admin()}"},
        max_examples=EXAMPLES_PER_OPERATION,
        refusing=REFUSING,
    )


async def test_an_internal_system_gets_no_server_error_and_only_documented_answers(
    portal: Portal,
) -> None:
    scopes = tuple(sorted({route.scope.value for route in ROUTES if route.scope is not None}))
    token = await portal.internal_system("Fuzzing ERP", scopes)
    await fuzz(
        reached(await public_document(portal), for_internal_systems),
        portal.stack.url,
        headers={"Authorization": f"Bearer {token}"},
        max_examples=EXAMPLES_PER_OPERATION,
        refusing=REFUSING,
    )
