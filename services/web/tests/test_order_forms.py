"""What the consumables forms make of what is typed, before the API sees it: a customer's
quantities and stock per reference (within the vendor's maximum), the cart entry shown again
for editing, the back office's shipment (never more than what is outstanding), and the lists'
filters read from the address."""

from __future__ import annotations

from collections.abc import Callable

from aiohttp import web
from aiohttp.test_utils import make_mocked_request
from multidict import MultiDict, MultiDictProxy

from services.web.i18n import translator
from services.web.order_forms import cart_values, read_consumables, read_shipment
from services.web.pages.orders import filters_of
from services.web.pages.orders_back_office import queue_filters

T = translator("en")
OFFERED = [
    {"reference": "TN-BK-3226", "description": "Toner noir", "max_quantity_per_order": 4},
    {"reference": "TN-CY-3226", "description": "Toner cyan", "max_quantity_per_order": 2},
    {"reference": "WT-3226", "description": "Bac de récupération", "max_quantity_per_order": 1},
]


def posted(**typed: str) -> MultiDictProxy[str]:
    fields = {f"reference-{i}": item["reference"] for i, item in enumerate(OFFERED)}
    named = {key.replace("_", "-"): value for key, value in typed.items()}
    return MultiDictProxy(MultiDict({**fields, **named}))


def test_only_the_references_with_a_quantity_are_ordered_with_their_stock() -> None:
    read = read_consumables(
        MultiDictProxy(
            MultiDict(
                {
                    **posted(quantity_0="2", stock_0="1", quantity_1="0", stock_1="3"),
                    "delivery_comment": "  Code 4512B, bâtiment C, Mme Roux  ",
                    "customer_reference": "BC-2026-118",
                }
            )
        ),
        OFFERED,
        T,
    )
    assert read.errors == {}
    assert read.body == {
        "lines": [{"reference": "TN-BK-3226", "quantity": 2, "stock_on_hand": 1}],
        "delivery_comment": "Code 4512B, bâtiment C, Mme Roux",
        "customer_reference": "BC-2026-118",
    }


def test_a_quantity_beyond_the_vendors_maximum_or_not_whole_is_refused_on_its_field() -> None:
    read = read_consumables(posted(quantity_0="5", quantity_1="1.5", quantity_2="-1"), OFFERED, T)
    assert set(read.errors) == {"quantity-0", "quantity-1", "quantity-2"}
    assert read.errors["quantity-0"] == "A whole number from 1 to 4."
    assert read.values["quantity-1"] == "1.5"  # shown again as typed
    assert read.lines == []


def test_a_stock_that_is_not_a_whole_number_is_refused_and_an_empty_one_is_unknown() -> None:
    read = read_consumables(posted(quantity_0="1", stock_0="beaucoup"), OFFERED, T)
    assert set(read.errors) == {"stock-0"}
    read = read_consumables(posted(quantity_0="1 ", stock_0=""), OFFERED, T)
    assert read.lines == [{"reference": "TN-BK-3226", "quantity": 1, "stock_on_hand": None}]


def test_nothing_ordered_is_said_above_the_form() -> None:
    read = read_consumables(posted(quantity_0="", quantity_1="0"), OFFERED, T)
    assert read.errors == {"": "Enter a quantity for at least one reference."}


def test_a_reference_no_longer_offered_is_refused_rather_than_dropped() -> None:
    fields = MultiDictProxy(MultiDict({"reference-0": "OLD-REF", "quantity-0": "1"}))
    read = read_consumables(fields, OFFERED, T)
    assert "OLD-REF" in read.errors[""]


def test_the_references_own_order_and_comment_limits_hold() -> None:
    fields = MultiDict(posted(quantity_0="1"))
    fields["customer_reference"] = "x" * 61
    read = read_consumables(MultiDictProxy(fields), OFFERED, T)
    assert set(read.errors) == {"customer_reference"}


def test_editing_a_cart_entry_starts_from_what_was_saved() -> None:
    entry = {
        "asset_id": "a",
        "lines": [{"reference": "TN-CY-3226", "quantity": 2, "stock_on_hand": None}],
        "delivery_comment": "Porte B",
        "customer_reference": "",
    }
    assert cart_values(entry, OFFERED) == {
        "delivery_comment": "Porte B",
        "customer_reference": "",
        "quantity-1": "2",
        "stock-1": "",
    }
    assert cart_values(None, OFFERED) == {}


def shipment(**typed: str) -> MultiDictProxy[str]:
    return MultiDictProxy(
        MultiDict(
            {
                "carrier": "Geodis",
                "delivery_note_number": "BL-884120",
                "reference-0": "TN-BK-3226",
                "reference-1": "TN-CY-3226",
                **{k.replace("_", "-"): v for k, v in typed.items()},
            }
        )
    )


OUTSTANDING = {"TN-BK-3226": 2, "TN-CY-3226": 1}


def test_a_partial_shipment_sends_the_lines_that_leave_now() -> None:
    read = read_shipment(shipment(ship_0="1", ship_1="0"), OUTSTANDING, T)
    assert read.errors == {}
    assert read.body == {
        "carrier": "Geodis",
        "delivery_note_number": "BL-884120",
        "lines": [{"reference": "TN-BK-3226", "quantity": 1}],
    }


def test_a_shipment_never_sends_more_than_what_is_outstanding() -> None:
    read = read_shipment(shipment(ship_0="3", ship_1="x"), OUTSTANDING, T)
    assert set(read.errors) == {"ship-0", "ship-1"}
    assert read.errors["ship-0"] == "A whole number from 0 to 2 (what is outstanding)."


def test_a_shipment_needs_its_carrier_its_note_and_something_shipped() -> None:
    fields = MultiDict(shipment(ship_0="0", ship_1=""))
    fields["carrier"] = " "
    read = read_shipment(MultiDictProxy(fields), OUTSTANDING, T)
    assert set(read.errors) == {"carrier", ""}


def filters(query: str, reader: Callable[[web.Request], dict[str, str]]) -> dict[str, str]:
    return reader(make_mocked_request("GET", f"/orders?{query}"))


def test_the_orders_list_takes_only_filters_the_api_takes_and_a_period_either_way() -> None:
    machine = "6f1c1a52-53a4-4f0e-9d55-0b5d4b2a1c3e"
    assert filters(
        f"status=delivered&asset_id={machine}&placed_from=2026-11-30&placed_to=2026-11-01",
        filters_of,
    ) == {
        "status": "delivered",
        "asset_id": machine,
        "placed_from": "2026-11-01",
        "placed_to": "2026-11-30",
    }
    assert filters("status=shipped&asset_id=42&placed_from=hier", filters_of) == {}


def test_the_back_office_queue_shows_orders_to_validate_unless_asked_otherwise() -> None:
    assert filters("", queue_filters) == {"status": "submitted"}
    assert filters("status=nonsense", queue_filters) == {"status": "submitted"}
    assert filters("status=all", queue_filters) == {}
    assert filters("status=deliverable&organisation_id=x", queue_filters) == {
        "status": "deliverable"
    }
