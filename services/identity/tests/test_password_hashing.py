"""Password hashing (services/identity/passwords/): argon2id parameters, verification, the
bounded worker pool. Pure code, no servers."""

from __future__ import annotations

import asyncio
import statistics
import threading
import time
import unicodedata

import pytest
from pydantic import ValidationError

from services.identity.passwords import CorruptPasswordHash, HashingParameters, PasswordHasher

GOOD = "Kx7!vqzr"  # meets the default policy, common nowhere, personal to nobody

# --- hashing -----------------------------------------------------------------------------------

# The cheapest parameters OWASP accepts, so tests that are not about the cost run fast.
CHEAP = HashingParameters(memory_cost_kib=19_456, time_cost=2)


@pytest.fixture(scope="module")
def hasher() -> PasswordHasher:
    return PasswordHasher()


@pytest.fixture(scope="module")
def cheap() -> PasswordHasher:
    return PasswordHasher(CHEAP)


def test_hash_round_trip_at_the_default_parameters(hasher):
    stored = hasher.hash(GOOD)
    assert stored.startswith("$argon2id$v=19$m=65536,t=3,p=1$")
    assert GOOD not in stored
    assert hasher.verify(stored, GOOD) is True
    assert hasher.verify(stored, "Kx7!vqzR") is False
    assert hasher.hash(GOOD) != stored  # salted
    assert not hasher.needs_rehash(stored)


def test_verification_sees_through_normalisation(cheap):
    stored = cheap.hash("Été7!vqzr")
    assert cheap.verify(stored, unicodedata.normalize("NFD", "Été7!vqzr"))
    assert cheap.verify(cheap.hash("K7!vqz\ufb01"), "K7!vqzfi")


def test_needs_rehash_when_the_parameters_are_raised(cheap, hasher):
    old = cheap.hash(GOOD)
    assert not cheap.needs_rehash(old)
    assert hasher.needs_rehash(old)
    assert hasher.verify(old, GOOD)  # old hashes keep working until rehashed
    assert not hasher.needs_rehash(hasher.hash(GOOD))


@pytest.mark.parametrize(
    "stored",
    [
        "",
        "not a hash",
        "$argon2x$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$aGFzaA",
        "$argon2id$v=19$m=19456,t=2,p=1$AAAA$BBBB",  # hash too short
        "$argon2id$v=19$m=4194304,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$"
        "aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g",  # asks for 4 GiB
    ],
)
def test_a_corrupt_hash_raises_rather_than_answering(cheap, stored):
    with pytest.raises(CorruptPasswordHash):
        cheap.verify(stored, GOOD)


def test_a_truncated_hash_raises(cheap):
    with pytest.raises(CorruptPasswordHash):
        cheap.verify(cheap.hash(GOOD)[:-6], GOOD)
    with pytest.raises(CorruptPasswordHash):
        cheap.needs_rehash("not a hash")


def test_oversized_passwords_are_not_hashed_and_never_verify(cheap):
    huge = "Kx7!" * 300
    with pytest.raises(ValueError, match="at most"):
        cheap.hash(huge)
    assert cheap.verify(cheap.hash(GOOD), huge) is False


@pytest.mark.parametrize(
    ("memory", "passes", "accepted"),
    [
        (19_456, 2, True),
        (47_104, 1, True),
        (7_168, 5, True),
        (65_536, 3, True),
        (19_455, 2, False),
        (46_000, 1, False),
        (8_192, 4, False),
    ],
)
def test_hashing_parameters_are_at_least_owasp(memory, passes, accepted):
    if accepted:
        HashingParameters(memory_cost_kib=memory, time_cost=passes)
    else:
        with pytest.raises(ValidationError):
            HashingParameters(memory_cost_kib=memory, time_cost=passes)


def _median_cpu_seconds(*actions, runs: int = 5) -> list[float]:
    """Each action's median cost in this process's CPU time, the actions taking turns: what
    other processes do on the machine (the tests run side by side) changes neither."""
    durations: list[list[float]] = [[] for _ in actions]
    for _ in range(runs):
        for action, spent in zip(actions, durations, strict=True):
            start = time.process_time()
            action()
            spent.append(time.process_time() - start)
    return [statistics.median(spent) for spent in durations]


def test_unknown_accounts_cost_a_real_verification(hasher):
    """No account enumeration by timing: verify(None, ...) is False and takes as long as a
    verification of a real account's hash (loose bounds: the machine is shared)."""
    stored = hasher.hash(GOOD)
    assert hasher.verify(None, GOOD) is False
    assert hasher.verify(None, "") is False
    real, unknown = _median_cpu_seconds(
        lambda: hasher.verify(stored, "wrong password"),
        lambda: hasher.verify(None, "wrong password"),
    )
    assert 0.5 < unknown / real < 2, (unknown, real)


async def test_async_wrappers_round_trip(cheap):
    stored = await cheap.hash_async(GOOD)
    assert await cheap.verify_async(stored, GOOD)
    assert not await cheap.verify_async(stored, "nope")
    assert not await cheap.verify_async(None, GOOD)


class _CountingHasher(PasswordHasher):
    """The real hasher, counting how many verifications run at once."""

    def __init__(self, concurrency: int) -> None:
        super().__init__(CHEAP, concurrency=concurrency)
        self.lock = threading.Lock()
        self.running = 0
        self.most = 0

    def verify(self, stored_hash: str | None, password: str) -> bool:
        with self.lock:
            self.running += 1
            self.most = max(self.most, self.running)
        try:
            return super().verify(stored_hash, password)
        finally:
            with self.lock:
                self.running -= 1


async def test_a_burst_is_bounded_and_leaves_the_event_loop_free():
    hasher = _CountingHasher(concurrency=2)
    stored = hasher.hash(GOOD)
    lags: list[float] = []
    done = asyncio.Event()

    async def ticker() -> None:
        while not done.is_set():
            start = time.perf_counter()
            await asyncio.sleep(0.005)
            lags.append(time.perf_counter() - start - 0.005)

    ticking = asyncio.create_task(ticker())
    results = await asyncio.gather(*(hasher.verify_async(stored, GOOD) for _ in range(12)))
    done.set()
    await ticking
    assert all(results)
    assert hasher.most == 2
    assert len(lags) > 5
    assert max(lags) < 0.1, max(lags)


def test_concurrency_must_be_positive():
    with pytest.raises(ValueError, match="concurrency"):
        PasswordHasher(CHEAP, concurrency=0)
    assert PasswordHasher(CHEAP).concurrency >= 1


def test_the_hasher_serves_several_event_loops(cheap):
    stored = cheap.hash(GOOD)
    for _ in range(2):
        assert asyncio.run(cheap.verify_async(stored, GOOD))
