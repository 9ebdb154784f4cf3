"""Storing passwords: argon2id, off the event loop, with bounded concurrency."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import os
import secrets
import threading
import weakref
from typing import Self

import argon2
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from pydantic import Field, model_validator

from services.identity.passwords.basics import HARD_MAX_LENGTH, FrozenModel, normalize

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


class HashingParameters(FrozenModel):
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
