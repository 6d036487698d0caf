"""``dockready init``: the command line, the writer's rules (no overwrite without
--force, --diff, --dry-run, --output-dir, idempotence) and dog-food: what it generates
for real services passes ``dockready check``."""

from __future__ import annotations

import importlib.util
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from dockready.cli import cli
from dockready.commands import init as init_module
from dockready.engine import check
from dockready.model import Finding, Severity
from dockready.parse.dockerfile import parse_dockerfile

HERE = Path(__file__).parent
REPO = HERE.parents[1]
EXAMPLES = REPO / "examples"
FIXTURES = REPO / "tests" / "fixtures"
LEDGER = HERE / "fixtures" / "ledger"
HAS_K8S = importlib.util.find_spec("dockready.generate.render_k8s") is not None

GO_MOD = "module example.com/shop\n\ngo 1.22\n"
API = """package main

import (
	"context"
	"errors"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {})
	srv := &http.Server{Addr: ":8080", Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		if err := srv.ListenAndServe(); !errors.Is(err, http.ErrServerClosed) {
			os.Exit(1)
		}
	}()
	<-ctx.Done()
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_ = srv.Shutdown(sctx)
}
"""
WORKER = 'package main\n\nimport "fmt"\n\nfunc main() {\n\tfmt.Println("tick")\n}\n'


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, ["init", *args], catch_exceptions=False)


def copy_sources(src: Path, dst: Path, extra: tuple[str, ...] = ()) -> Path:
    """The Go sources of ``src`` only (``*.go``, go.mod, go.sum, vendor/), plus
    ``extra`` files: no Dockerfile, .dockerignore or manifests."""
    for p in sorted(src.rglob("*")):
        rel = p.relative_to(src)
        keep = p.suffix == ".go" or p.name in ("go.mod", "go.sum") or rel.parts[0] == "vendor"
        if p.is_file() and (keep or rel.as_posix() in extra):
            (dst / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(p, dst / rel)
    return dst


def write_tree(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return root


def _key(f: Finding) -> tuple[str, str, str]:
    return (f.rule_id, f.span.path, f.message)


def _findings(path: Path) -> list[Finding]:
    outcome = check([str(path)], jobs=1)
    assert not outcome.internal_errors, outcome.internal_errors
    return list(outcome.result.findings)


def _show(findings: list[Finding]) -> str:
    return "\n".join(f"  {f.span}: {f.rule_id} {f.severity.label}: {f.message}" for f in findings)


def assert_init_passes_check(root: Path, *init_args: str) -> list[Path]:
    """Run init on ``root``; ``check`` must then report no new warning or error (a
    finding that was there on the sources alone is the code's, not init's)."""
    before = {_key(f) for f in _findings(root)}
    result = run(str(root), *init_args)
    assert result.exit_code == 0, result.output
    written = [
        root / line.split(None, 1)[1]
        for line in result.output.splitlines()
        if line.startswith("wrote")
    ]
    new = [f for f in _findings(root) if _key(f) not in before and f.severity >= Severity.WARNING]
    assert not new, "dockready check reports findings on what init generated:\n" + _show(new)
    for df in root.rglob("Dockerfile*"):
        if df.name.endswith(".dockerignore"):
            continue
        parsed = parse_dockerfile(df.name, df.read_text())
        assert parsed.error is None, f"{df}: {parsed.error_message}"
    return written


# -- dog-food ------------------------------------------------------------------------------

DOGFOOD: dict[str, tuple[Path, tuple[str, ...]]] = {
    "orderservice": (EXAMPLES / "orderservice", ()),
    "orderservice-fixed": (EXAMPLES / "orderservice-fixed", ()),
    "ledger-vendor": (LEDGER, ("configs/ledger.yaml",)),
    "cgo": (FIXTURES / "DR202" / "good", ()),
    "config-file": (FIXTURES / "DR314" / "good", ("config.yaml",)),
    "host-env": (FIXTURES / "DR218" / "good-env-override", ()),
    "admin-port": (FIXTURES / "DR404" / "good-admin-port", ()),
    "grpc": (FIXTURES / "DR404" / "good-grpc", ()),
    "pprof-port": (FIXTURES / "DR415" / "good-compose", ()),
    "drain": (FIXTURES / "DR406" / "good", ()),
}
#: Known gaps of the Kubernetes generator, per case (the Dockerfile alone is clean).
K8S_GAPS: dict[str, str] = {}  # case -> why its generated manifests still fail check


def _dogfood_params() -> list[Any]:
    out = []
    for case in sorted(DOGFOOD):
        out.append(pytest.param(case, ("--dockerfile",), id=f"{case}-docker"))
        if HAS_K8S:
            marks = []
            if case in K8S_GAPS:
                marks.append(pytest.mark.xfail(reason=K8S_GAPS[case], strict=True))
            out.append(pytest.param(case, (), id=f"{case}-default", marks=marks))
    return out


@pytest.mark.parametrize(("case", "args"), _dogfood_params())
def test_dogfood(case: str, args: tuple[str, ...], tmp_path: Path) -> None:
    src, extra = DOGFOOD[case]
    root = copy_sources(src, tmp_path / case, extra)
    written = assert_init_passes_check(root, *args)
    assert root / "Dockerfile" in written and root / ".dockerignore" in written


def test_dogfood_ledger_with_module_download(tmp_path: Path) -> None:
    root = copy_sources(LEDGER, tmp_path / "ledger", ("configs/ledger.yaml",))
    shutil.rmtree(root / "vendor")
    assert_init_passes_check(root, "--dockerfile")
    text = (root / "Dockerfile").read_text()
    assert "--mount=type=secret,id=netrc,target=/root/.netrc" in text
    assert "ENV GOPRIVATE=git.corp.example" in text


def test_dogfood_two_services_in_one_module(tmp_path: Path) -> None:
    root = write_tree(
        tmp_path / "shop",
        {"go.mod": GO_MOD, "cmd/api/main.go": API, "cmd/worker/main.go": WORKER},
    )
    args = ("--dockerfile",)
    assert_init_passes_check(root, "--service", "api", *args)
    assert_init_passes_check(root, "--service", "worker", *args)
    names = sorted(p.name for p in root.iterdir() if p.is_file())
    assert names == [
        "Dockerfile.api",
        "Dockerfile.api.dockerignore",
        "Dockerfile.worker",
        "Dockerfile.worker.dockerignore",
        "go.mod",
    ]
    # The index joins each Dockerfile to its service.
    services = {s.name: s for s in check([str(root)], jobs=1).result.services}
    assert services["api"].dockerfiles == ("Dockerfile.api",)
    assert services["worker"].dockerfiles == ("Dockerfile.worker",)
    assert "EXPOSE" not in (root / "Dockerfile.worker").read_text()


# -- the writer's rules ----------------------------------------------------------------------


@pytest.fixture
def service(tmp_path: Path) -> Path:
    return copy_sources(EXAMPLES / "orderservice-fixed", tmp_path / "svc")


def _snapshot(root: Path) -> dict[str, tuple[str, int]]:
    return {
        p.relative_to(root).as_posix(): (p.read_text(), p.stat().st_mtime_ns)
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_second_run_changes_nothing(service: Path) -> None:
    first = run(str(service))
    assert first.exit_code == 0, first.output
    snap = _snapshot(service)
    second = run(str(service))
    assert second.exit_code == 0, second.output
    assert _snapshot(service) == snap
    lines = second.stdout.splitlines()
    assert lines and all(line.startswith("unchanged") for line in lines), second.stdout


def test_refuses_to_overwrite_without_force(service: Path) -> None:
    (service / "Dockerfile").write_text("FROM scratch\n")
    result = run(str(service), "--dockerfile")
    assert result.exit_code == 2
    assert "Dockerfile" in result.stderr and "--force" in result.stderr
    assert (service / "Dockerfile").read_text() == "FROM scratch\n"
    assert not (service / ".dockerignore").exists()  # all or nothing
    forced = run(str(service), "--dockerfile", "--force")
    assert forced.exit_code == 0, forced.output
    assert "replaced" in forced.stdout
    assert (service / "Dockerfile").read_text().startswith("# Generated by `dockready init`")


def test_identical_files_are_not_conflicts(service: Path) -> None:
    assert run(str(service), "--dockerfile").exit_code == 0
    (service / ".dockerignore").unlink()
    result = run(str(service), "--dockerfile")
    assert result.exit_code == 0, result.output
    assert "unchanged" in result.stdout and "wrote" in result.stdout


def test_diff(service: Path) -> None:
    new = run(str(service), "--dockerfile", "--diff")
    assert new.exit_code == 0
    assert (
        "--- /dev/null" in new.stdout
        and "+FROM gcr.io/distroless/static-debian12:nonroot" in new.stdout
    )
    assert not (service / "Dockerfile").exists()
    assert run(str(service), "--dockerfile").exit_code == 0
    (service / "Dockerfile").write_text(
        (service / "Dockerfile").read_text().replace("EXPOSE 8080", "EXPOSE 9999")
    )
    changed = run(str(service), "--dockerfile", "--diff")
    assert changed.exit_code == 0
    assert "-EXPOSE 9999" in changed.stdout and "+EXPOSE 8080" in changed.stdout
    assert "a/" in changed.stdout and "Dockerfile" in changed.stdout
    assert ".dockerignore" not in changed.stdout  # unchanged files are not shown
    assert "EXPOSE 9999" in (service / "Dockerfile").read_text()
    (service / "Dockerfile").unlink()
    assert run(str(service), "--dockerfile").exit_code == 0
    same = run(str(service), "--dockerfile", "--diff")
    assert same.stdout == "" and "no changes" in same.stderr


def test_dry_run(service: Path) -> None:
    result = run(str(service), "--dockerfile", "--dry-run")
    assert result.exit_code == 0
    assert "==> " in result.stdout and "Dockerfile (new file) <==" in result.stdout
    assert ".dockerignore (new file) <==" in result.stdout
    assert 'ENTRYPOINT ["/orderservice"]' in result.stdout
    assert sorted(p.name for p in service.iterdir()) == ["cmd", "go.mod", "go.sum", "internal"]


def test_dry_run_and_diff_are_exclusive(service: Path) -> None:
    result = run(str(service), "--dry-run", "--diff")
    assert result.exit_code == 2
    assert "exclusive" in result.stderr


def test_output_dir(service: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = run(str(service), "--dockerfile", "--output-dir", str(out))
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == [".dockerignore", "Dockerfile"]
    assert not (service / "Dockerfile").exists()


def test_nested_module_is_written_at_its_root(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "repo", {"svc/api/go.mod": GO_MOD, "svc/api/main.go": API})
    result = run(str(root), "--dockerfile")
    assert result.exit_code == 0, result.output
    assert (root / "svc/api/Dockerfile").is_file() and not (root / "Dockerfile").exists()


# -- what to generate ---------------------------------------------------------------------


def test_dockerfile_only(service: Path) -> None:
    result = run(str(service), "--dockerfile")
    assert result.exit_code == 0
    assert sorted(p.name for p in service.iterdir() if p.is_file()) == [
        ".dockerignore",
        "Dockerfile",
        "go.mod",
        "go.sum",
    ]


def _fake_generator(
    monkeypatch: pytest.MonkeyPatch, calls: list[tuple[str, tuple[Any, ...]]]
) -> None:
    def renderer(name: str) -> Callable[..., dict[str, str]] | None:
        def fn(f: Any, *args: Any) -> dict[str, str]:
            calls.append((name, args))
            return {f"{name}/{f.name}.yaml": f"# {name} {args}\n"}

        return fn

    monkeypatch.setattr(init_module, "_k8s_renderer", renderer)


def test_default_is_dockerfile_and_k8s(service: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[str, tuple[Any, ...]]] = []
    _fake_generator(monkeypatch, calls)
    result = run(str(service))
    assert result.exit_code == 0, result.output
    assert calls == [("render_k8s", ())]
    assert (service / "Dockerfile").is_file() and (
        service / "render_k8s/orderservice.yaml"
    ).is_file()


def test_compose_and_ci(service: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[str, tuple[Any, ...]]] = []
    _fake_generator(monkeypatch, calls)
    result = run(str(service), "--compose", "--ci", "gitlab")
    assert result.exit_code == 0, result.output
    assert calls == [("render_compose", ()), ("render_ci", ("gitlab",))]
    assert not (service / "Dockerfile").exists()


def test_ci_files_go_to_the_checked_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[tuple[str, tuple[Any, ...]]] = []
    _fake_generator(monkeypatch, calls)
    root = write_tree(tmp_path / "repo", {"svc/api/go.mod": GO_MOD, "svc/api/main.go": API})
    result = run(str(root), "--dockerfile", "--compose", "--ci", "github")
    assert result.exit_code == 0, result.output
    assert (root / "svc/api/Dockerfile").is_file()
    assert (root / "svc/api/render_compose/shop.yaml").is_file()
    assert (root / "render_ci/shop.yaml").is_file()


def test_missing_k8s_generator_is_skipped_with_a_note(
    service: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(init_module, "_k8s_renderer", lambda name: None)
    result = run(str(service))
    assert result.exit_code == 0, result.output
    assert "cannot generate Kubernetes manifests" in result.stderr and "skipped" in result.stderr
    assert (service / "Dockerfile").is_file()
    only_k8s = run(str(service), "--k8s")
    assert only_k8s.exit_code == 2 and "nothing to generate" in only_k8s.stderr


def test_unknown_ci_kind_is_a_usage_error(service: Path) -> None:
    assert run(str(service), "--ci", "jenkins").exit_code == 2


# -- usage errors ----------------------------------------------------------------------------


def test_no_service(tmp_path: Path) -> None:
    result = run(str(tmp_path))
    assert result.exit_code == 2
    assert "no Go service found" in result.stderr


def test_main_package_without_go_mod(tmp_path: Path) -> None:
    write_tree(tmp_path, {"main.go": WORKER})
    result = run(str(tmp_path))
    assert result.exit_code == 2
    assert "no go.mod" in result.stderr


def test_missing_path(tmp_path: Path) -> None:
    result = run(str(tmp_path / "nope"))
    assert result.exit_code == 2
    assert "no such file or directory" in result.stderr


def test_path_is_a_file(service: Path) -> None:
    result = run(str(service / "go.mod"))
    assert result.exit_code == 2
    assert "not a directory" in result.stderr


def test_several_services_need_service(tmp_path: Path) -> None:
    root = write_tree(
        tmp_path, {"go.mod": GO_MOD, "cmd/api/main.go": API, "cmd/worker/main.go": WORKER}
    )
    result = run(str(root))
    assert result.exit_code == 2
    assert "2 services" in result.stderr and "--service" in result.stderr
    assert "api (./cmd/api in .)" in result.stderr and "worker (./cmd/worker in .)" in result.stderr
    unknown = run(str(root), "--service", "billing")
    assert unknown.exit_code == 2
    assert "no service 'billing'" in unknown.stderr and "api" in unknown.stderr
    assert not any(p.name.startswith("Dockerfile") for p in root.iterdir())
    by_dir = run(str(root), "--service", "cmd/worker", "--dockerfile")
    assert by_dir.exit_code == 0, by_dir.output
    assert (root / "Dockerfile.worker").is_file()


def test_warnings_are_printed(tmp_path: Path) -> None:
    root = copy_sources(EXAMPLES / "orderservice", tmp_path / "svc")
    result = run(str(root), "--dockerfile")
    assert result.exit_code == 0
    assert "warning: go.mod requires 12 modules but there is no go.sum" in result.stderr
