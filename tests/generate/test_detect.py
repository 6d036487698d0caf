"""``generate/detect.py``: what ``dockready init`` reads from a service, on the bundled
examples, on rule fixtures and on small trees written here."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import write_tree

from dockready.commands.init import load_index
from dockready.facts.go import GoMod, Require
from dockready.generate.detect import detect, private_modules, service_name
from dockready.generate.model import InitFacts
from dockready.model import Span

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"
FIXTURES = REPO / "tests" / "fixtures"
LEDGER = Path(__file__).parent / "fixtures" / "ledger"

GO_MOD = "module example.com/svc\n\ngo 1.22\n"


def facts_of(path: Path) -> list[InitFacts]:
    root, ix = load_index(str(path))
    return detect(ix, root)


def only(path: Path) -> InitFacts:
    (f,) = facts_of(path)
    return f


def main_go(body: str, imports: str = '"net/http"') -> str:
    return f"package main\n\nimport (\n{imports}\n)\n\nfunc main() {{\n{body}\n}}\n"


# -- the bundled examples ------------------------------------------------------------


def test_orderservice_fixed() -> None:
    f = only(EXAMPLES / "orderservice-fixed")
    assert (f.name, f.root, f.module) == ("orderservice", ".", "example.com/orderservice")
    assert f.main_pkg == "./cmd/orderservice"
    assert (f.go_version, f.toolchain) == ("1.22", None)
    assert not f.cgo and not f.vendor and f.has_go_sum
    assert f.private_modules == ()  # example.com is a reserved example host
    # Addr is ":" + cfg.httpPort, a struct field: unknown. ORDERS_HTTP_PORT is the one
    # variable that can only be the port, so the image sets it to the default port.
    assert (f.port, f.port_env) == (8080, "ORDERS_HTTP_PORT")
    assert f.listen_env == (("ORDERS_HTTP_PORT", "8080"),)
    # /debug/pprof/ on the loopback admin server is not a candidate.
    assert (f.health_path, f.ready_path) == ("/healthz", "/readyz")
    assert f.shutdown_timeout == 20.0
    assert f.writes_tmp  # os.CreateTemp(os.TempDir(), ...)
    assert f.needs_tls  # https://api.fx.example.com
    assert not f.needs_tz  # time.LoadLocation, but time/tzdata is imported
    assert f.listens and not f.grpc
    assert f.dockerfile == "Dockerfile"
    (warning,) = f.warnings
    assert "cfg.httpPort cannot be read" in warning and "ORDERS_HTTP_PORT=8080" in warning


def test_orderservice_before() -> None:
    f = only(EXAMPLES / "orderservice")
    assert (f.port, f.port_env, f.listen_env) == (8080, "PORT", (("PORT", "8080"),))
    assert (f.health_path, f.ready_path) == ("/health", None)
    assert not f.has_go_sum
    assert f.needs_tz  # time.LoadLocation without time/tzdata
    assert f.write_dirs == ("/var/log",)  # /var/log/orderservice.log
    assert any("no go.sum" in w and "DR205" in w for w in f.warnings)


def test_cgo_vendor_private_fixture() -> None:
    f = only(LEDGER)
    assert f.module == "git.corp.example/payments/ledger"
    assert f.main_pkg == "./cmd/ledger"
    assert (f.go_version, f.toolchain) == ("1.22.3", "go1.23.4")
    assert f.cgo  # go-sqlite3, imported by internal/store, which main imports
    assert f.vendor and f.has_go_sum
    assert f.private_modules == ("git.corp.example",)
    assert (f.port, f.port_env) == (8081, "LEDGER_PORT")
    assert (f.health_path, f.ready_path) == ("/livez", "/readyz")
    assert f.config_files == ("configs/ledger.yaml",)
    assert f.shutdown_timeout == 15.0


def test_cgo_from_import_c() -> None:
    assert only(FIXTURES / "DR202" / "good").cgo


# -- listeners and routes ---------------------------------------------------------------


def test_health_route_on_another_port_is_not_probed_on_the_service_port() -> None:
    # /readyz on :8080, /healthz only on the admin server :9090.
    f = only(FIXTURES / "DR404" / "good-admin-port")
    assert (f.port, f.health_path, f.ready_path) == (8080, None, "/readyz")


def test_the_server_with_health_routes_beats_the_pprof_one() -> None:
    # A default-mux server on :7070 (pprof imported) and the app's mux on :8080.
    f = only(FIXTURES / "DR415" / "good-compose")
    assert (f.port, f.health_path) == (8080, "/healthz")


def test_loopback_host_from_env_is_opened_up() -> None:
    f = only(FIXTURES / "DR218" / "good-env-override")
    assert f.port == 8080
    assert f.listen_env == (("HOST", "0.0.0.0"), ("PORT", "8080"))
    assert f.warnings == ()


def test_loopback_only_is_a_warning() -> None:
    f = only(FIXTURES / "DR001" / "good")
    assert any("loopback" in w and "DR218" in w for w in f.warnings)


def test_loopback_default_of_a_whole_address_from_env_is_not_a_warning() -> None:
    # Addr: getenv("LISTEN_ADDR", "localhost:8080"): the image sets LISTEN_ADDR=:8080,
    # so the loopback default never applies.
    f = only(FIXTURES / "DR218" / "bad")
    assert (f.port, f.addr_env, f.listen_env) == (8080, "LISTEN_ADDR", (("LISTEN_ADDR", ":8080"),))
    assert not any("loopback" in w for w in f.warnings), f.warnings


def test_pprof_on_the_service_listener_is_a_warning() -> None:
    f = only(FIXTURES / "DR213" / "bad")  # net/http/pprof imported, the default mux on :8080
    assert any("serves net/http/pprof" in w and "DR213" in w for w in f.warnings), f.warnings
    # pprof on a loopback admin listener, the app on its own mux: nothing to say.
    assert not any("pprof" in w for w in only(EXAMPLES / "orderservice-fixed").warnings)
    assert not any("pprof" in w for w in only(FIXTURES / "DR415" / "good-compose").warnings)


def test_whole_address_from_env(tmp_path: Path) -> None:
    body = '\taddr := os.Getenv("ADDR")\n\tif addr == "" {\n\t\taddr = ":9000"\n\t}\n'
    body += "\t_ = http.ListenAndServe(addr, nil)"
    root = write_tree(tmp_path, {"go.mod": GO_MOD, "main.go": main_go(body, '"net/http"\n"os"')})
    f = only(root)
    assert (f.port, f.addr_env, f.port_env) == (9000, "ADDR", None)
    assert f.listen_env == (("ADDR", ":9000"),)


def test_port_env_without_default_gets_the_default_port(tmp_path: Path) -> None:
    body = '\t_ = http.ListenAndServe(":"+os.Getenv("PORT"), nil)'
    root = write_tree(tmp_path, {"go.mod": GO_MOD, "main.go": main_go(body, '"net/http"\n"os"')})
    f = only(root)
    assert (f.port, f.port_env, f.listen_env) == (8080, "PORT", (("PORT", "8080"),))


def test_go122_patterns_and_health_words(tmp_path: Path) -> None:
    body = "\n".join(
        [
            "\tmux := http.NewServeMux()",
            '\tmux.HandleFunc("GET /api/{id}", nil)',
            '\tmux.HandleFunc("POST /healthz", nil)',  # not a GET: no probe
            '\tmux.HandleFunc("GET /ping", nil)',
            '\tmux.HandleFunc("GET /health/{$}", nil)',
            '\tmux.HandleFunc("/ready", nil)',
            '\t_ = http.ListenAndServe(":8000", mux)',
        ]
    )
    root = write_tree(tmp_path, {"go.mod": GO_MOD, "main.go": main_go(body)})
    f = only(root)
    assert f.port == 8000
    assert (f.health_path, f.ready_path) == ("/health/", "/ready")


def test_grpc_service(tmp_path: Path) -> None:
    imports = '"net"\n"os"\n"time"\n"google.golang.org/grpc"\n'
    imports += (
        '"google.golang.org/grpc/health"\nhealthpb "google.golang.org/grpc/health/grpc_health_v1"'
    )
    body = "\n".join(
        [
            '\tloc, _ := time.LoadLocation("Europe/Paris")',
            "\t_ = loc",
            '\tf, _ := os.CreateTemp("", "x")',
            "\t_ = f",
            '\t_ = os.MkdirAll("/var/cache/inv", 0o755)',
            '\tlis, _ := net.Listen("tcp", ":50051")',
            "\ts := grpc.NewServer()",
            "\thealthpb.RegisterHealthServer(s, health.NewServer())",
            "\t_ = s.Serve(lis)",
        ]
    )
    root = write_tree(tmp_path, {"go.mod": GO_MOD, "main.go": main_go(body, imports)})
    f = only(root)
    assert f.grpc and f.grpc_health
    assert f.port == 50051
    assert f.health_path is None
    assert f.needs_tz and f.writes_tmp
    assert f.write_dirs == ("/var/cache/inv",)


def test_unreadable_address_without_a_port_variable(tmp_path: Path) -> None:
    body = "\tsrv := &http.Server{Addr: cfg(), ReadHeaderTimeout: 5}\n\t_ = srv.ListenAndServe()"
    body += '\n\t_ = os.Getenv("DB_PORT")'
    root = write_tree(tmp_path, {"go.mod": GO_MOD, "main.go": main_go(body, '"net/http"\n"os"')})
    f = only(root)
    assert (f.port, f.port_env, f.listen_env) == (8080, None, ())
    assert any("cannot be read" in w and "assumed :8080" in w for w in f.warnings)


def test_worker_does_not_listen(tmp_path: Path) -> None:
    root = write_tree(tmp_path, {"go.mod": GO_MOD, "main.go": main_go("\tfmt.Println(1)", '"fmt"')})
    f = only(root)
    assert not f.listens


# -- modules, configuration, layout -------------------------------------------------------


def _mod(module: str, *requires: str) -> GoMod:
    span = Span("go.mod", 1, 1)
    return GoMod(
        "go.mod",
        module,
        "1.22",
        span,
        None,
        None,
        tuple(Require(r, "v1.0.0", False, span) for r in requires),
    )


@pytest.mark.parametrize(
    ("module", "requires", "expected"),
    [
        ("github.com/acme/svc", ("github.com/acme/lib",), ()),
        ("example.com/svc", ("example.com/lib",), ()),
        (
            "git.corp.example/team/svc",
            ("git.corp.example/team/lib", "github.com/x/y"),
            ("git.corp.example",),
        ),
        ("git.corp.example/team/svc", ("github.com/x/y",), ()),
        ("svc", ("svc/lib",), ()),
    ],
)
def test_private_modules(module: str, requires: tuple[str, ...], expected: tuple[str, ...]) -> None:
    assert private_modules(_mod(module, *requires)) == expected


def test_service_name() -> None:
    assert service_name("OrderService") == "orderservice"
    assert service_name("cmd/api_v2") == "cmd-api-v2"
    assert service_name("__") == "svc"
    assert service_name("2fa") == "svc-2fa"


def test_config_files_shipped_and_missing(tmp_path: Path) -> None:
    body = "\n".join(
        [
            '\t_, _ = os.ReadFile("./config/app.yaml")',
            '\t_, _ = os.ReadFile("absent.toml")',
            '\t_, _ = os.Open("/etc/svc/settings.json")',
        ]
    )
    root = write_tree(
        tmp_path,
        {"go.mod": GO_MOD, "main.go": main_go(body, '"os"'), "config/app.yaml": "a: 1\n"},
    )
    f = only(root)
    assert f.config_files == ("config/app.yaml",)
    assert f.missing_configs == ("/absent.toml", "/etc/svc/settings.json")
    assert sum("DR314" in w and "ConfigMap svc-config" in w for w in f.warnings) == 2


def test_vendor_out_of_sync_is_a_warning() -> None:
    f = only(FIXTURES / "DR204" / "bad-out-of-sync")
    assert f.vendor
    (w,) = [w for w in f.warnings if "DR204" in w]
    assert "github.com/lib/pq is v1.10.9 in go.mod but v1.10.7 in vendor/" in w
    assert "go mod vendor" in w
    assert not any("DR204" in w for w in only(LEDGER).warnings)  # in sync


def test_module_with_two_services(tmp_path: Path) -> None:
    listen = '\t_ = http.ListenAndServe(":8080", nil)'
    root = write_tree(
        tmp_path,
        {
            "go.mod": GO_MOD,
            "cmd/api/main.go": main_go(listen),
            "cmd/worker/main.go": main_go("\tfmt.Println(1)", '"fmt"'),
        },
    )
    found = {f.name: f for f in facts_of(root)}
    assert set(found) == {"api", "worker"}
    assert found["api"].dockerfile == "Dockerfile.api"
    assert found["api"].main_pkg == "./cmd/api"
    assert found["worker"].dockerfile == "Dockerfile.worker"


def test_nested_module_root(tmp_path: Path) -> None:
    root = write_tree(
        tmp_path,
        {
            "services/billing/go.mod": "module example.com/billing\n\ngo 1.23.1\n",
            "services/billing/main.go": main_go('\t_ = http.ListenAndServe(":8080", nil)'),
        },
    )
    f = only(root)
    assert (f.root, f.main_pkg, f.go_version) == ("services/billing", ".", "1.23.1")


def test_no_go_mod_is_no_service(tmp_path: Path) -> None:
    root = write_tree(tmp_path, {"main.go": main_go('\t_ = http.ListenAndServe(":8080", nil)')})
    assert facts_of(root) == []


@pytest.mark.parametrize(
    ("imports", "call", "why"),
    [
        ('"github.com/pressly/goose/v3"', 'goose.Up(nil, "migrations")', "migrations (goose)"),
        (
            '"github.com/golang-migrate/migrate/v4"',
            "migrate.NewWithDatabaseInstance()",
            "migrations (golang-migrate)",
        ),
        ('"github.com/cenkalti/backoff/v4"', "backoff.Retry(nil, nil)", "with backoff"),
        ('"gorm.io/gorm"', "db.AutoMigrate(nil)", "gorm AutoMigrate"),
    ],
)
def test_slow_start(tmp_path: Path, imports: str, call: str, why: str) -> None:
    body = f'\tvar db *gorm.DB\n\t_ = db\n\t{call}\n\t_ = http.ListenAndServe(":8080", nil)'
    if "gorm" not in imports:
        body = f'\t{call}\n\t_ = http.ListenAndServe(":8080", nil)'
    root = write_tree(
        tmp_path, {"go.mod": GO_MOD, "main.go": main_go(body, f'"net/http"\n{imports}')}
    )
    f = only(root)
    assert f.slow_start and f.slow_start_why is not None and why in f.slow_start_why


def test_fast_start_has_no_startup_probe(tmp_path: Path) -> None:
    body = '\t_, _ = sql.Open("pgx", "")\n\t_ = http.ListenAndServe(":8080", nil)'
    root = write_tree(
        tmp_path, {"go.mod": GO_MOD, "main.go": main_go(body, '"net/http"\n"database/sql"')}
    )
    f = only(root)
    assert not f.slow_start and f.slow_start_why is None


# -- local replacements: the build context ------------------------------------------------

MONOREPO = FIXTURES / "DR206" / "good-monorepo"


def test_local_replace_widens_the_build_context() -> None:
    f = only(MONOREPO)
    assert (f.root, f.context, f.local_modules) == ("services/api", "../..", ("libs/shared",))
    assert not f.warnings


def _mono(tmp_path: Path, replace: str, extra: dict[str, str] | None = None) -> Path:
    files = {
        "svc/go.mod": f"module example.com/svc\n\ngo 1.22\n\nrequire example.com/lib v0.0.0\n\n{replace}\n",
        "svc/main.go": main_go('\t_ = http.ListenAndServe(":8080", nil)'),
        "lib/go.mod": "module example.com/lib\n\ngo 1.22\n",
        "lib/lib.go": "package lib\n",
        **(extra or {}),
    }
    return write_tree(tmp_path, files)


def test_replacements_are_followed_transitively(tmp_path: Path) -> None:
    root = _mono(
        tmp_path,
        "replace example.com/lib => ../lib",
        {
            "lib/go.mod": "module example.com/lib\n\ngo 1.22\n\nreplace example.com/util => ../third_party/util\n",
            "third_party/util/go.mod": "module example.com/util\n\ngo 1.22\n",
        },
    )
    f = only(root)
    assert (f.context, f.local_modules) == ("..", ("lib", "third_party/util"))


def test_vendored_module_keeps_its_own_context(tmp_path: Path) -> None:
    root = _mono(
        tmp_path,
        "replace example.com/lib => ../lib",
        {
            "svc/vendor/modules.txt": "# example.com/lib v0.0.0 => ../lib\n## explicit\nexample.com/lib\n"
        },
    )
    f = only(root)
    assert f.vendor and (f.context, f.local_modules) == (".", ())


def test_replacement_inside_the_module_needs_nothing(tmp_path: Path) -> None:
    root = _mono(
        tmp_path, "replace example.com/lib => ./third_party/lib",
        {"svc/third_party/lib/go.mod": "module example.com/lib\n\ngo 1.22\n"},
    )  # fmt: skip
    assert (only(root).context, only(root).local_modules) == (".", ())


@pytest.mark.parametrize(
    ("replace", "says"),
    [
        ("replace example.com/lib => /opt/src/lib", "an absolute path no build context holds"),
        ("replace example.com/lib => ../../elsewhere/lib", "outside the checked directory"),
    ],
)
def test_replacements_that_cannot_be_placed_are_warnings(
    tmp_path: Path, replace: str, says: str
) -> None:
    f = only(_mono(tmp_path, replace))
    assert f.context == "."
    (w,) = [w for w in f.warnings if "replaces example.com/lib" in w]
    assert w.startswith("svc/go.mod:7 ") and says in w
