"""The fleet service's settings: when meter readings are shown as due and reminded."""

from __future__ import annotations

from pydantic import Field

from shared.settings import ServiceSettings


class FleetSettings(ServiceSettings):
    reading_notice_days: int = Field(
        default=7,
        ge=0,
        le=60,
        description="A reading is shown as due, and reminded by email, this many days before"
        " its date",
    )
    reading_reminder_every: float = Field(
        default=3600,
        gt=0,
        description="Seconds between two looks for readings to remind (each asset is reminded"
        " once per due date, however often it looks)",
    )
