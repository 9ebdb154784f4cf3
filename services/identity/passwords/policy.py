"""The policy a new password must meet, its checklist for forms, and the check itself."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from enum import StrEnum
from typing import Literal, Self

from pydantic import Field, field_validator, model_validator

from services.identity.passwords.basics import (
    DEFAULT_SPECIAL_CHARACTERS,
    HARD_MAX_LENGTH,
    MAX_LENGTH_FLOOR,
    MIN_LENGTH_FLOOR,
    NORMALIZATION,
    FrozenModel,
    normalize,
)
from services.identity.passwords.common import contains_personal, is_common

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


class LocalizedText(FrozenModel):
    fr: str
    en: str

    def in_language(self, language: Literal["fr", "en"]) -> str:
        return self.fr if language == "fr" else self.en


class PasswordRule(FrozenModel):
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


class PasswordChecklist(FrozenModel):
    """What a password form shows: the policy's rules, in display order."""

    normalization: Literal["NFKC"] = NORMALIZATION
    rules: tuple[PasswordRule, ...]


class Violation(FrozenModel):
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


class PasswordPolicy(FrozenModel):
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
    if contains_personal(normalized, personal):
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


def password_expired(policy: PasswordPolicy, changed_at: dt.datetime, now: dt.datetime) -> bool:
    """Whether a password changed at `changed_at` must be changed before going on, at `now`.
    Both must be timezone-aware: a naive time is ambiguous across servers."""
    if changed_at.tzinfo is None or now.tzinfo is None:
        raise ValueError("changed_at and now must be timezone-aware")
    if policy.max_age_days is None:
        return False
    return now - changed_at >= dt.timedelta(days=policy.max_age_days)
