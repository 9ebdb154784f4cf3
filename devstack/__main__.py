"""`python -m devstack start|reset`: the whole portal on this machine (see README)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import signal
import sys
from pathlib import Path

from devstack import broker, demo, mailcatcher, postgres, services
from devstack.supervisor import StartFailed, Supervisor
from shared import db
from shared.sealing import new_sealing_key

ROOT = Path(__file__).resolve().parent.parent


def data_dir() -> Path:
    """Everything the local portal keeps between runs: database, caught emails, logs."""
    return Path(os.environ.get("GUICHET_DATA_DIR", ROOT / ".guichet" / "data")).resolve()


def sealing_key(data: Path, name: str = "sealing-key") -> str:
    """A key of the local stack, made on first start and kept with the data (so links in
    emails caught before a restart still open, and sessions survive a restart)."""
    path = data / name
    if not path.exists():
        path.touch(mode=0o600)
        path.write_text(new_sealing_key())
    return path.read_text().strip()


def say(message: str) -> None:
    sys.stdout.write(f"\x1b[1m{message}\x1b[0m\n" if sys.stdout.isatty() else f"{message}\n")
    sys.stdout.flush()


async def start(port_base: int, load_demo: bool) -> int:
    data = data_dir()
    data.mkdir(parents=True, exist_ok=True)
    ports = services.Ports(port_base)
    supervisor = Supervisor(log_dir=data / "logs")
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stopping.set)
    identity = next(s for s in services.SERVICES if s.name == "identity")
    env = {
        "GUICHET_PUBLIC_URL": os.environ.get(
            "GUICHET_PUBLIC_URL", f"http://127.0.0.1:{port_base}/"
        ),
        "GUICHET_IDENTITY_URL": f"http://127.0.0.1:{ports.service(identity)}",
        "GUICHET_SEALING_KEY": os.environ.get("GUICHET_SEALING_KEY") or sealing_key(data),
        "GUICHET_LOG_FORMAT": os.environ.get("GUICHET_LOG_FORMAT", "console"),
        "PYTHONUNBUFFERED": "1",
        "GUICHET_UPSTREAMS": json.dumps(services.upstreams(ports)),  # where the gateway routes
        "GUICHET_ATTACHMENTS_DIR": str(data / "attachments"),  # tickets keeps uploads here
        # The web portal calls the API through the gateway, which believes the browser's
        # address it forwards (every service is on this machine, so is the portal).
        "GUICHET_GATEWAY_URL": f"http://127.0.0.1:{port_base}",
        "GUICHET_TRUSTED_PROXIES": json.dumps(["127.0.0.1/32"]),
        "GUICHET_SECURE_COOKIES": "false",  # plain http on this machine
        "GUICHET_SESSION_KEY": os.environ.get("GUICHET_SESSION_KEY")
        or sealing_key(data, "session-key"),
    }
    try:
        external = {
            key: os.environ[key]
            for key in ("GUICHET_DATABASE_URL", "GUICHET_KAFKA_BOOTSTRAP", "GUICHET_SMTP_URL")
            if key in os.environ
        }
        env.update(external)
        if "GUICHET_DATABASE_URL" not in external:
            await postgres.start(supervisor, data / "postgres", ports.postgres)
            env["GUICHET_DATABASE_URL"] = postgres.url(ports.postgres)
        if "GUICHET_KAFKA_BOOTSTRAP" not in external:
            await broker.start(supervisor, ports.kafka)
            env["GUICHET_KAFKA_BOOTSTRAP"] = broker.bootstrap(ports.kafka)
            # Tansu holds a consumer's join for half the session timeout: 1 s, not 5.
            env["GUICHET_KAFKA_SESSION_TIMEOUT_MS"] = os.environ.get(
                "GUICHET_KAFKA_SESSION_TIMEOUT_MS", broker.SESSION_TIMEOUT_MS
            )
        if "GUICHET_SMTP_URL" not in external:
            await mailcatcher.start(supervisor, data / "mail", ports.smtp, ports.mail_web)
            env["GUICHET_SMTP_URL"] = f"smtp://127.0.0.1:{ports.smtp}"
        # Each service that keeps files keeps them in a directory of its own.
        # Billing checks for overdue invoices every minute here, not hourly: the demo's late
        # invoices show as overdue (and their reminders arrive) right after start.
        own = {
            "billing": {
                "GUICHET_ATTACHMENTS_DIR": str(data / "invoices"),
                "GUICHET_OVERDUE_CHECK_MINUTES": "1",
            }
        }
        # All at once: none needs another to start (each is ready once its own database
        # schema and the broker answer), and most of a start is Python importing.
        await asyncio.gather(
            *(
                services.start(
                    supervisor,
                    service,
                    ports.service(service),
                    {**env, **own.get(service.name, {})},
                )
                for service in services.SERVICES
            )
        )
        if load_demo and not (data / "demo-loaded").exists():
            await _load_demo(data, port_base, ports, env, external)
        _print_urls(ports, env, external)
        exit_waiter = asyncio.create_task(supervisor.wait_for_exit())
        stop_waiter = asyncio.create_task(stopping.wait())
        done, _ = await asyncio.wait(
            {exit_waiter, stop_waiter}, return_when=asyncio.FIRST_COMPLETED
        )
        for task in (exit_waiter, stop_waiter):
            task.cancel()
        if exit_waiter in done:
            crashed = exit_waiter.result()
            say(f"{crashed.name} exited with code {crashed.process.returncode}; stopping.")
            return 1
    except StartFailed as failure:
        say(f"Could not start the portal: {failure}")
        return 1
    else:
        return 0
    finally:
        say("Stopping…")
        await supervisor.stop_all()
        say("Stopped. Data is kept in " + str(data) + " (./guichet reset clears it).")


async def _load_demo(
    data: Path, port_base: int, ports: services.Ports, env: dict[str, str], external: dict[str, str]
) -> None:
    local_mail = "GUICHET_SMTP_URL" not in external
    accounts = await demo.load(
        f"http://127.0.0.1:{port_base}/api",
        f"http://127.0.0.1:{ports.mail_web}" if local_mail else None,
        env,
    )
    (data / "demo-loaded").write_text("loaded\n")
    if accounts is None:
        say(
            "Demo data loaded: Imprimerie Martin, its contacts and equipment; Claire Martin's"
            " invitation"
            f" went to the SMTP server.\n  vendor admin  {demo.ADMIN_EMAIL} / {demo.ADMIN_PASSWORD}"
        )
        return
    say(
        "Demo data loaded: Imprimerie Martin, its contacts, "
        f"{accounts.tickets} tickets, {accounts.assets} machines with a meter reading,"
        f" {accounts.invoices} invoices from the ERP, {accounts.orders} consumables orders and a"
        " cart (their emails are in the inbox).\n"
        f"  vendor admin  {accounts.admin_email} / {accounts.admin_password}\n"
        f"  customer      {accounts.customer_login} / {accounts.customer_password}"
    )


def _print_urls(ports: services.Ports, env: dict[str, str], external: dict[str, str]) -> None:
    lines = [
        "",
        "Guichet is running. Ctrl-C stops everything.",
        "",
        f"  {'portal':<15} {env['GUICHET_PUBLIC_URL']}   (open this in a browser)",
        "",
    ]
    lines += [
        f"  {service.name:<15} http://127.0.0.1:{ports.service(service)}"
        for service in services.SERVICES
    ]
    if "GUICHET_SMTP_URL" not in external:
        lines.append(f"  {'mail inbox':<15} http://127.0.0.1:{ports.mail_web}")
    lines.append(f"  {'database':<15} {env['GUICHET_DATABASE_URL']}")
    lines.append(f"  {'kafka':<15} {env['GUICHET_KAFKA_BOOTSTRAP']}")
    lines.append(f"  {'logs':<15} {data_dir() / 'logs'}")
    say("\n".join(lines) + "\n")


def reset() -> int:
    data = data_dir()
    if data.exists():
        shutil.rmtree(data)
    say(f"Removed {data}.")
    return 0


async def migrate_all() -> int:
    """Apply every service's migrations to GUICHET_DATABASE_URL (an external database)."""
    database_url = os.environ.get("GUICHET_DATABASE_URL")
    if not database_url:
        say("Set GUICHET_DATABASE_URL to the database to migrate.")
        return 2
    for service in services.SERVICES:
        applied = await db.migrate(database_url, service.name, service.migrations)
        say(f"{service.name}: {len(applied)} migration(s) applied")
    return 0


def main() -> None:
    parser = argparse.ArgumentParser(prog="./guichet", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    start_parser = commands.add_parser("start", help="start the whole portal with demo data")
    start_parser.add_argument(
        "--port-base",
        type=int,
        default=int(os.environ.get("GUICHET_PORT_BASE", "8100")),
        help="ports are numbered from here (default 8100, or GUICHET_PORT_BASE)",
    )
    start_parser.add_argument("--no-demo", action="store_true", help="do not load demo data")
    start_parser.add_argument("--reset", action="store_true", help="start from empty data")
    commands.add_parser("reset", help="delete the local data (database, mail, logs)")
    commands.add_parser("migrate", help="apply every service's migrations to GUICHET_DATABASE_URL")
    arguments = parser.parse_args()
    if arguments.command == "reset":
        sys.exit(reset())
    if arguments.command == "migrate":
        sys.exit(asyncio.run(migrate_all()))
    if arguments.reset:
        reset()
    with contextlib.suppress(KeyboardInterrupt):
        sys.exit(asyncio.run(start(arguments.port_base, not arguments.no_demo)))


if __name__ == "__main__":
    main()
