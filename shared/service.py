"""Command line of every service: `python -m services.<name> [serve|migrate]`."""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Callable, Coroutine, Mapping
from pathlib import Path
from typing import Any

from aiohttp import web

from shared.db import migrate
from shared.settings import ServiceSettings
from shared.telemetry import configure_logging, configure_tracing


def main(
    service: str,
    settings_class: type[ServiceSettings],
    create_app: Callable[[ServiceSettings], web.Application],
    migrations: Path,
    commands: Mapping[str, Callable[[Any], Coroutine[Any, Any, None]]] | None = None,
) -> None:
    """`commands` are the service's own one-off commands, each given the settings."""
    commands = dict(commands or {})
    parser = argparse.ArgumentParser(prog=f"python -m services.{service}")
    parser.add_argument(
        "command",
        nargs="?",
        default="serve",
        choices=["serve", "migrate", *commands],
        help="serve HTTP and run the service's workers (default), only apply migrations,"
        " or one of the service's own commands",
    )
    command = parser.parse_args().command
    settings = settings_class.from_env()
    configure_logging(service, settings.log_level, settings.log_format)
    configure_tracing(service, str(settings.otlp_endpoint) if settings.otlp_endpoint else None)
    if command == "migrate":
        asyncio.run(migrate(settings.database_url, service, migrations))
        return
    if command in commands:
        asyncio.run(commands[command](settings))
        return
    web.run_app(
        create_app(settings),
        host=settings.http_host,
        port=settings.http_port,
        access_log=None,
        print=None,
        shutdown_timeout=5,
    )
