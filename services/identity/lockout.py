"""Locking out password guessing: per account (the normalised login, so case and spaces don't
give an attacker fresh attempts) and per client address. Kept in PostgreSQL so every replica
counts the same failures, and keyed by the login as typed-and-normalised whether or not an
account exists, so a lockout says nothing about which accounts exist."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import asyncpg


@dataclass(frozen=True)
class LockoutPolicy:
    max_failures: int
    window: dt.timedelta


def account_key(normalised_login: str) -> str:
    return f"account:{normalised_login}"


def address_key(address: str) -> str:
    return f"address:{address}"


async def locked_until(connection: asyncpg.Connection, keys: list[str]) -> dt.datetime | None:
    """When the latest lock among `keys` ends, if any is locked now."""
    return await connection.fetchval(
        "SELECT max(locked_until) FROM sign_in_failures"
        " WHERE key = ANY($1::text[]) AND locked_until > now()",
        keys,
    )


async def record_failure(connection: asyncpg.Connection, key: str, policy: LockoutPolicy) -> None:
    """Count a failure in the current window; lock the key for a window when it reaches the
    maximum. A window that has passed starts again at one."""
    await connection.execute(
        "INSERT INTO sign_in_failures AS f (key, failures, window_start)"
        " VALUES ($1, 1, now())"
        " ON CONFLICT (key) DO UPDATE SET"
        "  failures = CASE WHEN f.window_start < now() - $2::interval THEN 1"
        "                  ELSE f.failures + 1 END,"
        "  window_start = CASE WHEN f.window_start < now() - $2::interval THEN now()"
        "                      ELSE f.window_start END",
        key,
        policy.window,
    )
    await connection.execute(
        "UPDATE sign_in_failures SET locked_until = now() + $2::interval,"
        " failures = 0, window_start = now()"
        " WHERE key = $1 AND failures >= $3",
        key,
        policy.window,
        policy.max_failures,
    )


async def clear(connection: asyncpg.Connection, key: str) -> None:
    await connection.execute("DELETE FROM sign_in_failures WHERE key = $1", key)
