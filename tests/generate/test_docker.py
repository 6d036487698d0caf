"""``generate/render_docker.py``: golden files, and the properties every generated
Dockerfile and .dockerignore must have (they parse, they build what the facts say).

``DOCKREADY_UPDATE_GOLDEN=1 pytest tests/generate/test_docker.py`` rewrites the golden
files under ``tests/generate/golden/``; review the diff before committing it. (They are
named ``*.Dockerfile.txt``/``*.dockerignore.txt`` so that ``dockready check`` over the
repository does not read them as real ones.)
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import jinja2
import pytest
from golden_file import assert_golden

from dockready.commands.init import load_index
from dockready.generate.detect import detect
from dockready.generate.jinja import environment
from dockready.generate.model import InitFacts
from dockready.generate.render_docker import (
    CGO_RUNTIME,
    STATIC_RUNTIME,
    dockerignore_name,
    go_image_version,
    render_docker,
    render_dockerfile,
    render_dockerignore,
)
from dockready.parse.dockerfile import parse_dockerfile
from dockready.parse.dockerignore import parse_dockerignore

HERE = Path(__file__).parent
GOLDEN = HERE / "golden"
REPO = HERE.parents[1]


def _detected(path: Path) -> InitFacts:
    root, ix = load_index(str(path))
    (f,) = detect(ix, root)
    return f


BASE = InitFacts(
    name="api", root=".", module="example.com/api", main_pkg="./cmd/api", go_version="1.22"
)
VARIANTS = {
    "static": BASE,
    "cgo": dataclasses.replace(BASE, cgo=True),
    "vendor": dataclasses.replace(BASE, vendor=True),
    "private": dataclasses.replace(BASE, private_modules=("git.corp.example",)),
    "vendor-private-cgo": dataclasses.replace(
        BASE, vendor=True, cgo=True, private_modules=("git.corp.example",)
    ),
    "no-go-sum": dataclasses.replace(BASE, has_go_sum=False),
    "configs": dataclasses.replace(BASE, config_files=("config.yaml", "conf/my app.toml")),
    "env": dataclasses.replace(
        BASE, port=9000, listen_env=(("HOST", "0.0.0.0"), ("PORT", "9000")), port_env="PORT"
    ),
    "worker": dataclasses.replace(BASE, listens=False, listen_env=(("PORT", "8080"),)),
    "root-main": dataclasses.replace(BASE, main_pkg="."),
    "several": dataclasses.replace(BASE, dockerfile="Dockerfile.api"),
}


# -- golden files ---------------------------------------------------------------------------


def _golden_cases() -> dict[str, InitFacts]:
    fixed = _detected(REPO / "examples" / "orderservice-fixed")
    ledger = _detected(HERE / "fixtures" / "ledger")
    return {
        "orderservice-fixed": fixed,
        "ledger-vendor": ledger,  # cgo, vendored, private modules (not downloaded)
        "ledger-modules": dataclasses.replace(ledger, vendor=False),  # GOPRIVATE + netrc
        # go.mod replaces with ../../libs/shared: built from the repository top
        "monorepo": _detected(REPO / "tests" / "fixtures" / "DR206" / "good-monorepo"),
    }


@pytest.mark.parametrize(
    "case", ["orderservice-fixed", "ledger-vendor", "ledger-modules", "monorepo"]
)
def test_golden(case: str) -> None:
    f = _golden_cases()[case]
    assert_golden(GOLDEN / f"{case}.Dockerfile.txt", render_dockerfile(f), f"{case} Dockerfile")
    assert_golden(
        GOLDEN / f"{case}.dockerignore.txt", render_dockerignore(f), f"{case} .dockerignore"
    )


# -- every Dockerfile --------------------------------------------------------------------------


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_dockerfile_parses_and_builds_what_the_facts_say(variant: str) -> None:
    f = VARIANTS[variant]
    text = render_dockerfile(f)
    assert not any(line.lower().startswith("# syntax") for line in text.splitlines())
    df = parse_dockerfile(f.dockerfile, text)
    assert df.error is None, df.error_message
    build, final = df.stages
    # builder
    assert build.name == "build"
    assert build.base_resolved == f"golang:{go_image_version(f)}-bookworm"
    assert (build.platform == "$BUILDPLATFORM") is not f.cgo
    (gb,) = build.go_builds
    assert gb.targets == (f.main_pkg,)
    assert gb.output == f"/out/{f.name}"
    assert gb.cgo == ("1" if f.cgo else "0")
    assert gb.trimpath and gb.ldflags == "-s -w"
    assert (gb.mod == "vendor") is f.vendor
    if not f.cgo:
        assert gb.getenv("GOOS") == "$TARGETOS" and gb.getenv("GOARCH") == "$TARGETARCH"
    assert bool(build.mod_downloads) is not f.vendor
    # modules first, then the sources
    first = build.copies[0]
    if f.vendor:
        assert first.sources == (".",)
    else:
        assert first.sources == (("go.mod", "go.sum") if f.has_go_sum else ("go.mod",))
        assert build.mod_downloads[0].line < build.copies[1].span.line
    # private modules: a secret mount, never an ARG
    assert {name for name, _ in build.args} == (set() if f.cgo else {"TARGETOS", "TARGETARCH"})
    assert not df.global_args and not final.args
    runs = " ".join(i.original for i in build.instructions if i.cmd == "RUN")
    private = bool(f.private_modules) and not f.vendor
    assert ("--mount=type=secret,id=netrc,target=/root/.netrc" in runs) is private
    assert (build.getenv("GOPRIVATE") == ",".join(f.private_modules)) is private
    # runtime
    assert final.base_resolved == (CGO_RUNTIME if f.cgo else STATIC_RUNTIME)
    assert final.user == "65532:65532"
    assert final.entrypoint is not None and final.entrypoint.json
    assert final.entrypoint.value == (f"/{f.name}",)
    assert final.copies[0].dest == f"/{f.name}"
    assert [e.port for e in final.exposes] == ([f.port] if f.listens else [])
    assert dict(final.env) == (dict(f.listen_env) if f.listens else {})
    shipped = {c.sources[0]: c.dest for c in final.copies if c.from_stage is None}
    assert shipped == {p: "/" + p for p in f.config_files}
    if f.config_files:
        assert final.workdir == "/"


def test_cgo_is_built_natively() -> None:
    text = render_dockerfile(VARIANTS["cgo"])
    assert "--platform" not in text and "TARGETARCH" not in text
    assert "CGO_ENABLED=1" in text


def test_private_modules_build_command_names_the_secret() -> None:
    text = render_dockerfile(VARIANTS["private"])
    assert "docker build -t api --secret id=netrc,src=$HOME/.netrc ." in text
    args = [line for line in text.splitlines() if line.startswith("ARG ")]
    assert args == ["ARG TARGETOS TARGETARCH"]


def test_named_dockerfile_build_command() -> None:
    assert "docker build -t api -f Dockerfile.api ." in render_dockerfile(VARIANTS["several"])


@pytest.mark.parametrize(
    ("go", "toolchain", "expected"),
    [
        ("1.22", None, "1.22"),
        ("1.22.3", None, "1.22"),  # the minor's tag floats to the newest patch
        ("1.22.3", "go1.23.4", "1.23"),  # a newer toolchain line wins
        ("1.23", "go1.22.1", "1.23"),  # an older one does not
        ("1.16", None, "1.21"),  # never older than Go 1.21
        ("1.24rc1", None, "1.24"),
        ("junk", None, "1.21"),
    ],
)
def test_go_image_version(go: str, toolchain: str | None, expected: str) -> None:
    f = dataclasses.replace(BASE, go_version=go, toolchain=toolchain)
    assert go_image_version(f) == expected


# -- .dockerignore -----------------------------------------------------------------------------


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_dockerignore_keeps_what_the_build_needs(variant: str) -> None:
    f = VARIANTS[variant]
    di = parse_dockerignore(".dockerignore", render_dockerignore(f))
    for secret in (".git/HEAD", ".env", ".env.local", "deploy/.env", "server.key", "tls/ca.pem"):
        assert di.excludes(secret), secret
    for output in ("bin/api", "dist/api", "Dockerfile", "Dockerfile.api", "k8s/deployment.yaml"):
        assert di.excludes(output), output
    for needed in ("go.mod", "go.sum", "vendor/modules.txt", "cmd/api/main.go", "main.go"):
        assert not di.excludes(needed), needed
    assert not di.excludes("k8s/client.go")  # a Go package named k8s still builds
    for config in f.config_files:
        assert not di.excludes(config), config


def test_dockerignore_exception_for_a_config_it_would_exclude() -> None:
    f = dataclasses.replace(BASE, config_files=("k8s/settings.yaml",))
    text = render_dockerignore(f)
    assert text.rstrip().endswith("!k8s/settings.yaml")
    di = parse_dockerignore(".dockerignore", text)
    assert not di.excludes("k8s/settings.yaml")
    assert di.excludes("k8s/deployment.yaml")


def test_dockerignore_name() -> None:
    assert dockerignore_name(BASE) == ".dockerignore"
    assert dockerignore_name(VARIANTS["several"]) == "Dockerfile.api.dockerignore"
    assert set(render_docker(VARIANTS["several"])) == {
        "Dockerfile.api",
        "Dockerfile.api.dockerignore",
    }


def test_templates_are_strict() -> None:
    with pytest.raises(jinja2.UndefinedError):
        environment().from_string("{{ missing }}").render()


def test_runtime_needs_are_named() -> None:
    both = dataclasses.replace(BASE, needs_tls=True, needs_tz=True)
    text = render_dockerfile(both)
    runtime = text[text.index("FROM gcr.io/distroless") :]
    assert "#   - CA certificates (/etc/ssl/certs), for its TLS connections" in runtime
    assert "#   - the time zone database (/usr/share/zoneinfo), for time.LoadLocation" in runtime
    neither = render_dockerfile(BASE)
    assert "besides its binary" not in neither


# -- built from an enclosing directory (local replacements) ------------------------------

WIDE = dataclasses.replace(
    BASE,
    root="services/api",
    context="../..",
    local_modules=("libs/shared",),
    config_files=("configs/api.yaml",),
)


def test_wide_context_dockerfile() -> None:
    text = render_dockerfile(WIDE)
    d = parse_dockerfile("services/api/Dockerfile", text)
    assert d.error is None
    build = d.stages[0]
    assert build.workdir == "/src/services/api"
    copies = [(c.sources, c.dest) for c in build.copies]
    assert copies == [
        (("services/api/go.mod", "services/api/go.sum"), "/src/services/api/"),
        (("libs/shared/go.mod",), "/src/libs/shared/"),
        (("libs/shared",), "/src/libs/shared"),
        (("services/api",), "/src/services/api/"),
    ]
    runtime = d.stages[-1]
    assert (("services/api/configs/api.yaml",), "/configs/api.yaml") in [
        (c.sources, c.dest) for c in runtime.copies
    ]
    assert "docker build -t api -f services/api/Dockerfile ." in text
    assert "from ../.. (relative to this file)" in text


def test_wide_context_dockerignore_lets_in_only_the_modules() -> None:
    assert dockerignore_name(WIDE) == "Dockerfile.dockerignore"
    ignore = parse_dockerignore(".dockerignore", render_dockerignore(WIDE))
    for kept in ("services/api/cmd/api/main.go", "services/api/go.mod", "libs/shared/go.mod",
                 "libs/shared/shared.go", "services/api/configs/api.yaml"):  # fmt: skip
        assert not ignore.excludes(kept), kept
    for gone in ("services/billing/main.go", "README.md", ".git/HEAD", "services/api/.env",
                 "libs/shared/.git/HEAD", "services/api/k8s/api.yaml", "services/api/Dockerfile"):  # fmt: skip
        assert ignore.excludes(gone), gone
