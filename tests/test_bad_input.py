"""Hostile and broken repositories: dockready must never crash on them.

Every bad repository is built in ``tmp_path`` next to a healthy file with a known
finding (``other/Dockerfile``: ``FROM alpine:latest`` -> DR302). For each one the run
must end with exit code 0 or 1 (never 3, never a traceback), the healthy file must
still be checked, and the bad file must be named: by a DR000 finding at the place the
parser gave up, or by a notice.
"""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from dockready.cli import cli

SRC = Path(__file__).resolve().parents[1] / "src"
PLANTED_PATH = "other/Dockerfile"
PLANTED = 'FROM alpine:latest\nUSER 65532\nCMD ["/app"]\n'
NO_COLOR_ENV: dict[str, str | None] = {"NO_COLOR": None, "FORCE_COLOR": None}


@dataclass
class Run:
    code: int
    doc: dict[str, Any]
    text: str

    def ids_at(self, path: str) -> set[tuple[str, int]]:
        return {(f["id"], f["line"]) for f in self.doc["findings"] if f["path"] == path}

    def findings(self, rule_id: str, path: str) -> list[dict[str, Any]]:
        return [f for f in self.doc["findings"] if f["id"] == rule_id and f["path"] == path]

    def notices(self, path: str) -> list[dict[str, Any]]:
        return [n for n in self.doc["notices"] if n["path"] == path]


def make_repo(root: Path, files: Mapping[str, str | bytes], planted: bool = True) -> Path:
    if planted:
        files = {PLANTED_PATH: PLANTED, **files}
    for rel, content in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            p.write_bytes(content)
        else:
            p.write_text(content, encoding="utf-8")
    return root


def _invoke(args: list[str]) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, args, env=NO_COLOR_ENV)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"dockready {' '.join(args)} raised") from result.exception
    return result.exit_code, result.stdout, result.stderr


def audit(root: Path, planted: bool = True) -> Run:
    """Check ``root`` as JSON and as text; both must succeed without a crash."""
    code, out, err = _invoke(["check", "--format", "json", str(root)])
    tcode, text, terr = _invoke(["check", str(root)])
    for stream in (out, err, text, terr):
        assert "Traceback" not in stream, stream
        assert "RecursionError" not in stream, stream
        assert "internal error" not in stream, stream
    assert code in (0, 1), f"exit {code}: {err}"
    assert tcode == code
    assert err == terr == ""
    run = Run(code, json.loads(out), text)
    for f in run.doc["findings"]:
        assert not os.path.isabs(f["path"]), f["path"]
    if planted:
        # the rest of the repository is still checked
        assert ("DR302", 1) in run.ids_at(PLANTED_PATH), run.doc["findings"]
        assert f"{PLANTED_PATH}:1:1 warning DR302 " in text
    return run


def assert_dr000(run: Run, path: str, line: int | set[int], *words: str) -> dict[str, Any]:
    """One DR000 finding at ``path``, on ``line`` (or one of a set of lines)."""
    lines = line if isinstance(line, set) else {line}
    hits = run.findings("DR000", path)
    assert hits, f"no DR000 at {path}; findings: {run.doc['findings']}"
    assert len(hits) == 1, hits
    assert hits[0]["line"] in lines, hits
    assert run.code == 1, "DR000 is an error"
    for w in words:
        assert w.lower() in hits[0]["message"].lower(), hits[0]["message"]
    assert f"{path}:{hits[0]['line']}:" in run.text
    return hits[0]


def assert_notice(run: Run, path: str, *words: str) -> dict[str, Any]:
    notes = run.notices(path)
    assert notes, f"no notice for {path}; notices: {run.doc['notices']}"
    assert not run.findings("DR000", path), "a notice, not a DR000 finding"
    msg = " ".join(n["message"] for n in notes).lower()
    for w in words:
        assert w.lower() in msg, msg
    assert f"notice: {path}:" in run.text
    return notes[0]


def run_module(args: list[str], timeout: float) -> tuple[subprocess.CompletedProcess[str], float]:
    env = {k: v for k, v in os.environ.items() if k not in NO_COLOR_ENV}
    env["PYTHONPATH"] = os.pathsep.join([str(SRC), *filter(None, [env.get("PYTHONPATH")])])
    start = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", "dockready", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    return proc, time.monotonic() - start


# --------------------------------------------------------------------------- YAML


def test_malformed_yaml(tmp_path: Path) -> None:
    run = audit(
        make_repo(
            tmp_path,
            {
                "k8s/bad.yaml": "apiVersion: v1\nkind: Pod\nmetadata:\n  name: x\n   bad: [\n",
                "k8s/good.yaml": (
                    "apiVersion: v1\nkind: Pod\nmetadata:\n  name: y\nspec:\n  containers:\n"
                    "    - name: y\n      image: registry.example.com/y:latest\n"
                ),
            },
        )
    )
    assert_dr000(run, "k8s/bad.yaml", 5, "YAML")
    # a sibling manifest in the same directory is still read
    assert ("DR414", 8) in run.ids_at("k8s/good.yaml")


def test_helm_template(tmp_path: Path) -> None:
    template = (
        "apiVersion: apps/v1\n"
        "kind: Deployment\n"
        "metadata:\n"
        "  name: {{ .Release.Name }}\n"
        "spec:\n"
        "  template:\n"
        "    spec:\n"
        "      containers:\n"
        "        - name: app\n"
        "          image: {{ .Values.image }}\n"
    )
    run = audit(
        make_repo(
            tmp_path,
            {
                "chart/Chart.yaml": "apiVersion: v2\nname: app\nversion: 0.1.0\n",
                "chart/values.yaml": "image: app:1.0\n",
                "chart/templates/deployment.yaml": template,
            },
        )
    )
    # A chart's templates are Go templates, not YAML: never a DR000. They are read
    # once Helm has rendered them, and their findings point at the template.
    assert not run.findings("DR000", "chart/templates/deployment.yaml")
    assert run.findings("DR410", "chart/templates/deployment.yaml")[0]["line"] == 9
    assert not run.findings("DR000", "chart/values.yaml")
    assert not run.findings("DR000", "chart/Chart.yaml")


def test_helm_control_structures(tmp_path: Path) -> None:
    run = audit(
        make_repo(
            tmp_path,
            {
                "templates/cm.yaml": (
                    "{{- if .Values.enabled }}\napiVersion: v1\nkind: ConfigMap\n"
                    "metadata:\n  name: x\n{{- end }}\n"
                )
            },
        )
    )
    assert_dr000(run, "templates/cm.yaml", 1, "template")


def _billion_laughs(levels: int = 10) -> str:
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for i in range(1, levels):
        refs = ", ".join([f"*a{i - 1}"] * 9)
        lines.append(f"a{i}: &a{i} [{refs}]")
    return "\n".join(lines) + "\n"


def test_yaml_alias_bomb(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, {"k8s/bomb.yaml": _billion_laughs()})
    start = time.monotonic()
    run = audit(repo)
    assert time.monotonic() - start < 10, "the alias bomb must be refused quickly"
    hits = run.findings("DR000", "k8s/bomb.yaml")
    assert len(hits) == 1, run.doc["findings"]
    assert "alias" in hits[0]["message"].lower()


def test_yaml_alias_bomb_real_process(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, {"bomb.yaml": _billion_laughs(12)})
    proc, elapsed = run_module(["check", "--format", "json", str(repo)], timeout=60)
    assert proc.returncode == 1, proc.stderr
    assert elapsed < 15
    assert "Traceback" not in proc.stderr
    ids = {(f["id"], f["path"]) for f in json.loads(proc.stdout)["findings"]}
    assert ("DR000", "bomb.yaml") in ids
    assert ("DR302", PLANTED_PATH) in ids


def test_recursive_yaml_alias(tmp_path: Path) -> None:
    run = audit(make_repo(tmp_path, {"loop.yaml": "a: &x\n  b: *x\n"}))
    assert run.findings("DR000", "loop.yaml") or run.notices("loop.yaml")


def test_big_yaml_file(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, {})
    big = repo / "k8s" / "huge.yaml"
    big.parent.mkdir()
    with big.open("wb") as fh:  # sparse: cheap to make, 5 MB + 1 byte long
        fh.write(b"apiVersion: v1\n")
        fh.truncate(5 * 1024 * 1024 + 1)
    run = audit(repo)
    note = assert_notice(run, "k8s/huge.yaml", "limit", "MB")
    assert "5.0 MB" in note["message"]


def test_utf16_yaml_with_bom(tmp_path: Path) -> None:
    def configmap(name: str) -> str:
        return (
            f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n"
            "data:\n  DB_PASSWORD: Sup3rS3cretValue\n"
        )

    run = audit(
        make_repo(
            tmp_path,
            {
                "k8s/le.yaml": configmap("le").encode("utf-16"),  # BOM + little endian
                "k8s/be.yaml": b"\xfe\xff" + configmap("be").encode("utf-16-be"),
            },
        )
    )
    # decoded and checked: the secret on line 6 is found (and masked) in both
    for path in ("k8s/le.yaml", "k8s/be.yaml"):
        assert ("DR413", 6) in run.ids_at(path), run.doc["findings"]
        assert not run.findings("DR000", path)
    assert "Sup3rS3cretValue" not in json.dumps(run.doc) + run.text


def test_latin1_yaml(tmp_path: Path) -> None:
    cm = (
        "# Konfiguration f\xfcr den Dienst\napiVersion: v1\nkind: ConfigMap\nmetadata:\n"
        "  name: caf\xe9\ndata:\n  DB_PASSWORD: Sup3rS3cretValue\n"
    )
    run = audit(make_repo(tmp_path, {"k8s/cm.yaml": cm.encode("latin-1")}))
    note = assert_notice(run, "k8s/cm.yaml", "UTF-8")
    assert note["line"] == 1
    # checked anyway
    assert ("DR413", 7) in run.ids_at("k8s/cm.yaml"), run.doc["findings"]


@pytest.mark.parametrize(
    "content",
    [
        pytest.param("[" * 10_000 + "]" * 10_000 + "\n", id="flow-sequences"),
        pytest.param("{a: " * 10_000 + "1" + "}" * 10_000 + "\n", id="flow-mappings"),
        pytest.param("- " * 10_000 + "x\n", id="block-sequences"),
        pytest.param(
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  a: |\n    y\n"
            "---\nk: " + "[" * 10_000 + "]" * 10_000 + "\n",
            id="second-document",
        ),
    ],
)
def test_deeply_nested_yaml(tmp_path: Path, content: str) -> None:
    run = audit(make_repo(tmp_path, {"deep.yaml": content}))
    hits = run.findings("DR000", "deep.yaml")
    if hits:
        assert len(hits) == 1
        assert "nest" in hits[0]["message"].lower() or "deep" in hits[0]["message"].lower()
    else:
        assert_notice(run, "deep.yaml")


def test_nested_yaml_within_limits_is_read(tmp_path: Path) -> None:
    """Deep but acceptable nesting around a real workload: still analysed."""
    deep = "[" * 900 + "]" * 900
    manifest = (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: x\n"
        f"  annotations: {{deep: {deep}}}\n"
        "spec:\n  template:\n    spec:\n      containers:\n        - name: x\n"
        f"          args: {deep}\n"
        "          image: registry.example.com/x:latest\n"
    )
    run = audit(make_repo(tmp_path, {"deploy.yaml": manifest}))
    assert ("DR414", 12) in run.ids_at("deploy.yaml")


# --------------------------------------------------------------------------- Dockerfiles


def test_dockerfile_bad_instruction(tmp_path: Path) -> None:
    run = audit(
        make_repo(
            tmp_path,
            {"svc/Dockerfile": "FROM golang:1.22\nRUN echo hi\nFORM alpine:3.19\nCMD true\n"},
        )
    )
    assert_dr000(run, "svc/Dockerfile", 3, "FORM")


@pytest.mark.parametrize(
    "content", ["", "\n\n", "# just a comment\n"], ids=["empty", "blank", "comment"]
)
def test_empty_dockerfile(tmp_path: Path, content: str) -> None:
    run = audit(make_repo(tmp_path, {"svc/Dockerfile": content}))
    assert_dr000(run, "svc/Dockerfile", 1)


def test_latin1_dockerfile(tmp_path: Path) -> None:
    df = 'FROM alpine:latest\nLABEL maintainer="Jos\xe9 Garc\xeda"\nUSER 65532\nCMD ["/app"]\n'
    run = audit(make_repo(tmp_path, {"svc/Dockerfile": df.encode("latin-1")}))
    note = assert_notice(run, "svc/Dockerfile", "UTF-8")
    assert note["line"] == 2
    assert ("DR302", 1) in run.ids_at("svc/Dockerfile"), "checked anyway"


def test_directory_named_dockerfile(tmp_path: Path) -> None:
    """A directory called ``Dockerfile`` (or ``main.go``, ``go.mod``, ``x.yaml``) is a
    directory: it is walked like any other, never read as a file."""
    repo = make_repo(tmp_path, {"Dockerfile/Dockerfile": "FROM alpine:latest\nCMD true\n"})
    for name in ("main.go", "go.mod", "deploy.yaml"):
        (repo / name).mkdir()
    run = audit(repo)
    assert ("DR302", 1) in run.ids_at("Dockerfile/Dockerfile")
    for name in ("Dockerfile", "main.go", "go.mod", "deploy.yaml"):
        assert not run.ids_at(name), name


# --------------------------------------------------------------------------- Go


def test_go_that_tree_sitter_cannot_parse(tmp_path: Path) -> None:
    main = (
        "package main\n"  # 1
        "\n"
        'import "net/http"\n'  # 3
        "\n"
        "func broken( {\n"  # 5
        "\tx := \n"
        "}\n"
        "\n"
        "func main() {\n"  # 9
        '\thttp.ListenAndServe(":8080", nil)\n'  # 10
        "}\n"
    )
    run = audit(
        make_repo(tmp_path, {"go.mod": "module example.com/x\n\ngo 1.22\n", "main.go": main})
    )
    note = assert_notice(run, "main.go", "tree-sitter")
    assert note["line"] == 5
    # facts from the part that parses are still used
    assert ("DR102", 10) in run.ids_at("main.go"), run.doc["findings"]


@pytest.mark.parametrize(
    ("body", "line"),
    [
        pytest.param(
            "\thttp.ListenAndServe(" + "(" * 5000 + '":8080"' + ")" * 5000 + ", nil)\n",
            6,
            id="parentheses",
        ),
        pytest.param(
            "\tp := " + " + ".join(['"8"'] * 5000) + '\n\thttp.ListenAndServe(":"+p, nil)\n',
            7,
            id="concatenation",
        ),
        pytest.param(
            "\tif true {\n" * 3000 + '\thttp.ListenAndServe(":8080", nil)\n' + "\t}\n" * 3000,
            3006,
            id="blocks",
        ),
        pytest.param(
            "\tx := "
            + "func() int { return " * 2000
            + "1"
            + " }()" * 2000
            + '\n\t_ = x\n\thttp.ListenAndServe(":8080", nil)\n',
            8,
            id="closures",
        ),
    ],
)
def test_deeply_nested_go(tmp_path: Path, body: str, line: int) -> None:
    main = 'package main\n\nimport "net/http"\n\nfunc main() {\n' + body + "}\n"
    repo = make_repo(tmp_path, {"go.mod": "module example.com/x\n\ngo 1.22\n", "main.go": main})
    run = audit(repo)
    notes = run.notices("main.go")
    if notes:  # allowed to give up on the file, but with a notice, not a crash
        assert all("Traceback" not in n["message"] for n in notes)
    else:
        assert ("DR102", line) in run.ids_at("main.go"), run.doc["findings"]


def test_deeply_nested_go_real_process(tmp_path: Path) -> None:
    main = (
        'package main\n\nimport "net/http"\n\nvar port = '
        + "(" * 5000
        + '":8080"'
        + ")" * 5000
        + "\n\nfunc main() {\n\thttp.ListenAndServe(port, nil)\n}\n"
    )
    repo = make_repo(tmp_path, {"go.mod": "module example.com/x\n\ngo 1.22\n", "main.go": main})
    proc, _ = run_module(["check", "--format", "json", str(repo)], timeout=120)
    assert proc.returncode in (0, 1), proc.stderr
    assert "Traceback" not in proc.stderr
    assert "RecursionError" not in proc.stdout + proc.stderr
    ids = {(f["id"], f["path"]) for f in json.loads(proc.stdout)["findings"]}
    assert ("DR302", PLANTED_PATH) in ids


def test_go_mod_without_module_line(tmp_path: Path) -> None:
    run = audit(make_repo(tmp_path, {"go.mod": "go 1.22\n\nrequire github.com/lib/pq v1.10.9\n"}))
    assert_dr000(run, "go.mod", 1, "module")


# --------------------------------------------------------------------------- binary files


def test_binary_files(tmp_path: Path) -> None:
    blob = bytes(range(256)) * 64  # NUL bytes and everything else, 16 KiB
    run = audit(
        make_repo(
            tmp_path,
            {
                "main.go": blob,
                "deploy.yaml": blob,
                "k8s/Dockerfile": b"\x7fELF\x02\x01\x01\x00" + blob,
            },
        )
    )
    for path in ("main.go", "deploy.yaml", "k8s/Dockerfile"):
        assert_notice(run, path, "binary")


# --------------------------------------------------------------------------- file system


def test_symlink_loop(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, {})
    (repo / "loop").symlink_to(".")
    (repo / "other" / "up").symlink_to("..")
    run = audit(repo)
    assert not any(f["path"].startswith(("loop/", "other/up/")) for f in run.doc["findings"])
    assert len(run.findings("DR302", PLANTED_PATH)) == 1


def test_symlink_loop_real_process(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, {})
    (repo / "loop").symlink_to(".")
    (repo / "a.yaml").symlink_to("b.yaml")
    (repo / "b.yaml").symlink_to("a.yaml")
    proc, _ = run_module(["check", "--format", "json", str(repo)], timeout=60)
    assert proc.returncode in (0, 1), proc.stderr
    assert "Traceback" not in proc.stderr
    doc = json.loads(proc.stdout)
    assert ("DR302", PLANTED_PATH) in {(f["id"], f["path"]) for f in doc["findings"]}
    assert {"a.yaml", "b.yaml"} <= {n["path"] for n in doc["notices"]}


def test_dangling_symlinks(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, {})
    (repo / "Dockerfile").symlink_to("does-not-exist")
    (repo / "k8s").mkdir()
    (repo / "k8s" / "deploy.yaml").symlink_to("../nowhere/deploy.yaml")
    (repo / "main.go").symlink_to("/nonexistent/main.go")
    run = audit(repo)
    for path in ("Dockerfile", "k8s/deploy.yaml", "main.go"):
        assert_notice(run, path, "cannot read")


def _readable_despite_chmod(p: Path) -> bool:
    try:
        p.read_bytes()
    except PermissionError:
        return False
    return True


def test_unreadable_files(tmp_path: Path) -> None:
    repo = make_repo(
        tmp_path,
        {
            "svc/Dockerfile": "FROM alpine:3.19\n",
            "k8s/deploy.yaml": "apiVersion: v1\nkind: Pod\n",
            "main.go": "package main\n",
        },
    )
    paths = ("svc/Dockerfile", "k8s/deploy.yaml", "main.go")
    for path in paths:
        (repo / path).chmod(0)
    try:
        if _readable_despite_chmod(repo / "main.go"):
            pytest.skip("running as root (or with CAP_DAC_OVERRIDE): chmod 000 does not bite")
        run = audit(repo)
        for path in paths:
            assert_notice(run, path, "cannot read")
    finally:
        for path in paths:
            (repo / path).chmod(0o644)


def test_unreadable_directory(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, {"private/Dockerfile": "FROM alpine:latest\n"})
    (repo / "private").chmod(0)
    try:
        if os.access(repo / "private", os.R_OK | os.X_OK):
            pytest.skip("running as root (or with CAP_DAC_OVERRIDE): chmod 000 does not bite")
        audit(repo)
    finally:
        (repo / "private").chmod(0o755)


def test_unreadable_files_simulated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The same as above, for runs as root: reading the files fails with EACCES."""
    repo = make_repo(
        tmp_path,
        {
            "svc/Dockerfile": "FROM alpine:3.19\n",
            "k8s/deploy.yaml": "apiVersion: v1\nkind: Pod\n",
            "main.go": "package main\n",
        },
    )
    paths = ("svc/Dockerfile", "k8s/deploy.yaml", "main.go")
    denied = {(repo / p).resolve() for p in paths}

    def fake_open(file: Any, *args: Any, **kwargs: Any) -> Any:
        if Path(file).resolve() in denied:
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(file))
        return open(file, *args, **kwargs)

    import dockready.engine

    # the parser opens files through the module's name `open`
    monkeypatch.setattr(dockready.engine, "open", fake_open, raising=False)
    run = audit(repo)
    for path in paths:
        assert_notice(run, path, "cannot read", "permission denied")


def test_unreadable_directory_simulated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = make_repo(tmp_path, {"private/Dockerfile": "FROM alpine:latest\n"})
    denied = (repo / "private").resolve()
    real_scandir = os.scandir

    def scandir(path: Any = ".") -> Any:
        if Path(path).resolve() == denied:
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), os.fspath(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    run = audit(repo)
    assert not run.ids_at("private/Dockerfile")
    assert_notice(run, "private", "cannot read")


# --------------------------------------------------------------------------- whole runs


def test_empty_directory_is_a_usage_error(tmp_path: Path) -> None:
    # a typo in a CI path must not pass as "no problems"
    code, out, err = _invoke(["check", str(tmp_path)])
    assert (code, out) == (2, "")
    assert f"nothing to check under {tmp_path} (looked for Go sources" in err


def test_directory_without_anything_dockready_reads(tmp_path: Path) -> None:
    repo = make_repo(
        tmp_path,
        {"README.md": "# hi\n", "src/app.py": "print(1)\n", "data.bin": b"\x00" * 10},
        planted=False,
    )
    code, out, err = _invoke(["check", str(repo)])
    assert (code, out) == (2, "")
    assert "nothing to check under" in err and "Dockerfiles" in err


def test_a_named_file_dockready_does_not_read_is_a_usage_error(tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("hello\n")
    code, out, err = _invoke(["check", str(notes)])
    assert (code, out) == (2, "")
    assert f"{notes}: not a file dockready reads" in err
    # a JSON manifest named on the command line is read
    manifest = tmp_path / "deploy.json"
    manifest.write_text(
        '{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "x"},\n'
        ' "spec": {"containers": [{"name": "x", "image": "x:latest"}]}}\n'
    )
    code, out, _ = _invoke(["check", "--format", "json", str(manifest)])
    assert code in (0, 1)
    assert ("DR414", "deploy.json") in {(f["id"], f["path"]) for f in json.loads(out)["findings"]}


def test_everything_at_once(tmp_path: Path) -> None:
    """All the bad inputs together: one run, each reported, nothing lost."""
    repo = make_repo(
        tmp_path,
        {
            "k8s/bad.yaml": "a: [\n",
            "k8s/bomb.yaml": _billion_laughs(),
            "k8s/helm.yaml": "metadata:\n  name: {{ .Release.Name }}\n",
            "svc/Dockerfile": "FROM alpine:3.19\nFORM x\n",
            "empty/Dockerfile": "",
            "go.mod": "go 1.22\n",
            "main.go": b"\x00\x01\x02",
            "deep.yaml": "[" * 10_000 + "]" * 10_000,
            "latin/Dockerfile": b'FROM alpine:3.19\nLABEL a="\xe9"\n',
        },
    )
    (repo / "loop").symlink_to(".")
    (repo / "dangling.yaml").symlink_to("missing.yaml")
    run = audit(repo)
    dr000 = {f["path"] for f in run.doc["findings"] if f["id"] == "DR000"}
    assert dr000 == {
        "k8s/bad.yaml",
        "k8s/bomb.yaml",
        "k8s/helm.yaml",
        "svc/Dockerfile",
        "empty/Dockerfile",
        "go.mod",
        "deep.yaml",
    }
    noticed = {n["path"] for n in run.doc["notices"]}
    assert {"main.go", "latin/Dockerfile", "dangling.yaml"} <= noticed


def test_missing_path_is_a_one_line_usage_error(tmp_path: Path) -> None:
    code, out, err = _invoke(["check", str(tmp_path / "no-such-repo")])
    assert code == 2
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "no-such-repo" in lines[0]
    assert lines[0].startswith("dockready: error:")


def test_dangling_symlink_as_the_path_is_a_usage_error(tmp_path: Path) -> None:
    link = tmp_path / "repo"
    link.symlink_to(tmp_path / "gone")
    code, out, err = _invoke(["check", str(link)])
    assert code == 2
    assert out == ""
    assert len(err.strip().splitlines()) == 1
    assert "repo" in err


def test_invalid_yaml_of_other_tools_is_a_notice_not_a_finding(tmp_path: Path) -> None:
    """Only YAML meant as a manifest or compose file is dockready's to judge: a broken
    task-runner or App Engine file is skipped with a notice, a broken manifest (by its
    keys, its compose name or its folder) is a DR000."""
    run = audit(
        make_repo(
            tmp_path,
            {
                "Taskfile.yaml": 'tasks:\n  build:\n    desc:"compile"\n    dir: x\n',
                "app.yaml": "// [START x]\nruntime: go122\n",
                "deploy.yaml": "apiVersion: apps/v1\n    kind: Deployment\nmetadata:\n  name: x\n",
                "docker-compose.yml": "services:\n  api:\n    image: [\n",
                "manifests/broken.yaml": "a: [\n",
            },
        )
    )
    for path in ("Taskfile.yaml", "app.yaml"):
        assert_notice(run, path, "not valid YAML")
    for path in ("deploy.yaml", "docker-compose.yml", "manifests/broken.yaml"):
        assert run.findings("DR000", path), path


def test_go_templates_that_are_not_helm_are_notices(tmp_path: Path) -> None:
    """A text/template file a program embeds, or a {{PLACEHOLDER}} to fill in, is not a
    manifest until something renders it; a Helm template outside a chart is a DR000."""
    run = audit(
        make_repo(
            tmp_path,
            {
                "internal/manifests/gateway.yaml": (
                    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Name }}\n"
                    "data:\n  {{- range .Tenants }}\n  {{ . }}: on\n  {{- end }}\n"
                ),
                "k8s/secret.yaml": (
                    "apiVersion: v1\nkind: Secret\nmetadata:\n  name: hf\nstringData:\n"
                    "  token: {{HF_TOKEN}}\n"
                ),
                "k8s/helm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\n",
            },
        )
    )
    for path in ("internal/manifests/gateway.yaml", "k8s/secret.yaml"):
        assert_notice(run, path, "not valid YAML")
    assert run.findings("DR000", "k8s/helm.yaml")


@pytest.mark.parametrize("fmt", ["text", "json", "sarif", "html"])
def test_symlink_out_of_the_tree_is_never_read(tmp_path: Path, fmt: str) -> None:
    """A Dockerfile (or manifest) linked to a host file: a notice, and nothing of the
    target in any output (an untrusted pull request must not read /etc/shadow)."""
    outside = tmp_path / "host-secret"
    outside.write_text("FROM scratch\nENV TOKEN=host-only-Secr3t-value-0xdeadbeef\n")
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "go.mod").write_text("module x\n\ngo 1.22\n")
    (repo / "main.go").write_text("package main\n\nfunc main() {}\n")
    (repo / "Dockerfile").symlink_to(outside)
    (repo / "deploy.yaml").symlink_to(outside)
    (repo / "inside.go").symlink_to(repo / "main.go")  # inside the tree: read
    result = CliRunner().invoke(cli, ["check", str(repo), "--format", fmt])
    assert result.exit_code in (0, 1), result.output
    assert "host-only" not in result.output and "deadbeef" not in result.output
    if fmt in ("text", "json"):
        assert "a symbolic link to a file outside the checked tree" in result.output


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_fifo_is_skipped_with_a_notice(tmp_path: Path) -> None:
    (tmp_path / "go.mod").write_text("module x\n\ngo 1.22\n")
    (tmp_path / "main.go").write_text("package main\n\nfunc main() {}\n")
    os.mkfifo(tmp_path / "deploy.yaml")
    result = CliRunner().invoke(cli, ["check", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "deploy.yaml" in result.output and "not a regular file" in result.output


def test_control_characters_cannot_forge_output(tmp_path: Path) -> None:
    """A Go file whose name holds a newline, a GitHub workflow command, an ESC
    sequence and a bidi override: the text and GitHub outputs show them escaped, and
    no line starts with the forged command."""
    (tmp_path / "go.mod").write_text("module x\n\ngo 1.22\n")
    name = "srv\n::error file=evil.go::forged\x1b[2J\u202e.go"
    (tmp_path / name).write_text(
        'package main\n\nimport "net/http"\n\nfunc main() { _ = http.ListenAndServe(":8080", nil) }\n'
    )
    for fmt in ("text", "github", "html"):
        out = CliRunner().invoke(cli, ["check", str(tmp_path), "--format", fmt]).output
        assert "srv\\n" in out, out[:2000]  # the finding is there, its path escaped
        assert "\x1b" not in out and "\u202e" not in out
        assert not any(line.startswith("::error file=evil.go") for line in out.splitlines())


EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "orderservice"


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full here")
def test_a_report_that_cannot_be_written_exits_3() -> None:
    with open("/dev/full", "w") as full:
        proc = subprocess.run(
            [sys.executable, "-m", "dockready", "check", str(EXAMPLE)],
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            check=False,
        )
    assert proc.returncode == 3, proc.stderr
    assert "cannot write the report" in proc.stderr and "Traceback" not in proc.stderr


def test_a_narrow_terminal_encoding_does_not_crash() -> None:
    env = dict(os.environ, PYTHONIOENCODING="cp1252")
    proc = subprocess.run(
        [sys.executable, "-m", "dockready", "check", str(EXAMPLE)],
        capture_output=True,
        env=env,
        check=False,
    )
    assert proc.returncode == 1, proc.stderr  # the example's findings, nothing else
    assert b"Traceback" not in proc.stderr and b"\\u21b3" in proc.stdout


@pytest.mark.parametrize("fmt", ["sarif", "gitlab", "json"])
def test_a_file_name_that_is_not_utf8(tmp_path: Path, fmt: str) -> None:
    """A Go file named with a 0xFF byte: every report loads as JSON, with the name
    escaped, and the baseline is written."""
    (tmp_path / "go.mod").write_text("module x\n\ngo 1.22\n")
    try:
        with open(os.path.join(os.fsencode(tmp_path), b"srv\xff.go"), "w") as fh:
            fh.write(
                'package main\n\nimport "net/http"\n\nfunc main() { _ = http.ListenAndServe(":8080", nil) }\n'
            )
    except OSError:
        pytest.skip("the file system refuses non-UTF-8 names")
    proc = subprocess.run(
        [sys.executable, "-m", "dockready", "check", str(tmp_path), "--format", fmt,
         "--output", f"json={tmp_path / 'r.json'}"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert proc.returncode == 1, proc.stderr
    json.loads(proc.stdout)
    # the byte written \xff (lossless); SARIF's artifact URIs are percent-encoded on top
    doc = json.loads(proc.stdout)
    text = json.dumps(doc)
    assert ("srv%FF.go" if fmt == "sarif" else "srv\\\\xff.go") in text, text[:3000]
    base = subprocess.run(
        [sys.executable, "-m", "dockready", "check", str(tmp_path), "--write-baseline",
         str(tmp_path / "base.json")],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert base.returncode == 0, base.stderr


def _check_exit(*args: str) -> tuple[int, str]:
    proc = subprocess.run(
        [sys.executable, "-m", "dockready", "check", str(EXAMPLE), *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return proc.returncode, proc.stderr


@pytest.mark.parametrize("option", ["--config", "--baseline"])
def test_config_and_baseline_are_bounded(tmp_path: Path, option: str) -> None:
    """Named on the command line, so read with care: a device, a FIFO, a file over
    its cap or nested absurdly deep is a usage error naming it (exit 2), never a
    hang, an out-of-memory kill or a traceback."""
    cases = []
    if Path("/dev/zero").exists():
        cases.append(Path("/dev/zero"))
    if hasattr(os, "mkfifo"):
        fifo = tmp_path / "fifo"
        os.mkfifo(fifo)
        cases.append(fifo)
    big = tmp_path / "big"
    big.write_text("# " + "x" * (70 * 1024 * 1024) + "\n")
    cases.append(big)
    deep = tmp_path / "deep"
    deep.write_text(
        "a = " + "[" * 5000 + "]" * 5000 + "\n" if option == "--config" else "[" * 100000
    )
    cases.append(deep)
    for case in cases:
        code, err = _check_exit(option, str(case))
        assert code == 2, (case, err)
        assert str(case) in err and "Traceback" not in err, err


def test_a_directory_nest_a_thousand_deep(tmp_path: Path) -> None:
    """Discovery walks without recursion, and exclusion is linear in the depth."""
    (tmp_path / "go.mod").write_text("module x\n\ngo 1.22\n")
    p = tmp_path
    for _ in range(1100):
        p = p / "d"
        p.mkdir()
    (p / "main.go").write_text(
        'package main\n\nimport "net/http"\n\nfunc main() { _ = http.ListenAndServe(":8080", nil) }\n'
    )
    try:
        t0 = time.monotonic()
        result = CliRunner().invoke(cli, ["check", str(tmp_path), "--format", "json"])
        assert result.exit_code == 1, result.output[-500:]
        assert any(f["id"] == "DR102" for f in json.loads(result.stdout)["findings"])
        assert time.monotonic() - t0 < 30
    finally:  # shutil.rmtree (pytest's clean-up) recurses: take the nest apart here
        (p / "main.go").unlink()
        while p != tmp_path:
            p.rmdir()
            p = p.parent
