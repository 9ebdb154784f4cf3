"""Settings of the notifications service."""

from __future__ import annotations

from typing import Literal
from urllib.parse import urlsplit

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
    sealing_key: SealingKey = Field(
        description="Opens the one-time links identity seals into its events (base64url, 32"
        " bytes; the same value as identity's)"
    )

    webhooks_allow_insecure: bool = Field(
        default=False,
        description="Allow http:// webhook URLs and loopback, private or link-local addresses."
        " For tests and local development only: in production it opens the door to SSRF.",
    )
    webhook_timeout: float = Field(
        default=10.0, gt=0, le=60, description="Seconds an endpoint has to answer a delivery"
    )
    webhook_max_attempts: int = Field(
        default=12, ge=1, description="Attempts at one delivery before it is marked failed"
    )
    webhook_first_backoff: float = Field(
        default=30.0,
        gt=0,
        description="Seconds before the first retry; doubled each time, up to 6 h",
    )
    webhook_disable_after: int = Field(
        default=20,
        ge=1,
        description="Failed attempts in a row after which an endpoint is disabled and the admin"
        " who registered it emailed",
    )

    @field_validator("smtp_url")
    @classmethod
    def _smtp_url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in {"smtp", "smtps", "smtp+starttls"} or not parts.hostname:
            raise ValueError("must be smtp://host:port, smtp+starttls://… or smtps://…")
        return value
