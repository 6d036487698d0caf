"""The project index's attribution of files to services."""

from __future__ import annotations

from pathlib import Path

from conftest import write_tree

from dockready.engine import check, load_project

GO_MOD = "module example.com/shop\n\ngo 1.22\n"
MAIN = 'package main\n\nimport "fmt"\n\nfunc main() {\n\tfmt.Println("%s")\n}\n'
WORKLOAD = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}
spec:
  selector:
    matchLabels: {{app: {name}}}
  template:
    metadata:
      labels: {{app: {name}}}
    spec:
      containers:
        - name: {name}
          image: registry.example.com/{name}:1.0.0
"""


def test_findings_on_joined_manifests_name_the_joined_service(tmp_path: Path) -> None:
    # Two services share a module root: the directory cannot tell them apart, the
    # join of each manifest to its image can.
    files = {
        "go.mod": GO_MOD,
        "cmd/api/main.go": MAIN % "api",
        "cmd/worker/main.go": MAIN % "worker",
        "k8s/api.yaml": WORKLOAD.format(name="api"),
        "k8s/worker.yaml": WORKLOAD.format(name="worker"),
    }
    for rel, text in files.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    result = check([str(tmp_path)], jobs=1).result
    by_path: dict[str, set[str | None]] = {}
    for f in result.findings:
        by_path.setdefault(f.span.path, set()).add(f.service)
    assert by_path["k8s/api.yaml"] == {"api"}
    assert by_path["k8s/worker.yaml"] == {"worker"}


def test_monorepo_dockerfile_is_built_from_the_top(tmp_path: Path) -> None:
    # services/api/Dockerfile copies services/api/... and libs/shared: its context is
    # the repository top, and its go build (WORKDIR /src/services/api, ./cmd/api)
    # builds services/api/cmd/api.
    src = Path(__file__).parents[1] / "fixtures" / "DR206" / "good-monorepo"
    outcome = check([str(src)], jobs=1)
    (svc,) = outcome.result.services
    assert svc.dockerfiles == ("services/api/Dockerfile",)
    assert not [f for f in outcome.result.findings if f.rule_id == "DR206"]


def test_a_file_two_services_share_names_no_service(tmp_path: Path) -> None:
    # api and worker share a module root: a manifest whose image is neither of them,
    # and a package both import, belong to no service; none is guessed.
    lib = 'package store\n\nimport "os"\n\nfunc Dir() (string, error) { return os.MkdirTemp("", "x") }\n'
    main = 'package main\n\nimport "example.com/shop/internal/store"\n\nfunc main() { _, _ = store.Dir() }\n'
    write_tree(
        tmp_path,
        {
            "go.mod": GO_MOD,
            "cmd/api/main.go": main,
            "cmd/worker/main.go": main,
            "internal/store/store.go": lib,
            "k8s/cache.yaml": WORKLOAD.format(name="cache"),
        },
    )
    project = load_project([str(tmp_path)])
    ix = project.index
    assert ix.service_of("cmd/api/main.go").name == "api"  # type: ignore[union-attr]
    assert ix.service_of("internal/store/store.go") is None
    assert ix.service_of("k8s/cache.yaml") is None
    assert ix.service_of("go.mod") is None
    result = check([str(tmp_path)], jobs=1).result
    assert {f.service for f in result.findings if f.span.path == "k8s/cache.yaml"} == {None}


def test_a_service_s_code_is_what_its_main_imports(tmp_path: Path) -> None:
    # cmd/api imports internal/api, not internal/batch: the batch package is not
    # api's code, and a package only worker imports is worker's.
    write_tree(
        tmp_path,
        {
            "go.mod": GO_MOD,
            "cmd/api/main.go": 'package main\n\nimport "example.com/shop/internal/api"\n\nfunc main() { api.Run() }\n',
            "cmd/worker/main.go": 'package main\n\nimport "example.com/shop/internal/batch"\n\nfunc main() { batch.Run() }\n',
            "internal/api/api.go": "package api\n\nfunc Run() {}\n",
            "internal/batch/batch.go": 'package batch\n\nimport _ "example.com/shop/internal/batch/sub"\n\nfunc Run() {}\n',
            "internal/batch/sub/sub.go": "package sub\n",
        },
    )
    ix = load_project([str(tmp_path)]).index
    code = {s.name: sorted(p.dir for p in s.packages) for s in ix.services}
    assert code == {
        "api": ["cmd/api", "internal/api"],
        "worker": ["cmd/worker", "internal/batch", "internal/batch/sub"],
    }
    assert ix.service_of("internal/batch/sub/sub.go").name == "worker"  # type: ignore[union-attr]


def test_one_defect_two_services_found_is_one_finding_of_neither(tmp_path: Path) -> None:
    # api and admin both start the server of internal/server, which never drains:
    # DR214 finds it for each; it is reported once, attributed to neither.
    server = (
        'package server\n\nimport "net/http"\n\n'
        'func Run() error {\n\treturn http.ListenAndServe(":8080", nil)\n}\n'
    )
    main = 'package main\n\nimport "example.com/shop/internal/server"\n\nfunc main() { _ = server.Run() }\n'
    write_tree(
        tmp_path,
        {
            "go.mod": GO_MOD,
            "cmd/api/main.go": main,
            "cmd/admin/main.go": main,
            "internal/server/server.go": server,
        },
    )
    result = check([str(tmp_path)], jobs=1).result
    dr214 = [f for f in result.findings if f.rule_id == "DR214"]
    assert [(f.span.path, f.service) for f in dr214] == [("internal/server/server.go", None)]


def test_gopath_build_target_and_compose_blocks(tmp_path: Path) -> None:
    # GOPATH mode: the context is copied to /go/src/<import path> and the build names
    # the command by import path. The compose block that builds this Dockerfile is
    # the service's; the database block beside it is nobody's.
    write_tree(
        tmp_path,
        {
            "cmd/shopsvc/main.go": 'package main\n\nimport "net/http"\n\nfunc main() { _ = http.ListenAndServe(":8080", nil) }\n',
            "docker/shop/Dockerfile": (
                "FROM golang:1.22\n"
                "COPY . /go/src/github.com/acme/shop\n"
                "WORKDIR /go/src/github.com/acme/shop\n"
                "RUN GO111MODULE=off CGO_ENABLED=0 go build -o /app github.com/acme/shop/cmd/shopsvc\n"
                'FROM alpine:3.20\nCOPY --from=0 /app /app\nCMD ["/app"]\n'
            ),
            "docker-compose.yml": (
                "services:\n"
                "  shop:\n"
                "    build:\n"
                "      context: .\n"
                "      dockerfile: docker/shop/Dockerfile\n"
                "    image: acme/shop\n"
                "  shop-db:\n"
                "    image: postgres\n"
            ),
        },
    )
    ix = load_project([str(tmp_path)]).index
    (svc,) = ix.services
    assert [b.dockerfile.path for b in svc.builds] == ["docker/shop/Dockerfile"]
    assert [c.name for c in svc.compose] == ["shop"]
    assert ix.service_of("docker-compose.yml", 6) is svc
    assert ix.service_of("docker-compose.yml", 8) is None
    result = check([str(tmp_path)], jobs=1).result
    dr414 = {(f.span.line, f.service) for f in result.findings if f.rule_id == "DR414"}
    assert dr414 == {(6, "shopsvc"), (8, None)}


def test_service_names_skip_folders_that_only_say_where_main_is(tmp_path: Path) -> None:
    main = "package main\n\nfunc main() {}\n"
    write_tree(
        tmp_path,
        {
            "bookinfo/go.mod": "module example.com/bookinfo\n\ngo 1.22\n",
            "bookinfo/cmd/main.go": main,
            "shop/go.mod": "module example.com/shop\n\ngo 1.22\n",
            "shop/cmd/server/main.go": main,
            "shop/tools/app/main.go": main,
        },
    )
    ix = load_project([str(tmp_path)]).index
    assert sorted(s.name for s in ix.services) == ["bookinfo", "server", "tools"]


def test_a_server_started_outside_main_names_main_and_the_other_servers(tmp_path: Path) -> None:
    server = (
        'package server\n\nimport "net/http"\n\n'
        'func Run() error {\n\tgo http.ListenAndServe(":9090", nil)\n'
        '\treturn http.ListenAndServe(":8080", nil)\n}\n'
    )
    main = 'package main\n\nimport "example.com/shop/internal/server"\n\nfunc main() { _ = server.Run() }\n'
    write_tree(
        tmp_path,
        {"go.mod": GO_MOD, "cmd/api/main.go": main, "internal/server/server.go": server},
    )
    result = check([str(tmp_path)], jobs=1).result
    (f,) = [f for f in result.findings if f.rule_id == "DR214"]
    assert "(and 1 more server(s) of this service)" in f.message
    assert [(r.span.path, r.span.line) for r in f.related] == [
        ("internal/server/server.go", 6 if f.span.line == 7 else 7),
        ("cmd/api/main.go", 5),
    ]


def test_a_makefile_docker_build_sets_the_build_context(tmp_path: Path) -> None:
    # the Dockerfile lives in docker/, the module in api/: only the Makefile's
    # `docker build -f docker/api.Dockerfile api` says the context is api/
    write_tree(
        tmp_path,
        {
            "api/go.mod": "module example.com/api\n\ngo 1.22\n",
            "api/main.go": "package main\n\nfunc main() {}\n",
            "docker/api.Dockerfile": (
                "FROM golang:1.22 AS build\nWORKDIR /src\nCOPY . .\n"
                "RUN CGO_ENABLED=0 go build -o /out/api .\n"
                "FROM gcr.io/distroless/static-debian12\nCOPY --from=build /out/api /api\n"
            ),
            "Makefile": (
                "IMAGE ?= api\n\nimage:\n"
                "\tdocker build -f docker/api.Dockerfile -t $(IMAGE):dev api\n"
            ),
        },
    )
    ix = load_project([str(tmp_path)]).index
    assert ix.builds["docker/api.Dockerfile"].context == "api"
    (tmp_path / "Makefile").write_text("image:\n\tdocker build -f docker/api.Dockerfile $(CTX)\n")
    ix = load_project([str(tmp_path)]).index
    assert ix.builds["docker/api.Dockerfile"].context != "api"  # unknown: not guessed


def test_a_dockerfile_that_builds_two_commands_is_the_one_it_runs(tmp_path: Path) -> None:
    # both binaries ship; CMD runs ./shop: the image (and its workloads) are shop's
    main = "package main\n\nfunc main() {}\n"
    write_tree(
        tmp_path,
        {
            "go.mod": GO_MOD,
            "cmd/shop/main.go": main,
            "cmd/shopctl/main.go": main,
            "Dockerfile": (
                "FROM golang:1.22 AS build\nWORKDIR /src\nCOPY . .\n"
                "RUN CGO_ENABLED=0 go build -o bin/shop cmd/shop/*\n"
                "RUN CGO_ENABLED=0 go build -o bin/shopctl cmd/shopctl/*\n"
                "FROM alpine:3.20\nCOPY --from=build /src/bin/shop .\n"
                'COPY --from=build /src/bin/shopctl /usr/local/bin/\nCMD ["./shop"]\n'
            ),
            "k8s/deploy.yaml": WORKLOAD.format(name="shop"),
        },
    )
    ix = load_project([str(tmp_path)]).index
    assert ix.builds["Dockerfile"].go_build is not None
    assert ix.builds["Dockerfile"].go_build.output == "bin/shop"
    by_name = {s.name: s for s in ix.services}
    assert [b.dockerfile.path for b in by_name["shop"].builds] == ["Dockerfile"]
    assert by_name["shopctl"].builds == ()
    assert [d.workload.name for d in by_name["shop"].deployments] == ["shop"]
