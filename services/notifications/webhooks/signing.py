"""How a delivery is signed, so the receiver knows it came from us and was not replayed:

    Guichet-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, f"{t}.{body}")>

The timestamp is signed with the body: a receiver refuses a signature older than a few
minutes. The recipe is documented for receivers in docs/api.md."""

from __future__ import annotations

import hashlib
import hmac
import secrets

SIGNATURE_HEADER = "Guichet-Signature"
SECRET_PREFIX = "whsec_"  # noqa: S105 - a prefix that says what the value is, not a secret


def new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def signature(secret: str, timestamp: int, body: bytes) -> str:
    signed = f"{timestamp}.".encode() + body
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"
