"""Settings fail fast with a clear message; migrations apply once and cannot be rewritten."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import asyncpg
import pytest

from conftest import Infrastructure
from shared.db import MigrationChanged, migrate

ROOT = Path(__file__).resolve().parents[2]


def run_service(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("GUICHET_")}
    return subprocess.run(
        [sys.executable, "-m", "services.tickets", "serve"],
        env={**clean, **env},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_a_service_with_a_wrong_setting_says_which_and_exits() -> None:
    result = run_service(
        {
            "GUICHET_DATABASE_URL": "mysql://nope",
            "GUICHET_KAFKA_BOOTSTRAP": "localhost",
            "GUICHET_PUBLIC_URL": "https://portal.example",
        }
    )
    assert result.returncode == 2
    assert "GUICHET_DATABASE_URL: Value error, must be a postgresql:// URL" in result.stderr
    assert "GUICHET_KAFKA_BOOTSTRAP: Value error, 'localhost' is not host:port" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_service_missing_a_setting_names_it() -> None:
    result = run_service({})
    assert result.returncode == 2
    assert "GUICHET_DATABASE_URL: Field required" in result.stderr
    assert "GUICHET_PUBLIC_URL: Field required" in result.stderr


async def test_migrations_apply_once_and_an_edited_one_is_refused(
    infrastructure: Infrastructure, tmp_path: Path
) -> None:
    schema = f"m_{uuid.uuid4().hex[:8]}"
    (tmp_path / "001_notes.sql").write_text("CREATE TABLE notes (body text);")
    url = infrastructure.database_url()

    assert await migrate(url, schema, tmp_path) == ["kit/001_event_store.sql", "001_notes.sql"]
    assert await migrate(url, schema, tmp_path) == []

    (tmp_path / "002_more.sql").write_text("ALTER TABLE notes ADD COLUMN title text;")
    assert await migrate(url, schema, tmp_path) == ["002_more.sql"]

    (tmp_path / "001_notes.sql").write_text("CREATE TABLE notes (body text, oops int);")
    with pytest.raises(MigrationChanged, match=r"001_notes\.sql was edited"):
        await migrate(url, schema, tmp_path)


async def test_a_failing_migration_leaves_nothing_half_applied(
    infrastructure: Infrastructure, tmp_path: Path
) -> None:
    schema = f"m_{uuid.uuid4().hex[:8]}"
    (tmp_path / "001_broken.sql").write_text("CREATE TABLE half (x int); SELECT 1/0;")
    url = infrastructure.database_url()
    with pytest.raises(asyncpg.DivisionByZeroError):
        await migrate(url, schema, tmp_path)
    connection = await asyncpg.connect(url)
    try:
        assert await connection.fetchval("SELECT to_regclass($1)", f"{schema}.half") is None
        applied = await connection.fetchval(f"SELECT count(*) FROM {schema}.schema_migrations")
        assert applied == 1  # the kit's migration, not the broken one
    finally:
        await connection.close()
