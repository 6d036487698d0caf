"""``dockready init``: the command line, the writer's rules (no overwrite without
--force, --diff, --dry-run, --output-dir, idempotence) and dog-food: what it generates
for real services passes ``dockready check``."""

from __future__ import annotations

import re
import shutil
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner, Result
from conftest import write_tree

from dockready.cli import cli
from dockready.commands.init import load_index
from dockready.discover import SKIP_DIRS, Kind, classify
from dockready.engine import check
from dockready.generate.detect import detect
from dockready.generate.model import InitFacts
from dockready.generate.render_docker import dockerignore_name
from dockready.model import Finding, Severity
from dockready.parse.dockerfile import parse_dockerfile
from dockready.parse.yamlfiles import parse_yaml

HERE = Path(__file__).parent
REPO = HERE.parents[1]
EXAMPLES = REPO / "examples"
FIXTURES = REPO / "tests" / "fixtures"
LEDGER = HERE / "fixtures" / "ledger"

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


def is_container_file(rel: str, path: Path) -> bool:
    """What ``init`` generates, or what a user wrote in its place: Dockerfiles,
    .dockerignore files, Kubernetes manifests and compose files (as ``check`` reads
    them) and CI pipelines."""
    kind = classify(rel)
    if kind in (Kind.DOCKERFILE, Kind.DOCKERIGNORE):
        return True
    if rel.startswith((".github/", ".gitlab/", ".gitlab-ci")) or rel.endswith("/.gitlab-ci.yml"):
        return True
    return kind is Kind.YAML and parse_yaml(rel, path.read_text(errors="replace")) is not None


def copy_sources(src: Path, dst: Path) -> Path:
    """``src`` without its container files (:func:`is_container_file`): the Go
    sources, go.mod/go.sum, vendor/ and every other file the code may open
    (configs/ledger.yaml...), so that ``init`` generates fresh ones."""
    for p in sorted(src.rglob("*")):
        rel = p.relative_to(src).as_posix()
        if ".dockready_cache" in rel.split("/"):
            continue  # a local run's cache of the example, not a source
        if p.is_file() and not is_container_file(rel, p):
            (dst / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(p, dst / rel)
    return dst


def _key(f: Finding) -> tuple[str, str, str]:
    return (f.rule_id, f.span.path, f.message)


def _findings(path: Path) -> list[Finding]:
    outcome = check([str(path)], jobs=1)
    assert not outcome.internal_errors, outcome.internal_errors
    return list(outcome.result.findings)


def _show(findings: list[Finding]) -> str:
    return "\n".join(f"  {f.span}: {f.rule_id} {f.severity.label}: {f.message}" for f in findings)


class NewFindings(AssertionError):
    """``check`` finds fault with what ``init`` generated."""

    def __init__(self, findings: list[Finding]) -> None:
        super().__init__(
            "dockready check reports findings on what init generated:\n" + _show(findings)
        )
        self.findings = findings


def assert_init_passes_check(
    root: Path, *init_args: str, before: set[tuple[str, str, str]] | None = None
) -> list[Path]:
    """Run init on ``root``; ``check`` must then report no new warning or error (a
    finding that was there on the sources alone is the code's, not init's): else
    :class:`NewFindings`. ``before`` is what check finds on ``root`` now, if known.
    Returns the files written."""
    if before is None:
        before = {_key(f) for f in _findings(root)}
    result = run(str(root), *init_args)
    assert result.exit_code == 0, result.output
    written = [
        root / line.split(None, 1)[1]
        for line in result.output.splitlines()
        if line.startswith("wrote")
    ]
    new = [f for f in _findings(root) if _key(f) not in before and f.severity >= Severity.WARNING]
    if new:
        raise NewFindings(new)
    for df in root.rglob("Dockerfile*"):
        if df.name.endswith(".dockerignore"):
            continue
        parsed = parse_dockerfile(df.name, df.read_text())
        assert parsed.error is None, f"{df}: {parsed.error_message}"
    return written


# -- dog-food ------------------------------------------------------------------------------
#
# Every Go service of the repository (rule fixtures, examples, generator fixtures): a
# directory with a go.mod and a package main somewhere below it. Each one is copied
# without its container files, ``init`` generates them, and ``check`` must find
# nothing new at warning level or above.

_PACKAGE_MAIN = re.compile(r"^package\s+main\b", re.MULTILINE)
#: Where the services are, as (directory, glob, prefix of the test id).
SERVICE_DIRS = ((FIXTURES, "*/*", ""), (EXAMPLES, "*", "examples/"), (HERE / "fixtures", "*", ""))
#: What ``init`` is asked for: the Dockerfile alone, the default (Dockerfile and
#: manifests), and everything (with a CI pipeline of either kind, see _ci_kind).
MODES: dict[str, tuple[str, ...]] = {
    "docker": ("--dockerfile",),
    "default": (),
    "all": ("--dockerfile", "--k8s", "--hpa", "--compose"),
}


def _is_go_service(d: Path) -> bool:
    files = [
        p for p in d.rglob("*") if p.is_file() and not SKIP_DIRS & set(p.relative_to(d).parts[:-1])
    ]
    return any(p.name == "go.mod" for p in files) and any(
        p.suffix == ".go"
        and not p.name.endswith("_test.go")
        and _PACKAGE_MAIN.search(p.read_text(errors="replace"))
        for p in files
    )


def service_dirs() -> dict[str, Path]:
    """``{"DR202/good": path, "examples/orderservice": path, "ledger": path...}``."""
    out: dict[str, Path] = {}
    for base, pattern, prefix in SERVICE_DIRS:
        for d in sorted(base.glob(pattern)):
            if d.is_dir() and _is_go_service(d):
                out[prefix + d.relative_to(base).as_posix()] = d
    return out


SERVICES = service_dirs()
#: What check finds on each case's sources alone: the same for every mode.
_SOURCE_FINDINGS: dict[str, set[tuple[str, str, str]]] = {}


def _ci_kind(case: str) -> str:
    """GitHub or GitLab, half the cases each, stable whatever cases are added."""
    return ("github", "gitlab")[zlib.crc32(case.encode()) % 2]


class KnownGap(AssertionError):
    """The findings of a case in :data:`KNOWN_GAPS`: only those, and no others."""


@dataclass(frozen=True)
class Gap:
    modes: frozenset[str]
    rules: frozenset[str]  # the only rules allowed to report
    warns: str  # the rule init's warning names: init tells the user what it cannot fix
    reason: str


#: What init cannot make pass, and why: strict xfails, each limited to its rules (any
#: other new finding fails the test) and its modes. Keep this short.
_SECRET_CONFIG = Gap(
    frozenset({"docker"}),
    frozenset({"DR314"}),
    "DR308",
    "configs/orders.yaml holds credentials: init keeps it out of the image (DR308) and only "
    "the manifests mount it; with the Dockerfile alone nothing provides it yet (DR314)",
)
KNOWN_GAPS: dict[str, Gap] = {
    "DR308/bad-config": _SECRET_CONFIG,
    "DR308/good-config-ignored": _SECRET_CONFIG,
    "DR308/good-config-not-shipped": _SECRET_CONFIG,
    "DR001/good": Gap(
        frozenset(MODES),
        frozenset({"DR218", "DR404"}),
        "DR218",
        "the code listens on 127.0.0.1:8080 only, with no environment to change it: nothing "
        "outside the container reaches it, whatever the files say (init warns: DR218)",
    ),
    "DR204/bad-out-of-sync": Gap(
        frozenset(MODES),
        frozenset({"DR204"}),
        "DR204",
        "vendor/modules.txt disagrees with go.mod: a vendored build fails with 'inconsistent "
        "vendoring' until go mod vendor is run (init warns: DR204)",
    ),
    **{
        case: Gap(
            frozenset({"docker"}),
            frozenset({"DR314"}),
            "DR314",
            "the code reads a config file the tree does not hold: a Dockerfile alone cannot "
            "provide it (the manifests mount it from the generated ConfigMap)",
        )
        for case in (
            "DR314/bad",
            "DR314/bad-absolute",
            "DR314/good-mounted",
            "DR314/bad-godotenv",
            "DR314/bad-compose-other-bind",
            "DR314/good-compose-bind",
        )
    },
}


def _dogfood_params() -> list[Any]:
    out = []
    for case in SERVICES:
        for mode in MODES:
            gap = KNOWN_GAPS.get(case)
            marks = []
            if gap is not None and mode in gap.modes:
                marks.append(pytest.mark.xfail(reason=gap.reason, raises=KnownGap, strict=True))
            name = f"{mode}-{_ci_kind(case)}" if mode == "all" else mode
            out.append(pytest.param(case, mode, id=f"{case}-{name}", marks=marks))
    return out


def test_every_service_is_dogfooded() -> None:
    """The discovery finds the services the issue names, nested module roots too."""
    assert {"examples/orderservice", "examples/orderservice-fixed", "ledger"} <= set(SERVICES)
    assert {"DR202/good", "DR314/good", "DR206/bad-outside"} <= set(SERVICES)
    assert len(SERVICES) > 200
    assert set(KNOWN_GAPS) <= set(SERVICES), "a known gap names a case that is gone"


@pytest.mark.parametrize(("case", "mode"), _dogfood_params())
def test_dogfood(case: str, mode: str, tmp_path: Path) -> None:
    root = copy_sources(SERVICES[case], tmp_path / "svc")
    found = detect(load_index(str(root))[1], root)
    assert found, f"{case}: init finds no service"
    args = MODES[mode] + (("--ci", _ci_kind(case)) if mode == "all" else ())
    gap = KNOWN_GAPS.get(case)
    gap = gap if gap is not None and mode in gap.modes else None
    if case not in _SOURCE_FINDINGS:
        _SOURCE_FINDINGS[case] = {_key(x) for x in _findings(root)}
    for i, f in enumerate(found):
        service = ("--service", f.name) if len(found) > 1 else ()
        before = set(_SOURCE_FINDINGS[case]) if i == 0 else None  # then: after the last init
        try:
            written = assert_init_passes_check(root, *service, *args, before=before)
        except NewFindings as e:
            rules = {x.rule_id for x in e.findings}
            if gap is None or not rules <= gap.rules:
                raise
            assert any(f"({gap.warns})" in w for w in f.warnings), f.warnings
            raise KnownGap(str(e)) from None
        assert sorted(written) == sorted(_expected_files(root, f, case, mode))
        for p in written:
            if p.suffix in (".yaml", ".yml"):
                assert list(yaml.safe_load_all(p.read_text())), p  # it loads, and is not empty


def _expected_files(root: Path, f: InitFacts, case: str, mode: str) -> list[Path]:
    """What init writes for ``f`` in ``mode``: a service that is one of several in
    its module names its Dockerfile, compose file and GitLab fragment after itself."""
    at = root / f.root
    several = f.dockerfile != "Dockerfile"
    out = [at / f.dockerfile, at / dockerignore_name(f)]
    if mode != "docker":
        out.append(at / "k8s" / f"{f.name}.yaml")
        if f.missing_configs:
            out.append(at / "k8s" / f"{f.name}.configmap.yaml")
    if mode == "all":
        out.append(at / (f"compose.{f.name}.yaml" if several else "compose.yaml"))
        if _ci_kind(case) == "github":
            out.append(root / ".github" / "workflows" / f"{f.name}-image.yml")
        else:
            out.append(root / (f".gitlab/{f.name}.gitlab-ci.yml" if several else ".gitlab-ci.yml"))
    return out


def test_dogfood_ledger_with_module_download(tmp_path: Path) -> None:
    root = copy_sources(LEDGER, tmp_path / "ledger")
    assert (root / "configs/ledger.yaml").is_file()  # read by the code: kept
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


def test_dogfood_two_services_everything(tmp_path: Path) -> None:
    """Each service of a module gets its own files of every kind: the second run of
    init replaces none of the first's, and check passes on both."""
    root = write_tree(
        tmp_path / "shop",
        {"go.mod": GO_MOD, "cmd/api/main.go": API, "cmd/worker/main.go": WORKER},
    )
    args = ("--dockerfile", "--k8s", "--compose", "--ci", "gitlab")
    api = assert_init_passes_check(root, "--service", "api", *args)
    worker = assert_init_passes_check(root, "--service", "worker", *args)
    assert not set(api) & set(worker)
    assert sorted(p.relative_to(root).as_posix() for p in api) == [
        ".gitlab/api.gitlab-ci.yml",
        "Dockerfile.api",
        "Dockerfile.api.dockerignore",
        "compose.api.yaml",
        "k8s/api.yaml",
    ]
    services = {s.name: s for s in check([str(root)], jobs=1).result.services}
    assert services["api"].compose_services == ("compose.api.yaml#api",)
    assert services["worker"].compose_services == ("compose.worker.yaml#worker",)


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


def _files(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


def test_default_is_dockerfile_and_k8s(service: Path) -> None:
    before = set(_files(service))
    result = run(str(service))
    assert result.exit_code == 0, result.output
    new = sorted(set(_files(service)) - before)
    assert new == [".dockerignore", "Dockerfile", "k8s/orderservice.yaml"]


def test_compose_and_ci(service: Path) -> None:
    before = set(_files(service))
    result = run(str(service), "--compose", "--ci", "gitlab")
    assert result.exit_code == 0, result.output
    assert sorted(set(_files(service)) - before) == [".gitlab-ci.yml", "compose.yaml"]


def test_ci_files_go_to_the_checked_directory(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "repo", {"svc/api/go.mod": GO_MOD, "svc/api/main.go": API})
    result = run(str(root), "--dockerfile", "--compose", "--ci", "github")
    assert result.exit_code == 0, result.output
    assert _files(root) == [
        ".github/workflows/shop-image.yml",
        "svc/api/.dockerignore",
        "svc/api/Dockerfile",
        "svc/api/compose.yaml",
        "svc/api/go.mod",
        "svc/api/main.go",
    ]


def test_manifest_notes_are_printed(tmp_path: Path) -> None:
    # No health route: TCP probes, and init says so (on stderr, in every mode).
    no_health = API.replace(
        '\tmux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {})\n', ""
    )
    assert no_health != API
    root = write_tree(tmp_path / "svc", {"go.mod": GO_MOD, "main.go": no_health})
    for args in ((), ("--dry-run",)):
        result = run(str(root), *args)
        assert result.exit_code == 0, result.output
        assert "note: shop: no health route found: TCP probes generated" in result.stderr
    assert "tcpSocket" in (root / "k8s" / "shop.yaml").read_text()
    # Only with manifests: a Dockerfile alone has no probes to explain.
    only_docker = run(str(tmp_path / "svc"), "--dockerfile", "--force")
    assert "TCP probes" not in only_docker.stderr


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


def test_invalid_go_mod_is_named(tmp_path: Path) -> None:
    write_tree(tmp_path, {"go.mod": "modul example.com/x\n", "main.go": WORKER})
    result = run(str(tmp_path))
    assert result.exit_code == 2
    assert "notice: go.mod:1: not a valid go.mod" in result.stderr
    assert "(go.mod: not a valid go.mod)" in result.stderr
    assert "run go mod init" not in result.stderr


def test_what_could_not_be_read_is_a_notice(tmp_path: Path) -> None:
    # Go that does not parse and a binary .go file: init still generates, and says
    # where detection may be incomplete.
    broken = API.replace("func main() {", "func main() {\n\tx := [", 1)
    write_tree(tmp_path, {"go.mod": GO_MOD, "main.go": broken})
    (tmp_path / "blob.go").write_bytes(b"\xff\xfe\x00\x01binary")
    result = run(str(tmp_path), "--dockerfile")
    assert result.exit_code == 0, result.output
    assert "notice: blob.go:1: skipped: binary file" in result.stderr
    assert "notice: main.go:" in result.stderr and "could not parse" in result.stderr
    assert (tmp_path / "Dockerfile").is_file()


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


def test_compose_without_a_dockerfile_says_so(service: Path) -> None:
    result = run(str(service), "--compose")
    assert result.exit_code == 0, result.output
    assert "build Dockerfile, which is not there: generate it with --dockerfile" in result.stderr
    run(str(service), "--dockerfile")
    again = run(str(service), "--compose")
    assert "which is not there" not in again.stderr


def test_hpa_only_when_asked(service: Path) -> None:
    def kinds(text: str) -> list[tuple[str, str]]:
        return [(d["apiVersion"], d["kind"]) for d in yaml.safe_load_all(text) if d]

    assert run(str(service)).exit_code == 0
    plain = kinds((service / "k8s" / "orderservice.yaml").read_text())
    assert ("autoscaling/v2", "HorizontalPodAutoscaler") not in plain
    result = run(str(service), "--hpa", "--force")
    assert result.exit_code == 0, result.output
    docs = list(yaml.safe_load_all((service / "k8s" / "orderservice.yaml").read_text()))
    assert ("autoscaling/v2", "HorizontalPodAutoscaler") in kinds(
        (service / "k8s" / "orderservice.yaml").read_text()
    )
    (deployment,) = [d for d in docs if d and d["kind"] == "Deployment"]
    assert "replicas" not in deployment["spec"]  # the autoscaler owns the count


# -- init reads the project as check does -----------------------------------------------


def test_init_reads_the_configuration(service: Path) -> None:
    """Bug: init rebuilt the front of the pipeline itself and never read
    .dockready.toml; a broken one went unnoticed."""
    (service / ".dockready.toml").write_text('[services.api]\ndockerfile = ["x"]\n')
    res = run("--dry-run", str(service))
    assert res.exit_code == 2
    assert "services.api.dockerfile: unknown key (did you mean dockerfiles?)" in res.output
    assert run("--dry-run", "--no-config", str(service)).exit_code == 0


def test_init_sees_the_declared_service_joins(tmp_path: Path) -> None:
    """A Dockerfile no go build target ties to a service is joined by the config's
    [services.<name>]: init's index has the same join as check's."""
    root = write_tree(
        tmp_path,
        {
            "go.mod": GO_MOD,
            "cmd/api/main.go": API,
            "cmd/worker/main.go": "package main\n\nfunc main() {}\n",
            "build/api.Dockerfile": 'FROM scratch\nCOPY app /app\nENTRYPOINT ["/app"]\n',
        },
    )
    _, ix = load_index(str(root))
    assert [s.name for s in ix.services if s.builds] == []  # nothing names the service
    (root / ".dockready.toml").write_text(
        '[services.api]\ndockerfiles = ["build/api.Dockerfile"]\n'
    )
    from dockready.config import resolve_config

    _, ix = load_index(str(root), resolve_config([str(root)]))
    assert {s.name: [b.dockerfile.path for b in s.builds] for s in ix.services} == {
        "api": ["build/api.Dockerfile"],
        "worker": [],
    }
