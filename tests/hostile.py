"""A generator of hostile repositories: each case is an input that once made
dockready super-linear in time or memory (issue 14). ``tests/test_hostile.py`` runs
every case under a generous wall-clock bound; ``python tests/hostile.py OUT`` writes
them all under ``OUT`` for measuring by hand (``/usr/bin/time -v dockready check``).

Each case writes a small, valid service next to its payload (``go.mod``, ``main.go``
serving ``:8080``, a Dockerfile), so the run has something to report and the payload
goes through every phase, not only the parser.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

MAIN_GO = """package main

import "net/http"

func main() {
\thttp.ListenAndServe(":8080", nil)
}
"""
DOCKERFILE = """FROM golang:1.22 AS build
WORKDIR /src
COPY . .
RUN CGO_ENABLED=0 go build -o /app .

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /app /app
ENTRYPOINT ["/app"]
"""


def _service(root: Path, name: str = "svc") -> Path:
    d = root / name
    d.mkdir(parents=True, exist_ok=True)
    (d / "go.mod").write_text(f"module example.com/{name}\n\ngo 1.22\n")
    (d / "main.go").write_text(MAIN_GO)
    (d / "Dockerfile").write_text(DOCKERFILE)
    return d


def reassignments(root: Path, n: int = 400) -> None:
    """One variable reassigned ``n`` times from itself (value resolution)."""
    d = _service(root)
    body = "".join("\tbuf = append(buf, 1)\n" for _ in range(n))
    (d / "grow.go").write_text(
        'package main\n\nimport "os"\n\nfunc grow() {\n\tvar buf []byte\n'
        + body
        + '\tos.WriteFile("/tmp/x", buf, 0o600)\n\taddr := ":" + string(buf)\n'
        + "\t_ = addr\n}\n"
    )


def chained_assignments(root: Path, n: int = 400) -> None:
    """``a1 := a0 + a0`` ... : every value doubles the one before (value resolution)."""
    d = _service(root)
    lines = ['\ta0 := "x"\n'] + [f"\ta{i} := a{i - 1} + a{i - 1}\n" for i in range(1, n)]
    (d / "chain.go").write_text(
        'package main\n\nimport "net/http"\n\nfunc chain() {\n'
        + "".join(lines)
        + f"\thttp.ListenAndServe(a{n - 1}, nil)\n}}\n"
    )


def doubling_literal(root: Path, n: int = 14) -> None:
    """``a1 := a0 + a0`` from a 1 MB literal: a value that doubles per line."""
    d = _service(root)
    lines = [f'\ta0 := "{"x" * (1024 * 1024)}"\n']
    lines += [f"\ta{i} := a{i - 1} + a{i - 1}\n" for i in range(1, n)]
    (d / "double.go").write_text(
        'package main\n\nimport "net/http"\n\nfunc double() {\n'
        + "".join(lines)
        + f"\thttp.ListenAndServe(a{n - 1}, nil)\n}}\n"
    )


def secret_site_string(root: Path, size: int = 300_000) -> None:
    """A long Go string of ``key`` repeated (the secret-site pattern)."""
    d = _service(root)
    s = "key" * (size // 3)
    (d / "keys.go").write_text(f'package main\n\nvar keyNames = "{s}"\nvar password = "{s}"\n')


def url_password(root: Path, size: int = 800_000) -> None:
    """A ConfigMap value and a YAML comment that look like the start of a URL with a
    password, over and over (the password-in-URL pattern)."""
    d = _service(root)
    value = "a://" + "b:" * (size // 2)
    (d / "k8s").mkdir()
    (d / "k8s" / "cm.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n"
        f"  DSN: '{value}'\n# {'x://y:' * (size // 6)}\n"
    )


def arg_bomb(root: Path, n: int = 40) -> None:
    """``ARG A{i}=${A{i-1}}${A{i-1}}``: each line doubles the value."""
    d = _service(root)
    lines = ["FROM scratch", "ARG A0=xxxxxxxx"]
    lines += [f"ARG A{i}=${{A{i - 1}}}${{A{i - 1}}}" for i in range(1, n)]
    lines += [f"ENV V=${{A{n - 1}}}", f"LABEL x=${{A{n - 1}}}", 'ENTRYPOINT ["/app"]']
    (d / "Dockerfile.bomb").write_text("\n".join(lines) + "\n")


def dockerignore_stars(root: Path, n: int = 30) -> None:
    """A ``.dockerignore`` of stacked ``**`` and ``*a*a*a...`` (glob translation)."""
    d = _service(root)
    sub = d
    for i in range(12):
        sub = sub / f"a{i}"
    sub.mkdir(parents=True)
    (sub / "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab.go").write_text("package a\n")
    (d / ".dockerignore").write_text(
        "/".join(["**"] * n) + "/x\n" + "*a" * n + "c\n" + "**/" * n + "*.md\n"
    )


def per_path_ignore_stars(root: Path, n: int = 30) -> None:
    """``per-path-ignores`` keys of stacked ``**`` and ``*a*a...``."""
    d = _service(root)
    sub = d
    for i in range(12):
        sub = sub / f"a{i}"
    sub.mkdir(parents=True)
    (sub / ("a" * 60 + ".go")).write_text("package a\n")
    stars = "/".join(["**"] * n) + "/x.go"
    many = "*a" * n + "c"
    (root / ".dockready.toml").write_text(
        f'[[per-path-ignores]]\npaths = ["{stars}", "{many}"]\nignore = ["DR102"]\n'
    )


def many_services(root: Path, n: int = 2000) -> None:
    """``n`` services, each a go.mod, a main package and a Dockerfile, one manifest
    directory for all of them (the index and rules phases)."""
    k8s = root / "k8s"
    k8s.mkdir(parents=True)
    for i in range(n):
        d = root / "svc" / f"s{i}"
        d.mkdir(parents=True)
        (d / "go.mod").write_text(f"module example.com/s{i}\n\ngo 1.22\n")
        (d / "main.go").write_text(MAIN_GO)
        (d / "Dockerfile").write_text(DOCKERFILE)
        (k8s / f"s{i}.yaml").write_text(
            f"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: s{i}\nspec:\n"
            f"  selector:\n    matchLabels: {{app: s{i}}}\n  template:\n"
            f"    metadata:\n      labels: {{app: s{i}}}\n    spec:\n      containers:\n"
            f"        - name: s{i}\n          image: registry.example/s{i}:1.0\n"
            "          ports: [{containerPort: 8080}]\n"
        )


def huge_go_file(root: Path, size: int = 50 * 1024 * 1024) -> None:
    """A 50 MB Go file (the per-kind size cap)."""
    d = _service(root)
    line = "var _ = 1\n"
    with open(d / "huge.go", "w") as fh:
        fh.write("package main\n\n")
        fh.write(line * (size // len(line)))


def long_from_line(root: Path, size: int = 1024 * 1024) -> None:
    """A 1 MB ``FROM`` line."""
    d = _service(root)
    (d / "Dockerfile.long").write_text("FROM " + "a" * size + "\n")


CASES: dict[str, Callable[[Path], None]] = {
    "reassignments": reassignments,
    "chained-assignments": chained_assignments,
    "doubling-literal": doubling_literal,
    "secret-site-string": secret_site_string,
    "url-password": url_password,
    "arg-bomb": arg_bomb,
    "dockerignore-stars": dockerignore_stars,
    "per-path-ignore-stars": per_path_ignore_stars,
    "many-services": many_services,
    "huge-go-file": huge_go_file,
    "long-from-line": long_from_line,
}


def main(argv: list[str]) -> int:
    out = Path(argv[1] if len(argv) > 1 else "hostile")
    names = argv[2:] or list(CASES)
    for name in names:
        CASES[name](out / name)
        print(out / name)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
