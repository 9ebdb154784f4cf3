"""Common passwords (zxcvbn's list, decorations and letter swaps undone) and personal data in
a password."""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Sequence

from services.identity.passwords.basics import PERSONAL_MIN_LENGTH, normalize


@functools.cache
def _common_passwords() -> frozenset[str]:
    """The 30,000 most common passwords of zxcvbn's list (from leaked password sets, all lower
    case). Loaded on first use: the module holding it is large."""
    from zxcvbn.frequency_lists import FREQUENCY_LISTS  # noqa: PLC0415

    return frozenset(FREQUENCY_LISTS["passwords"])


# The swaps people make to "strengthen" a word. "1" stands for i or l, so each table is tried.
_UNLEET = tuple(
    str.maketrans(table)
    for table in (
        {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s", "!": "i"},
        {"0": "o", "1": "l", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s", "!": "l"},
    )
)
_LEADING_DECORATION = re.compile(r"^[\W\d_]+")
_TRAILING_DECORATION = re.compile(r"[\W\d_]+$")


def _fold(text: str) -> str:
    """Case and accents ignored: "Hélène" and "HELENE" fold alike."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _variants(folded: str) -> set[str]:
    """The password as typed, without its decorations (digits and symbols added before or
    after a word: "Password1!" → "password"), and each of those with leetspeak undone
    ("p@ssw0rd" → "password")."""
    trailing_stripped = _TRAILING_DECORATION.sub("", folded)
    bases = {
        folded,
        trailing_stripped,
        _LEADING_DECORATION.sub("", folded),
        _LEADING_DECORATION.sub("", trailing_stripped),
    }
    variants = set(bases)
    for base in bases:
        variants.update(base.translate(table) for table in _UNLEET)
    variants.discard("")
    return variants


def is_common(password: str) -> bool:
    """Whether the password, or its core word once decorations and leetspeak are removed, is
    one of the common passwords."""
    common = _common_passwords()
    return any(variant in common for variant in _variants(_fold(normalize(password))))


def _personal_tokens(personal: Sequence[str]) -> set[str]:
    tokens: set[str] = set()
    for item in personal:
        folded = _fold(normalize(item)).strip()
        if "@" in folded:
            # Of an email address, the local part identifies the user; the domain is the
            # organisation's, shared by colleagues.
            folded = folded.rsplit("@", 1)[0]
        # "d.dupont", "jean-pierre", "jp_martin": the whole and each part.
        tokens.add(folded)
        tokens.update(re.split(r"[\s._+\-']+", folded))
    return {token for token in tokens if len(token) >= PERSONAL_MIN_LENGTH}


def contains_personal(password: str, personal: Sequence[str]) -> bool:
    tokens = _personal_tokens(personal)
    if not tokens:
        return False
    folded = _fold(password)
    candidates = {folded, *(folded.translate(table) for table in _UNLEET)}
    return any(token in candidate for token in tokens for candidate in candidates)
