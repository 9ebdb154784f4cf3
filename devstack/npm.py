"""Node packages the project uses (the mail catcher, the browser tests' axe-core), installed
from their committed lock file with `npm ci` and never committed themselves."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from pathlib import Path


def install(package: Path, needed: Path, what: str) -> None:
    """`npm ci` in `package` when its lock file changed since the last install, or when
    `needed` (a file the install provides) is missing."""
    lock = package / "package-lock.json"
    stamp = package / "node_modules" / ".lock-sha256"
    digest = hashlib.sha256(lock.read_bytes()).hexdigest()
    if needed.exists() and stamp.exists() and stamp.read_text() == digest:
        return
    npm = shutil.which("npm")
    if npm is None:
        raise SystemExit(f"npm is needed for {what}: install Node.js (apt-get install npm)")
    subprocess.run(  # noqa: S603 - fixed arguments
        [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=package, check=True
    )
    stamp.write_text(digest)
