"""PostgreSQL access: a pool per service, confined to the service's own schema, and migrations."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import structlog

log = structlog.get_logger(__name__)

KIT_MIGRATIONS = Path(__file__).parent / "migrations"
_SCHEMA_NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")


def checked_schema(schema: str) -> str:
    """Schemas are interpolated into SQL, so only plain lower-case identifiers are allowed."""
    if not _SCHEMA_NAME.match(schema):
        raise ValueError(f"invalid schema name {schema!r}")
    return schema


async def _init_connection(connection: asyncpg.Connection) -> None:
    for json_type in ("json", "jsonb"):
        await connection.set_type_codec(
            json_type, encoder=json.dumps, decoder=json.loads, schema="pg_catalog"
        )


async def create_pool(
    database_url: str, schema: str, *, min_size: int = 2, max_size: int = 10
) -> asyncpg.Pool:
    """A pool whose connections see only `schema` (and pg_catalog): no service reads another's
    tables by accident."""
    pool = await asyncpg.create_pool(
        database_url,
        min_size=min_size,
        max_size=max_size,
        init=_init_connection,
        server_settings={"search_path": checked_schema(schema), "application_name": schema},
    )
    assert pool is not None
    return pool


async def connect(database_url: str, schema: str) -> asyncpg.Connection:
    """A single connection like the pool's, for workers that hold one (locks, LISTEN)."""
    connection = await asyncpg.connect(
        database_url,
        server_settings={"search_path": checked_schema(schema), "application_name": schema},
    )
    await _init_connection(connection)
    return connection


@dataclass(frozen=True)
class Migration:
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()


def _read_migrations(directory: Path, prefix: str) -> list[Migration]:
    return [
        Migration(f"{prefix}{path.name}", path.read_text())
        for path in sorted(directory.glob("[0-9][0-9][0-9]_*.sql"))
    ]


class MigrationChanged(RuntimeError):
    """An applied migration's file was edited afterwards: add a new migration instead."""


async def migrate(database_url: str, schema: str, service_migrations: Path | None) -> list[str]:
    """Create the schema, then apply the kit's and the service's migrations not yet applied.

    Each migration runs in its own transaction; an advisory lock keeps two starting replicas
    from applying the same one. Returns the names applied now.
    """
    schema = checked_schema(schema)
    migrations = _read_migrations(KIT_MIGRATIONS, "kit/")
    if service_migrations is not None:
        migrations += _read_migrations(service_migrations, "")
    connection = await asyncpg.connect(database_url)
    applied_now: list[str] = []
    try:
        await connection.execute(
            "SELECT pg_advisory_lock(hashtext('guichet.migrate.' || $1))", schema
        )
        await connection.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
        await connection.execute(f"SET search_path TO {schema}")
        await connection.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            " name text PRIMARY KEY, checksum text NOT NULL,"
            " applied_at timestamptz NOT NULL DEFAULT now())"
        )
        applied = dict(await connection.fetch("SELECT name, checksum FROM schema_migrations"))
        for migration in migrations:
            if migration.name in applied:
                if applied[migration.name] != migration.checksum:
                    raise MigrationChanged(f"{schema}: {migration.name} was edited after it ran")
                continue
            async with connection.transaction():
                await connection.execute(migration.sql)
                await connection.execute(
                    "INSERT INTO schema_migrations (name, checksum) VALUES ($1, $2)",
                    migration.name,
                    migration.checksum,
                )
            applied_now.append(migration.name)
            log.info("migration applied", schema=schema, migration=migration.name)
    finally:
        await connection.close()
    return applied_now
