"""Tenant isolation of every fleet operation: organisation A's customer user and admin find
none of organisation B's assets, sites, contracts, readings and history, change none of them,
by B's real ids and by guessed ones; a user without the module is refused; customers are
refused the back office's side and the import. The table names every operation of fleet's
OpenAPI document; one added without a case fails here."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from services.fleet.app import create_app
from services.fleet.settings import FleetSettings
from services.fleet.tests.conftest import FleetUnderTest
from services.tickets.tests.conftest import Client
from shared.http.openapi import openapi_document
from tests.isolation import Entry, IsolationCase, Tenants, assert_isolated, assert_table_matches
from tests.support import assert_valid_openapi

B_MARKERS = ("Zephyr", "ZSN-", "Z-CT-")

# On one of B's assets: another organisation's asset is an asset that does not exist.
NOT_FOUND_TO_A = {"a_user": 404, "a_admin": 404, "a_without_module": 403, "staff": 403}
# The customers' side that names nothing of B: A sees its own organisation's.
A_S_OWN = {"a_user": 200, "a_admin": 200, "a_without_module": 403, "staff": 403}
OWN_FLEET = "the fleet of the organisation the token acts for; B's is searched for"
CUSTOMERS_REFUSED = {"a_user": 403, "a_admin": 403}  # the back office's side
READING = {"black_and_white": 5000, "colour": 2000}


def _site(ids: Mapping[str, str]) -> dict[str, Any]:
    return {
        "organisation_id": ids["organisation_id"],
        "name": "Zephyr annexe",
        "address": {"line1": "1 rue Z", "city": "Zurich", "country": "CH"},
    }


TERMS = {"contract_type": "maintenance", "starts_on": "2026-01-01", "reading_every_days": 30}


def _contract(ids: Mapping[str, str], number: str = "Z-CT-NEW") -> dict[str, Any]:
    return {"organisation_id": ids["organisation_id"], "number": number, **TERMS}


def _asset(ids: Mapping[str, str]) -> dict[str, Any]:
    return {
        "organisation_id": ids["organisation_id"],
        "model_id": ids["model_id"],
        "serial_number": "ZSN-NEW",
        "site_id": ids["site_id"],
    }


def _placement(ids: Mapping[str, str]) -> dict[str, Any]:
    return {"site_id": ids["site_id"], "location": "Zephyr hall", "contract_id": ids["contract_id"]}


def _model(_: Mapping[str, str]) -> dict[str, Any]:
    return {"code": "ZEPHYR-NEW", "name": "Zephyr", "manufacturer": "Z", "counters": ["colour"]}


TABLE: tuple[Entry, ...] = (
    # --- the customers' side ---------------------------------------------------------------------
    IsolationCase(
        "GET /fleet/assets", answers=A_S_OWN, own_scope=OWN_FLEET, control=("b_user", 200)
    ),
    *(
        IsolationCase(
            f"GET /fleet/assets/{{asset_id}}{tail}",
            answers=NOT_FOUND_TO_A,
            ids={"asset_id": "asset"},
            control=("b_user", 200),
        )
        for tail in ("", "/history", "/consumables", "/readings")
    ),
    IsolationCase(
        "GET /fleet/sites", answers=A_S_OWN, own_scope=OWN_FLEET, control=("b_user", 200)
    ),
    IsolationCase(
        "GET /fleet/contracts", answers=A_S_OWN, own_scope=OWN_FLEET, control=("b_user", 200)
    ),
    IsolationCase(
        "GET /meter-readings/due", answers=A_S_OWN, own_scope=OWN_FLEET, control=("b_user", 200)
    ),
    IsolationCase(
        "POST /meter-readings",
        answers={"a_user": 404, "a_admin": 404, "a_without_module": 403, "staff": 403},
        ids={"asset_id": "asset"},
        body=lambda ids: {"asset_id": ids["asset_id"], "counters": READING},
        control=("b_user", 201),
    ),
    # --- the back office's side: every organisation's fleet -------------------------------------
    IsolationCase("GET /agent/fleet/sites", answers=CUSTOMERS_REFUSED, control=("staff", 200)),
    IsolationCase(
        "POST /agent/fleet/sites",
        answers=CUSTOMERS_REFUSED,
        ids={"organisation_id": "organisation"},
        body=_site,
        control=("staff", 201),
    ),
    IsolationCase(
        "PUT /agent/fleet/sites/{site_id}",
        answers=CUSTOMERS_REFUSED,
        ids={"site_id": "site"},
        body=lambda _: {"name": "Zephyr siège", "address": {"line1": "1 rue Z", "city": "Zurich"}},
        control=("staff", 200),
    ),
    IsolationCase("GET /agent/fleet/contracts", answers=CUSTOMERS_REFUSED, control=("staff", 200)),
    IsolationCase(
        "POST /agent/fleet/contracts",
        answers=CUSTOMERS_REFUSED,
        ids={"organisation_id": "organisation"},
        body=_contract,
        control=("staff", 201),
    ),
    IsolationCase(
        "PUT /agent/fleet/contracts/{contract_id}",
        answers=CUSTOMERS_REFUSED,
        ids={"contract_id": "other_contract"},
        body=lambda _: {**TERMS, "service_level": "Zephyr 4 h"},
        control=("staff", 200),
    ),
    IsolationCase(
        "POST /agent/fleet/contracts/{contract_id}/end",
        answers=CUSTOMERS_REFUSED,
        ids={"contract_id": "other_contract"},
        body=lambda _: {"reason": "Zephyr résilie"},
        control=("staff", 200),
    ),
    IsolationCase("GET /agent/fleet/models", answers=CUSTOMERS_REFUSED, control=("staff", 200)),
    IsolationCase(
        "POST /agent/fleet/models", answers=CUSTOMERS_REFUSED, body=_model, control=("staff", 201)
    ),
    IsolationCase(
        "PUT /agent/fleet/models/{model_id}",
        answers=CUSTOMERS_REFUSED,
        ids={"model_id": "model"},
        body=lambda _: {"name": "Zephyr C1", "manufacturer": "Z", "counters": list(READING)},
        control=("staff", 200),
    ),
    IsolationCase(
        "PUT /agent/fleet/models/{model_id}/consumables/{reference}",
        answers=CUSTOMERS_REFUSED,
        ids={"model_id": "model"},
        params={"reference": "Z-TON-Y"},
        body=lambda _: {"description": "Zephyr toner jaune", "max_quantity_per_order": 2},
        control=("staff", 200),
    ),
    IsolationCase(
        "DELETE /agent/fleet/models/{model_id}/consumables/{reference}",
        answers=CUSTOMERS_REFUSED,
        ids={"model_id": "model"},
        params={"reference": "Z-TON-Y"},
        control=("staff", 200),
    ),
    IsolationCase("GET /agent/fleet/assets", answers=CUSTOMERS_REFUSED, control=("staff", 200)),
    IsolationCase(
        "POST /agent/fleet/assets",
        answers=CUSTOMERS_REFUSED,
        ids={"organisation_id": "organisation", "model_id": "model", "site_id": "site"},
        body=_asset,
        control=("staff", 201),
    ),
    *(
        IsolationCase(
            f"GET /agent/fleet/assets/{{asset_id}}{tail}",
            answers=CUSTOMERS_REFUSED,
            ids={"asset_id": "asset"},
            control=("staff", 200),
        )
        for tail in ("", "/history", "/readings")
    ),
    IsolationCase(
        "PUT /agent/fleet/assets/{asset_id}/placement",
        answers=CUSTOMERS_REFUSED,
        ids={"asset_id": "asset", "site_id": "site", "contract_id": "contract"},
        body=_placement,
        control=("staff", 200),
    ),
    IsolationCase(
        "POST /agent/fleet/assets/{asset_id}/readings",
        answers=CUSTOMERS_REFUSED,
        ids={"asset_id": "asset"},
        body=lambda _: {"counters": READING},
        control=("staff", 201),
    ),
    # --- the ERP -----------------------------------------------------------------------------
    IsolationCase(
        "POST /import/fleet",
        answers={**CUSTOMERS_REFUSED, "a_without_module": 403},
        body=lambda _: {"sites": []},
        control=("erp", 200),
    ),
)


def test_every_operation_of_the_api_has_an_isolation_case() -> None:
    # The document the service serves, built from its routes without starting it.
    settings = FleetSettings(
        database_url="postgresql://unused/guichet",
        kafka_bootstrap="unused:9092",
        public_url="http://portal.test/",
        identity_url="http://identity.test/",
    )
    document = openapi_document(create_app(settings), title="Guichet fleet", version="test")
    assert_valid_openapi(document)
    assert_table_matches(document, TABLE)


async def test_organisation_a_is_refused_every_operation_on_organisation_b(
    fleet: FleetUnderTest,
) -> None:
    await assert_isolated(await two_organisations(fleet), TABLE)


async def two_organisations(fleet: FleetUnderTest) -> Tenants:
    """Organisation A with its own equipped fleet; organisation B with a site, two contracts,
    a model of its own with a consumable, a copier with a reading, all named Zephyr."""
    org_a, code_a = await fleet.organisation("Atelier Alpha")
    org_b, code_b = await fleet.organisation("Zephyr SA")
    await fleet.equip(org_a, code_a)
    b_fleet = await fleet.equip(org_b, code_b, prefix="Zephyr ")
    staff = fleet.staff()
    other = await staff.ok(
        "POST",
        "/agent/fleet/contracts",
        201,
        json=_contract({"organisation_id": str(org_b)}, "Z-CT-2"),
    )
    clients: dict[str, Client] = {
        "a_user": fleet.customer(org_a),
        "a_admin": fleet.customer(org_a, role="customer_admin"),
        "a_without_module": fleet.customer(org_a, modules=["tickets"]),
        "b_user": fleet.customer(org_b),
        "staff": staff,
        "erp": fleet.erp(),
    }
    b = clients["b_user"]
    await b.ok(
        "POST", "/meter-readings", 201, json={"asset_id": b_fleet.asset_id, "counters": READING}
    )
    ids = {
        "asset": b_fleet.asset_id,
        "site": b_fleet.site_id,
        "contract": b_fleet.contract_id,
        "other_contract": other["contract_id"],
        "model": b_fleet.model_id,
        "organisation": str(org_b),
    }

    async def b_as_b_and_staff_see_it() -> dict[str, Any]:
        asset = f"/fleet/assets/{b_fleet.asset_id}"
        return {
            "list": await b.ok("GET", "/fleet/assets"),
            "page": await b.ok("GET", asset),
            "history": await b.ok("GET", f"{asset}/history"),
            "readings": await b.ok("GET", f"{asset}/readings"),
            "sites": await b.ok("GET", "/fleet/sites"),
            "contracts": await b.ok("GET", "/fleet/contracts"),
            "models": await staff.ok("GET", "/agent/fleet/models"),
            # Every change is an event: B's end where they ended.
            "events": [
                {key: str(value) for key, value in row.items()}
                for row in await fleet.sql(
                    "SELECT count(*) AS events, max(position) AS last FROM events"
                    " WHERE organisation_id = $1 OR organisation_id IS NULL",
                    org_b,
                )
            ],
        }

    return Tenants(
        url=fleet.url,
        session=fleet.session,
        tokens={
            name: client.headers["Authorization"].removeprefix("Bearer ")
            for name, client in clients.items()
        },
        ids=ids,
        foreign=frozenset({*ids.values(), b_fleet.serial_number, *B_MARKERS}),
        snapshot=b_as_b_and_staff_see_it,
    )
