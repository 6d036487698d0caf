"""Run one function in a child process that can be killed.

A pool worker that hangs (a pathological file, a parser stuck in a loop) cannot be
taken back from a ``concurrent.futures`` pool; a child process per repository can.
``run_isolated`` forks a child (it inherits the imported engine: no start-up cost),
waits for its answer at most ``timeout`` seconds, and kills it after that. Whatever
happens (a timeout, an exception, a crash, a kill by the OOM killer) the caller gets
``Outcome`` and never a traceback.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any


@dataclass(frozen=True, slots=True)
class Outcome:
    ok: bool
    value: Any = None
    #: Why there is no value: one line, no traceback.
    error: str = ""
    timed_out: bool = False


def one_line(e: BaseException) -> str:
    text = " ".join(str(e).split())
    return f"{type(e).__name__}: {text}" if text else type(e).__name__


def _child(conn: Connection, fn: Callable[..., Any], args: tuple[Any, ...]) -> None:
    try:
        try:
            conn.send((True, fn(*args)))
        except BaseException as e:  # reported as the repository's error
            if os.environ.get("DOCKREADY_FLEET_TRACEBACK"):
                traceback.print_exc()
            conn.send((False, one_line(e)))
        conn.close()
    finally:
        os._exit(0)  # no atexit handlers, no flushing of the parent's buffers


class _Forked:
    """A child made with ``os.fork``, with what ``run_isolated`` uses of
    ``multiprocessing.Process``. A daemonic process (a Dask worker under its nanny, a
    ``multiprocessing`` pool worker) may not start ``multiprocessing`` children; it
    may fork."""

    def __init__(self, target: Callable[..., None], args: tuple[Any, ...]) -> None:
        self.target, self.args = target, args
        self.pid = 0
        self.exitcode: int | None = None

    def start(self) -> None:
        pid = os.fork()
        if pid == 0:  # the child: ``_child`` ends it with ``os._exit``
            try:
                self.target(*self.args)
            finally:
                os._exit(1)
        self.pid = pid

    def _reap(self, flags: int) -> None:
        if self.exitcode is not None or not self.pid:
            return
        try:
            pid, status = os.waitpid(self.pid, flags)
        except ChildProcessError:
            self.exitcode = -1
            return
        if pid:
            self.exitcode = os.waitstatus_to_exitcode(status)

    def is_alive(self) -> bool:
        self._reap(os.WNOHANG)
        return bool(self.pid) and self.exitcode is None

    def kill(self) -> None:
        if self.is_alive():
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)

    def join(self, timeout: float | None = None) -> None:
        if timeout is None:
            self._reap(0)
            return
        deadline = time.monotonic() + timeout
        while self.is_alive() and time.monotonic() < deadline:
            time.sleep(0.01)


def run_isolated(fn: Callable[..., Any], args: tuple[Any, ...], timeout: float) -> Outcome:
    """``fn(*args)`` in a forked child; its value must pickle."""
    ctx = multiprocessing.get_context("fork")
    recv, send = ctx.Pipe(duplex=False)
    proc: Any
    if multiprocessing.current_process().daemon:
        proc = _Forked(_child, (send, fn, args))
    else:
        proc = ctx.Process(target=_child, args=(send, fn, args), daemon=False)
    try:
        proc.start()
    except OSError as e:
        recv.close()
        send.close()
        return Outcome(False, error=f"cannot start a check process: {e.strerror or e}")
    send.close()
    try:
        if not recv.poll(max(timeout, 0.0)):
            return Outcome(False, error=f"timed out after {timeout:g} s", timed_out=True)
        try:
            ok, value = recv.recv()
        except (EOFError, OSError):
            proc.join(5)
            return Outcome(False, error=_death(proc.exitcode))
        except Exception as e:  # an answer that does not unpickle
            return Outcome(False, error=f"unreadable answer from the check process: {one_line(e)}")
        return Outcome(True, value=value) if ok else Outcome(False, error=value)
    finally:
        recv.close()
        if proc.is_alive():
            proc.kill()
        proc.join()


def _death(code: int | None) -> str:
    if code is not None and code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        hint = " (out of memory?)" if -code == signal.SIGKILL else ""
        return f"the check process was killed by {name}{hint}"
    return f"the check process died (exit status {code})"
