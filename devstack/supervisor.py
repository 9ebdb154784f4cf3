"""Start processes, prefix their output, wait until each is ready, stop them all cleanly."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import shutil
import signal
import sys
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

Probe = Callable[[], Awaitable[bool]]
MAX_LINE = 64 * 1024  # longer lines are cut when shown, never left unread
_COLOURS = itertools.cycle(["36", "33", "35", "32", "34", "31", "96", "93", "95", "92"])


class StartFailed(RuntimeError):
    """A process exited or did not become ready in time."""


@dataclass
class Managed:
    name: str
    process: asyncio.subprocess.Process
    stop_signal: signal.Signals
    colour: str
    log_file: TextIO | None
    tail: deque[str] = field(default_factory=lambda: deque(maxlen=40))
    pump: asyncio.Task[None] | None = None


class Supervisor:
    def __init__(self, log_dir: Path | None = None, echo: bool = True) -> None:
        self.log_dir = log_dir
        self.echo = echo
        self.processes: list[Managed] = []
        self.width = 14

    async def start(
        self,
        name: str,
        argv: list[str],
        *,
        env: dict[str, str] | None = None,
        ready: Probe,
        timeout: float = 60.0,
        user: str | None = None,
        stop_signal: signal.Signals = signal.SIGTERM,
        cwd: Path | None = None,
    ) -> Managed:
        """Start `argv` and return once `ready()` is true; raise StartFailed with its last
        output if it exits first or takes longer than `timeout` seconds."""
        process = await asyncio.create_subprocess_exec(
            *_dies_with_us(argv),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            env={**os.environ, **(env or {})},
            user=user,
            cwd=cwd,
            start_new_session=True,  # Ctrl-C reaches us only; we stop children in order
        )
        log_file = None
        if self.log_dir is not None:
            self.log_dir.mkdir(parents=True, exist_ok=True)
            log_file = (self.log_dir / f"{name}.log").open("a", encoding="utf-8")
        managed = Managed(name, process, stop_signal, next(_COLOURS), log_file)
        managed.pump = asyncio.create_task(self._pump(managed))
        self.processes.append(managed)
        deadline = time.monotonic() + timeout
        while True:
            if process.returncode is not None:
                raise StartFailed(self._failure(managed, f"exited with code {process.returncode}"))
            with contextlib.suppress(Exception):
                if await asyncio.wait_for(ready(), 5):
                    return managed
            if time.monotonic() > deadline:
                raise StartFailed(self._failure(managed, f"not ready after {timeout:.0f}s"))
            await asyncio.sleep(0.2)

    def _failure(self, managed: Managed, reason: str) -> str:
        output = "\n".join(f"    {line}" for line in managed.tail)
        return f"{managed.name} {reason}. Its last output:\n{output}"

    async def _pump(self, managed: Managed) -> None:
        """Copy the child's output, line by line, for as long as it writes. Reads in chunks,
        so no line is too long: a child whose pipe is not drained would block on write."""
        assert managed.process.stdout is not None
        pending = b""
        while chunk := await managed.process.stdout.read(1 << 16):
            pending += chunk
            *lines, pending = pending.split(b"\n")
            if len(pending) > MAX_LINE:
                lines.append(pending)
                pending = b""
            for raw in lines:
                self._emit(managed, raw[:MAX_LINE].decode(errors="replace"))
        if pending:
            self._emit(managed, pending[:MAX_LINE].decode(errors="replace"))

    def _emit(self, managed: Managed, line: str) -> None:
        managed.tail.append(line)
        if managed.log_file is not None:
            managed.log_file.write(line + "\n")
            managed.log_file.flush()
        if self.echo:
            if sys.stdout.isatty():
                label = f"\x1b[{managed.colour}m{managed.name:>{self.width}} |\x1b[0m "
            else:
                label = f"{managed.name:>{self.width}} | "
            sys.stdout.write(label + line + "\n")
            sys.stdout.flush()

    async def wait_for_exit(self) -> Managed:
        """Until one process exits on its own; returns it."""
        waits = {asyncio.create_task(m.process.wait()): m for m in self.processes}
        try:
            done, _ = await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in waits:
                task.cancel()
        return waits[done.pop()]

    async def stop(
        self, name: str, timeout: float = 15.0, sig: signal.Signals | None = None
    ) -> None:
        managed = next(m for m in self.processes if m.name == name)
        await self._stop(managed, timeout, sig)
        self.processes.remove(managed)

    async def stop_all(self, timeout: float = 30.0) -> None:
        """Stop in reverse start order: services before the broker and the database."""
        for managed in reversed(self.processes):
            await self._stop(managed, timeout)
        self.processes.clear()

    async def _stop(
        self, managed: Managed, timeout: float, sig: signal.Signals | None = None
    ) -> None:
        process = managed.process
        if process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                process.send_signal(sig or managed.stop_signal)
            try:
                await asyncio.wait_for(process.wait(), timeout)
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    process.kill()
                await process.wait()
        if managed.pump is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(managed.pump, 2)
        if managed.log_file is not None:
            managed.log_file.close()


def _dies_with_us(argv: list[str]) -> list[str]:
    """Children run in their own session (Ctrl-C reaches only the supervisor, which stops
    them in order), so they would outlive a supervisor that is killed outright. Linux's
    parent-death signal, set by util-linux's setpriv, ends them too in that case."""
    setpriv = shutil.which("setpriv")
    if setpriv is None or sys.platform != "linux":
        return argv
    return [setpriv, "--pdeathsig", "TERM", "--", *argv]


async def port_open(host: str, port: int) -> bool:
    try:
        _reader, writer = await asyncio.open_connection(host, port)
    except OSError:
        return False
    writer.close()
    with contextlib.suppress(OSError):
        await writer.wait_closed()
    return True
