"""Headless Chromium for the tests of the HTML pages (the check report and the
fleet dashboard): where it is, the flags it runs with, and a DOM dump with the
page's console errors. Under CI a missing browser fails the tests that need one
instead of skipping them."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

IN_CI = os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")
CHROMIUM = next(
    (
        found
        for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
        if (found := shutil.which(name))
    ),
    None,
)
browser = pytest.mark.skipif(
    CHROMIUM is None and not IN_CI, reason="chromium not found (apt-get install chromium)"
)
#: Attributes whose value a browser loads or follows.
URL_ATTRS = frozenset({"src", "href", "action", "formaction", "srcset", "poster", "data"})
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--enable-logging=stderr",
    "--v=0",
)


def chromium(tmp: Path, *args: str) -> subprocess.CompletedProcess[str]:
    if CHROMIUM is None:
        pytest.fail("chromium is required under CI but was not found (apt-get install chromium)")
    profile = tmp / f"profile-{len(list(tmp.glob('profile-*')))}"
    return subprocess.run(
        [CHROMIUM, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def console_errors(stderr: str, page: Path) -> list[str]:
    """Console output of the page (Chromium logs every level as ``INFO:CONSOLE``;
    the pages log nothing) and uncaught exceptions."""
    url = page.as_uri()
    return [
        line
        for line in stderr.splitlines()
        if ("Uncaught" in line or ":CONSOLE" in line) and (url in line or page.name in line)
    ]


def dump_dom(tmp: Path, page: Path, fragment: str = "", *args: str) -> tuple[str, list[str]]:
    """The DOM after the page's scripts ran, and the page's console errors."""
    proc = chromium(tmp, *args, "--dump-dom", page.as_uri() + fragment)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout, console_errors(proc.stderr, page)
