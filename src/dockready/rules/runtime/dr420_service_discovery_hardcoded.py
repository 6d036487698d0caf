"""DR420 service-discovery-hardcoded: other services addressed by fixed IPs or localhost:port."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urlsplit

from dockready.facts.derived.http import port_of
from dockready.facts.derived.pod import SERVER_TYPES, containers
from dockready.facts.go import EnvRef, FlagRef, GoFile, Value
from dockready.facts.index import Deployment, ProjectIndex, Service, deployment_key
from dockready.facts.k8s import Container, EnvVar, Workload
from dockready.model import Severity
from dockready.rules.registry import Context, Hit, Input, NoOptions, rule

# Public resolvers and similar fixed-by-design addresses.
_WELL_KNOWN_IPS = frozenset(
    {"8.8.8.8", "8.8.4.4", "1.1.1.1", "1.0.0.1", "9.9.9.9", "149.112.112.112", "208.67.222.222"}
)


_DSN_HOST_KEYS = frozenset({"host", "hostaddr", "server", "addr", "address"})


_TOKEN_STRIP = "\"'`()[]{}<>;,"


# Calls (package functions or methods) whose address argument is a client target:
# http.Get, client.Post, http.NewRequest, net.Dial, grpc.NewClient, nats.Connect,
# sql.Open, redis.ParseURL...
_DIAL_NAMES = frozenset(
    {
        "Get",
        "Post",
        "Head",
        "PostForm",
        "NewRequest",
        "NewRequestWithContext",
        "Dial",
        "DialContext",
        "DialTimeout",
        "NewClient",
        "Connect",
        "Open",
        "ParseURL",
    }
)


_OUTBOUND_FIELDS = frozenset(
    {
        "Addr",
        "Addrs",
        "Address",
        "Addresses",
        "Endpoint",
        "Endpoints",
        "Host",
        "Hosts",
        "URL",
        "BaseURL",
        "Brokers",
        "Servers",
        "DSN",
    }
)


_LISTEN_WORDS = ("LISTEN", "BIND")


# Sidecars that serve on the pod's loopback: a proxy or runtime the app is meant to
# reach on localhost (Istio/Envoy, Linkerd, Dapr, Consul Connect, Vault agent).
_SIDECAR_ANNOTATIONS = (
    "sidecar.istio.io/",
    "linkerd.io/inject",
    "dapr.io/",
    "consul.hashicorp.com/connect-inject",
    "vault.hashicorp.com/agent-inject",
)


_SIDECAR_PORTS = frozenset({3500, 50001, 15000, 15001, 15006, 15020, 15021, 4140, 4191, 9901})


_SCHEME_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}


@dataclass(frozen=True, slots=True)
class _Addr:
    host: str
    port: int | None
    url: bool
    loopback: bool

    @property
    def text(self) -> str:
        return f"{self.host}:{self.port}" if self.port is not None else self.host


def _host_kind(host: str) -> str | None:
    """``"fixed"`` for an IP of another machine, ``"loopback"``, or None (a name, or an
    address that is fixed by design: unspecified, link-local metadata, multicast...)."""
    h = host.strip("[]").lower()
    if h in ("localhost", "ip6-localhost"):
        return "loopback"
    try:
        ip = ipaddress.ip_address(h)
    except ValueError:
        return None
    if ip.is_loopback:
        return "loopback"
    if ip.is_unspecified or ip.is_link_local or ip.is_multicast or ip.is_reserved:
        return None
    if h in _WELL_KNOWN_IPS:
        return None
    return "fixed"


def _tokens(value: str) -> Iterator[str]:
    for word in value.split():
        for piece in word.split(","):
            tok = piece.strip(_TOKEN_STRIP)
            if tok:
                yield tok


def _address(tok: str) -> _Addr | None:
    if "://" in tok:
        try:
            u = urlsplit(tok)
            uhost, uport = u.hostname, u.port
        except ValueError:
            return None
        ukind = _host_kind(uhost) if uhost else None
        if uhost is None or ukind is None:
            return None
        if uport is None:
            uport = _SCHEME_PORTS.get(u.scheme)
        return _Addr(uhost, uport, True, ukind == "loopback")
    if "tcp(" in tok:  # MySQL DSN: user:pass@tcp(10.0.0.5:3306)/db
        tok = tok.split("tcp(", 1)[1].split(")", 1)[0]
    key, eq, val = tok.partition("=")
    no_port_ok = False
    if eq:
        if key.lower() not in _DSN_HOST_KEYS:
            return None
        tok, no_port_ok = val, True
    host, colon, port_text = tok.rpartition(":")
    if not colon:
        host, port_text = tok, ""
    port: int | None = None
    if port_text:
        if not port_text.isdigit() or not 0 < int(port_text) < 65536:
            return None
        port = int(port_text)
    elif not no_port_ok:
        return None
    kind = _host_kind(host)
    if kind is None or (kind == "loopback" and port is None):
        return None
    return _Addr(host, port, False, kind == "loopback")


def _addresses(value: str) -> list[_Addr]:
    return [a for a in (_address(t) for t in _tokens(value)) if a is not None]


def _code_addresses(value: str) -> list[_Addr]:
    """Addresses in a Go string: the whole literal is one address (a URL, a
    ``host:port``), or a DSN with ``host=`` keys. Prose (a log message, a flag's usage
    text "e.g. 10.0.0.1:8080") is not an address in use."""
    tokens = list(_tokens(value))
    if len(tokens) > 1:
        tokens = [t for t in tokens if "=" in t]
    return [a for a in (_address(t) for t in tokens) if a is not None]


def _config_addresses(value: str) -> list[_Addr]:
    """Addresses in a configuration value; a whole value that is a bare IP counts too
    (``DB_HOST: 10.20.0.5``)."""
    v = value.strip()
    if _host_kind(v) == "fixed":
        return [_Addr(v, None, False, False)]
    return _addresses(value)


def _fixed_msg(a: _Addr) -> str:
    return (
        f"{a.text} is a fixed IP address: reach other services by DNS name (a Kubernetes "
        "Service) or discovery, and make the address configurable"
    )


def _loopback_msg(a: _Addr) -> str:
    return (
        f"{a.text} addresses another service on localhost, which inside a container is the "
        "container itself: use the service's DNS name"
    )


@dataclass(slots=True)
class _GoContext:
    """What is known about listen addresses and fallbacks in a service's code."""

    listen_values: set[str]
    listen_idents: set[str]
    listen_envs: set[str]
    own_ports: set[int]
    fallbacks: set[str]
    fallback_keys: set[str]


def _values(g: GoFile) -> Iterator[Value]:
    for c in g.calls:
        yield from c.args
    for lit in g.literals:
        for _, v in lit.fields:
            yield v
    for lst in g.listeners:
        if lst.addr is not None:
            yield lst.addr


def _go_context(files: tuple[GoFile, ...]) -> _GoContext:
    ctx = _GoContext(set(), set(), set(), set(), set(), set())
    listen: list[Value] = []
    for g in files:
        listen.extend(lst.addr for lst in g.listeners if lst.addr is not None)
        for lit in g.literals:
            addr = lit.field("Addr")
            if lit.type in SERVER_TYPES and addr is not None:
                listen.append(addr)
        for v in _values(g):
            for p in v.parts:
                if isinstance(p, EnvRef | FlagRef) and p.default:
                    ctx.fallbacks.add(p.default)
        for lit in g.literals:
            for k, v in lit.fields:
                if v.env_names:
                    ctx.fallback_keys.add(k)
    for v in listen:
        ctx.listen_idents.add(v.text.strip().lstrip("*&"))
        ctx.listen_envs.update(v.env_names)
        for resolved in (v.resolve({}), v.literal):
            if resolved:
                ctx.listen_values.add(resolved)
                own = port_of(resolved)
                if own is not None:
                    ctx.own_ports.add(own)
        for part in v.parts:
            if isinstance(part, str) and part:
                ctx.listen_values.add(part)
            elif isinstance(part, EnvRef | FlagRef) and part.default:
                ctx.listen_values.add(part.default)
    return ctx


def _dialed(value: str, g: GoFile) -> bool:
    for c in g.calls:
        if c.name in _DIAL_NAMES and any(value in a.parts for a in c.args):
            return True
    for lit in g.literals:
        if lit.type in SERVER_TYPES:
            continue
        if any(k in _OUTBOUND_FIELDS and value in v.parts for k, v in lit.fields):
            return True
    return False


def _has_sidecars(w: Workload) -> bool:
    """Does the pod share its loopback with another container (a sidecar, declared or
    injected by a mesh/runtime annotation)?"""
    if len(w.containers) + len(w.init_containers) > 1:
        return True
    return any(k.startswith(_SIDECAR_ANNOTATIONS) for k, _ in w.annotations)


def _go_hits(ix: ProjectIndex) -> Iterator[Hit]:
    contexts: dict[str, _GoContext] = {}
    for g in ix.go_files:
        svc = ix.service_of(g.path)
        sidecars = svc is not None and any(_has_sidecars(d.workload) for d in svc.deployments)
        files = tuple(svc.files) if svc is not None else (g,)
        key = svc.name if svc is not None else g.path
        if key not in contexts:
            contexts[key] = _go_context(files)
        ctx = contexts[key]
        for s in g.strings:
            if s.value in ctx.listen_values or (s.key and s.key in ctx.listen_idents):
                continue
            for a in _code_addresses(s.value):
                if not a.loopback:
                    yield Hit(s.span, _fixed_msg(a))
                    break
                if sidecars or a.port in ctx.own_ports or a.port in _SIDECAR_PORTS:
                    continue
                if s.value in ctx.fallbacks or (s.key and s.key in ctx.fallback_keys):
                    continue
                if _dialed(s.value, g):
                    yield Hit(s.span, _loopback_msg(a))
                    break


def _listen_env(name: str, ctx: _GoContext | None) -> bool:
    upper = name.upper()
    if any(w in upper for w in _LISTEN_WORDS):
        return True
    return ctx is not None and name in ctx.listen_envs


def _env_hits(
    env: tuple[EnvVar, ...],
    own_ports: set[int],
    shared_net: bool,
    svc: Service | None,
) -> Iterator[Hit]:
    ctx = _go_context(tuple(svc.files)) if svc is not None else None
    ports = own_ports | (ctx.own_ports if ctx is not None else set())
    for e in env:
        if e.source is not None or not e.value:
            continue
        for a in _config_addresses(e.value):
            if not a.loopback:
                yield Hit(e.span, f"env {e.name}: {_fixed_msg(a)}")
                break
            if shared_net or a.port in ports or a.port in _SIDECAR_PORTS:
                continue
            if _listen_env(e.name, ctx):
                continue
            yield Hit(e.span, f"env {e.name}: {_loopback_msg(a)}")
            break


def _service_of_container(ix: ProjectIndex, w: Workload, c: Container) -> Service | None:
    for dep, svc in ix.svc_by_deployment.get(deployment_key(Deployment(w, c)), ()):
        if dep.workload is w and dep.container is c:
            return svc
    return None


@rule(
    id="DR420",
    name="service-discovery-hardcoded",
    severity=Severity.WARNING,
    reads=(Input.CODE,),
    calls=(
        ".Get",
        ".Post",
        ".Head",
        ".PostForm",
        ".NewRequest",
        ".NewRequestWithContext",
        ".Dial",
        ".DialContext",
        ".DialTimeout",
        ".NewClient",
        ".Connect",
        ".Open",
        ".ParseURL",
    ),
)
def service_discovery_hardcoded(ctx: Context[NoOptions]) -> Iterator[Hit]:
    """
    ## What it does
    Finds other services addressed by fixed IPs, or by `localhost:port`, in Go string
    literals, literal `env` values of Kubernetes containers, compose `environment:`
    values, and (fixed IPs only) ConfigMap values and the final image's `ENV`. An
    address is a URL (`http://10.0.3.17:8081/v1`), a `host:port`, a MySQL
    `tcp(host:port)` or a `host=` DSN key; only the host and port are shown.

    Decisions, for precision:
    - Not reported: listen addresses (of a listener or an `http.Server{Addr:}`, a
      flag or env default feeding one, an env var whose name says LISTEN/BIND),
      `0.0.0.0`, link-local (cloud metadata), multicast and public DNS resolvers, and
      Go test files.
    - A loopback address is the container itself, so it is reported only when it
      reaches a port the service does not serve itself (a health self-check of
      `http://localhost:8080/health` is fine). In Go, only when it is passed to a
      client call (`http.Get`, `client.Post`, `http.NewRequest`, `net.Dial`,
      `grpc.NewClient`, `nats.Connect`, `sql.Open`...) or set in an
      `Addr`/`Endpoint`/`URL`-like field of a client's options, and not when it is an
      env/flag fallback (a local-development default).
    - Never for a pod that shares its loopback with a sidecar (more than one
      container, or an Istio, Linkerd, Dapr, Consul or Vault injection annotation),
      a compose service sharing another network namespace, or a well-known sidecar
      port (Dapr 3500/50001, Envoy/Istio 15000-15021, Linkerd 4140/4191).
    - Dockerfile `HEALTHCHECK` commands are not looked at.

    ## Why is this bad?
    Pod IPs change on every restart and reschedule, and a ClusterIP changes when the
    Service is recreated; in a container, `localhost` is the container, not the
    machine the service used to share with its peers. The call fails after the next
    rollout, in a way no test on a developer machine shows (seed 4.3).

    ## Example
    ```go
    resp, err := client.Post("http://10.0.3.17:8081/v1/orders", "application/json", body)
    ```

    ## Use instead
    ```go
    crmURL := os.Getenv("ORDERS_CRM_URL") // http://crm.crm.svc.cluster.local:8081
    ```

    ## Fix safety
    The DNS name must resolve where the service runs: a Kubernetes Service, or an
    ExternalName / Endpoints object for a machine outside the cluster.

    ## References
    - [Kubernetes: DNS for Services and Pods](https://kubernetes.io/docs/concepts/services-networking/dns-pod-service/)
    - [The twelve-factor app: backing services](https://12factor.net/backing-services)
    """
    ix = ctx.index
    yield from _go_hits(ix)
    for w in ix.workloads:
        shared = _has_sidecars(w) or w.host_network
        pod_ports = {p.port for c in containers(w) for p in c.ports}
        for c in containers(w):
            svc = _service_of_container(ix, w, c)
            yield from _env_hits(c.env, pod_ports, shared, svc)
    for cs in ix.compose_services:
        svc = next((s for s in ix.services if cs in s.compose), None)
        shared = cs.network_mode not in (None, "bridge", "default")
        ports = {p.target for p in cs.ports if p.target is not None}
        yield from _env_hits(cs.environment, ports, shared, svc)
    for cm in ix.configmaps:
        if cm.secret:
            continue
        for d in cm.data:
            for a in _config_addresses(d.value):
                if not a.loopback:
                    yield Hit(d.span, f"ConfigMap {cm.name} {d.key}: {_fixed_msg(a)}")
                    break
    for df in ix.dockerfiles:
        final = df.final
        if final is None:
            continue
        spans = dict(final.env_spans)
        for name, value in final.env:
            span = spans.get(name)
            if span is None or span.path != df.path:
                continue
            for a in _config_addresses(value):
                if not a.loopback:
                    yield Hit(span, f"ENV {name}: {_fixed_msg(a)}")
                    break
