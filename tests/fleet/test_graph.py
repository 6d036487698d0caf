"""The fleet's dependency graph: names a service answers to, addresses it calls,
and the joins across repositories (only certain ones)."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import write_tree

from dockready.fleet import graph
from dockready.fleet.graph import Address, Edge, Links
from dockready.fleet.worker import check_repository

MAIN = """package main

import (
\t"net/http"
)

func main() {
\thttp.ListenAndServe(":8080", nil)
}
"""

GRPC_MAIN = """package main

import (
\t"net/http"

\t"google.golang.org/grpc"
\t"google.golang.org/grpc/credentials/insecure"
)

func main() {
\tconn, err := grpc.NewClient({target},
\t\tgrpc.WithTransportCredentials(insecure.NewCredentials()))
\tif err != nil {
\t\tpanic(err)
\t}
\tdefer conn.Close()
\thttp.ListenAndServe(":8080", nil)
}
"""


DOCKERFILE = """FROM golang:1.22 AS build
WORKDIR /src
COPY . .
RUN CGO_ENABLED=0 go build -o /out/{name} .
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/{name} /{name}
ENTRYPOINT ["/{name}"]
"""


def go_service(name: str, main: str = MAIN) -> dict[str, str]:
    return {
        f"{name}/go.mod": f"module example.com/{name}\n\ngo 1.22\n",
        f"{name}/main.go": main,
        f"{name}/Dockerfile": DOCKERFILE.replace("{name}", name),
    }


def links(path: Path) -> dict[str, Links]:
    return {lk.service: lk for lk in check_repository(str(path)).links}


def test_compose_env_url_and_depends_on_are_addresses(tmp_path: Path) -> None:
    repo = write_tree(
        tmp_path / "shop",
        {
            **go_service("orders"),
            **go_service("payments"),
            "compose.yaml": (
                "services:\n"
                "  orders:\n"
                "    build: ./orders\n"
                "    environment:\n"
                "      PAYMENTS_URL: http://payments:8080/pay\n"
                "      TRACING: https://collector.example.com:4318\n"
                "      LOG_LEVEL: payments\n"
                "  payments:\n"
                "    build: ./payments\n"
                "    depends_on:\n"
                "      - orders\n"
                "      - postgres\n"
                "  postgres:\n"
                "    image: postgres:16\n"
            ),
        },
    )
    got = links(repo)
    assert got["orders"].names == (("orders", None),)
    assert got["orders"].calls == (Address("payments", None, "env", "compose.yaml:5", local=True),)
    assert got["payments"].calls == (
        Address("orders", None, "depends_on", "compose.yaml:10", local=True),
        Address("postgres", None, "depends_on", "compose.yaml:10", local=True),
    )
    g = graph.build([(str(repo), ["orders", "payments"], got.values())])
    src = str(repo)
    assert g.edges == (
        Edge((src, "orders"), (src, "payments"), "env", "compose.yaml:5"),
        Edge((src, "payments"), (src, "orders"), "depends_on", "compose.yaml:10"),
    )
    assert g.notes == ()  # postgres and the collector are no service of the fleet


def test_k8s_env_and_grpc_targets_join_across_repositories(tmp_path: Path) -> None:
    orders = write_tree(
        tmp_path / "orders",
        {
            **go_service("orders"),
            "k8s/orders.yaml": (
                "apiVersion: apps/v1\n"
                "kind: Deployment\n"
                "metadata: {name: orders, namespace: shop}\n"
                "spec:\n"
                "  selector: {matchLabels: {app: orders}}\n"
                "  template:\n"
                "    metadata: {labels: {app: orders}}\n"
                "    spec:\n"
                "      containers:\n"
                "        - name: orders\n"
                "          image: registry.example.com/orders:1.0\n"
                "          env:\n"
                "            - name: STOCK_URL\n"
                "              value: http://stock-api.shop.svc.cluster.local:8080/v1\n"
                "---\n"
                "apiVersion: v1\n"
                "kind: Service\n"
                "metadata: {name: orders-api, namespace: shop}\n"
                "spec:\n"
                "  selector: {app: orders}\n"
                "  ports: [{port: 50051}]\n"
            ),
        },
    )
    stock = write_tree(
        tmp_path / "stock",
        {
            **go_service("stock"),
            "k8s/stock.yaml": (
                "apiVersion: apps/v1\n"
                "kind: Deployment\n"
                "metadata: {name: stock, namespace: shop}\n"
                "spec:\n"
                "  selector: {matchLabels: {app: stock}}\n"
                "  template:\n"
                "    metadata: {labels: {app: stock}}\n"
                "    spec:\n"
                "      containers:\n"
                "        - name: stock\n"
                "          image: registry.example.com/stock:1.0\n"
                "---\n"
                "apiVersion: v1\n"
                "kind: Service\n"
                "metadata: {name: stock-api, namespace: shop}\n"
                "spec:\n"
                "  selector: {app: stock}\n"
                "  ports: [{port: 8080}]\n"
            ),
        },
    )
    web = write_tree(
        tmp_path / "web",
        go_service("web", GRPC_MAIN.replace("{target}", '"dns:///orders-api.shop:50051"')),
    )
    by = {
        p: links(p)
        for p in (orders, stock, web)  # each repository is checked on its own
    }
    assert ("orders-api", "shop") in by[orders]["orders"].names
    assert by[web]["web"].calls == (Address("orders-api", "shop", "grpc", "web/main.go:11"),)
    assert by[orders]["orders"].calls == (
        Address("stock-api", "shop", "env", "k8s/orders.yaml:13", caller_namespace="shop"),
    )
    g = graph.build((str(p), list(lk), lk.values()) for p, lk in by.items())
    assert set(g.edges) == {
        Edge((str(orders), "orders"), (str(stock), "stock"), "env", "k8s/orders.yaml:13"),
        Edge((str(web), "web"), (str(orders), "orders"), "grpc", "web/main.go:11"),
    }


@pytest.mark.parametrize(
    ("value", "hosts"),
    [
        ("orders:8080", [("orders", None)]),
        ("http://orders.shop.svc.cluster.local:8080/x", [("orders", "shop")]),
        ("orders.shop.svc:80", [("orders", "shop")]),
        ("postgres://app:secret@db:5432/app", [("db", None)]),
        ("kafka-0:9092,kafka-1:9092", [("kafka-0", None), ("kafka-1", None)]),
        ("dns:///orders:50051", [("orders", None)]),
        ("orders", []),  # a word: no port, no scheme
        ("api.example.com:443", []),  # not name.namespace[.svc[.cluster.local]]
        ("localhost:8080", []),
        ("${ORDERS_HOST}:8080", []),
        ("http://[::1]:80", []),
        ("x" * 5000 + ":80", []),
    ],
)
def test_hosts_in(value: str, hosts: list[tuple[str, str | None]]) -> None:
    assert graph.hosts_in(value) == hosts


def test_an_ambiguous_name_makes_no_edge_and_a_note() -> None:
    calls = (Address("orders", None, "env", "compose.yaml:7"),)
    g = graph.build(
        [
            ("/src/web", ["web"], [Links("web", (("web", None),), calls)]),
            ("/src/a", ["orders"], [Links("orders", (("orders", None),), ())]),
            ("/src/b", ["orders"], [Links("orders", (("orders", None),), ())]),
        ]
    )
    assert g.edges == ()
    assert g.notes == (
        "web: env 'orders' at compose.yaml:7 answers to 2 services "
        "(orders (a), orders (b)): no edge",
    )


def test_the_callers_repository_answers_first() -> None:
    calls = (Address("orders", None, "env", "compose.yaml:7"),)
    g = graph.build(
        [
            ("/src/a", ["web", "orders"], [
                Links("web", (("web", None),), calls),
                Links("orders", (("orders", None),), ()),
            ]),
            ("/src/b", ["orders"], [Links("orders", (("orders", None),), ())]),
        ]
    )  # fmt: skip
    assert [(e.caller, e.callee) for e in g.edges] == [(("/src/a", "web"), ("/src/a", "orders"))]
    assert g.notes == ()


def test_namespaces_must_agree() -> None:
    def svc(ns: str) -> Links:
        return Links("orders", (("orders", None), ("orders-api", ns)), ())

    short = Address("orders-api", None, "env", "k8s/web.yaml:20", caller_namespace="shop")
    full = Address("orders-api", "billing", "env", "k8s/web.yaml:22", caller_namespace="shop")
    g = graph.build(
        [
            ("/src/web", ["web"], [Links("web", (("web", None),), (short, full))]),
            ("/src/a", ["orders"], [svc("shop")]),
            ("/src/b", ["orders"], [svc("billing")]),
        ]
    )
    assert [(e.callee, e.evidence) for e in g.edges] == [
        (("/src/a", "orders"), "k8s/web.yaml:20"),
        (("/src/b", "orders"), "k8s/web.yaml:22"),
    ]


def test_a_service_calling_itself_and_a_failed_repository_are_no_edge() -> None:
    me = Links("orders", (("orders", None),), (Address("orders", None, "env", "Dockerfile:4"),))
    g = graph.build([("/src/a", ["orders"], [me])])
    assert g.edges == () and g.notes == ()
    assert g.nodes == (("/src/a", "orders"),)


def test_a_name_of_the_callers_own_repository_does_not_leave_it(tmp_path: Path) -> None:
    shop = write_tree(
        tmp_path / "shop",
        {
            **go_service("orders"),
            "compose.yaml": (
                "services:\n"
                "  orders:\n"
                "    build: ./orders\n"
                "    environment:\n"
                "      DB_ADDR: db:5432\n"
                "      CACHE_ADDR: cache:6379\n"
                "    depends_on: [db]\n"
                "  db:\n"
                "    image: postgres:16\n"
            ),
        },
    )
    # another repository has Go services named db and cache
    other = write_tree(tmp_path / "other", {**go_service("db"), **go_service("cache")})
    by = {p: links(p) for p in (shop, other)}
    g = graph.build((str(p), list(lk), lk.values()) for p, lk in by.items())
    # db is the compose file's postgres: no edge; cache is nothing local: the fleet's
    assert [(e.caller[1], e.callee, e.kind) for e in g.edges] == [
        ("orders", (str(other), "cache"), "env")
    ]


CONFIG_MAIN = """package main

import (
\t"net/http"
\t"os"
)

func main() {
\t_, _ = os.ReadFile("config.yaml")
\thttp.ListenAndServe(":8080", nil)
}
"""


def test_configmap_values_and_config_files_are_addresses(tmp_path: Path) -> None:
    """``configMapKeyRef`` and ``envFrom`` values come from the ConfigMap of the tree
    (evidence: its line); a config file the code reads states addresses too."""
    repo = write_tree(
        tmp_path / "shop",
        {
            **go_service("web", CONFIG_MAIN),
            "web/config.yaml": "stock_addr: stock:9000\nlog_level: info\n",
            "k8s/web.yaml": (
                "apiVersion: v1\n"
                "kind: ConfigMap\n"
                "metadata: {name: web-env, namespace: shop}\n"
                "data:\n"
                "  ORDERS_ADDR: orders:8080\n"
                "  PAYMENTS_URL: http://payments.shop:8080\n"
                "  LOG_LEVEL: info\n"
                "---\n"
                "apiVersion: apps/v1\n"
                "kind: Deployment\n"
                "metadata: {name: web, namespace: shop}\n"
                "spec:\n"
                "  selector: {matchLabels: {app: web}}\n"
                "  template:\n"
                "    metadata: {labels: {app: web}}\n"
                "    spec:\n"
                "      containers:\n"
                "        - name: web\n"
                "          image: registry.example.com/web:1.0\n"
                "          env:\n"
                "            - name: ORDERS_ADDR\n"
                "              valueFrom:\n"
                "                configMapKeyRef: {name: web-env, key: ORDERS_ADDR}\n"
                "          envFrom:\n"
                "            - configMapRef: {name: web-env}\n"
            ),
        },
    )
    calls = set(links(repo)["web"].calls)
    assert Address("orders", None, "env", "k8s/web.yaml:5", caller_namespace="shop") in calls
    assert Address("payments", "shop", "env", "k8s/web.yaml:6", caller_namespace="shop") in calls
    assert Address("stock", None, "config", "web/config.yaml:1") in calls
    assert not any(a.name == "info" for a in calls)
