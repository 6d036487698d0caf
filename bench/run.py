#!/usr/bin/env python3
"""Time dockready against hadolint and checkov on the synthetic fleet.

    python bench/run.py [--fleet DIR] [--rounds 5] [--skip-dockready]

Generates the fleet with bench/gen_fleet.py when it is absent, then runs each round,
one tool after another:

  dockready  dockready check FLEET --format json --fail-on never
  hadolint   hadolint --no-fail -f json <every Dockerfile of the fleet>   (one process)
  checkov    checkov -d FLEET --framework dockerfile kubernetes --quiet --compact
                     -o json --skip-download                          (network off)

and prints the median wall time per tool, the per-round ratios dockready/hadolint and
dockready/checkov with their medians, and the machine. Everything also goes to
bench/out/results.json; the last round's raw outputs are kept in bench/out/last/.
hadolint and checkov are looked up on PATH, then in bench/.venv-tools/bin
(``make bench-tools`` puts them there).
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
OUT = BENCH / "out"
TOOLS_BIN = BENCH / ".venv-tools" / "bin"
INSTALL_HINT = "install it with `make bench-tools` (see bench/README.md)"

# Environment for checkov: no platform key, no update check, no downloads.
CHECKOV_UNSET = ("BC_API_KEY", "BC_API_URL", "PRISMA_API_URL", "CKV_API_KEY")
CHECKOV_SET = {
    "CHECKOV_RUN_SCA_PACKAGE_SCAN_V2": "false",
    "CKV_SKIP_PACKAGE_UPDATE_CHECK": "true",
    "BC_SKIP_MAPPING": "TRUE",
}


@dataclass
class Tool:
    name: str
    argv: list[str]
    version: str = "unknown"
    env: dict[str, str] | None = None
    ok_codes: frozenset[int] = frozenset({0})
    times: list[float | None] = field(default_factory=list)
    exit_codes: list[int | None] = field(default_factory=list)
    failure: str | None = None
    summary: dict[str, Any] = field(default_factory=dict)
    #: Run before each timed run, untimed (clear the cache, edit a file).
    before: Callable[[], None] | None = None

    @property
    def good_times(self) -> list[float]:
        return [t for t in self.times if t is not None]

    @property
    def median(self) -> float | None:
        good = self.good_times
        return statistics.median(good) if good else None


# --------------------------------------------------------------------------------------
# Locating tools
# --------------------------------------------------------------------------------------


def find_exe(name: str) -> str | None:
    """``name`` on PATH, else in bench/.venv-tools/bin."""
    found = shutil.which(name)
    if found:
        return found
    candidate = TOOLS_BIN / name
    if candidate.is_file() and os.access(candidate, os.X_OK):
        return str(candidate)
    return None


def dockready_prefix() -> list[str] | None:
    exe = shutil.which("dockready")
    if exe:
        return [exe]
    if importlib.util.find_spec("dockready") is not None:
        return [sys.executable, "-m", "dockready"]
    return None


def interpreter_of(prefix: list[str]) -> str | None:
    """The Python that runs ``prefix``: its first word when that is ``python -m``,
    else the interpreter on the script's ``#!`` line."""
    if len(prefix) > 1:
        return prefix[0]
    try:
        with open(prefix[0], "rb") as fh:
            first = fh.readline()
    except OSError:
        return None
    if not first.startswith(b"#!"):
        return None
    words = first[2:].decode(errors="replace").split()
    return words[0] if words else None


def precompile(prefix: list[str]) -> None:
    """Compile dockready's modules to bytecode, as ``pip install`` does: a development
    install run with PYTHONDONTWRITEBYTECODE=1 would otherwise compile every module
    on every run (about 0.2 s), which no installed copy does."""
    python = interpreter_of(prefix)
    if python is None:
        return
    code = (
        "import compileall, os, dockready; "
        "compileall.compile_dir(os.path.dirname(dockready.__file__), quiet=1)"
    )
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    subprocess.run([python, "-c", code], env=env, capture_output=True, timeout=300, check=False)


def checkov_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in CHECKOV_UNSET}
    env.update(CHECKOV_SET)
    return env


def probe(argv: list[str], env: dict[str, str] | None = None) -> tuple[int, str]:
    """Run a short command (a --version); return its exit code and combined output."""
    try:
        proc = subprocess.run(
            argv, capture_output=True, text=True, timeout=120, env=env, stdin=subprocess.DEVNULL
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return 1, str(exc)
    return proc.returncode, (proc.stdout + proc.stderr).strip()


def version_of(text: str) -> str:
    match = re.search(r"\d+\.\d+(?:\.\d+)?[\w.+-]*", text)
    return match.group(0) if match else (text.splitlines()[0] if text else "unknown")


def setup_tools(fleet: Path, dockerfiles: list[Path], skip_dockready: bool) -> list[Tool]:
    tools: list[Tool] = []
    if skip_dockready:
        print("dockready: skipped (--skip-dockready)")
    elif (prefix := dockready_prefix()) is None:
        print("dockready: not found on PATH nor importable; install the project (pip install -e .)")
    else:
        code, text = probe([*prefix, "--version"])
        version = version_of(text) if code == 0 else "unknown"
        if code != 0:  # no --version option: does the CLI start at all?
            code, text = probe([*prefix, "--help"])
        if code != 0:
            tail = text.splitlines()[-1] if text else f"exit {code}"
            print(f"dockready: `{' '.join(prefix)} --help` failed ({tail}); skipping it")
        else:
            precompile(prefix)
            # The fleet's fact cache lives out of the fleet; three runs per round:
            # cold (the cache emptied first), warm (nothing changed), and after one
            # Go file changed (the cache of every other file still good).
            cache = OUT / "cache"
            argv = [*prefix, "check", str(fleet), "--format", "json", "--fail-on", "never",
                    "--cache-dir", str(cache)]  # fmt: skip
            env = {k: v for k, v in os.environ.items() if k != "DOCKREADY_NO_CACHE"}
            edited = _one_go_file(fleet)
            tools.append(
                Tool("dockready", argv, version, env,
                     before=lambda: shutil.rmtree(cache, ignore_errors=True))
            )  # fmt: skip
            tools.append(Tool("dockready-warm", argv, version, env))
            if edited is not None:
                tools.append(Tool("dockready-1go", argv, version, env, before=_edit(edited)))

    if (hadolint := find_exe("hadolint")) is None:
        print(f"hadolint: not found; {INSTALL_HINT}; skipping it")
    else:
        argv = [hadolint, "--no-fail", "-f", "json", *map(str, dockerfiles)]
        tools.append(Tool("hadolint", argv, version_of(probe([hadolint, "--version"])[1])))

    if (checkov := find_exe("checkov")) is None:
        print(f"checkov: not found; {INSTALL_HINT}; skipping it")
    else:
        env = checkov_env()
        argv = [checkov, "-d", str(fleet), "--framework", "dockerfile", "kubernetes",
                "--quiet", "--compact", "-o", "json", "--skip-download"]  # fmt: skip
        version = version_of(probe([checkov, "--version"], env)[1])
        # checkov exits 1 when it finds failed checks; 2 means it crashed.
        tools.append(Tool("checkov", argv, version, env, ok_codes=frozenset({0, 1})))
    return tools


# --------------------------------------------------------------------------------------
# Fleet
# --------------------------------------------------------------------------------------


def ensure_fleet(fleet: Path, services: int, seed: int, regen: bool) -> None:
    if fleet.is_dir() and any(fleet.iterdir()) and not regen:
        return
    print(f"generating fleet in {fleet} ({services} services, seed {seed})")
    cmd = [sys.executable, str(BENCH / "gen_fleet.py"), str(fleet),
           "--services", str(services), "--seed", str(seed), "--force"]  # fmt: skip
    subprocess.run(cmd, check=True)


def fleet_stats(fleet: Path) -> tuple[dict[str, Any], list[Path]]:
    stats = {"services": 0, "go_files": 0, "go_mb": 0.0, "dockerfiles": 0,
             "dockerignores": 0, "k8s_files": 0, "files": 0, "mb": 0.0}  # fmt: skip
    go_bytes = total = 0
    dockerfiles: list[Path] = []
    for root, dirs, files in os.walk(fleet):
        dirs.sort()
        rel = Path(root).relative_to(fleet)
        if len(rel.parts) == 1 and (Path(root) / "go.mod").is_file():
            stats["services"] += 1
        for name in sorted(files):
            path = Path(root) / name
            size = path.stat().st_size
            total += size
            stats["files"] += 1
            if name.endswith(".go"):
                stats["go_files"] += 1
                go_bytes += size
            elif (
                name == "Dockerfile"
                or name.startswith("Dockerfile.")
                or name.endswith(".Dockerfile")
            ):
                stats["dockerfiles"] += 1
                dockerfiles.append(path)
            elif name == ".dockerignore":
                stats["dockerignores"] += 1
            elif name.endswith((".yaml", ".yml")) and "k8s" in rel.parts:
                stats["k8s_files"] += 1
    stats["go_mb"] = round(go_bytes / 1e6, 2)
    stats["mb"] = round(total / 1e6, 2)
    return stats, dockerfiles


# --------------------------------------------------------------------------------------
# Running
# --------------------------------------------------------------------------------------


def _one_go_file(fleet: Path) -> Path | None:
    return next(iter(sorted(fleet.rglob("*.go"))), None)


def _edit(path: Path) -> Callable[[], None]:
    """A change to ``path`` that differs every round (a comment line appended)."""
    count = [0]
    original = path.read_bytes()

    def edit() -> None:
        count[0] += 1
        path.write_bytes(original + f"\n// bench edit {count[0]}\n".encode())

    edit.restore = lambda: path.write_bytes(original)  # type: ignore[attr-defined]
    return edit


def run_once(tool: Tool, fleet: Path, timeout: float) -> None:
    if tool.before is not None:
        tool.before()
    last = OUT / "last"
    last.mkdir(parents=True, exist_ok=True)
    out_path, err_path = last / f"{tool.name}.json", last / f"{tool.name}.stderr"
    with out_path.open("wb") as out, err_path.open("wb") as err:
        start = time.perf_counter()
        try:
            proc = subprocess.run(
                tool.argv, stdout=out, stderr=err, stdin=subprocess.DEVNULL,
                cwd=fleet, env=tool.env, timeout=timeout,
            )  # fmt: skip
            code: int | None = proc.returncode
        except subprocess.TimeoutExpired:
            code = None
        elapsed = time.perf_counter() - start
    tool.exit_codes.append(code)
    if code is None or code not in tool.ok_codes:
        tail = err_path.read_text(errors="replace").strip().splitlines()[-5:]
        why = "timed out" if code is None else f"exit {code}"
        tool.failure = f"{why}: " + (" | ".join(tail) or "(no stderr)")
        tool.times.append(None)
        print(f"  {tool.name:<10} FAILED ({why}) after {elapsed:.2f}s; see {err_path}")
        return
    tool.times.append(elapsed)
    print(f"  {tool.name:<10} {elapsed:8.2f}s")


def summarize_output(tool: Tool) -> dict[str, Any]:
    """A few counts from the last round's JSON, to show each tool did real work."""
    path = OUT / "last" / f"{tool.name}.json"
    if not path.is_file():
        return {}
    raw = path.read_bytes()
    summary: dict[str, Any] = {"output_bytes": len(raw)}
    try:
        data = json.loads(raw)
    except ValueError:
        summary["json"] = False
        return summary
    if tool.name == "hadolint" and isinstance(data, list):
        summary["findings"] = len(data)
    elif tool.name == "checkov":
        reports = data if isinstance(data, list) else [data]
        for key in ("passed", "failed", "skipped", "resource_count"):
            summary[key] = sum(
                int(r.get("summary", {}).get(key, 0)) for r in reports if isinstance(r, dict)
            )
    elif tool.name.startswith("dockready"):
        findings = data.get("findings") if isinstance(data, dict) else data
        if isinstance(findings, list):
            summary["findings"] = len(findings)
    return summary


def machine_info(tools: list[Tool]) -> dict[str, Any]:
    try:
        nproc = len(os.sched_getaffinity(0))
    except AttributeError:
        nproc = os.cpu_count() or 0
    cpu = platform.processor()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        match = re.search(r"^model name\s*:\s*(.+)$", cpuinfo.read_text(), re.MULTILINE)
        cpu = match.group(1).strip() if match else cpu
    return {
        "nproc": nproc,
        "cpu": cpu,
        "platform": platform.platform(),
        "python": platform.python_version(),
        "tool_versions": {t.name: t.version for t in tools},
    }


def ratios(num: Tool | None, den: Tool | None) -> tuple[list[float], float | None]:
    if num is None or den is None:
        return [], None
    per_round = [a / b for a, b in zip(num.times, den.times, strict=True) if a and b]
    return per_round, (statistics.median(per_round) if per_round else None)


def fmt(value: float | None, digits: int = 2) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def report(tools: list[Tool], machine: dict[str, Any], fleet: Path, stats: dict[str, Any],
           rounds: int) -> dict[str, Any]:  # fmt: skip
    by_name = {t.name: t for t in tools}
    print()
    print(f"machine: {machine['nproc']} CPUs ({machine['cpu']}), {machine['platform']}, "
          f"Python {machine['python']}")  # fmt: skip
    print("tools:   " + ", ".join(f"{t.name} {t.version}" for t in tools))
    print(
        f"fleet:   {fleet}: {stats['services']} services, {stats['go_files']} Go files "
        f"({stats['go_mb']} MB), {stats['dockerfiles']} Dockerfiles, "
        f"{stats['k8s_files']} Kubernetes files, {stats['files']} files ({stats['mb']} MB)"
    )
    print()
    print(f"{'tool':<10} {'median s':>9} {'min s':>8} {'max s':>8} {'rounds ok':>10}  output")
    for t in tools:
        good = t.good_times
        extra = ", ".join(f"{k}={v}" for k, v in t.summary.items())
        print(
            f"{t.name:<10} {fmt(t.median):>9} {fmt(min(good) if good else None):>8} "
            f"{fmt(max(good) if good else None):>8} {len(good):>5}/{rounds:<4}  {extra}"
        )
        if t.failure:
            print(f"{'':<10} last failure: {t.failure}")
    ratio_data: dict[str, Any] = {}
    pairs = [
        ("dockready", "hadolint"),
        ("dockready", "checkov"),
        ("dockready-warm", "hadolint"),
        ("dockready-1go", "dockready"),
    ]
    if any(a in by_name and b in by_name for a, b in pairs):
        print()
        print(f"{'ratio':<20} {'median':>7}  per round")
    for a, b in pairs:
        per_round, med = ratios(by_name.get(a), by_name.get(b))
        if a in by_name and b in by_name:
            print(f"{a + '/' + b:<20} {fmt(med, 3):>7}  " + " ".join(fmt(r, 3) for r in per_round))
        ratio_data[f"{a}/{b}"] = {"per_round": per_round, "median": med}
    return {
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": machine,
        "fleet": {"path": str(fleet), **stats},
        "rounds": rounds,
        "tools": {
            t.name: {
                "command": t.argv[:12] + (["..."] if len(t.argv) > 12 else []),
                "version": t.version,
                "times_s": t.times,
                "median_s": t.median,
                "exit_codes": t.exit_codes,
                "failure": t.failure,
                "output": t.summary,
            }
            for t in tools
        },
        "ratios": ratio_data,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--fleet", type=Path, default=OUT / "fleet", help="fleet directory")
    parser.add_argument("--rounds", type=int, default=5, help="timed rounds per tool")
    parser.add_argument("--services", type=int, default=200, help="services when generating")
    parser.add_argument("--seed", type=int, default=1, help="seed when generating")
    parser.add_argument("--regen", action="store_true", help="regenerate the fleet first")
    parser.add_argument("--skip-dockready", action="store_true", help="time only the others")
    parser.add_argument("--timeout", type=float, default=1800, help="seconds per tool run")
    parser.add_argument("--results", type=Path, default=OUT / "results.json", help="JSON out")
    args = parser.parse_args(argv)
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")

    fleet: Path = args.fleet.resolve()
    ensure_fleet(fleet, args.services, args.seed, args.regen)
    stats, dockerfiles = fleet_stats(fleet)
    tools = setup_tools(fleet, dockerfiles, args.skip_dockready)
    if not tools:
        print("nothing to run", file=sys.stderr)
        return 1

    shutil.rmtree(OUT / "last", ignore_errors=True)
    for r in range(1, args.rounds + 1):
        print(f"round {r}/{args.rounds}")
        for tool in tools:
            if tool.times and all(t is None for t in tool.times):
                tool.times.append(None)  # failed every round so far: don't retry
                tool.exit_codes.append(None)
                continue
            run_once(tool, fleet, args.timeout)
    for tool in tools:
        restore = getattr(tool.before, "restore", None)
        if restore is not None:
            restore()
        tool.summary = summarize_output(tool)

    results = report(tools, machine_info(tools), fleet, stats, args.rounds)
    args.results.parent.mkdir(parents=True, exist_ok=True)
    args.results.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"\nwrote {args.results}")
    return 0 if all(t.good_times for t in tools) else 1


if __name__ == "__main__":
    sys.exit(main())
