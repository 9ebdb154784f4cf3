"""The list's columns, as each user chose them."""

from __future__ import annotations

import uuid
from enum import StrEnum

import asyncpg


class Column(StrEnum):
    """A column of the list and of its export; values name TicketSummary fields."""

    NUMBER = "number"
    TITLE = "title"
    STATUS = "status"
    PRIORITY = "priority"
    TICKET_TYPE = "ticket_type"
    NATURE = "nature"
    SEVERITY = "severity"
    DEPARTMENT = "department"
    PRODUCT = "product"
    SITE = "site"
    REQUESTER = "requester"
    REFERENCE_1 = "reference_1"
    REFERENCE_2 = "reference_2"
    OPENED_AT = "opened_at"
    UPDATED_AT = "updated_at"
    UNREAD_MESSAGES = "unread_messages"
    FIRST_RESPONSE_DUE_AT = "first_response_due_at"
    RESOLUTION_DUE_AT = "resolution_due_at"


# Seed 004's list: title, nature, product, status, unread, requester.
DEFAULT_COLUMNS = (
    Column.NUMBER,
    Column.TITLE,
    Column.NATURE,
    Column.PRODUCT,
    Column.STATUS,
    Column.UNREAD_MESSAGES,
    Column.REQUESTER,
    Column.UPDATED_AT,
)


async def chosen_columns(connection: asyncpg.Pool, user_id: uuid.UUID) -> list[Column]:
    stored = await connection.fetchval(
        "SELECT columns FROM list_columns WHERE user_id = $1", user_id
    )
    if not stored:
        return list(DEFAULT_COLUMNS)
    # A column a later version dropped is skipped, not an error.
    return [Column(name) for name in stored if name in Column.__members__.values()]


async def choose_columns(
    connection: asyncpg.Pool, user_id: uuid.UUID, columns: list[Column]
) -> None:
    await connection.execute(
        "INSERT INTO list_columns (user_id, columns) VALUES ($1, $2)"
        " ON CONFLICT (user_id) DO UPDATE SET columns = excluded.columns, updated_at = now()",
        user_id,
        [column.value for column in columns],
    )
