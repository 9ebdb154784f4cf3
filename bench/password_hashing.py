"""Password hashing: what argon2id costs at the parameters identity uses, on 1 and on all cores.

For the chosen parameters (`HashingParameters()`, 64 MiB, t=3, p=1) and, for comparison, the
OWASP minimum (19 MiB, t=2, p=1):

- hashes per second, with 1 thread and with one thread per CPU (argon2 releases the GIL);
- verification latency p50/p99 as a sign-in sees it, through `PasswordHasher.verify_async`:
  1 client at a time, then one client per CPU, then a burst of four clients per CPU (which
  queue behind the hasher's bound of one verification per CPU), with the event loop's own
  lag meanwhile (how late a 5 ms timer fires: the rest of the service's requests wait that);
- the cost of `verify(None, ...)` (unknown account) against a real verification;
- peak memory of one hash: the growth of a fresh process's peak resident set (Linux).

Runs without servers: `python -m bench.password_hashing [--quick]`, or through
`python -m bench password_hashing`.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from bench.stats import percentile
from services.identity.passwords import HashingParameters, PasswordHasher

PASSWORD = "Kx7!vqzr-correct-horse"
OWASP_MINIMUM = HashingParameters(memory_cost_kib=19_456, time_cost=2, parallelism=1)
CHOSEN = HashingParameters()


def cpus() -> int:
    return PasswordHasher().concurrency


def describe(parameters: HashingParameters) -> str:
    return (
        f"m={parameters.memory_cost_kib // 1024} MiB, t={parameters.time_cost},"
        f" p={parameters.parallelism}"
    )


def hashes_per_second(hasher: PasswordHasher, threads: int, duration: float) -> float:
    """Hashes completed per second by `threads` threads hashing back to back."""
    deadline = time.perf_counter() + duration
    counts = [0] * threads

    def work(index: int) -> None:
        while time.perf_counter() < deadline:
            hasher.hash(PASSWORD)
            counts[index] += 1

    start = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(work, range(threads)))
    return sum(counts) / (time.perf_counter() - start)


@dataclass(frozen=True)
class Latency:
    clients: int
    count: int
    p50_ms: float
    p99_ms: float
    loop_lag_p99_ms: float


async def verify_latency(
    hasher: PasswordHasher, stored: str, clients: int, duration: float
) -> Latency:
    """`clients` sign-ins verifying back to back through `verify_async` for `duration`."""
    latencies: list[float] = []
    lags: list[float] = []
    deadline = time.perf_counter() + duration
    done = asyncio.Event()

    async def client() -> None:
        while time.perf_counter() < deadline:
            start = time.perf_counter()
            if not await hasher.verify_async(stored, PASSWORD):
                raise RuntimeError("verification failed")
            latencies.append(time.perf_counter() - start)

    async def ticker() -> None:
        while not done.is_set():
            start = time.perf_counter()
            await asyncio.sleep(0.005)
            lags.append(time.perf_counter() - start - 0.005)

    ticking = asyncio.create_task(ticker())
    await asyncio.gather(*(client() for _ in range(clients)))
    done.set()
    await ticking
    latencies.sort()
    lags.sort()
    return Latency(
        clients=clients,
        count=len(latencies),
        p50_ms=percentile(latencies, 0.50) * 1000,
        p99_ms=percentile(latencies, 0.99) * 1000,
        loop_lag_p99_ms=percentile(lags, 0.99) * 1000 if lags else float("nan"),
    )


def median_ms(action: object, runs: int) -> float:
    assert callable(action)
    durations = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        durations.append(time.perf_counter() - start)
    return statistics.median(durations) * 1000


_PEAK_MEMORY_PROBE = """
import sys
from pathlib import Path
from services.identity.passwords import HashingParameters, PasswordHasher

def high_water_kib():
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])

hasher = PasswordHasher(HashingParameters.model_validate_json(sys.argv[1]))
Path("/proc/self/clear_refs").write_text("5")  # the peak restarts from the current size
before = high_water_kib()
hasher.hash("Kx7!vqzr")
print(high_water_kib() - before)
"""


def peak_memory_mib(parameters: HashingParameters) -> float | None:
    """Growth of a fresh process's peak resident set (VmHWM, reset just before) over one hash,
    so nothing else the benchmark allocated blurs it. None where Linux's /proc is missing."""
    if not Path("/proc/self/clear_refs").exists():
        return None
    result = subprocess.run(
        [sys.executable, "-c", _PEAK_MEMORY_PROBE, parameters.model_dump_json()],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[1],
    )
    return int(result.stdout.strip()) / 1024


async def run(
    database_url: str | None = None, kafka_bootstrap: str | None = None, *, quick: bool = False
) -> dict[str, object]:
    """Print (and return) the figures; needs no server."""
    del database_url, kafka_bootstrap
    duration = 1.5 if quick else 5.0
    all_cores = cpus()
    print(
        f"{os.cpu_count()} CPUs seen, {all_cores} usable by this process; {duration:.1f} s per"
        f" measurement; argon2id, 16-byte salt, 32-byte hash"
    )
    print()
    print("| parameters | threads | hashes/s | verify p50 ms | verify p99 ms | peak MiB per hash |")
    print("|---|--:|--:|--:|--:|--:|")
    figures: dict[str, object] = {}
    for name, parameters in (("chosen", CHOSEN), ("owasp_minimum", OWASP_MINIMUM)):
        memory = peak_memory_mib(parameters)
        shown_memory = "?" if memory is None else f"{memory:.1f}"
        for threads in sorted({1, all_cores}):
            hasher = PasswordHasher(parameters, concurrency=threads)
            stored = hasher.hash(PASSWORD)
            rate = hashes_per_second(hasher, threads, duration)
            latency = await verify_latency(hasher, stored, threads, duration)
            figures[f"{name}/{threads}"] = (rate, latency, memory)
            print(
                f"| {describe(parameters)}{' (chosen)' if name == 'chosen' else ''} | {threads}"
                f" | {rate:.1f} | {latency.p50_ms:.0f} | {latency.p99_ms:.0f} | {shown_memory} |"
            )

    hasher = PasswordHasher(CHOSEN, concurrency=all_cores)
    stored = hasher.hash(PASSWORD)
    burst = await verify_latency(hasher, stored, 4 * all_cores, duration)
    calm = await verify_latency(hasher, stored, all_cores, duration)
    print()
    print(
        f"chosen parameters, {all_cores} client(s) (one per CPU): verify p50 {calm.p50_ms:.0f} ms,"
        f" p99 {calm.p99_ms:.0f} ms; event loop lag p99 {calm.loop_lag_p99_ms:.1f} ms"
    )
    print(
        f"chosen parameters, burst of {burst.clients} clients (4 per CPU, queued by the hasher's"
        f" bound): verify p50 {burst.p50_ms:.0f} ms, p99 {burst.p99_ms:.0f} ms; event loop lag"
        f" p99 {burst.loop_lag_p99_ms:.1f} ms"
    )
    figures["burst"] = burst

    runs = 5 if quick else 15
    real = median_ms(lambda: hasher.verify(stored, "wrong password"), runs)
    unknown = median_ms(lambda: hasher.verify(None, "wrong password"), runs)
    print(
        f"wrong password on a real account {real:.0f} ms, unknown account {unknown:.0f} ms"
        f" (medians of {runs}; ratio {unknown / real:.2f})"
    )
    figures["enumeration"] = (real, unknown)
    return figures


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m bench.password_hashing", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="shorter runs, rougher figures")
    arguments = parser.parse_args()
    asyncio.run(run(quick=arguments.quick))
