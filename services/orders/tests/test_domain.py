"""The order aggregate, the checks of ordered lines and the reorder hint, as pure code:
given events, when a command, then events or a refusal; hypothesis for the invariants."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.orders.domain import (
    CatalogueEntry,
    InvalidLines,
    Order,
    OrderRuleBroken,
    Placement,
    WantedLine,
    check_lines,
)
from services.orders.domain_types import OrderedLine, OrderStatus, ShippedLine
from services.orders.events import OrderShipped
from services.orders.hint import PastOrder, Reading, reorder_hint

CATALOGUE = {
    "TON-K": CatalogueEntry("TON-K", "Toner noir", 4),
    "TON-C": CatalogueEntry("TON-C", "Toner cyan", 2),
}
STAFF = uuid.uuid4()


def placed(lines: dict[str, int]) -> Order:
    order = Order(uuid.uuid4())
    placement = Placement(
        order_id=order.order_id,
        number="C-2026-000001",
        checkout_id=uuid.uuid4(),
        organisation_id=uuid.uuid4(),
        asset_id=uuid.uuid4(),
        placed_by=uuid.uuid4(),
        placed_by_email="claire@imprimerie-martin.fr",
        serial_number="SN1",
        model_name="imageRUNNER C3226i",
        site_name="Nancy",
        location="2e étage",
        lines=tuple(OrderedLine(reference=r, description=r, quantity=q) for r, q in lines.items()),
        customer_reference="PO-1",
    )
    for event in order.place(placement):
        order.apply(event)
    return order


def run(order: Order, events: list) -> Order:
    for event in events:
        order.apply(event)
    return order


def test_lines_are_checked_against_the_models_catalogue_each_named() -> None:
    ordered = check_lines([WantedLine("TON-K", 4, 0), WantedLine("TON-C", 1)], CATALOGUE)
    assert [(line.description, line.quantity, line.stock_on_hand) for line in ordered] == [
        ("Toner noir", 4, 0),
        ("Toner cyan", 1, None),
    ]
    with pytest.raises(InvalidLines) as refused:
        check_lines(
            [
                WantedLine("TON-K", 5),
                WantedLine("TON-Y", 1),
                WantedLine("TON-C", 0),
                WantedLine("TON-K", 1),
            ],
            CATALOGUE,
        )
    assert [(p.index, p.code) for p in refused.value.problems] == [
        (0, "quantity_too_large"),
        (1, "unknown_reference"),
        (2, "quantity_too_small"),
        (3, "repeated"),
    ]


@given(st.lists(st.tuples(st.sampled_from(["TON-K", "TON-C", "X"]), st.integers(-3, 8))))
def test_a_line_is_accepted_only_when_orderable(wanted: list[tuple[str, int]]) -> None:
    lines = [WantedLine(reference, quantity) for reference, quantity in wanted]
    references = [reference for reference, _ in wanted]
    fine = (
        wanted
        and len(set(references)) == len(references)
        and all(
            reference in CATALOGUE and 1 <= quantity <= CATALOGUE[reference].max_quantity_per_order
            for reference, quantity in wanted
        )
    )
    if fine:
        assert [line.quantity for line in check_lines(lines, CATALOGUE)] == [q for _, q in wanted]
    else:
        with pytest.raises(InvalidLines):
            check_lines(lines, CATALOGUE)


def test_only_a_submitted_order_is_validated_and_a_validated_one_ships() -> None:
    order = placed({"TON-K": 2})
    with pytest.raises(OrderRuleBroken) as early:
        order.ship(
            shipment_id=uuid.uuid4(), carrier="DHL", delivery_note_number="1", lines=None, by=STAFF
        )
    assert early.value.status is OrderStatus.SUBMITTED
    run(order, order.validate(STAFF))
    with pytest.raises(OrderRuleBroken):
        order.validate(STAFF)
    [shipped] = order.ship(
        shipment_id=uuid.uuid4(), carrier="DHL", delivery_note_number="1", lines=None, by=STAFF
    )
    assert isinstance(shipped, OrderShipped)
    assert shipped.delivered_in_full
    assert shipped.customer_reference == "PO-1"
    run(order, [shipped])
    assert order.status is OrderStatus.DELIVERED
    with pytest.raises(OrderRuleBroken) as late:
        order.cancel(comment="trop tard", by=STAFF, by_vendor=True)
    assert late.value.status is OrderStatus.DELIVERED


shipment_plans = st.lists(
    st.lists(st.tuples(st.sampled_from(["TON-K", "TON-C"]), st.integers(1, 6)), max_size=2),
    max_size=6,
)


@given(st.integers(1, 4), st.integers(1, 4), shipment_plans)
def test_shipments_never_deliver_more_than_ordered(
    black: int, cyan: int, plan: list[list[tuple[str, int]]]
) -> None:
    """Whatever the back office tries to ship, what is delivered plus what is outstanding is
    what was ordered; the order is delivered exactly when nothing is outstanding."""
    order = placed({"TON-K": black, "TON-C": cyan})
    run(order, order.validate(STAFF))
    for attempt in plan:
        if order.status is OrderStatus.DELIVERED:
            break
        lines = tuple(ShippedLine(reference=r, quantity=q) for r, q in attempt) or None
        try:
            events = order.ship(
                shipment_id=uuid.uuid4(),
                carrier="DHL",
                delivery_note_number="n",
                lines=lines,
                by=STAFF,
            )
        except InvalidLines:
            continue
        run(order, events)
        ordered = {"TON-K": black, "TON-C": cyan}
        for reference, quantity in ordered.items():
            assert 0 <= order.delivered[reference] <= quantity
            assert order.delivered[reference] + order.outstanding.get(reference, 0) == quantity
        assert (order.status is OrderStatus.DELIVERED) == (not order.outstanding)
        assert order.status in (OrderStatus.DELIVERED, OrderStatus.PARTIALLY_DELIVERED)


@given(st.lists(st.sampled_from(["validate", "ship", "cancel"]), max_size=6))
def test_cancelling_is_possible_exactly_while_submitted_or_deliverable(
    commands: list[str],
) -> None:
    order = placed({"TON-K": 2})
    for command in commands:
        before = order.status
        try:
            if command == "validate":
                events = order.validate(STAFF)
            elif command == "ship":
                events = order.ship(
                    shipment_id=uuid.uuid4(),
                    carrier="DHL",
                    delivery_note_number="n",
                    lines=(ShippedLine(reference="TON-K", quantity=1),),
                    by=STAFF,
                )
            else:
                events = order.cancel(comment="c", by=STAFF, by_vendor=False)
        except (OrderRuleBroken, InvalidLines):
            if command == "cancel":
                assert before not in (OrderStatus.SUBMITTED, OrderStatus.DELIVERABLE)
            continue
        if command == "cancel":
            assert before in (OrderStatus.SUBMITTED, OrderStatus.DELIVERABLE)
        run(order, events)
    assert order.version >= 1


# --- the reorder hint -------------------------------------------------------------------------

DAY = dt.date(2026, 6, 1)


def orders_every(days: int, stocks: list[int], quantity: int) -> list[PastOrder]:
    return [
        PastOrder(DAY + dt.timedelta(days=days * index), quantity, stock)
        for index, stock in enumerate(stocks)
    ]


def test_without_two_reported_orders_the_hint_says_so_rather_than_guess() -> None:
    assert reorder_hint([], [], DAY).days is None
    one = reorder_hint([PastOrder(DAY, 2, 1)], [], DAY)
    assert (one.days, one.basis) == (None, "not_enough_data")
    unreported = reorder_hint([PastOrder(DAY, 2, None), PastOrder(DAY, 2, None)], [], DAY)
    assert unreported.days is None


def test_the_hint_follows_the_formula() -> None:
    # Used 3 + 2 - 1 = 4 in 30 days; 3 left at the last order, 10 days ago: 3 - 4/3 = 1.67
    # left, 12 days at 4/30 a day.
    history = [PastOrder(DAY, 2, 3), PastOrder(DAY + dt.timedelta(days=30), 2, 1)]
    hint = reorder_hint(history, [], DAY + dt.timedelta(days=40))
    assert (hint.days, hint.basis) == (12, "orders")
    # Printing twice as much lately (200 pages a day over the last 90 days, against 100 over
    # the orders' span) doubles the use: (3 - 8/30 * 10) / (8/30) = 1.25 days.
    readings = [
        Reading(DAY - dt.timedelta(days=1), None),
        Reading(DAY + dt.timedelta(days=29), 3000),
        Reading(DAY + dt.timedelta(days=39), 5000),
    ]
    scaled = reorder_hint(history, readings, DAY + dt.timedelta(days=40))
    assert scaled.basis == "orders_and_readings"
    assert scaled.days == 1


@given(
    st.lists(st.integers(0, 20), min_size=2, max_size=6),
    st.integers(1, 10),
    st.integers(1, 90),
    st.integers(0, 400),
)
def test_the_hint_is_never_negative_and_more_stock_never_means_sooner(
    stocks: list[int], quantity: int, every: int, later: int
) -> None:
    history = orders_every(every, stocks, quantity)
    today = history[-1].placed_on + dt.timedelta(days=later)
    hint = reorder_hint(history, [], today)
    if hint.days is None:
        assert hint.basis == "not_enough_data"
        return
    assert hint.days >= 0
    assert hint.per_day is not None
    assert hint.per_day > 0
    # A bigger last order: never sooner.
    richer = [*history[:-1], PastOrder(history[-1].placed_on, quantity + 5, stocks[-1])]
    with_more = reorder_hint(richer, [], today)
    assert with_more.days is not None
    assert with_more.days >= hint.days
    # Later, never more days left.
    assert (reorder_hint(history, [], today + dt.timedelta(days=7)).days or 0) <= hint.days
