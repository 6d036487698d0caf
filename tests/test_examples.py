"""The bundled example: the service before the migration work shows the planted
problems (examples/README.md), each named by rule id, file and line; its fixed twin
is clean."""

from __future__ import annotations

from pathlib import Path

from conftest import run_check

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"

PLANTED = {
    ("DR101", "cmd/orderservice/main.go", 99),
    ("DR101", "cmd/orderservice/main.go", 110),
    ("DR102", "cmd/orderservice/main.go", 93),
    ("DR103", "cmd/orderservice/main.go", 53),
    ("DR105", "cmd/orderservice/main.go", 31),  # calls inventory and crm, traces nothing
    ("DR106", "cmd/orderservice/main.go", 31),  # serves HTTP, exposes no metrics
    ("DR108", "internal/orders/service.go", 40),
    ("DR109", "internal/orders/service.go", 40),
    ("DR201", "Dockerfile", 11),
    ("DR203", "Dockerfile", 2),
    ("DR205", "go.mod", 1),
    ("DR207", "cmd/orderservice/main.go", 24),
    ("DR209", "cmd/orderservice/main.go", 48),
    ("DR211", "cmd/orderservice/main.go", 32),
    ("DR213", "cmd/orderservice/main.go", 11),
    ("DR214", "cmd/orderservice/main.go", 93),
    ("DR216", "Dockerfile", 11),
    ("DR217", "Dockerfile", 16),
    ("DR227", "Dockerfile", 14),
    ("DR227", "k8s/deployment.yaml", 31),
    ("DR228", "cmd/orderservice/main.go", 48),
    ("DR302", "Dockerfile", 11),
    ("DR304", "Dockerfile", 11),
    ("DR305", "Dockerfile", 20),
    ("DR306", "Dockerfile", 5),
    ("DR307", "Dockerfile", 1),
    ("DR308", "Dockerfile", 14),
    ("DR309", "Dockerfile", 6),
    ("DR309", "Dockerfile", 8),
    ("DR310", "Dockerfile", 8),
    ("DR311", "Dockerfile", 18),
    ("DR401", "k8s/deployment.yaml", 26),
    ("DR403", "k8s/deployment.yaml", 26),
    ("DR404", "k8s/deployment.yaml", 38),
    ("DR405", "k8s/deployment.yaml", 26),
    ("DR407", "k8s/deployment.yaml", 26),
    ("DR408", "k8s/deployment.yaml", 26),
    ("DR410", "k8s/deployment.yaml", 26),
    ("DR413", "k8s/deployment.yaml", 6),
    ("DR414", "k8s/deployment.yaml", 27),
    ("DR415", "k8s/deployment.yaml", 55),
    ("DR417", "k8s/deployment.yaml", 15),
    ("DR420", "cmd/orderservice/main.go", 99),
}


def test_before_shows_exactly_the_planted_findings() -> None:
    result = run_check(EXAMPLES / "orderservice")
    got = {(f.rule_id, f.span.path, f.span.line) for f in result.findings}
    assert got == PLANTED, f"missing: {sorted(PLANTED - got)}; unexpected: {sorted(got - PLANTED)}"


def test_joined_findings_name_the_other_end() -> None:
    result = run_check(EXAMPLES / "orderservice")
    probe = next(f for f in result.findings if f.rule_id == "DR404")
    assert "/healthz" in probe.message and "/health" in probe.message
    assert ("cmd/orderservice/main.go", 61) in {(r.span.path, r.span.line) for r in probe.related}
    port = next(f for f in result.findings if f.rule_id == "DR217")
    assert ("cmd/orderservice/main.go", 93) in {(r.span.path, r.span.line) for r in port.related}


def test_services_and_joins() -> None:
    result = run_check(EXAMPLES / "orderservice")
    (svc,) = result.services
    assert svc.name == "orderservice"
    assert svc.main_packages == ("cmd/orderservice",)
    assert svc.dockerfiles == ("Dockerfile",)
    assert svc.workloads == ("k8s/deployment.yaml#Deployment/orderservice",)


def test_fixed_twin_is_clean() -> None:
    result = run_check(EXAMPLES / "orderservice-fixed")
    assert result.findings == (), [f"{f.rule_id} {f.span}: {f.message}" for f in result.findings]
    (svc,) = result.services
    assert svc.dockerfiles == ("Dockerfile",) and svc.workloads
