"""Sending through an SMTP server named by a URL (smtp://, smtp+starttls://, smtps://)."""

from __future__ import annotations

import email.policy
import email.utils
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


# Python 3.11 folds a long accented subject into encoded words and loses the space between
# two of them ("arrivée à échéance" reads "arrivée àéchéance"). Header lines may be 998
# characters long (RFC 5322): folded only past that, a subject stays whole. Bodies are
# already encoded (by the message's own policy) when this flattens them.
WIRE_POLICY = email.policy.SMTP.clone(max_line_length=998)


async def send(client: aiosmtplib.SMTP, message: EmailMessage) -> None:
    if not client.is_connected:
        await client.connect()
    sender = email.utils.parseaddr(message["From"])[1]
    recipient = email.utils.parseaddr(message["To"])[1]
    await client.sendmail(sender, [recipient], message.as_bytes(policy=WIRE_POLICY))
