"""Go facts from tree-sitter-go: values resolved the way a reader would, listeners,
routes, lifecycle, and robustness on partial trees."""

from __future__ import annotations

from dockready.facts.go import EnvRef, FlagRef, GoFile
from dockready.parse.gosrc import parse_go


def go(src: str) -> GoFile:
    return parse_go("main.go", src.encode())


def test_port_from_env_with_if_fallback() -> None:
    g = go(
        """package main
import ("net/http"; "os")
func main() {
	port := os.Getenv("PORT")
	if port == "" {
		port = "8080"
	}
	http.ListenAndServe(":"+port, nil)
}
"""
    )
    (lst,) = g.listeners
    assert lst.addr is not None
    assert lst.addr.parts == (":", EnvRef("PORT", "8080"))
    assert lst.addr.resolve({}) == ":8080"
    assert lst.addr.resolve({"PORT": "9090"}) == ":9090"
    assert lst.handler == "default"


def test_lookupenv_fallback_and_helper_function() -> None:
    g = go(
        """package main
import ("net/http"; "os")
func getEnv(key, fallback string) string {
	if v, ok := os.LookupEnv(key); ok {
		return v
	}
	return fallback
}
func main() {
	addr := "127.0.0.1:6060"
	if v, ok := os.LookupEnv("ADMIN_ADDR"); ok {
		addr = v
	}
	go http.ListenAndServe(addr, nil)
	srv := &http.Server{Addr: ":" + getEnv("APP_PORT", "8081")}
	srv.ListenAndServe()
}
"""
    )
    admin, app = g.listeners
    assert admin.addr is not None and admin.addr.resolve({}) == "127.0.0.1:6060"
    assert admin.addr.resolve({"ADMIN_ADDR": ":7070"}) == ":7070"
    assert admin.in_goroutine and not admin.blocking
    assert app.addr is not None and app.addr.parts == (":", EnvRef("APP_PORT", "8081"))
    assert app.blocking


def test_constants_flags_sprintf_and_function_returns() -> None:
    g = go(
        """package main
import ("flag"; "fmt"; "net"; "net/http")
const defaultPort = 8080
var admin = flag.String("admin", ":6060", "admin address")
func listenAddr() string { return fmt.Sprintf(":%d", defaultPort) }
func main() {
	flag.Parse()
	http.ListenAndServe(listenAddr(), nil)
	http.ListenAndServe(*admin, nil)
	http.ListenAndServe(net.JoinHostPort("0.0.0.0", "9000"), nil)
}
"""
    )
    a, b, c = (lst.addr for lst in g.listeners)
    assert a is not None and a.literal == ":8080"
    assert b is not None and b.parts == (FlagRef("admin", ":6060"),)
    assert c is not None and c.literal == "0.0.0.0:9000"


def test_routes_go122_gorilla_gin_and_groups() -> None:
    g = go(
        """package main
import (
	"net/http"
	"github.com/gin-gonic/gin"
	"github.com/gorilla/mux"
)
func main() {
	m := http.NewServeMux()
	m.HandleFunc("GET /healthz", nil)
	r := mux.NewRouter()
	r.HandleFunc("/ready", nil).Methods(http.MethodGet)
	e := gin.Default()
	api := e.Group("/api/v1")
	api.POST("/orders", nil)
	e.Run()
}
"""
    )
    got = {(r.path, r.method, r.framework) for r in g.routes}
    assert ("/healthz", "GET", "net/http") in got
    assert ("/ready", "GET", "gorilla") in got
    assert ("/api/v1/orders", "POST", "gin") in got
    gin = next(lst for lst in g.listeners if lst.kind == "gin")
    assert gin.addr is not None and gin.addr.resolve({"PORT": "3000"}) == ":3000"


def test_gorilla_chained_routes_echo_v4_and_assigned_timeouts() -> None:
    g = go(
        """package main
import (
	"net/http"
	"time"
	"github.com/gorilla/mux"
	"github.com/labstack/echo/v4"
)
func main() {
	r := mux.NewRouter()
	r.Methods("GET").Path("/health").Handler(nil)
	r.Path("/items").Methods(http.MethodPost).HandlerFunc(nil)
	r.PathPrefix("/static/").Handler(nil)
	api := r.PathPrefix("/api").Subrouter()
	api.Methods("PUT").Path("/orders").HandlerFunc(nil)
	srv := &http.Server{Handler: r}
	srv.ReadHeaderTimeout = 5 * time.Second
	e := echo.New()
	e.Server.ReadTimeout = time.Second
	e.Start(":8081")
}
"""
    )
    got = {(r.path, r.method, r.router) for r in g.routes}
    assert got == {
        ("/health", "GET", "r"),
        ("/items", "POST", "r"),
        ("/static/", None, "r"),
        ("/api/orders", "PUT", "api"),
    }
    assert [lst.kind for lst in g.listeners] == ["echo"]  # echo/v4 is package echo
    assert g.timeouts == ("e.Server", "srv")


def test_signals_shutdown_timeout_and_closures() -> None:
    g = go(
        """package main
import (
	"context"; "net/http"; "os/signal"; "syscall"; "time"
	"golang.org/x/sync/errgroup"
)
func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	srv := &http.Server{Addr: ":8080", ReadHeaderTimeout: 5 * time.Second}
	var g errgroup.Group
	g.Go(func() error { return srv.ListenAndServe() })
	<-ctx.Done()
	sctx, cancel := context.WithTimeout(context.Background(), 25*time.Second)
	defer cancel()
	_ = srv.Shutdown(sctx)
	_ = g.Wait()
}
"""
    )
    (sig,) = g.signals
    assert sig.signals == ("SIGTERM",)
    (sd,) = g.shutdowns
    assert sd.timeout == 25.0 and sd.cancellable
    (lst,) = g.listeners
    assert lst.in_closure and not lst.blocking
    (lit,) = g.literals
    header = lit.field("ReadHeaderTimeout")
    assert header is not None and header.seconds == 5.0


def test_publish_receiver_type_and_discarded_error() -> None:
    g = go(
        """package orders
import "github.com/nats-io/nats.go"
type Service struct{ nc *nats.Conn }
func (s *Service) Notify() {
	s.nc.Publish("order.created", nil)
	if err := s.nc.Publish("order.paid", nil); err != nil {
		panic(err)
	}
}
"""
    )
    pubs = [c for c in g.calls if c.name == "Publish"]
    assert [c.receiver_pkg for c in pubs] == ["github.com/nats-io/nats.go"] * 2
    assert [c.discarded for c in pubs] == [True, False]
    assert {c.func for c in pubs} == {"(*Service).Notify"}


def test_secret_strings_are_bound_to_their_names() -> None:
    g = go(
        """package main
const dbPassword = "s3cr3t-Passw0rd!"
var cfg = map[string]string{"api_key": "abcd1234efgh"}
func main() {
	token := "ghp_0123456789abcdefghijklmnopqrstuvwxyz"
	name := "not a secret"
	_, _ = token, name
}
"""
    )
    keyed = {s.key: s.value for s in g.strings}
    assert keyed["dbPassword"] == "s3cr3t-Passw0rd!"
    assert keyed["api_key"] == "abcd1234efgh"
    assert keyed["token"].startswith("ghp_")
    assert "not a secret" not in {s.value for s in g.strings}


def test_partial_tree_keeps_the_parsable_parts() -> None:
    g = go(
        """package main
import "net/http"
func main() {
	http.ListenAndServe(":8080", nil)
}
func broken() {
	x := := 1
}
"""
    )
    assert g.error is not None and g.error.line == 7
    assert any(c.callee == "net/http.ListenAndServe" for c in g.calls)


def test_the_first_syntax_error_is_the_earliest_every_time() -> None:
    # Many ERROR nodes: a query returns them in no stable order, so the notice's line
    # once changed from one parse of the same file to the next.
    body = "".join(f"\tx{i} = compute({i})\n" for i in range(6))
    source = f"package store\n\nfunc f() interface {{\n{body}}}\n"
    spots = {go(source).error for _ in range(40)}
    assert [(s.line, s.col) for s in spots if s is not None] == [(4, 2)]


def test_cgo_and_imports() -> None:
    g = go(
        'package main\n// #include <stdio.h>\nimport "C"\nimport _ "time/tzdata"\nfunc main() {}\n'
    )
    assert g.cgo is not None and g.cgo.line == 3
    assert g.import_of("time/tzdata") is not None


def test_columns_count_characters_not_bytes() -> None:
    # "é" and "€" are 2 and 3 bytes in UTF-8: the call after them is at character 28.
    src = 'package main\n\nimport "net/http"\n\nfunc main() {\n\t_ = "é€"; _ = http.ListenAndServe(":8080", nil)\n}\n'
    g = parse_go("main.go", src.encode())
    (call,) = [c for c in g.calls if c.callee.endswith("ListenAndServe")]
    line = src.splitlines()[call.span.line - 1]
    assert line[call.span.col - 1 :].startswith("http.ListenAndServe")
