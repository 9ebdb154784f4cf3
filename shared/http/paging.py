"""Keyset pagination, the same way in every list: `limit` and an opaque `cursor` (the
previous page's `next_cursor`), which holds the last row's sort key. A cursor the service
did not hand out is a 422 on `cursor`, never a 500."""

from __future__ import annotations

import base64
import binascii
import json

from pydantic import BaseModel, Field

from shared.http.problems import Problem


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


def encode_cursor(*values: str) -> str:
    """The sort key of a page's last row, as text values (ISO dates, ids)."""
    raw = json.dumps(list(values)).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, count: int) -> list[str]:
    """The `count` text values of a cursor; BadCursor for anything else. The caller parses
    them (and raises BadCursor on a ValueError)."""
    try:
        values = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, binascii.Error, UnicodeDecodeError) as error:
        raise BadCursor from error
    if not isinstance(values, list) or len(values) != count:
        raise BadCursor
    if not all(isinstance(value, str) for value in values):
        raise BadCursor
    return values
