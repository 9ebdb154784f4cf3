"""Settings of the notifications service."""

from __future__ import annotations

from typing import Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator

from shared.sealing import SealingKey
from shared.settings import ServiceSettings

Language = Literal["fr", "en"]


class NotificationsSettings(ServiceSettings):
    smtp_url: str = Field(
        default="smtp://127.0.0.1:1025",
        description="smtp://host:port, smtp+starttls://user:password@host:587 or smtps://…",
    )
    mail_from: str = "Guichet <no-reply@guichet.localhost>"
    vendor_name: str = "Guichet"
    default_language: Language = "fr"
    mail_max_attempts: int = Field(default=8, ge=1)
    mail_timezone: str = Field(
        default="Europe/Paris",
        description="IANA time zone in which emails state dates, e.g. a link's expiry",
    )
    sealing_key: SealingKey = Field(
        description="Opens the one-time links identity seals into its events (base64url, 32"
        " bytes; the same value as identity's)"
    )

    @field_validator("smtp_url")
    @classmethod
    def _smtp_url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in {"smtp", "smtps", "smtp+starttls"} or not parts.hostname:
            raise ValueError("must be smtp://host:port, smtp+starttls://… or smtps://…")
        return value

    @field_validator("mail_timezone")
    @classmethod
    def _time_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError("must be an IANA time zone such as Europe/Paris") from None
        return value
