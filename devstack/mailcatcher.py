"""MailDev, a maintained mail catcher with a web inbox and a JSON API, from the npm registry.

It is installed from `tools/maildev/package-lock.json` (never committed node_modules), and
keeps every caught email as a file in the data folder, so the inbox survives restarts.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from pathlib import Path

from devstack.supervisor import Managed, Supervisor, port_open

PACKAGE = Path(__file__).resolve().parent.parent / "tools" / "maildev"
BINARY = PACKAGE / "node_modules" / "maildev" / "bin" / "maildev"


def install() -> None:
    """`npm ci` when the lock file changed since the last install (or never ran)."""
    lock = PACKAGE / "package-lock.json"
    stamp = PACKAGE / "node_modules" / ".lock-sha256"
    digest = hashlib.sha256(lock.read_bytes()).hexdigest()
    if BINARY.exists() and stamp.exists() and stamp.read_text() == digest:
        return
    npm = shutil.which("npm")
    if npm is None:
        raise SystemExit(
            "npm is needed for the mail catcher: install Node.js (apt-get install npm)"
        )
    subprocess.run(  # noqa: S603 - fixed arguments
        [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=PACKAGE, check=True
    )
    stamp.write_text(digest)


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
