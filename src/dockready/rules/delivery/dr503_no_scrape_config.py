"""DR503 no-scrape-config: the service serves /metrics and nothing scrapes its pods."""

from __future__ import annotations

import posixpath
from collections.abc import Iterator

from dockready.facts.derived.http import routes
from dockready.facts.go import Route
from dockready.facts.index import ProjectIndex
from dockready.facts.k8s import Workload
from dockready.model import Related, Severity
from dockready.rules.registry import Context, Hit, Input, NoOptions, rule

#: Annotation prefixes that ask a scraper for the pods: Prometheus' convention,
#: Datadog autodiscovery, Grafana Alloy.
_SCRAPE_ANNOTATIONS = ("prometheus.io/", "ad.datadoghq.com/", "k8s.grafana.com/scrape")
#: Objects that select pods to scrape by label, and ones that select Services.
_POD_MONITORS = frozenset({"PodMonitor", "PodMonitoring", "ClusterPodMonitoring", "VMPodScrape"})
_SERVICE_MONITORS = frozenset({"ServiceMonitor", "VMServiceScrape"})
#: Scrape configuration we cannot join to pods: its presence silences the rule.
_OTHER_SCRAPES = frozenset({"ScrapeConfig", "Probe", "VMScrapeConfig", "VMStaticScrape"})
_LONG_RUNNING = frozenset(
    {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Rollout", "DeploymentConfig"}
)


def _metrics_route(r: Route) -> bool:
    """A route for ``/metrics`` itself (not a catch-all ``/`` that also answers it)."""
    return r.path.strip().rstrip("/") == "/metrics" and r.method in (None, "GET")


def _annotated(pairs: tuple[tuple[str, str], ...]) -> bool:
    return any(k.startswith(_SCRAPE_ANNOTATIONS) for k, _ in pairs)


def _matches(selector: tuple[tuple[str, str], ...], labels: tuple[tuple[str, str], ...]) -> bool:
    have = dict(labels)
    return all(have.get(k) == v for k, v in selector)


def _scraped(ix: ProjectIndex, w: Workload) -> bool:
    if _annotated(w.annotations):
        return True
    services = ix.selecting(w)
    if any(_annotated(s.annotations) for s in services):
        return True
    for o in ix.others:
        if o.kind in _OTHER_SCRAPES:
            return True
        if o.kind in _POD_MONITORS and (not o.selector or _matches(o.selector, w.labels)):
            return True  # no matchLabels: matchExpressions or all pods, it may select
        if o.kind in _SERVICE_MONITORS and (
            not o.selector or any(_matches(o.selector, s.labels) for s in services)
        ):
            return True
    return False


def _scrape_config_files(ix: ProjectIndex) -> bool:
    """A Prometheus configuration, or a monitor template, that we do not read as
    objects (a Helm ``servicemonitor.yaml`` behind a values switch)."""
    for p in ix.all_paths:
        name = posixpath.basename(p).lower()
        if any(k in name for k in ("prometheus", "servicemonitor", "podmonitor", "scrape")):
            return True
    return False


@rule(
    id="DR503",
    name="no-scrape-config",
    severity=Severity.INFO,
    reads=(Input.CODE, Input.K8S),
)
def no_scrape_config(ctx: Context[NoOptions]) -> Iterator[Hit]:
    """
    ## What it does
    Finds a service whose Go code serves Prometheus metrics on `/metrics` and whose
    Kubernetes workload is not scraped: no `prometheus.io/*` annotations on the pod
    template or on a Service that selects it, and no `ServiceMonitor` or
    `PodMonitor` selecting it. Reported on the workload's `kind:` line, with the
    route as the related location.

    Decisions: the workload is the one the index joins to the service (its image,
    name or declared join); a workload that cannot be joined with certainty is not
    judged. Scraping asked for in other ways counts too: Datadog (`ad.datadoghq.com/`)
    and Grafana (`k8s.grafana.com/scrape`) annotations, Google's `PodMonitoring`,
    VictoriaMetrics' `VMPodScrape`/`VMServiceScrape`. A monitor with no
    `matchLabels` (it selects with `matchExpressions`, or everything) may select the
    pods: it counts. A `ScrapeConfig`/`Probe` object, or a file named like a
    Prometheus configuration or a monitor template (`prometheus.yml`,
    `servicemonitor.yaml`) anywhere in the repository, silences the rule: what it
    scrapes is not joined here. Jobs and CronJobs are not judged (they do not live
    long enough to scrape). It is info: a monitor kept in another repository (a
    platform's kube-prometheus set-up) does not show here; suppress the finding then.

    ## Why is this bad?
    Metrics that nobody collects are no use when the service misbehaves: no
    dashboards, no alerts, no history to compare a bad release with. Prometheus on
    Kubernetes discovers targets only through its configuration (by annotation, or
    through the Prometheus Operator's monitors), never by itself.

    ## Example
    ```go
    http.Handle("/metrics", promhttp.Handler())
    ```
    ```yaml
    kind: Deployment
    spec:
      template:
        metadata:
          labels: {app: orders}
    ```

    ## Use instead
    ```yaml
    apiVersion: monitoring.coreos.com/v1
    kind: PodMonitor
    metadata: {name: orders}
    spec:
      selector:
        matchLabels: {app: orders}
      podMetricsEndpoints:
        - port: http
          path: /metrics
    ```
    or, with a Prometheus that scrapes by annotation, on the pod template:
    `prometheus.io/scrape: "true"`, `prometheus.io/port: "8080"`.

    ## Fix safety
    Safe: scraping reads the endpoint. Check the port the annotation or monitor
    names is the one serving `/metrics`.

    ## References
    - [Prometheus Operator: PodMonitor and ServiceMonitor](https://prometheus-operator.dev/docs/developer/getting-started/)
    - [Prometheus: kubernetes_sd_config](https://prometheus.io/docs/prometheus/latest/configuration/configuration/#kubernetes_sd_config)
    """
    ix = ctx.index
    if _scrape_config_files(ix):
        return
    for svc in ix.services:
        if not svc.deployments:
            continue
        served = next(
            ((r, g) for r, g in routes(svc) if _metrics_route(r)),
            None,
        )
        if served is None:
            continue
        route, _ = served
        seen: set[tuple[str, str, str]] = set()
        for dep in svc.deployments:
            w = dep.workload
            if w.kind not in _LONG_RUNNING or w.key in seen or _scraped(ix, w):
                continue
            seen.add(w.key)
            yield Hit(
                w.span,
                f"{w.kind} {w.name} runs {svc.name}, which serves /metrics, but nothing "
                "in this repository scrapes it: no prometheus.io/* annotations on its pods "
                "or Service, no ServiceMonitor/PodMonitor selecting it",
                related=(Related(route.span, "the /metrics route"),),
                service=svc.name,
            )
