"""Dates and languages as each reader expects them."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from services.notifications.formatting import choose_language, format_moment

PARIS = ZoneInfo("Europe/Paris")


def test_a_moment_is_shown_in_the_vendors_time_zone_and_the_readers_language() -> None:
    summer = datetime(2031, 7, 14, 8, 30, tzinfo=UTC)
    assert format_moment(summer, "fr", PARIS) == "14 juillet 2031 à 10:30 (heure de Paris)"
    assert format_moment(summer, "en", PARIS) == "14 July 2031 at 10:30 (Paris time)"
    first = datetime(2031, 1, 1, 0, 0, tzinfo=UTC)
    assert format_moment(first, "fr", ZoneInfo("UTC")) == "1er janvier 2031 à 00:00 (UTC)"
    assert format_moment(first.replace(tzinfo=None), "en", ZoneInfo("America/New_York")) == (
        "31 December 2030 at 19:00 (New York time)"
    )


def test_the_recipients_language_then_the_organisations_then_the_vendors() -> None:
    assert choose_language(["en", "fr"], "fr") == "en"
    assert choose_language([None, "en"], "fr") == "en"
    assert choose_language(["de", None], "en") == "en"
    assert choose_language([], "fr") == "fr"
