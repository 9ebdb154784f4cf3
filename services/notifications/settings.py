"""Settings of the notifications service."""

from __future__ import annotations

from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, field_validator

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

    @field_validator("smtp_url")
    @classmethod
    def _smtp_url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in {"smtp", "smtps", "smtp+starttls"} or not parts.hostname:
            raise ValueError("must be smtp://host:port, smtp+starttls://… or smtps://…")
        return value
