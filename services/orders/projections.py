"""Read models of orders, updated in the same transaction as the events they come from."""

from __future__ import annotations

import uuid

import asyncpg

from services.orders.events import (
    OrderCancelled,
    OrderPlaced,
    OrderShipped,
    OrderValidated,
)
from shared.eventstore import EventStore, RecordedEvent


async def project(
    connection: asyncpg.Connection, store: EventStore, recorded: list[RecordedEvent]
) -> None:
    for record in recorded:
        event = store.decode(record)
        match event:
            case OrderPlaced():
                await _placed(connection, event, record)
                await _history(connection, record, "placed", event.placed_by, by_vendor=False)
            case OrderValidated():
                await _status(connection, event.order_id, "deliverable", record)
                await _history(connection, record, "validated", event.validated_by, by_vendor=True)
            case OrderShipped():
                await _shipped(connection, event, record)
                await _history(
                    connection,
                    record,
                    "shipped",
                    event.shipped_by,
                    by_vendor=True,
                    comment=f"{event.carrier} {event.delivery_note_number}",
                )
            case OrderCancelled():
                await _status(connection, event.order_id, "cancelled", record)
                await _history(
                    connection,
                    record,
                    "cancelled",
                    event.cancelled_by,
                    by_vendor=event.by_vendor,
                    comment=event.comment,
                )


async def _placed(
    connection: asyncpg.Connection, event: OrderPlaced, record: RecordedEvent
) -> None:
    await connection.execute(
        "INSERT INTO orders (order_id, number, organisation_id, asset_id, checkout_id, status,"
        " placed_by, placed_at, updated_at, serial_number, model_name, site_name, location,"
        " delivery_comment, customer_reference, version)"
        " VALUES ($1, $2, $3, $4, $5, 'submitted', $6, $7, $7, $8, $9, $10, $11, $12, $13, $14)",
        event.order_id,
        event.number,
        event.organisation_id,
        event.asset_id,
        event.checkout_id,
        event.placed_by,
        record.recorded_at,
        event.serial_number,
        event.model_name,
        event.site_name,
        event.location,
        event.delivery_comment,
        event.customer_reference,
        record.version,
    )
    await connection.executemany(
        "INSERT INTO order_lines (order_id, position, reference, description, quantity,"
        " stock_on_hand) VALUES ($1, $2, $3, $4, $5, $6)",
        [
            (
                event.order_id,
                position,
                line.reference,
                line.description,
                line.quantity,
                line.stock_on_hand,
            )
            for position, line in enumerate(event.lines)
        ],
    )


async def _status(
    connection: asyncpg.Connection, order_id: uuid.UUID, status: str, record: RecordedEvent
) -> None:
    await connection.execute(
        "UPDATE orders SET status = $2, updated_at = $3, version = $4 WHERE order_id = $1",
        order_id,
        status,
        record.recorded_at,
        record.version,
    )


async def _shipped(
    connection: asyncpg.Connection, event: OrderShipped, record: RecordedEvent
) -> None:
    await connection.execute(
        "INSERT INTO shipments (shipment_id, order_id, carrier, delivery_note_number, lines,"
        " outstanding, shipped_by, shipped_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        event.shipment_id,
        event.order_id,
        event.carrier,
        event.delivery_note_number,
        [line.model_dump(mode="json") for line in event.shipped_lines],
        [line.model_dump(mode="json") for line in event.outstanding],
        event.shipped_by,
        record.recorded_at,
    )
    await connection.executemany(
        "UPDATE order_lines SET delivered = delivered + $3 WHERE order_id = $1 AND reference = $2",
        [(event.order_id, line.reference, line.quantity) for line in event.shipped_lines],
    )
    status = "delivered" if event.delivered_in_full else "partially_delivered"
    await _status(connection, event.order_id, status, record)


async def _history(
    connection: asyncpg.Connection,
    record: RecordedEvent,
    action: str,
    actor: uuid.UUID,
    *,
    by_vendor: bool,
    comment: str | None = None,
) -> None:
    await connection.execute(
        "INSERT INTO order_history (order_id, version, action, actor_id, by_vendor, at, comment)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7)",
        uuid.UUID(record.stream_id),
        record.version,
        action,
        actor,
        by_vendor,
        record.recorded_at,
        comment,
    )
