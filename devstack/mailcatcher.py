"""MailDev, a maintained mail catcher with a web inbox and a JSON API, from the npm registry.

It is installed from `tools/maildev/package-lock.json` (never committed node_modules), and
keeps every caught email as a file in the data folder, so the inbox survives restarts.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from devstack import npm
from devstack.supervisor import Managed, Supervisor, port_open

PACKAGE = Path(__file__).resolve().parent.parent / "tools" / "maildev"
BINARY = PACKAGE / "node_modules" / "maildev" / "bin" / "maildev"


def install() -> None:
    npm.install(PACKAGE, BINARY, "the mail catcher")


async def start(
    supervisor: Supervisor, mail_dir: Path, smtp_port: int, web_port: int, name: str = "mail"
) -> Managed:
    install()  # before the event loop matters: nothing else runs yet
    mail_dir.mkdir(parents=True, exist_ok=True)  # noqa: ASYNC240
    node = shutil.which("node") or "node"
    argv = [
        node,
        str(BINARY),
        "--ip",
        "127.0.0.1",
        "--smtp",
        str(smtp_port),
        "--web",
        str(web_port),
        "--mail-directory",
        str(mail_dir),
    ]
    return await supervisor.start(
        name,
        argv,
        ready=lambda: _both_open(smtp_port, web_port),
    )


async def _both_open(smtp_port: int, web_port: int) -> bool:
    return await port_open("127.0.0.1", smtp_port) and await port_open("127.0.0.1", web_port)
