"""Sign-in rate: how many sign-ins per second the portal serves, end to end, and what they
cost the rest of identity meanwhile.

The portal runs as in production (`bench.portal`: identity, tickets and the gateway as
separate processes). 1, 2, 4 and 8 clients, each on its own keep-alive connection, sign in
back to back through the gateway (`POST /api/auth/sign-in`) as the demo customer with the
right password: identity checks the lockout, verifies the password with argon2id at the
parameters it uses (`HashingParameters()`: 64 MiB, t=3, p=1; at most one verification per
CPU at a time), opens a session and signs an access token. Meanwhile a probe asks identity
directly for `/branding` every 20 ms (a request that touches neither argon2 nor the database):
its latency is how long any other request waits behind the sign-ins in identity's event loop.

Identity's CPU per sign-in is read from /proc (Linux). The gateway's sign-in limit (10 per
minute per address, burst 10) and its per-address request limit would stop this after ten
attempts: both are raised for the run. Identity's lockout counts failures only, and every
attempt here succeeds.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass

import aiohttp

from bench.portal import (
    Portal,
    cpu_seconds,
    measure_apart,
    one_connection,
    running_portal,
    serve_order,
)
from bench.stats import Summary
from services.identity.passwords import HashingParameters

UNLIMITED = str(1_000_000)
SETTINGS = {
    "GUICHET_SIGN_IN_PER_MINUTE_PER_IP": UNLIMITED,
    "GUICHET_SIGN_IN_BURST_PER_IP": UNLIMITED,
    "GUICHET_RATE_PER_IP": UNLIMITED,
    "GUICHET_BURST_PER_IP": UNLIMITED,
}
CLIENTS = (1, 2, 4, 8)
PROBE_INTERVAL = 0.020


@dataclass(frozen=True)
class Burst:
    clients: int
    sign_ins_per_second: float
    latency: Summary
    probe: Summary
    """`/branding` straight to identity while the clients sign in."""
    identity_cpu_ms: float
    """Identity's CPU time per sign-in."""


@dataclass(frozen=True)
class SignInResult:
    idle_probe: Summary
    bursts: list[Burst]


async def sign_in(session: aiohttp.ClientSession, portal: Portal) -> float:
    """Seconds from sending the sign-in to having read its tokens."""
    credentials = {
        "login": portal.accounts.customer_login,
        "password": portal.accounts.customer_password,
    }
    started = time.perf_counter()
    async with session.post(f"{portal.api}/auth/sign-in", json=credentials) as response:
        body = await response.json()
        elapsed = time.perf_counter() - started
    if response.status != 200 or "access_token" not in body:
        raise RuntimeError(f"sign-in: {response.status} {body}")
    return elapsed


async def probe(portal: Portal, until: asyncio.Event) -> list[float]:
    """`/branding` latencies, one request every PROBE_INTERVAL until `until` is set."""
    latencies: list[float] = []
    url = f"{portal.urls['identity']}/branding"
    async with one_connection() as session:
        while not until.is_set():
            started = time.perf_counter()
            async with session.get(url) as response:
                await response.read()
                latencies.append(time.perf_counter() - started)
                if response.status != 200:
                    raise RuntimeError(f"branding: {response.status}")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(until.wait(), PROBE_INTERVAL)
    return latencies


async def idle_probe(portal: Portal, duration: float) -> Summary:
    stop = asyncio.Event()
    probing = asyncio.create_task(probe(portal, stop))
    await asyncio.sleep(duration)
    stop.set()
    return Summary.of_seconds(await probing)


async def burst(portal: Portal, clients: int, duration: float) -> Burst:
    """`clients` sign-ins at a time, back to back, for `duration` seconds."""
    latencies: list[float] = []

    async def client(session: aiohttp.ClientSession, deadline: float) -> None:
        while time.perf_counter() < deadline:
            latencies.append(await sign_in(session, portal))

    async with contextlib.AsyncExitStack() as stack:
        sessions = [await stack.enter_async_context(one_connection()) for _ in range(clients)]
        for session in sessions:  # warm-up, one at a time: connections open, caches filled
            await sign_in(session, portal)
        stop = asyncio.Event()
        probing = asyncio.create_task(probe(portal, stop))
        cpu_before = cpu_seconds(portal.pids["identity"])
        started = time.perf_counter()
        await asyncio.gather(*(client(session, started + duration) for session in sessions))
        elapsed = time.perf_counter() - started
        cpu = cpu_seconds(portal.pids["identity"]) - cpu_before
        stop.set()
        probed = await probing
    return Burst(
        clients=clients,
        sign_ins_per_second=len(latencies) / elapsed,
        latency=Summary.of_seconds(latencies),
        probe=Summary.of_seconds(probed),
        identity_cpu_ms=cpu / len(latencies) * 1000,
    )


async def run(database_url: str, kafka_bootstrap: str, *, quick: bool) -> SignInResult:
    """Start the portal, print (and return) the figures."""
    async with running_portal(database_url, kafka_bootstrap, SETTINGS) as portal:
        result = await measure_apart("bench.sign_in_rate", portal, quick=quick, result=SignInResult)
    _print_result(result, duration(quick))
    return result


def duration(quick: bool) -> float:
    """Seconds per row."""
    return 4.0 if quick else 10.0


async def measure(portal: Portal, quick: bool) -> SignInResult:
    """The load generator's work (in a process of its own, see `run`)."""
    idle = await idle_probe(portal, 2.0)
    bursts = [await burst(portal, clients, duration(quick)) for clients in CLIENTS]
    return SignInResult(idle, bursts)


def _print_result(result: SignInResult, duration: float) -> None:
    parameters = HashingParameters()
    print(
        f"argon2id m={parameters.memory_cost_kib // 1024} MiB, t={parameters.time_cost},"
        f" p={parameters.parallelism}; {duration:.0f} s per row; sign-ins through the gateway,"
        " its sign-in limits raised"
    )
    print(
        f"identity /branding with no sign-in: p50 {result.idle_probe.p50_ms:.1f} ms,"
        f" p99 {result.idle_probe.p99_ms:.1f} ms"
    )
    print()
    print(
        "| clients | sign-ins | sign-ins/s | p50 ms | p99 ms | max ms"
        " | identity CPU ms per sign-in | /branding p50 ms | /branding p99 ms |"
    )
    print("|--:|--:|--:|--:|--:|--:|--:|--:|--:|")
    for row in result.bursts:
        print(
            f"| {row.clients} | {row.latency.count} | {row.sign_ins_per_second:.1f}"
            f" | {row.latency.p50_ms:.0f}"
            f" | {row.latency.p99_ms:.0f} | {row.latency.max_ms:.0f} | {row.identity_cpu_ms:.0f}"
            f" | {row.probe.p50_ms:.1f} | {row.probe.p99_ms:.1f} |"
        )


if __name__ == "__main__":
    serve_order(measure, SignInResult)  # the load generator, started by `run`
