"""Orders as customers and the back office use them (flows 16-17, seed 003), through the
service with real PostgreSQL and a real broker: the cart, its checkout (raced by two tabs),
the lifecycle with partial shipments, cancelling, the delivery note, branches, the hint."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import re
import uuid
from typing import Any
from zoneinfo import ZoneInfo

from services.fleet import events as fleet
from services.fleet.domain_types import AssetStatus, Counter
from services.orders.tests.conftest import OrdersUnderTest, Shop, pdf_text

B, C = Counter.BLACK_AND_WHITE, Counter.COLOUR


async def test_a_cart_survives_devices_and_refuses_what_cannot_be_ordered(
    orders: OrdersUnderTest,
) -> None:
    shop = await orders.shop()
    entry = {
        "lines": [
            {"reference": "TON-K", "quantity": 2, "stock_on_hand": 1},
            {"reference": "TON-C", "quantity": 1},
        ],
        "delivery_comment": "Code porte 4512, bâtiment B",
        "customer_reference": "PO-2026-118",
    }
    await shop.buyer.ok("PUT", f"/cart/assets/{shop.asset_id}", json=entry)
    # Another device, another token of the same user: the same cart.
    same_user = orders.customer(shop.organisation_id, shop.buyer.user_id)
    cart = await same_user.ok("GET", "/cart")
    [kept] = cart["entries"]
    assert kept["asset"]["serial_number"] == shop.serial_number
    assert [
        (line["reference"], line["description"], line["max_quantity_per_order"])
        for line in kept["lines"]
    ] == [("TON-K", "Toner noir", 4), ("TON-C", "Toner cyan", 4)]
    assert kept["customer_reference"] == "PO-2026-118"
    # A colleague has a cart of their own.
    assert (await orders.customer(shop.organisation_id).ok("GET", "/cart"))["entries"] == []

    bad = await shop.buyer.call(
        "PUT",
        f"/cart/assets/{shop.asset_id}",
        json={
            "lines": [
                {"reference": "TON-K", "quantity": 5},
                {"reference": "TON-Y", "quantity": 1},
                {"reference": "TON-C", "quantity": 0},
            ]
        },
    )
    assert bad.status == 422
    assert [(e["field"], e["code"]) for e in bad.body["errors"]] == [
        ("lines.0", "quantity_too_large"),
        ("lines.1", "unknown_reference"),
        ("lines.2", "quantity_too_small"),
    ]
    for quantity in ("2", 2.5, -1):
        refused = await shop.buyer.call(
            "PUT",
            f"/cart/assets/{shop.asset_id}",
            json={"lines": [{"reference": "TON-K", "quantity": quantity}]},
        )
        assert refused.status == 422, quantity
    # Nothing refused was kept.
    assert (await shop.buyer.ok("GET", "/cart"))["entries"][0]["lines"][0]["quantity"] == 2

    cart = await shop.buyer.ok("DELETE", f"/cart/assets/{shop.asset_id}")
    assert cart["entries"] == []
    empty = await shop.buyer.call("POST", "/cart/checkout")
    assert empty.status == 409

    # A colleague whose access identity has not told orders of yet: asked to retry, nothing
    # placed.
    newcomer = orders.customer(shop.organisation_id)
    await newcomer.ok("PUT", f"/cart/assets/{shop.asset_id}", json=entry)
    unknown = await newcomer.call("POST", "/cart/checkout")
    assert (unknown.status, unknown.headers["Retry-After"]) == (503, "5")
    assert len((await newcomer.ok("GET", "/cart"))["entries"]) == 1


async def test_validating_the_cart_places_one_order_per_machine_and_the_back_office_delivers(
    orders: OrdersUnderTest,
) -> None:
    shop = await orders.shop()
    other_machine = uuid.uuid4()
    await orders.feed(
        (
            "fleet",
            fleet.AssetRegistered(
                **{
                    **_registered(shop),
                    "asset_id": other_machine,
                    "serial_number": "SN-SECOND",
                }
            ),
            shop.organisation_id,
        )
    )
    buyer = shop.buyer
    await buyer.ok(
        "PUT",
        f"/cart/assets/{shop.asset_id}",
        json={
            "lines": [
                {"reference": "TON-K", "quantity": 3, "stock_on_hand": 0},
                {"reference": "TON-C", "quantity": 2, "stock_on_hand": 1},
            ],
            "delivery_comment": "Code porte 4512, bâtiment B",
            "customer_reference": "PO-SECRET-118",
        },
    )
    await buyer.ok(
        "PUT",
        f"/cart/assets/{other_machine}",
        json={"lines": [{"reference": "TON-K", "quantity": 1}]},
    )
    placed = (await buyer.ok("POST", "/cart/checkout", 201))["orders"]
    assert [order["serial_number"] for order in placed] == [shop.serial_number, "SN-SECOND"]
    assert all(re.fullmatch(r"C-\d{4}-\d{6}", order["number"]) for order in placed)
    assert len({order["number"] for order in placed}) == 2
    assert len({order["checkout_id"] for order in placed}) == 1
    assert {order["status"] for order in placed} == {"submitted"}
    assert (await buyer.ok("GET", "/cart"))["entries"] == []
    events = await orders.sql(
        "SELECT type, data FROM events WHERE data->>'checkout_id' = $1", placed[0]["checkout_id"]
    )
    assert [row["type"] for row in events] == ["guichet.orders.OrderPlaced"] * 2
    assert all(json.loads(row["data"])["placed_by_email"].startswith("claire.") for row in events)

    order = placed[0]
    office = orders.staff()
    queue = await office.ok("GET", "/agent/orders?status=submitted&limit=100")
    mine = [
        o["number"] for o in queue["orders"] if o["organisation_id"] == str(shop.organisation_id)
    ]
    assert mine == [o["number"] for o in placed]  # oldest first: the preparers' queue
    assert {o["organisation_name"] for o in queue["orders"]} >= {"Imprimerie Martin"}
    path = f"/agent/orders/{order['order_id']}"
    early = await office.call(
        "POST", f"{path}/shipments", json={"carrier": "DHL", "delivery_note_number": "BL-1"}
    )
    assert (early.status, early.body["order_status"]) == (409, "submitted")
    validated = await office.ok("POST", f"{path}/validate")
    assert validated["status"] == "deliverable"
    again = await office.call("POST", f"{path}/validate")
    assert (again.status, again.body["order_status"]) == (409, "deliverable")

    too_many = await office.call(
        "POST",
        f"{path}/shipments",
        json={
            "carrier": "Chronopost",
            "delivery_note_number": "BL-88213",
            "lines": [{"reference": "TON-K", "quantity": 4}],
        },
    )
    assert too_many.status == 422
    assert too_many.body["errors"][0]["code"] == "more_than_outstanding"
    partial = await office.ok(
        "POST",
        f"{path}/shipments",
        201,
        json={
            "carrier": "Chronopost",
            "delivery_note_number": "BL-88213",
            "lines": [{"reference": "TON-K", "quantity": 2}],
        },
    )
    assert partial["status"] == "partially_delivered"
    assert [
        (line["reference"], line["delivered"], line["outstanding"]) for line in partial["lines"]
    ] == [("TON-K", 2, 1), ("TON-C", 0, 2)]
    late_cancel = await buyer.call(
        "POST", f"/orders/{order['order_id']}/cancel", json={"comment": "Plus besoin"}
    )
    assert (late_cancel.status, late_cancel.body["order_status"]) == (409, "partially_delivered")
    assert "partially delivered" in late_cancel.body["detail"]

    rest = await office.ok(
        "POST", f"{path}/shipments", 201, json={"carrier": "DHL", "delivery_note_number": "BL-9"}
    )
    assert rest["status"] == "delivered"
    assert all(line["outstanding"] == 0 for line in rest["lines"])
    shipped = await orders.sql(
        "SELECT data FROM events WHERE type = 'guichet.orders.OrderShipped'"
        " AND stream_id = $1 ORDER BY version",
        order["order_id"],
    )
    assert [json.loads(row["data"])["delivered_in_full"] for row in shipped] == [False, True]

    seen = await buyer.ok("GET", f"/orders/{order['order_id']}")
    assert [entry["action"] for entry in seen["history"]] == [
        "placed",
        "validated",
        "shipped",
        "shipped",
    ]
    assert seen["history"][0]["actor_id"] == str(buyer.user_id)
    assert seen["history"][0]["actor_name"] == "Claire Martin"
    assert seen["history"][1]["actor_id"] == str(office.user_id)
    first = seen["shipments"][0]
    assert (first["carrier"], first["delivery_note_number"]) == ("Chronopost", "BL-88213")
    note = await buyer.call("GET", first["delivery_note_url"])
    assert note.status == 200
    assert note.headers["Content-Type"] == "application/pdf"
    text = pdf_text(note.raw)
    for shown in (
        "BL-88213",
        "Chronopost",
        "Imprimerie Martin",
        "Atelier de Nancy",
        "2e étage",
        "Code porte 4512, bâtiment B",
        order["number"],
        "Toner noir",
        "Toner cyan",
        "Reste à livrer",
        "Bureautique de l'Est",
    ):
        assert shown in text, shown
    assert "PO-SECRET-118" not in text
    assert "PO-SECRET-118" not in note.raw.decode("latin-1")
    # The vendor's staff read the same note.
    assert (await office.call("GET", first["delivery_note_url"])).status == 200


def _registered(shop: Shop) -> dict[str, Any]:
    """A second machine of the shop's model, at its site."""
    return {
        "organisation_id": shop.organisation_id,
        "model_id": shop.model_id,
        "model_code": "C3226I",
        "model_name": "imageRUNNER C3226i",
        "manufacturer": "Canon",
        "product_reference": None,
        "site_id": shop.site_id,
        "site_name": "Atelier de Nancy",
        "location": "Accueil",
        "status": AssetStatus.IN_SERVICE,
        "installed_on": dt.date(2026, 1, 5),
        "counters": (B, C),
    }


async def test_two_tabs_validating_the_same_cart_place_one_set_of_orders(
    orders: OrdersUnderTest,
) -> None:
    shop = await orders.shop()
    await shop.buyer.ok(
        "PUT",
        f"/cart/assets/{shop.asset_id}",
        json={"lines": [{"reference": "TON-K", "quantity": 1}]},
    )
    tabs = [orders.customer(shop.organisation_id, shop.buyer.user_id) for _ in range(4)]
    answers = await asyncio.gather(*(tab.call("POST", "/cart/checkout") for tab in tabs))
    statuses = sorted(answer.status for answer in answers)
    assert statuses == [201, 409, 409, 409]
    [winner] = [answer for answer in answers if answer.status == 201]
    [number] = [order["number"] for order in winner.body["orders"]]
    for loser in (answer for answer in answers if answer.status == 409):
        assert loser.body["orders"] == [number]
        assert number in loser.body["detail"]
    [count] = await orders.sql(
        "SELECT count(*) AS n FROM orders WHERE organisation_id = $1", shop.organisation_id
    )
    assert count["n"] == 1


async def test_a_lost_race_on_an_order_is_a_conflict_that_changes_nothing(
    orders: OrdersUnderTest,
) -> None:
    shop = await orders.shop()
    order = await orders.order(shop)
    path = f"/agent/orders/{order['order_id']}"
    office = orders.staff()
    answers = await asyncio.gather(*(office.call("POST", f"{path}/validate") for _ in range(4)))
    assert sorted(answer.status for answer in answers).count(200) == 1
    assert all(answer.status == 409 for answer in answers if answer.status != 200)
    events = await orders.sql("SELECT type FROM events WHERE stream_id = $1", order["order_id"])
    assert len(events) == 2


async def test_cancelling_needs_a_comment_and_tells_who_cancelled(
    orders: OrdersUnderTest,
) -> None:
    shop = await orders.shop()
    order = await orders.order(shop)
    cancel = f"/orders/{order['order_id']}/cancel"
    assert (await shop.buyer.call("POST", cancel, json={"comment": "  "})).status == 422
    cancelled = await shop.buyer.ok("POST", cancel, json={"comment": "Commande en double"})
    assert cancelled["status"] == "cancelled"
    assert cancelled["history"][-1]["comment"] == "Commande en double"
    assert cancelled["history"][-1]["by_vendor"] is False
    again = await orders.staff().call(
        "POST", f"/agent/orders/{order['order_id']}/cancel", json={"comment": "x"}
    )
    assert (again.status, again.body["order_status"]) == (409, "cancelled")

    validated = await orders.order(shop)
    office = orders.staff()
    await office.ok("POST", f"/agent/orders/{validated['order_id']}/validate")
    by_vendor = await office.ok(
        "POST", f"/agent/orders/{validated['order_id']}/cancel", json={"comment": "Rupture"}
    )
    assert by_vendor["history"][-1]["by_vendor"] is True
    [event] = await orders.sql(
        "SELECT data FROM events WHERE stream_id = $1 AND type = 'guichet.orders.OrderCancelled'",
        validated["order_id"],
    )
    data = json.loads(event["data"])
    assert (data["from_status"], data["by_vendor"]) == ("deliverable", True)


async def test_the_list_filters_and_pages_newest_first(orders: OrdersUnderTest) -> None:
    shop = await orders.shop()
    placed = [await orders.order(shop) for _ in range(3)]
    await orders.staff().ok("POST", f"/agent/orders/{placed[0]['order_id']}/validate")
    buyer = shop.buyer
    page = await buyer.ok("GET", "/orders?limit=2")
    assert [o["number"] for o in page["orders"]] == [placed[2]["number"], placed[1]["number"]]
    rest = await buyer.ok("GET", f"/orders?limit=2&cursor={page['next_cursor']}")
    assert [o["number"] for o in rest["orders"]] == [placed[0]["number"]]
    assert rest["next_cursor"] is None
    deliverable = await buyer.ok("GET", "/orders?status=deliverable")
    assert [o["number"] for o in deliverable["orders"]] == [placed[0]["number"]]
    today = dt.datetime.now(ZoneInfo("Europe/Paris")).date()  # the service's GUICHET_TIMEZONE
    assert (
        len(
            (await buyer.ok("GET", f"/orders?asset_id={shop.asset_id}&placed_from={today}"))[
                "orders"
            ]
        )
        == 3
    )
    tomorrow = today + dt.timedelta(days=1)
    assert (await buyer.ok("GET", f"/orders?placed_from={tomorrow}"))["orders"] == []
    staff_view = await orders.staff("vendor_agent").ok(
        "GET", f"/agent/orders?organisation_id={shop.organisation_id}"
    )
    assert [o["number"] for o in staff_view["orders"]] == [o["number"] for o in reversed(placed)]
    # An agent reads; only the back office validates, ships and cancels.
    agent_validates = await orders.staff("vendor_agent").call(
        "POST", f"/agent/orders/{placed[1]['order_id']}/validate"
    )
    assert agent_validates.status == 403
    assert (await buyer.call("GET", "/orders?cursor=nonsense")).status == 422
    backwards = await buyer.call("GET", f"/orders?placed_from={tomorrow}&placed_to={today}")
    assert backwards.status == 422
    # Days are the vendor's: 23:30 UTC on 4 March is already 5 March in Paris.
    await orders.sql(
        "UPDATE orders SET placed_at = '2026-03-04 23:30+00' WHERE order_id = $1",
        uuid.UUID(placed[1]["order_id"]),
    )
    fifth = await buyer.ok("GET", "/orders?placed_from=2026-03-05&placed_to=2026-03-05")
    assert [o["number"] for o in fifth["orders"]] == [placed[1]["number"]]
    assert (await buyer.ok("GET", "/orders?placed_to=2026-03-04"))["orders"] == []


async def test_a_user_limited_to_a_branch_orders_for_its_machines_only(
    orders: OrdersUnderTest,
) -> None:
    north, south = uuid.uuid4(), uuid.uuid4()
    shop = await orders.shop(branch=north)
    order = await orders.order(shop)
    southern = orders.customer(shop.organisation_id, branch=str(south))
    northern = orders.customer(shop.organisation_id, branch=str(north))
    line = {"lines": [{"reference": "TON-K", "quantity": 1}]}
    assert (await southern.call("PUT", f"/cart/assets/{shop.asset_id}", json=line)).status == 404
    assert (await southern.call("GET", f"/orders/{order['order_id']}")).status == 404
    assert (await southern.ok("GET", "/orders"))["orders"] == []
    consumables = f"/orders/assets/{shop.asset_id}/consumables"
    assert (await southern.call("GET", consumables)).status == 404
    assert (await northern.ok("GET", "/orders"))["orders"][0]["number"] == order["number"]
    await northern.ok("PUT", f"/cart/assets/{shop.asset_id}", json=line)


async def test_a_withdrawn_machine_or_reference_orders_nothing(orders: OrdersUnderTest) -> None:
    shop = await orders.shop()
    line = {"lines": [{"reference": "TON-C", "quantity": 1}]}
    await shop.buyer.ok("PUT", f"/cart/assets/{shop.asset_id}", json=line)
    await orders.feed(
        (
            "fleet",
            fleet.ConsumableReferenceWithdrawn(
                model_id=shop.model_id, model_code="C3226I", reference="TON-C"
            ),
            None,
        )
    )
    cart = await shop.buyer.ok("GET", "/cart")
    assert cart["entries"][0]["lines"][0]["description"] is None
    refused = await shop.buyer.call("POST", "/cart/checkout")
    assert refused.status == 422
    assert refused.body["errors"][0]["field"] == f"entries.{shop.asset_id}.lines.0"
    assert (await shop.buyer.ok("GET", "/cart"))["entries"]  # nothing half-done
    await orders.feed(
        (
            "fleet",
            fleet.AssetStatusChanged(
                asset_id=shop.asset_id,
                organisation_id=shop.organisation_id,
                from_status=AssetStatus.IN_SERVICE,
                to_status=AssetStatus.WITHDRAWN,
            ),
            shop.organisation_id,
        )
    )
    withdrawn = await shop.buyer.call(
        "PUT",
        f"/cart/assets/{shop.asset_id}",
        json={"lines": [{"reference": "TON-K", "quantity": 1}]},
    )
    assert withdrawn.status == 409
    assert shop.serial_number in withdrawn.body["detail"]


async def test_the_consumables_say_when_they_are_likely_needed(orders: OrdersUnderTest) -> None:
    shop = await orders.shop()
    consumables = f"/orders/assets/{shop.asset_id}/consumables"
    first = await shop.buyer.ok("GET", consumables)
    assert [(c["reference"], c["max_quantity_per_order"]) for c in first["consumables"]] == [
        ("TON-C", 4),
        ("TON-K", 4),
    ]
    assert {c["hint"]["basis"] for c in first["consumables"]} == {"not_enough_data"}
    assert all(c["hint"]["days"] is None for c in first["consumables"])
    # Two orders 30 days apart (the first back-dated): 3 + 2 - 1 = 4 used in 30 days.
    earlier = await orders.order(
        shop, lines=[{"reference": "TON-K", "quantity": 2, "stock_on_hand": 3}]
    )
    await orders.sql(
        "UPDATE orders SET placed_at = placed_at - interval '30 days' WHERE order_id = $1",
        uuid.UUID(earlier["order_id"]),
    )
    await orders.order(shop, lines=[{"reference": "TON-K", "quantity": 2, "stock_on_hand": 1}])
    hinted = {
        c["reference"]: c["hint"] for c in (await shop.buyer.ok("GET", consumables))["consumables"]
    }
    assert hinted["TON-K"]["basis"] == "orders"
    # 3 left at 4/30 a day: 22 days.
    assert hinted["TON-K"]["days"] == 22
    assert hinted["TON-C"]["days"] is None
