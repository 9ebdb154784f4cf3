"""French and English: the messages of every page, and dates and amounts in the reader's
locale (Babel). One catalogue per language in `translations/`; a test proves both have every
message the pages use."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Literal

from aiohttp import web
from babel.dates import format_date, format_datetime
from babel.numbers import format_currency, format_decimal

Language = Literal["fr", "en"]
LANGUAGES: tuple[Language, ...] = ("fr", "en")
DEFAULT: Language = "fr"
TRANSLATIONS = Path(__file__).parent / "translations"
CHOICE_COOKIE = "guichet-lang"
Translate = Callable[..., str]


@cache
def catalogue(language: Language) -> dict[str, str]:
    return json.loads((TRANSLATIONS / f"{language}.json").read_text(encoding="utf-8"))


def translator(language: Language) -> Translate:
    messages = catalogue(language)

    def translate(key: str, default: str | None = None, **values: object) -> str:
        # A missing key shows itself rather than failing the page; the catalogue test fails.
        # `default`: for names that come from settings (consent purposes) and may be unknown.
        text = messages.get(key, key if default is None else default)
        return text.format(**values) if values else text

    return translate


def as_language(value: object) -> Language | None:
    text = str(value or "").strip().lower()[:2]
    return text if text in LANGUAGES else None  # type: ignore[return-value]


def from_accept_language(header: str) -> Language | None:
    """The first of our languages in the browser's preference order (RFC 9110 q-values)."""
    ranked: list[tuple[float, int, Language]] = []
    for position, part in enumerate(header.split(",")[:20]):
        tag, _, parameters = part.strip().partition(";")
        quality = 1.0
        if parameters.strip().startswith("q="):
            try:
                quality = float(parameters.strip()[2:])
            except ValueError:
                continue
        language = as_language(tag)
        if language is not None and quality > 0:
            ranked.append((-quality, position, language))
    return min(ranked)[2] if ranked else None


def chosen_language(request: web.Request, user_language: object = None) -> Language:
    """The user's setting when signed in, else their explicit choice on a signed-out page,
    else the browser's preference, else French."""
    return (
        as_language(user_language)
        or as_language(request.cookies.get(CHOICE_COOKIE))
        or from_accept_language(request.headers.get("Accept-Language", ""))
        or DEFAULT
    )


class Formats:
    """Dates and amounts for one locale; times in the vendor's zone (GUICHET_TIMEZONE), the
    one its customers and staff live in."""

    def __init__(self, language: Language, zone: dt.tzinfo) -> None:
        self.locale = "fr_FR" if language == "fr" else "en_GB"
        self.zone = zone

    def date(self, value: dt.datetime | dt.date | str | None) -> str:
        if value is None:
            return ""
        if isinstance(value, str):
            value = dt.datetime.fromisoformat(value)
        if isinstance(value, dt.datetime) and value.tzinfo is not None:
            value = value.astimezone(self.zone)  # the day it was where the reader is
        return format_date(value, format="medium", locale=self.locale)

    def datetime(self, value: dt.datetime | str | None) -> str:
        if value is None:
            return ""
        if isinstance(value, str):
            value = dt.datetime.fromisoformat(value)
        return format_datetime(value, format="medium", locale=self.locale, tzinfo=self.zone)

    def amount(self, value: Decimal | float | str, currency: str) -> str:
        return format_currency(Decimal(str(value)), currency, locale=self.locale)

    def number(self, value: Decimal | float | str) -> str:
        """A quantity or a rate as written in the locale (1,5 / 1.5), without trailing zeros."""
        return format_decimal(Decimal(str(value)).normalize(), locale=self.locale)

    def size(self, value: int) -> str:
        """A file's size: 820 B, 14.2 kB, 3.1 MB (French: o, ko, Mo)."""
        units = ("o", "ko", "Mo", "Go") if self.locale.startswith("fr") else ("B", "kB", "MB", "GB")
        amount, unit = float(value), 0
        while amount >= 1024 and unit < len(units) - 1:
            amount, unit = amount / 1024, unit + 1
        shown = format_decimal(round(amount, 1 if unit else 0), locale=self.locale)
        return f"{shown}\u00a0{units[unit]}"
