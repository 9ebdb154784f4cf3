"""What the fleet's forms make of what is typed, before the API sees it: meters as people
type them, and the back office's date and time."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from multidict import MultiDict, MultiDictProxy

from services.web.i18n import Formats, translator
from services.web.pages.fleet import read_counters
from services.web.pages.fleet_back_office import scheduled_for

T = translator("en")
METERS = ["black_and_white", "colour"]


def counters(**typed: str) -> tuple[dict[str, int], dict[str, str], dict[str, str]]:
    fields = MultiDictProxy(MultiDict({f"counters.{k}": v for k, v in typed.items()}))
    return read_counters(fields, METERS, T)


def test_meters_are_read_as_typed_or_as_the_page_shows_them() -> None:
    values, typed, errors = counters(black_and_white="120 345", colour="40\u202f210")
    assert values == {"black_and_white": 120345, "colour": 40210}
    assert typed == {"counters.black_and_white": "120345", "counters.colour": "40210"}
    assert errors == {}


def test_a_meter_that_is_not_a_whole_number_is_refused_on_its_field() -> None:
    values, _, errors = counters(black_and_white="12.5", colour="")
    assert values == {}
    assert set(errors) == {"counters.black_and_white", "counters.colour"}
    _, _, errors = counters(black_and_white="-3", colour=str(10**13))
    assert set(errors) == {"counters.black_and_white", "counters.colour"}


PARIS = ZoneInfo("Europe/Paris")


def test_the_date_and_time_typed_are_read_in_the_vendors_zone() -> None:
    # 9:30 in Paris is 8:30 UTC in winter and 7:30 UTC in summer.
    winter = dt.datetime.fromisoformat(scheduled_for("2026-12-03T09:30", PARIS) or "")
    assert winter.astimezone(dt.UTC) == dt.datetime(2026, 12, 3, 8, 30, tzinfo=dt.UTC)
    summer = dt.datetime.fromisoformat(scheduled_for("2026-07-03T09:30", PARIS) or "")
    assert summer.astimezone(dt.UTC) == dt.datetime(2026, 7, 3, 7, 30, tzinfo=dt.UTC)
    assert scheduled_for("2026-12-03T09:30+01:00", PARIS) == "2026-12-03T09:30:00+01:00"
    assert scheduled_for("", PARIS) is None
    assert scheduled_for("tomorrow", PARIS) is None


def test_times_are_shown_in_the_vendors_zone_and_days_are_its_days() -> None:
    late_evening_utc = "2026-12-31T23:30:00+00:00"  # already new year's day in Paris
    assert Formats("fr", PARIS).datetime(late_evening_utc) == "1 janv. 2027, 00:30:00"
    assert Formats("fr", PARIS).date(late_evening_utc) == "1 janv. 2027"
    assert Formats("en", dt.UTC).date(late_evening_utc) == "31 Dec 2026"
