"""The reorder hint: "likely needed in N days" for one consumable of one machine. Pure code.

The formula (docs/decisions/0015-reorder-hint.md):

1. Use per day, from the customer's own orders: between two orders of the reference that both
   reported the stock on hand, what was used is (stock then + quantity ordered then) - stock
   reported at the later order. Summed over every such pair, divided by the days between.
2. When meter readings show how much the machine printed per day over the last 90 days and
   over the days those orders span, the use per day is scaled by their ratio (a machine
   printing twice as much uses toner twice as fast), within 0.25 to 4 times.
3. What is left now: stock reported at the last order + what it ordered - use per day * days
   since. Days left = what is left / use per day, rounded down.

Without two such orders, or when they show no use, there is no estimate, and the hint says
why instead of guessing.
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass

RECENT_DAYS = 90
MIN_FACTOR = 0.25
MAX_FACTOR = 4.0


@dataclass(frozen=True)
class PastOrder:
    placed_on: dt.date
    quantity: int
    stock_on_hand: int | None


@dataclass(frozen=True)
class Reading:
    """A meter reading: `pages` printed since the previous one (None for a first reading)."""

    read_on: dt.date
    pages: int | None


@dataclass(frozen=True)
class Hint:
    days: int | None
    """Likely needed in this many days (0: now); None when there is not enough data."""
    per_day: float | None
    """The estimated use per day the days come from."""
    basis: str
    """"orders", "orders_and_readings", or "not_enough_data"."""
    reason: str


NOT_ENOUGH = Hint(
    None,
    None,
    "not_enough_data",
    "Needs two orders of this consumable that both reported the stock on hand.",
)


def printing_rate(readings: list[Reading], start: dt.date, end: dt.date) -> float | None:
    """Pages per day over the readings taken in (start, end] (each covers the days since the
    reading before it); None when no reading there says."""
    ordered = sorted(readings, key=lambda reading: reading.read_on)
    pages = 0
    days = 0
    for before, reading in itertools.pairwise(ordered):
        if start < reading.read_on <= end and reading.pages is not None:
            span = (reading.read_on - before.read_on).days
            if span > 0:
                pages += reading.pages
                days += span
    return pages / days if days else None


def reorder_hint(orders: list[PastOrder], readings: list[Reading], today: dt.date) -> Hint:
    reported = sorted(
        (order for order in orders if order.stock_on_hand is not None),
        key=lambda order: order.placed_on,
    )
    used = 0
    days = 0
    for earlier, later in itertools.pairwise(reported):
        span = (later.placed_on - earlier.placed_on).days
        assert earlier.stock_on_hand is not None
        assert later.stock_on_hand is not None
        consumed = earlier.stock_on_hand + earlier.quantity - later.stock_on_hand
        if span > 0 and consumed >= 0:
            used += consumed
            days += span
    if not days:
        return NOT_ENOUGH
    if not used:
        return Hint(None, 0.0, "not_enough_data", "The orders reported show no use yet.")
    per_day = used / days
    basis = "orders"
    window = printing_rate(readings, reported[0].placed_on, reported[-1].placed_on)
    recent = printing_rate(readings, today - dt.timedelta(days=RECENT_DAYS), today)
    if window and recent is not None:
        per_day *= min(max(recent / window, MIN_FACTOR), MAX_FACTOR)
        basis = "orders_and_readings"
    last = reported[-1]
    assert last.stock_on_hand is not None
    elapsed = max((today - last.placed_on).days, 0)
    left = last.stock_on_hand + last.quantity - per_day * elapsed
    return Hint(
        days=max(int(left / per_day), 0),
        per_day=per_day,
        basis=basis,
        reason=f"About {per_day:.2f} used per day.",
    )
