"""Stored passwords: checking a new one against the vendor's policy, keeping its argon2id hash
(state, never an event), verifying one at sign-in, and saying when it must be changed."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

import asyncpg

from services.identity.passwords import (
    PasswordHasher,
    PasswordPolicy,
    Violation,
    check_password,
    password_expired,
)


@dataclass(frozen=True)
class PasswordRules:
    policy: PasswordPolicy
    hasher: PasswordHasher


class PasswordRefused(ValueError):
    """The new password breaks the policy; each violation names its rule."""

    def __init__(self, violations: list[Violation]) -> None:
        super().__init__("the password breaks the policy")
        self.violations = violations


class WrongPassword(Exception):
    """The current password given is not the user's."""


class LinkUnusable(Exception):
    """The link's or ticket's token is unknown, already used, or expired."""


def check(rules: PasswordRules, password: str, *, personal: Sequence[str] = ()) -> None:
    violations = check_password(rules.policy, password, personal=personal)
    if violations:
        raise PasswordRefused(violations)


async def store(
    connection: asyncpg.Connection,
    user_id: uuid.UUID,
    password_hash: str,
    *,
    set_by_user: bool,
    rules: PasswordRules,
) -> dt.datetime | None:
    """Keep the new hash; returns when the password expires under the policy, if ever."""
    now = dt.datetime.now(dt.UTC)
    days = rules.policy.max_age_days
    expires_at = now + dt.timedelta(days=days) if days else None
    await connection.execute(
        "INSERT INTO credentials (user_id, password_hash, set_by_user, changed_at, expires_at)"
        " VALUES ($1, $2, $3, $4, $5) ON CONFLICT (user_id) DO UPDATE SET"
        " password_hash = $2, set_by_user = $3, changed_at = $4, expires_at = $5",
        user_id,
        password_hash,
        set_by_user,
        now,
        expires_at,
    )
    return expires_at


@dataclass(frozen=True)
class Verified:
    matches: bool
    must_change: bool


async def verify(
    connection: asyncpg.Connection, user_id: uuid.UUID | None, password: str, rules: PasswordRules
) -> bool:
    return (await verify_for_sign_in(connection, user_id, password, rules)).matches


async def verify_for_sign_in(
    connection: asyncpg.Connection, user_id: uuid.UUID | None, password: str, rules: PasswordRules
) -> Verified:
    """Whether the password is the user's, and whether it must be changed now (set by someone
    else, or expired). Takes as long for an unknown user as for a known one, so timing says
    nothing about which accounts exist."""
    row = None
    if user_id is not None:
        row = await connection.fetchrow(
            "SELECT password_hash, set_by_user, changed_at FROM credentials WHERE user_id = $1",
            user_id,
        )
    if row is None:
        await rules.hasher.verify_async(None, password)  # same work as a real check
        return Verified(matches=False, must_change=False)
    if not await rules.hasher.verify_async(row["password_hash"], password):
        return Verified(matches=False, must_change=False)
    if rules.hasher.needs_rehash(row["password_hash"]):
        await connection.execute(
            "UPDATE credentials SET password_hash = $2 WHERE user_id = $1",
            user_id,
            await rules.hasher.hash_async(password),
        )
    now = dt.datetime.now(dt.UTC)
    expired = password_expired(rules.policy, row["changed_at"], now)
    return Verified(matches=True, must_change=not row["set_by_user"] or expired)
