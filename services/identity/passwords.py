"""Passwords: the policy a new password must meet, and how passwords are stored (argon2id).

Pure code: no I/O besides the thread-pool wrappers `PasswordHasher.hash_async` and
`verify_async`, which exist so the event loop never runs argon2 itself.

Unicode. Every password is normalised to NFKC before it is checked or hashed (as NIST SP
800-63B advises): the same password typed on another device or keyboard may reach us as other
code points (a composed "é" from one system, "e" + combining accent from another; full-width
letters from an Asian input method; the "ﬁ" ligature), and the user must still be able to sign
in. NFKC rather than NFC folds those compatibility forms too. The checks see the same
normalised string as the hash, so a rule ticked on the form is ticked on the server; clients
normalise with `String.prototype.normalize("NFKC")` before testing the checklist's patterns.
Lengths are counted in code points of the normalised password (in JavaScript,
`[...password.normalize("NFKC")].length`, not `.length`, which counts UTF-16 units).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import datetime as dt
import functools
import os
import re
import secrets
import threading
import unicodedata
import weakref
from collections.abc import Iterable, Sequence
from enum import StrEnum
from typing import Literal, Self

import argon2
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

NORMALIZATION: Literal["NFKC"] = "NFKC"

# No policy may demand less than the portal's default (seed 000), nor cap passwords below
# the 64 characters NIST asks services to accept; the hard cap bounds the work one sign-in
# can cause (normalising, checking) whatever a request carries.
MIN_LENGTH_FLOOR = 8
MAX_LENGTH_FLOOR = 64
HARD_MAX_LENGTH = 1024
DEFAULT_SPECIAL_CHARACTERS = "$?!&%*@"

# Personal data shorter than this ("Li", "Jo") would refuse far too many good passwords.
PERSONAL_MIN_LENGTH = 4


def normalize(password: str) -> str:
    """The form of a password that is checked and hashed (see the module's docstring)."""
    return unicodedata.normalize(NORMALIZATION, password)


# --- rules and violations ---------------------------------------------------------------------


class PasswordRuleId(StrEnum):
    """Stable identifiers: clients key their checklist and translations on them."""

    MIN_LENGTH = "min_length"
    MAX_LENGTH = "max_length"
    DIGIT = "digit"
    UPPER_CASE = "upper_case"
    LOWER_CASE = "lower_case"
    SPECIAL = "special"
    NOT_COMMON = "not_common"
    NOT_PERSONAL = "not_personal"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class LocalizedText(_Frozen):
    fr: str
    en: str

    def in_language(self, language: Literal["fr", "en"]) -> str:
        return self.fr if language == "fr" else self.en


class PasswordRule(_Frozen):
    """One line of the live checklist (seed 000's password screen).

    A client ticks the line itself when it can: the password (normalised to NFKC) must match
    `pattern` (a regular expression valid both in JavaScript, used as `new RegExp(pattern)`
    without flags, and in Python's `re`), or have at least `min_length` / at most `max_length`
    code points. Rules with none of these (`not_common`, `not_personal`) are checked by the
    server only.
    """

    id: PasswordRuleId
    description: LocalizedText
    pattern: str | None = None
    min_length: int | None = None
    max_length: int | None = None

    @property
    def client_checkable(self) -> bool:
        return (
            self.pattern is not None or self.min_length is not None or (self.max_length is not None)
        )


class PasswordChecklist(_Frozen):
    """What a password form shows: the policy's rules, in display order."""

    normalization: Literal["NFKC"] = NORMALIZATION
    rules: tuple[PasswordRule, ...]


class Violation(_Frozen):
    """A rule the password breaks, with a message to show the user."""

    rule: PasswordRuleId
    message: LocalizedText


# --- character classes, one definition for the server check and the client's pattern ----------


class _CharClass:
    """A set of characters given as ranges; `contains` is the server's check and `pattern` the
    same set as a regular expression for clients, so both always agree."""

    def __init__(self, ranges: Iterable[tuple[str, str]]) -> None:
        self.ranges = tuple(ranges)

    def contains(self, character: str) -> bool:
        return any(low <= character <= high for low, high in self.ranges)

    def found_in(self, text: str) -> bool:
        return any(self.contains(character) for character in text)

    @property
    def pattern(self) -> str:
        parts = []
        for low, high in self.ranges:
            parts.append(
                _class_char(low) if low == high else f"{_class_char(low)}-{_class_char(high)}"
            )
        return f"[{''.join(parts)}]"


def _class_char(character: str) -> str:
    """A character as written inside [...], valid in Python's `re` and in JavaScript with no
    flag, the u flag, or the v flag (which HTML's `pattern` attribute uses).

    Escaped: what has a meaning in a class in any of them (v reserves ( ) { } / | too). Not
    escaped: the rest, since an escape such as `\\&` is an error with the u flag. Anything
    outside printable ASCII is written `\\uXXXX`, understood by all, so no invisible character
    travels in a pattern.
    """
    if character in _CLASS_SYNTAX:
        return "\\" + character
    if not (" " < character <= "~"):
        return f"\\u{ord(character):04X}"
    return character


_CLASS_SYNTAX = frozenset("\\[]^-(){}/|")


# "Une majuscule" must accept É or Œ for French users; a class over Latin-1 plus Œ/Ÿ is as far
# as we go, because `\p{Lu}` needs JavaScript's u flag and is unknown to Python's `re`.
_DIGITS = _CharClass([("0", "9")])
_UPPER_CASE = _CharClass(
    [
        ("A", "Z"),
        ("\u00c0", "\u00d6"),
        ("\u00d8", "\u00de"),
        ("\u0152", "\u0152"),
        ("\u0178", "\u0178"),
    ]
)
_LOWER_CASE = _CharClass(
    [("a", "z"), ("\u00df", "\u00f6"), ("\u00f8", "\u00ff"), ("\u0153", "\u0153")]
)


def _special_class(characters: str) -> _CharClass:
    return _CharClass((character, character) for character in characters)


def _listed(characters: str, separator: str) -> str:
    return separator.join(characters)


# --- the policy --------------------------------------------------------------------------------


class PasswordPolicy(_Frozen):
    """The rules a new password must meet: the portal's default (seed 000) or a vendor's
    stricter choice. Refusing common passwords is always on: no setting turns it off, and no
    setting can make the policy weaker than the default's length."""

    min_length: int = Field(default=MIN_LENGTH_FLOOR, ge=MIN_LENGTH_FLOOR, le=MAX_LENGTH_FLOOR)
    max_length: int = Field(default=128, ge=MAX_LENGTH_FLOOR, le=HARD_MAX_LENGTH)
    require_digit: bool = True
    require_upper_case: bool = True
    require_lower_case: bool = False
    require_special: bool = True
    special_characters: str = Field(default=DEFAULT_SPECIAL_CHARACTERS, max_length=64)
    max_age_days: int | None = Field(default=None, ge=1, le=3650)

    @field_validator("special_characters")
    @classmethod
    def _usable_special_characters(cls, value: str) -> str:
        for character in value:
            # A letter, digit or space is no "special" character; a character NFKC changes
            # could never appear in a normalised password, so requiring it would lock users out.
            if character.isalnum() or character.isspace() or not character.isprintable():
                raise ValueError(f"{character!r} cannot be a special character")
            if ord(character) > 0xFFFF:
                # Two UTF-16 units in JavaScript: a class without the u flag would match halves.
                raise ValueError(f"{character!r} is outside the Basic Multilingual Plane")
            if normalize(character) != character:
                raise ValueError(f"{character!r} is changed by NFKC normalisation")
        if len(set(value)) != len(value):
            raise ValueError("special characters are listed twice")
        return value

    @model_validator(mode="after")
    def _special_characters_when_required(self) -> Self:
        if self.require_special and not self.special_characters:
            raise ValueError("require_special needs at least one special character")
        return self

    def checklist(self) -> PasswordChecklist:
        """The rules in the order seed 000's screen shows them, then the server-only ones."""
        rules = [
            PasswordRule(
                id=PasswordRuleId.MIN_LENGTH,
                description=LocalizedText(
                    fr=f"Contient au moins {self.min_length} caractères",
                    en=f"Contains at least {self.min_length} characters",
                ),
                min_length=self.min_length,
            )
        ]
        if self.require_digit:
            rules.append(
                PasswordRule(
                    id=PasswordRuleId.DIGIT,
                    description=LocalizedText(
                        fr="Contient au moins un chiffre entre 0 et 9",
                        en="Contains at least one digit from 0 to 9",
                    ),
                    pattern=_DIGITS.pattern,
                )
            )
        if self.require_upper_case:
            rules.append(
                PasswordRule(
                    id=PasswordRuleId.UPPER_CASE,
                    description=LocalizedText(
                        fr="Contient au moins une majuscule",
                        en="Contains at least one upper-case letter",
                    ),
                    pattern=_UPPER_CASE.pattern,
                )
            )
        if self.require_lower_case:
            rules.append(
                PasswordRule(
                    id=PasswordRuleId.LOWER_CASE,
                    description=LocalizedText(
                        fr="Contient au moins une minuscule",
                        en="Contains at least one lower-case letter",
                    ),
                    pattern=_LOWER_CASE.pattern,
                )
            )
        if self.require_special:
            rules.append(
                PasswordRule(
                    id=PasswordRuleId.SPECIAL,
                    description=LocalizedText(
                        fr="Contient un des caractères suivants\u00a0: "
                        + _listed(self.special_characters, ", "),
                        en="Contains one of the following characters: "
                        + _listed(self.special_characters, ", "),
                    ),
                    pattern=_special_class(self.special_characters).pattern,
                )
            )
        rules += [
            PasswordRule(
                id=PasswordRuleId.MAX_LENGTH,
                description=LocalizedText(
                    fr=f"Contient au plus {self.max_length} caractères",
                    en=f"Contains at most {self.max_length} characters",
                ),
                max_length=self.max_length,
            ),
            PasswordRule(
                id=PasswordRuleId.NOT_COMMON,
                description=LocalizedText(
                    fr="N'est pas un mot de passe courant",
                    en="Is not a commonly used password",
                ),
            ),
            PasswordRule(
                id=PasswordRuleId.NOT_PERSONAL,
                description=LocalizedText(
                    fr="Ne contient ni votre nom, ni votre identifiant, ni votre adresse e-mail",
                    en="Does not contain your name, user code or email address",
                ),
            ),
        ]
        return PasswordChecklist(rules=tuple(rules))


# --- checking a password -----------------------------------------------------------------------


def check_password(
    policy: PasswordPolicy, password: str, *, personal: Sequence[str] = ()
) -> list[Violation]:
    """Every rule `password` breaks, in the checklist's order; empty when it is acceptable.

    `personal` holds what identifies the user: email address (its local part is what counts),
    user code, first and last names. A password containing any of them, or any part of them
    of at least `PERSONAL_MIN_LENGTH` characters (case, accents and common letter-for-symbol
    swaps ignored), is refused. Common passwords are refused whatever the policy.
    """
    if isinstance(personal, str):
        # A lone string would be read as its characters, each too short to count.
        raise TypeError("personal is a sequence of strings, not one string")
    normalized = normalize(password)
    length = len(normalized)
    violations: list[Violation] = []
    if length < policy.min_length:
        violations.append(
            Violation(
                rule=PasswordRuleId.MIN_LENGTH,
                message=LocalizedText(
                    fr=f"Le mot de passe doit contenir au moins {policy.min_length} caractères.",
                    en=f"The password must contain at least {policy.min_length} characters.",
                ),
            )
        )
    if policy.require_digit and not _DIGITS.found_in(normalized):
        violations.append(
            Violation(
                rule=PasswordRuleId.DIGIT,
                message=LocalizedText(
                    fr="Le mot de passe doit contenir au moins un chiffre entre 0 et 9.",
                    en="The password must contain at least one digit from 0 to 9.",
                ),
            )
        )
    if policy.require_upper_case and not _UPPER_CASE.found_in(normalized):
        violations.append(
            Violation(
                rule=PasswordRuleId.UPPER_CASE,
                message=LocalizedText(
                    fr="Le mot de passe doit contenir au moins une majuscule.",
                    en="The password must contain at least one upper-case letter.",
                ),
            )
        )
    if policy.require_lower_case and not _LOWER_CASE.found_in(normalized):
        violations.append(
            Violation(
                rule=PasswordRuleId.LOWER_CASE,
                message=LocalizedText(
                    fr="Le mot de passe doit contenir au moins une minuscule.",
                    en="The password must contain at least one lower-case letter.",
                ),
            )
        )
    if policy.require_special and not _special_class(policy.special_characters).found_in(
        normalized
    ):
        listed = _listed(policy.special_characters, " ")
        violations.append(
            Violation(
                rule=PasswordRuleId.SPECIAL,
                message=LocalizedText(
                    fr=f"Le mot de passe doit contenir un de ces caractères\u00a0: {listed}",
                    en=f"The password must contain one of these characters: {listed}",
                ),
            )
        )
    if length > policy.max_length:
        violations.append(
            Violation(
                rule=PasswordRuleId.MAX_LENGTH,
                message=LocalizedText(
                    fr=f"Le mot de passe doit contenir au plus {policy.max_length} caractères.",
                    en=f"The password must contain at most {policy.max_length} characters.",
                ),
            )
        )
        if length > HARD_MAX_LENGTH:
            # Refused anyway; don't spend work on the costlier checks of an oversized input.
            return violations
    if is_common(normalized):
        violations.append(
            Violation(
                rule=PasswordRuleId.NOT_COMMON,
                message=LocalizedText(
                    fr="Ce mot de passe est trop courant\u00a0: choisissez-en un autre.",
                    en="This password is too common: choose another one.",
                ),
            )
        )
    if _contains_personal(normalized, personal):
        violations.append(
            Violation(
                rule=PasswordRuleId.NOT_PERSONAL,
                message=LocalizedText(
                    fr="Le mot de passe ne doit contenir ni votre nom, ni votre identifiant,"
                    " ni votre adresse e-mail.",
                    en="The password must not contain your name, user code or email address.",
                ),
            )
        )
    return violations


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


def _contains_personal(password: str, personal: Sequence[str]) -> bool:
    tokens = _personal_tokens(personal)
    if not tokens:
        return False
    folded = _fold(password)
    candidates = {folded, *(folded.translate(table) for table in _UNLEET)}
    return any(token in candidate for token in tokens for candidate in candidates)


def password_expired(policy: PasswordPolicy, changed_at: dt.datetime, now: dt.datetime) -> bool:
    """Whether a password changed at `changed_at` must be changed before going on, at `now`.
    Both must be timezone-aware: a naive time is ambiguous across servers."""
    if changed_at.tzinfo is None or now.tzinfo is None:
        raise ValueError("changed_at and now must be timezone-aware")
    if policy.max_age_days is None:
        return False
    return now - changed_at >= dt.timedelta(days=policy.max_age_days)


# --- storing passwords: argon2id ---------------------------------------------------------------

# OWASP Password Storage Cheat Sheet: argon2id with any of these (memory KiB, passes), p=1, is
# the minimum; parameters are accepted when at least as strong as one of them.
OWASP_MINIMUMS: tuple[tuple[int, int], ...] = (
    (47_104, 1),
    (19_456, 2),
    (12_288, 3),
    (9_216, 4),
    (7_168, 5),
)
# A stored hash asking for more than this is corrupt (or planted): refusing it keeps one bad
# row from making a sign-in allocate gigabytes.
_MAX_STORED_MEMORY_KIB = 1024 * 1024
_MAX_STORED_TIME_COST = 32
_MAX_STORED_PARALLELISM = 16


class HashingParameters(_Frozen):
    """Argon2id parameters.

    The defaults: 64 MiB, 3 passes, 1 lane, 16-byte salt, 32-byte hash. That is the memory and
    passes of RFC 9106's second recommended option (the first, 2 GiB, is out of reach for a
    web service), about 3.4 times OWASP's minimum memory (19 MiB, t=2). Measured here
    (bench/password_hashing.py, 2-core VM): about 170 ms per hash on one core, well under the
    ~0.5 s a sign-in can afford, while an attacker with a GPU pays 64 MiB per guess.

    One lane rather than RFC 9106's four: lanes only split the same work over threads. On a
    server that hashes many sign-ins at once, one lane per hash keeps one hash on one core, so
    the thread pool's bound (one hash per core) is the true CPU bound and a burst queues
    instead of oversubscribing the cores. The attacker's cost per guess (memory x passes) is
    the same.
    """

    memory_cost_kib: int = Field(default=65_536, ge=7_168, le=_MAX_STORED_MEMORY_KIB)
    time_cost: int = Field(default=3, ge=1, le=_MAX_STORED_TIME_COST)
    parallelism: int = Field(default=1, ge=1, le=_MAX_STORED_PARALLELISM)
    salt_length: int = Field(default=16, ge=16, le=64)
    hash_length: int = Field(default=32, ge=16, le=64)

    @model_validator(mode="after")
    def _at_least_owasp(self) -> Self:
        if not any(
            self.memory_cost_kib >= memory and self.time_cost >= passes
            for memory, passes in OWASP_MINIMUMS
        ):
            raise ValueError("weaker than OWASP's minimum argon2id parameters")
        return self


class CorruptPasswordHash(ValueError):
    """A stored hash is not a usable argon2 hash (truncated, altered, or absurd parameters).
    This is a data problem to log and alert on, never a wrong password."""


def _default_concurrency() -> int:
    # The CPUs this process may run on (a container's cpuset), not the host's count. A CPU
    # quota (Kubernetes limits) is invisible here: pass `concurrency` from settings then.
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


class PasswordHasher:
    """Hashes and verifies passwords with argon2id; every password is NFKC-normalised first.

    `verify` answers False for a wrong password and raises `CorruptPasswordHash` for a stored
    hash that cannot be checked. `verify(None, password)` is for an unknown account, or one
    without a password yet: it costs a real verification (against a dummy hash with the
    current parameters) and answers False, so sign-in takes as long whether or not the account
    exists. A stored hash with older, cheaper parameters verifies faster: rehash it at the
    next successful sign-in (`needs_rehash`) so the difference doesn't last.

    `hash_async` and `verify_async` run argon2 in the event loop's default thread pool, at
    most `concurrency` at once per event loop (default: one per CPU this process may use).
    argon2 releases the GIL, so a burst of sign-ins keeps every core busy and queues beyond
    that, while the event loop itself stays free to serve other requests.
    """

    def __init__(
        self, parameters: HashingParameters | None = None, *, concurrency: int | None = None
    ) -> None:
        self.parameters = parameters or HashingParameters()
        self.concurrency = _default_concurrency() if concurrency is None else concurrency
        if self.concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        p = self.parameters
        self._argon2 = argon2.PasswordHasher(
            time_cost=p.time_cost,
            memory_cost=p.memory_cost_kib,
            parallelism=p.parallelism,
            hash_len=p.hash_length,
            salt_len=p.salt_length,
            type=argon2.Type.ID,
        )
        # Same parameters, random salt and hash: verifying against it costs exactly what a
        # real verification costs, and can never succeed (no password has that hash, and
        # nobody knows the bytes).
        self._dummy_hash = (
            f"$argon2id$v=19$m={p.memory_cost_kib},t={p.time_cost},p={p.parallelism}"
            f"${_b64(secrets.token_bytes(p.salt_length))}${_b64(secrets.token_bytes(p.hash_length))}"
        )
        self._semaphores: weakref.WeakKeyDictionary[
            asyncio.AbstractEventLoop, asyncio.Semaphore
        ] = weakref.WeakKeyDictionary()
        self._semaphores_lock = threading.Lock()

    def hash(self, password: str) -> str:
        """The PHC string to store, e.g. `$argon2id$v=19$m=65536,t=3,p=1$<salt>$<hash>`.
        Raises ValueError for a password beyond `HARD_MAX_LENGTH` (check the policy first)."""
        normalized = normalize(password)
        if len(normalized) > HARD_MAX_LENGTH:
            raise ValueError(f"passwords are at most {HARD_MAX_LENGTH} characters")
        return self._argon2.hash(normalized)

    def verify(self, stored_hash: str | None, password: str) -> bool:
        """Whether `password` is the one `stored_hash` was made from (see the class docstring
        for None, and for the `CorruptPasswordHash` it may raise)."""
        normalized = normalize(password)
        if stored_hash is None or len(normalized) > HARD_MAX_LENGTH:
            self._verify_dummy(normalized)
            return False
        self._check_bounds(stored_hash)
        try:
            return self._argon2.verify(stored_hash, normalized)
        except VerifyMismatchError:
            return False
        except (InvalidHashError, VerificationError) as error:
            raise CorruptPasswordHash(f"unusable password hash: {error}") from None

    def needs_rehash(self, stored_hash: str) -> bool:
        """Whether `stored_hash` was made with other parameters than this hasher's: after a
        successful sign-in, store `hash(password)` instead. Raises `CorruptPasswordHash`."""
        try:
            return self._argon2.check_needs_rehash(stored_hash)
        except (InvalidHashError, VerificationError) as error:
            raise CorruptPasswordHash(f"unusable password hash: {error}") from None

    async def hash_async(self, password: str) -> str:
        async with self._semaphore():
            return await asyncio.to_thread(self.hash, password)

    async def verify_async(self, stored_hash: str | None, password: str) -> bool:
        async with self._semaphore():
            return await asyncio.to_thread(self.verify, stored_hash, password)

    def _verify_dummy(self, normalized: str) -> None:
        with contextlib.suppress(VerifyMismatchError):
            self._argon2.verify(self._dummy_hash, normalized[:HARD_MAX_LENGTH])

    def _check_bounds(self, stored_hash: str) -> None:
        try:
            stored = argon2.extract_parameters(stored_hash)
        except (InvalidHashError, VerificationError, ValueError) as error:
            raise CorruptPasswordHash(f"unusable password hash: {error}") from None
        if (
            stored.memory_cost > _MAX_STORED_MEMORY_KIB
            or stored.time_cost > _MAX_STORED_TIME_COST
            or stored.parallelism > _MAX_STORED_PARALLELISM
        ):
            raise CorruptPasswordHash("password hash asks for absurd parameters")

    def _semaphore(self) -> asyncio.Semaphore:
        # One per event loop: an asyncio.Semaphore belongs to the loop that first waits on it.
        loop = asyncio.get_running_loop()
        with self._semaphores_lock:
            semaphore = self._semaphores.get(loop)
            if semaphore is None:
                semaphore = self._semaphores[loop] = asyncio.Semaphore(self.concurrency)
            return semaphore


def _b64(data: bytes) -> str:
    # PHC strings use base64 without padding.
    return base64.b64encode(data).decode("ascii").rstrip("=")
