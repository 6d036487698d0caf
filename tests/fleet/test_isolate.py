"""A repository that hangs, crashes or raises in its check process is an error row."""

from __future__ import annotations

import os
import signal
import time

from dockready.fleet.isolate import run_isolated


def _sleep(seconds: float) -> str:
    time.sleep(seconds)
    return "woke"


def _raise() -> None:
    raise ValueError("bad\ninput")


def _die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def test_value_comes_back() -> None:
    out = run_isolated(_sleep, (0,), timeout=30)
    assert out.ok and out.value == "woke"


def test_a_hung_child_is_killed_at_the_deadline() -> None:
    start = time.monotonic()
    out = run_isolated(_sleep, (60,), timeout=0.5)
    assert not out.ok
    assert out.error == "timed out after 0.5 s"
    assert time.monotonic() - start < 10


def test_an_exception_is_one_line_without_traceback() -> None:
    out = run_isolated(_raise, (), timeout=30)
    assert not out.ok
    assert out.error == "ValueError: bad input"


def test_a_killed_child_is_reported() -> None:
    out = run_isolated(_die, (), timeout=30)
    assert not out.ok
    assert "SIGKILL" in out.error
