"""Sending through an SMTP server named by a URL (smtp://, smtp+starttls://, smtps://)."""

from __future__ import annotations

from dataclasses import dataclass
from email.message import EmailMessage
from typing import Self
from urllib.parse import unquote, urlsplit

import aiosmtplib


@dataclass(frozen=True)
class SmtpServer:
    hostname: str
    port: int
    implicit_tls: bool
    starttls: bool
    username: str | None
    password: str | None

    @classmethod
    def from_url(cls, url: str) -> Self:
        parts = urlsplit(url)
        scheme = parts.scheme
        default_port = {"smtp": 25, "smtp+starttls": 587, "smtps": 465}[scheme]
        return cls(
            hostname=parts.hostname or "localhost",
            port=parts.port or default_port,
            implicit_tls=scheme == "smtps",
            starttls=scheme == "smtp+starttls",
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
        )

    def client(self) -> aiosmtplib.SMTP:
        return aiosmtplib.SMTP(
            hostname=self.hostname,
            port=self.port,
            use_tls=self.implicit_tls,
            start_tls=self.starttls,
            username=self.username,
            password=self.password,
            timeout=15,
        )


async def send(client: aiosmtplib.SMTP, message: EmailMessage) -> None:
    if not client.is_connected:
        await client.connect()
    await client.send_message(message)
