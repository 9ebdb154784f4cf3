"""Reading the consumables forms: what a customer orders for a machine (a quantity and the
stock still on the shelf for each reference the vendor offers), and what the back office
ships (a quantity per outstanding line). Pure functions of the posted fields, so every rule is
tested without a browser; the API checks the same rules again and its refusal is shown too.

Fields are numbered in the order the form lists them (`quantity-0`, `stock-0`, with the
reference in `reference-0`): references are the vendor's codes and need not be valid HTML ids.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from multidict import MultiDictProxy

from services.web.i18n import Translate

MAX_COMMENT = 1000  # the API's limits (services/orders/domain_types.py)
MAX_CUSTOMER_REFERENCE = 60
MAX_STOCK = 10_000


def whole_number(text: str) -> int | None:
    """A count as typed: digits, spaces allowed (1 000), nothing else."""
    compact = "".join(text.split())
    return int(compact) if compact.isdigit() and len(compact) <= 9 else None


@dataclass
class ConsumablesForm:
    """A machine's consumables as posted: the lines to send, the values as typed (to show
    again) and each field's error."""

    lines: list[dict[str, Any]] = field(default_factory=list)
    delivery_comment: str = ""
    customer_reference: str = ""
    values: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def body(self) -> dict[str, Any]:
        """The cart entry as `PUT /cart/assets/{id}` takes it."""
        return {
            "lines": self.lines,
            "delivery_comment": self.delivery_comment,
            "customer_reference": self.customer_reference,
        }


def read_consumables(
    fields: MultiDictProxy[str], offered: Sequence[Mapping[str, Any]], t: Translate
) -> ConsumablesForm:
    """The lines with a quantity, each within 1 and the reference's most per order; the stock
    on hand optional but a whole number when given. A reference the form did not offer (the
    catalogue changed since the page was shown) is refused above the form."""
    by_reference = {str(item["reference"]): item for item in offered}
    posted = ConsumablesForm()
    index = 0
    while f"reference-{index}" in fields:
        reference = fields[f"reference-{index}"].strip()
        quantity_key, stock_key = f"quantity-{index}", f"stock-{index}"
        quantity_text = fields.get(quantity_key, "").strip()
        stock_text = fields.get(stock_key, "").strip()
        posted.values |= {
            f"reference-{index}": reference,
            quantity_key: quantity_text,
            stock_key: stock_text,
        }
        index += 1
        item = by_reference.get(reference)
        if item is None:
            if quantity_text not in {"", "0"}:
                posted.errors[""] = t("orders.error.reference_withdrawn", reference=reference)
            continue
        stock = whole_number(stock_text) if stock_text else None
        if stock_text and (stock is None or stock > MAX_STOCK):
            posted.errors[stock_key] = t("orders.error.stock")
        if quantity_text in {"", "0"}:
            continue
        quantity = whole_number(quantity_text)
        most = int(item.get("max_quantity_per_order") or 0)
        if quantity is None or quantity < 1 or (most and quantity > most):
            posted.errors[quantity_key] = t("orders.error.quantity", most=most)
            continue
        posted.lines.append({"reference": reference, "quantity": quantity, "stock_on_hand": stock})
    posted.delivery_comment = fields.get("delivery_comment", "").strip()
    posted.customer_reference = fields.get("customer_reference", "").strip()
    posted.values |= {
        "delivery_comment": posted.delivery_comment,
        "customer_reference": posted.customer_reference,
    }
    if len(posted.delivery_comment) > MAX_COMMENT:
        posted.errors["delivery_comment"] = t("orders.error.too_long", most=MAX_COMMENT)
    if len(posted.customer_reference) > MAX_CUSTOMER_REFERENCE:
        posted.errors["customer_reference"] = t(
            "orders.error.too_long", most=MAX_CUSTOMER_REFERENCE
        )
    if not posted.lines and not posted.errors:
        posted.errors[""] = t("orders.error.nothing_ordered")
    return posted


def cart_values(entry: Mapping[str, Any] | None, offered: Sequence[Mapping[str, Any]]) -> dict:
    """The form as the cart has it (editing an entry starts from what was saved)."""
    if not entry:
        return {}
    saved = {line["reference"]: line for line in entry.get("lines", [])}
    values: dict[str, str] = {
        "delivery_comment": entry.get("delivery_comment") or "",
        "customer_reference": entry.get("customer_reference") or "",
    }
    for index, item in enumerate(offered):
        line = saved.get(item["reference"])
        if line is not None:
            values[f"quantity-{index}"] = str(line["quantity"])
            stock = line.get("stock_on_hand")
            values[f"stock-{index}"] = "" if stock is None else str(stock)
    return values


@dataclass
class ShipmentForm:
    carrier: str = ""
    delivery_note_number: str = ""
    lines: list[dict[str, Any]] = field(default_factory=list)
    values: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def body(self) -> dict[str, Any]:
        return {
            "carrier": self.carrier,
            "delivery_note_number": self.delivery_note_number,
            "lines": self.lines,
        }


def read_shipment(
    fields: MultiDictProxy[str], outstanding: Mapping[str, int], t: Translate
) -> ShipmentForm:
    """A shipment: carrier and delivery-note number required, and for each line still
    outstanding how many leave now (none to all of what is outstanding, at least one in all)."""
    posted = ShipmentForm(
        carrier=fields.get("carrier", "").strip(),
        delivery_note_number=fields.get("delivery_note_number", "").strip(),
    )
    posted.values = {
        "carrier": posted.carrier,
        "delivery_note_number": posted.delivery_note_number,
    }
    for name, most in (("carrier", 100), ("delivery_note_number", 60)):
        value = posted.values[name]
        if not value:
            posted.errors[name] = t("orders.error.required")
        elif len(value) > most:
            posted.errors[name] = t("orders.error.too_long", most=most)
    index = 0
    while f"reference-{index}" in fields:
        reference = fields[f"reference-{index}"].strip()
        key = f"ship-{index}"
        typed = fields.get(key, "").strip()
        posted.values |= {f"reference-{index}": reference, key: typed}
        index += 1
        left = outstanding.get(reference, 0)
        if typed in {"", "0"}:
            continue
        quantity = whole_number(typed)
        if quantity is None or quantity > left:
            posted.errors[key] = t("orders.error.ship_quantity", most=left)
            continue
        posted.lines.append({"reference": reference, "quantity": quantity})
    if not posted.lines and not any(key.startswith("ship-") for key in posted.errors):
        posted.errors[""] = t("orders.error.nothing_shipped")
    return posted
