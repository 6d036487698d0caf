"""DR424 service-link-env-collision: the code reads `<NAME>_PORT` and a Service named NAME sets it."""

from __future__ import annotations

from collections.abc import Iterator

from dockready.facts.derived.envreads import certain_join, reads
from dockready.facts.derived.runtime import workload_runtime
from dockready.facts.index import ProjectIndex
from dockready.facts.k8s import KService
from dockready.model import Related, Severity
from dockready.rules.registry import Context, Hit, Input, NoOptions, rule


def _link_name(s: KService) -> str:
    """The prefix of a Service's link variables: ``order-db`` → ``ORDER_DB``."""
    return s.name.upper().replace("-", "_")


def _services_by_link(ix: ProjectIndex) -> dict[tuple[str, str], KService]:
    out: dict[tuple[str, str], KService] = {}
    for s in ix.kservices:
        out.setdefault((s.namespace, _link_name(s)), s)
    return out


@rule(
    id="DR424",
    name="service-link-env-collision",
    severity=Severity.WARNING,
    reads=(Input.K8S,),
)
def service_link_env_collision(ctx: Context[NoOptions]) -> Iterator[Hit]:
    """
    ## What it does
    Finds code that reads an environment variable `<NAME>_PORT` (`os.Getenv`,
    `os.LookupEnv` with a literal name) while a Kubernetes Service called `<name>`
    lives in the namespace of the workload that runs the code, the workload does not
    set `enableServiceLinks: false`, and the container does not set that variable
    itself. Kubernetes then sets it to the Service's link value,
    `tcp://<cluster IP>:<port>`, in every container of the namespace.

    Only `<NAME>_PORT` collides: the kubelet also sets `<NAME>_SERVICE_HOST`,
    `<NAME>_SERVICE_PORT` and `<NAME>_PORT_<port>_TCP...`, which are meant to be read,
    and no `<NAME>_HOST`. The workload must certainly run the service's image, and a
    container whose environment has sources we cannot read (`envFrom` of a Secret)
    is left alone.

    ## Why is this bad?
    The code expects a port number (`8080`) and gets a URL (`tcp://10.96.12.7:6379`):
    `strconv.Atoi` fails, or `":" + os.Getenv("REDIS_PORT")` becomes an address that
    does not parse, and the pod crash-loops in Kubernetes while it works under
    Docker and compose. It appears, or not, depending on whether the Service existed
    when the pod started.

    ## Example
    ```go
    port := os.Getenv("REDIS_PORT") // "tcp://10.96.12.7:6379" in the cluster
    ```
    ```yaml
    kind: Service
    metadata: {name: redis}
    ```

    ## Use instead
    ```yaml
    spec:
      enableServiceLinks: false   # or set REDIS_PORT explicitly in env:
      containers:
        - env:
            - {name: REDIS_PORT, value: "6379"}
    ```
    Or rename the variable (`REDIS_ADDR`).

    ## Fix safety
    Turning service links off removes every `<NAME>_SERVICE_HOST` variable too; code
    that reads those must get the address another way (DNS: `redis:6379`).

    ## References
    - [Kubernetes: Service environment variables](https://kubernetes.io/docs/concepts/services-networking/service/#environment-variables)
    - [Kubernetes: Accessing the Service (enableServiceLinks)](https://kubernetes.io/docs/tutorials/services/connect-applications-service/#environment-variables)
    """
    ix = ctx.index
    by_link = _services_by_link(ix)
    seen: set[tuple[str, int, str]] = set()
    for svc in ix.services:
        wanted = [
            r
            for r in reads(svc)
            if r.name.endswith("_PORT")
            and not r.name.endswith("_SERVICE_PORT")
            and len(r.name) > len("_PORT")
        ]
        if not wanted:
            continue
        for dep in svc.deployments:
            w = dep.workload
            if w.enable_service_links is False or w.knative or dep.container.init:
                continue
            rt = workload_runtime(ix, svc, dep)
            if not certain_join(ix, svc, rt):
                continue
            for r in wanted:
                s = by_link.get((w.namespace, r.name[: -len("_PORT")]))
                if s is None or rt.sets(r.name) is not False:
                    continue  # no such Service, or the container sets it (or may)
                key = (r.call.span.path, r.call.span.line, r.name)
                if key in seen:
                    continue
                seen.add(key)
                port = s.ports[0].port if s.ports else "<port>"
                yield Hit(
                    r.call.span,
                    f"reads {r.name}, but Service {s.name} in namespace {w.namespace} makes "
                    f"Kubernetes set {r.name}=tcp://<cluster IP>:{port} in {w.kind} "
                    f"{w.name} (service links are on): the code gets a URL, not a port",
                    related=(
                        Related(s.span, f"Service {s.name}"),
                        Related(w.span, f"{w.kind} {w.name}: enableServiceLinks not false"),
                    ),
                    service=svc.name,
                )
