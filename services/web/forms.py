"""Reading posted forms: text fields trimmed and bounded, checkboxes, safe redirect targets."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from urllib.parse import urlencode

from aiohttp import web
from multidict import MultiDict, MultiDictProxy

MAX_FIELD = 2000


async def form(request: web.Request) -> MultiDictProxy[str]:
    posted = await request.post()
    # Files are not taken by these forms; a text field is bounded whatever is sent.
    return MultiDictProxy(
        MultiDict(
            (key, value[:MAX_FIELD]) for key, value in posted.items() if isinstance(value, str)
        )
    )


def text(fields: MultiDictProxy[str], name: str) -> str:
    return fields.get(name, "").strip()


def secret(fields: MultiDictProxy[str], name: str) -> str:
    """Passwords are taken as typed (spaces count)."""
    return fields.get(name, "")


def checked(fields: MultiDictProxy[str], name: str) -> bool:
    return fields.get(name) in {"on", "true", "1", "yes"}


def address(path: str, values: Mapping[str, str]) -> str:
    """A page's address with its query (a list's filters, its cursor): none when empty."""
    return path + ("?" + urlencode(values) if values else "")


def local_path(target: str | None, default: str = "/home") -> str:
    """A redirect target of this site only: `/x`, never `//evil.example` or `https://…`."""
    if target and target.startswith("/") and not target.startswith(("//", "/\\")):
        return target
    return default


def _day(value: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value.strip()[:10])
    except ValueError:
        return None


def period(query: Mapping[str, str], start_name: str, end_name: str) -> dict[str, str]:
    """A list's period filter from the address: only real dates (a hand-edited address
    narrows nothing rather than failing), and a period typed backwards is the same period
    (the form then shows it the right way round)."""
    start = _day(query.get(start_name, ""))
    end = _day(query.get(end_name, ""))
    if start and end and start > end:
        start, end = end, start
    chosen: dict[str, str] = {}
    if start:
        chosen[start_name] = start.isoformat()
    if end:
        chosen[end_name] = end.isoformat()
    return chosen
