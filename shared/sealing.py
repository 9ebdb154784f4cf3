"""Secrets that must travel inside a published event but be readable only by the services
holding the sealing key (e.g. the one-time link of an invitation email, which identity mints
and notifications sends). Every other subscriber sees an opaque string.

AES-256-GCM with a random nonce; the event's subject is bound as associated data, so a sealed
value copied into another event does not open. See docs/decisions/0007-sealed-secrets-in-events.md.
"""

from __future__ import annotations

import base64
import binascii
import os
from typing import Annotated

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from pydantic import BeforeValidator, SecretStr

NONCE_BYTES = 12
KEY_BYTES = 32


class Unsealable(ValueError):
    """The value was not sealed with this key for this subject, or was altered."""


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def new_sealing_key() -> str:
    """A fresh key, as the `GUICHET_SEALING_KEY` setting expects it (base64url, 32 bytes)."""
    return _b64encode(AESGCM.generate_key(bit_length=KEY_BYTES * 8))


def _validate_key(value: object) -> object:
    text = value.get_secret_value() if isinstance(value, SecretStr) else value
    if not isinstance(text, str):
        return value
    try:
        key = _b64decode(text)
    except (ValueError, binascii.Error):
        key = b""
    if len(key) != KEY_BYTES:
        raise ValueError(f"must be {KEY_BYTES} bytes in base64url")
    return text


# A setting holding a sealing key; never printed in reprs or logs.
SealingKey = Annotated[SecretStr, BeforeValidator(_validate_key)]


class Sealer:
    def __init__(self, key: SecretStr | str) -> None:
        text = key.get_secret_value() if isinstance(key, SecretStr) else key
        self._aead = AESGCM(_b64decode(text))

    def seal(self, secret: str, subject: str) -> str:
        nonce = os.urandom(NONCE_BYTES)
        return _b64encode(nonce + self._aead.encrypt(nonce, secret.encode(), subject.encode()))

    def unseal(self, sealed: str, subject: str) -> str:
        try:
            data = _b64decode(sealed)
            return self._aead.decrypt(
                data[:NONCE_BYTES], data[NONCE_BYTES:], subject.encode()
            ).decode()
        except (InvalidTag, ValueError, binascii.Error):
            raise Unsealable("the sealed value does not open with this key") from None
