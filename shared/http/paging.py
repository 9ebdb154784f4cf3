"""Keyset pagination, the same way in every list: `limit` and an opaque `cursor` (the
previous page's `next_cursor`), which holds the sort key of the page's last row:

    cursor = encode_cursor(row.serial_number, row.asset_id)
    serial_number, asset_id = decode_cursor(cursor, (str, uuid.UUID))

A cursor the service did not hand out is a `BadCursor`, answered as a 422 on `cursor`
(`bad_cursor()`), never a 500. Datetimes must be aware (the kit stores UTC).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import uuid
from typing import Any

from pydantic import BaseModel, Field

from shared.http.problems import Problem

_KINDS: dict[type, Any] = {
    str: str,
    int: int,
    uuid.UUID: uuid.UUID,
    dt.date: dt.date.fromisoformat,
    dt.datetime: dt.datetime.fromisoformat,
}


class Paging(BaseModel):
    cursor: str | None = Field(default=None, max_length=200)
    limit: int = Field(default=25, ge=1, le=100)


class BadCursor(ValueError):
    """A cursor this service did not hand out."""


def bad_cursor() -> Problem:
    return Problem(
        422,
        "Invalid request",
        "Some fields are missing or invalid.",
        type_="https://guichet.dev/problems/validation",
        errors=[{"field": "cursor", "message": "Use the next_cursor of a page.", "code": "cursor"}],
    )


def encode_cursor(*values: str | int | uuid.UUID | dt.date | dt.datetime) -> str:
    plain = [value.isoformat() if isinstance(value, dt.date) else value for value in values]
    raw = json.dumps([str(v) if isinstance(v, uuid.UUID) else v for v in plain]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, kinds: tuple[type, ...]) -> tuple[Any, ...]:
    """The values of a cursor, each parsed as its kind (`str`, `int`, `uuid.UUID`, `dt.date`,
    `dt.datetime`); BadCursor for anything else."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        values = json.loads(raw)
        if not isinstance(values, list) or len(values) != len(kinds):
            raise BadCursor
        decoded = tuple(_KINDS[kind](value) for kind, value in zip(kinds, values, strict=True))
    except (ValueError, TypeError, KeyError, binascii.Error, UnicodeDecodeError) as error:
        raise BadCursor from error
    if any(isinstance(v, dt.datetime) and v.tzinfo is None for v in decoded):
        raise BadCursor
    return decoded
