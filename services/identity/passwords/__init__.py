"""Passwords: the policy a new password must meet (`policy`, `common`) and how passwords are
stored (`hashing`, argon2id). Pure code: no I/O besides the thread-pool wrappers
`PasswordHasher.hash_async` and `verify_async`, which keep argon2 off the event loop.
The normal form every part agrees on is in `basics`."""

from services.identity.passwords.basics import (
    DEFAULT_SPECIAL_CHARACTERS,
    HARD_MAX_LENGTH,
    MAX_LENGTH_FLOOR,
    MIN_LENGTH_FLOOR,
    NORMALIZATION,
    PERSONAL_MIN_LENGTH,
    normalize,
)
from services.identity.passwords.common import is_common
from services.identity.passwords.hashing import (
    OWASP_MINIMUMS,
    CorruptPasswordHash,
    HashingParameters,
    PasswordHasher,
)
from services.identity.passwords.policy import (
    LocalizedText,
    PasswordChecklist,
    PasswordPolicy,
    PasswordRule,
    PasswordRuleId,
    Violation,
    check_password,
    password_expired,
)

__all__ = [
    "DEFAULT_SPECIAL_CHARACTERS",
    "HARD_MAX_LENGTH",
    "MAX_LENGTH_FLOOR",
    "MIN_LENGTH_FLOOR",
    "NORMALIZATION",
    "OWASP_MINIMUMS",
    "PERSONAL_MIN_LENGTH",
    "CorruptPasswordHash",
    "HashingParameters",
    "LocalizedText",
    "PasswordChecklist",
    "PasswordHasher",
    "PasswordPolicy",
    "PasswordRule",
    "PasswordRuleId",
    "Violation",
    "check_password",
    "is_common",
    "normalize",
    "password_expired",
]
