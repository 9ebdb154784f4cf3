"""What a file is, from its first bytes, not from what the client says; and a safe name."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import AsyncIterator

import filetype

from shared.files.storage import FileStorage

# Enough for every signature filetype knows (its longest look is 8 KiB into the file).
HEAD_BYTES = 8192
ACCEPTED = frozenset(
    {
        "image/png",
        "image/jpeg",
        "image/gif",
        "image/webp",
        "image/bmp",
        "image/tiff",
        "application/pdf",
        "application/zip",
        "application/msword",
        "application/vnd.ms-excel",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "application/vnd.oasis.opendocument.text",
        "application/vnd.oasis.opendocument.spreadsheet",
        "text/plain",
    }
)
TEXT = "text/plain"


def sniff(head: bytes) -> str | None:
    """The content type the bytes show; None when they show nothing recognisable. Text has
    no signature: it is UTF-8 without control characters other than whitespace."""
    kind = filetype.guess(head)
    if kind is not None:
        return kind.mime
    if head and _looks_like_text(head):
        return TEXT
    return None


def _looks_like_text(head: bytes) -> bool:
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError as error:
        # The head may cut a multi-byte character in two: that end is not a sign of binary.
        if error.reason != "unexpected end of data":
            return False
        text = head[: error.start].decode("utf-8")
    return all(ch in "\t\n\r\f" or unicodedata.category(ch) != "Cc" for ch in text)


_UNSAFE = re.compile(r"[\x00-\x1f\x7f\"\\/:*?<>|]+")


def safe_filename(name: str | None) -> str:
    """The name to show and offer on download: the last path segment, without control or
    reserved characters, at most 200 characters. Storage never uses it."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    base = unicodedata.normalize("NFC", _UNSAFE.sub("_", base)).strip(" ._")
    return base[:200] or "attachment"


class NotAccepted(Exception):
    """The file's content is not of an accepted type (or is empty)."""

    def __init__(self, content_type: str | None) -> None:
        super().__init__(content_type or "unknown")
        self.content_type = content_type


async def save_sniffed(
    storage: FileStorage,
    key: str,
    chunks: AsyncIterator[bytes],
    *,
    max_bytes: int,
    accepted: frozenset[str] = ACCEPTED,
) -> tuple[int, str]:
    """Store the chunks under `key`, reading their type from the first bytes on the way:
    the size and the type. NotAccepted or TooLarge leave nothing stored."""
    sniffed: list[str | None] = []
    try:
        size = await storage.save(key, _sniffing(chunks, sniffed), max_bytes)
    except BaseException:
        await storage.delete(key)
        raise
    content_type = sniffed[0] if sniffed else None
    if content_type is None or content_type not in accepted:
        await storage.delete(key)
        raise NotAccepted(content_type)
    return size, content_type


async def _sniffing(
    chunks: AsyncIterator[bytes], sniffed: list[str | None]
) -> AsyncIterator[bytes]:
    """Pass the chunks through, sniffing the type from the first HEAD_BYTES."""
    head = b""
    async for chunk in chunks:
        if not sniffed:
            head += chunk
            if len(head) >= HEAD_BYTES:
                sniffed.append(sniff(head[:HEAD_BYTES]))
        yield chunk
    if not sniffed:
        sniffed.append(sniff(head))
