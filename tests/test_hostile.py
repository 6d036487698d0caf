"""Every hostile case of ``tests/hostile.py`` runs to the end, in a real process,
under a generous wall-clock bound that only a super-linear blow-up would cross (a
guard, not a benchmark: before issue 14 several of them ran for minutes or were
killed at 24 GB).

Each run must exit 0 or 1 with a JSON report that loads, no traceback, a bounded
report and peak memory, and the service next to the payload still checked.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hostile import CASES

SRC = Path(__file__).resolve().parents[1] / "src"
#: Seconds a case may take; each takes about a second on a laptop.
BOUND = 90
#: Peak RSS of a run (the parse workers included): about 50-250 MB in practice.
MAX_RSS_MB = 1500


def _run(root: Path) -> tuple[subprocess.CompletedProcess[str], float]:
    env = dict(os.environ, PYTHONPATH=str(SRC))
    start = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", "dockready", "check", str(root), "--format", "json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=BOUND,
        check=False,
    )
    return proc, time.monotonic() - start


@pytest.mark.parametrize("case", sorted(CASES))
def test_hostile_case_is_bounded(tmp_path: Path, case: str) -> None:
    root = tmp_path / case
    CASES[case](root)  # many-services: 2,000 of them; linear joins keep it to seconds
    proc, seconds = _run(root)
    assert proc.returncode in (0, 1), proc.stderr[-2000:]
    assert "Traceback" not in proc.stderr
    assert seconds < BOUND
    assert len(proc.stdout) < 64 * 1024 * 1024  # the 29-line ARG bomb once wrote 268 MB
    doc = json.loads(proc.stdout)
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    assert peak_mb < MAX_RSS_MB, f"{case}: {peak_mb:.0f} MB"
    found = {(f["id"], f["path"]) for f in doc["findings"]}
    notices = {(n["path"], n["message"]) for n in doc["notices"]}
    if case == "many-services":
        assert ("DR102", "svc/s1999/main.go") in found
        return
    # the healthy service next to the payload is still checked
    assert ("DR102", "svc/main.go") in found, sorted(found)[:20]
    if case == "arg-bomb":
        assert any(
            p == "svc/Dockerfile.bomb" and m.startswith("value too large") for p, m in notices
        )
    if case == "huge-go-file":
        assert any(p == "svc/huge.go" and "size limit" in m for p, m in notices)
    if case == "long-from-line":
        assert (
            any(p == "svc/Dockerfile.long" for p, _ in notices)
            or (
                "DR000",
                "svc/Dockerfile.long",
            )
            in found
        )
