"""Values as a reader of each language expects them in an email."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from babel.numbers import format_currency

SUPPORTED_LANGUAGES = ("fr", "en")
_LOCALES = {"fr": "fr_FR", "en": "en_GB"}

_MONTHS = {
    "fr": [
        "janvier", "février", "mars", "avril", "mai", "juin",
        "juillet", "août", "septembre", "octobre", "novembre", "décembre",
    ],
    "en": [
        "January", "February", "March", "April", "May", "June",
        "July", "August", "September", "October", "November", "December",
    ],
}  # fmt: skip


def choose_language(candidates: Iterable[str | None], default: str) -> str:
    """The first candidate we have templates for (the recipient's, then the organisation's),
    else the vendor's default."""
    for candidate in candidates:
        if candidate in SUPPORTED_LANGUAGES:
            return candidate
    return default


def format_moment(moment: datetime, language: str, zone: ZoneInfo) -> str:
    """'12 mars 2025 à 14:30 (heure de Paris)' / '12 March 2025 at 14:30 (Paris time)'."""
    if moment.tzinfo is None:  # the kit stores UTC; a naive value can only mean that
        moment = moment.replace(tzinfo=UTC)
    local = moment.astimezone(zone)
    month = _MONTHS[language][local.month - 1]
    place = zone.key.rpartition("/")[2].replace("_", " ")
    universal = zone.key in {"UTC", "Etc/UTC", "Etc/GMT", "GMT"}
    if language == "fr":
        day = "1er" if local.day == 1 else str(local.day)
        where = "UTC" if universal else f"heure de {place}"
        return f"{day} {month} {local.year} à {local:%H:%M} ({where})"
    where = "UTC" if universal else f"{place} time"
    return f"{local.day} {month} {local.year} at {local:%H:%M} ({where})"


def format_day(day: date, language: str) -> str:
    """'2 décembre 2026' / '2 December 2026'."""
    month = _MONTHS[language][day.month - 1]
    if language == "fr":
        return f"{'1er' if day.day == 1 else day.day} {month} {day.year}"
    return f"{day.day} {month} {day.year}"


def format_money(amount: Decimal, currency: str, language: str) -> str:
    """'1 234,50 €' / '€1,234.50'."""
    return format_currency(amount, currency, locale=_LOCALES[language])
