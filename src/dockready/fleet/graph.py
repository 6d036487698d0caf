"""The dependency graph of a fleet: which service calls which (``docs/fleet.md``).

In the worker, ``links_of`` reads one repository's ``ProjectIndex`` (the one the
check built: nothing is parsed twice) and gives, per service:

- the **names it answers to**: its service name, the compose services that run it,
  and the Kubernetes Services that select its workloads (with their namespace);
- the **addresses it calls**: env values of its Dockerfile (final stage), its
  workload containers and its compose services that are an address
  (``orders:8080``, ``http://orders.shop.svc.cluster.local:8080/x``,
  ``dns:///orders:50051``, a comma-separated list of them), its compose
  ``depends_on``, and the literal targets of its gRPC dials (``grpc.NewClient``,
  ``grpc.Dial``, ``grpc.DialContext``). A value read from a variable, a bare word
  without a port or scheme, and a host that is not a DNS name are not addresses.

In the parent, ``build`` joins the addresses to the names across the whole fleet.
An edge exists only when the join is certain:

- ``name.namespace[.svc[.cluster.local]]`` names a Kubernetes Service by name and
  namespace; a short ``name`` any name a service answers to (from a workload
  container: a Kubernetes Service of the caller's own namespace, or a compose or
  service name);
- the caller's own repository answers first (a compose network, a namespace of one
  repository's manifests); otherwise the whole fleet, unless a compose service or
  Kubernetes Service of the caller's repository has the name (``depends_on`` always
  names one): then the address stays in the repository. Two or more services that
  answer to the name: no edge, and a note. No service: an external host, no edge;
- a service that answers to the address itself calls itself: no edge.

Every edge carries its kind (``env``, ``depends_on``, ``grpc``) and its evidence
(``path:line`` of the first place that states it).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace

from dockready import linear
from dockready.facts.index import ProjectIndex, Service
from dockready.model import Span

ENV, DEPENDS_ON, GRPC, CONFIG = "env", "depends_on", "grpc", "config"
KINDS = (ENV, DEPENDS_ON, GRPC, CONFIG)

_GRPC = "google.golang.org/grpc"
#: gRPC dial functions and the index of their target argument.
_DIALS = {f"{_GRPC}.NewClient": 0, f"{_GRPC}.Dial": 0, f"{_GRPC}.DialContext": 1}
_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
#: ``scheme://[user@]host[:port][/...]`` (``dns:///host:port`` too).
_URL = linear.compile(
    r"^[a-z][a-z0-9+.-]{0,30}://(?:/?)(?:[^@/?#]*@)?([a-z0-9.-]+)(?::[0-9]{1,5})?(?:[/?#].*)?$"
)
#: ``host:port``.
_HOST_PORT = linear.compile(r"^([a-z0-9.-]+):[0-9]{1,5}$")
_LABEL_RE = linear.compile(f"^{_LABEL}$")

#: A key of the graph: (source, service name).
Key = tuple[str, str]


@dataclass(frozen=True, slots=True)
class Address:
    """A service that a service calls, as stated in one place."""

    #: The host's first label (the Service, compose service or service name).
    name: str
    #: The namespace the address names (``orders.shop``), else None.
    namespace: str | None
    kind: str
    #: ``path:line`` of the statement.
    evidence: str
    #: A workload container's namespace: a short name resolves there.
    caller_namespace: str | None = None
    #: A compose service or Kubernetes Service of the caller's own repository has
    #: this name: the address stays in the repository (a database image, a sidecar
    #: there is not another repository's service of that name).
    local: bool = False


@dataclass(frozen=True, slots=True)
class Links:
    """One service of a repository: the names it answers to, the addresses it calls."""

    service: str
    #: ``(name, Kubernetes namespace)``; the namespace is None for a compose or
    #: service name.
    names: tuple[tuple[str, str | None], ...]
    calls: tuple[Address, ...]


@dataclass(frozen=True, slots=True, order=True)
class Edge:
    caller: Key
    callee: Key
    kind: str
    evidence: str


@dataclass(frozen=True, slots=True)
class Graph:
    #: Every service of the fleet (not the ``(repository)`` rows), sorted.
    nodes: tuple[Key, ...]
    #: One edge per (caller, callee, kind), its first evidence; sorted.
    edges: tuple[Edge, ...]
    #: Addresses that were not joined for a reason worth telling (ambiguity).
    notes: tuple[str, ...]

    def calls(self) -> dict[Key, list[Key]]:
        """Each node's callees, sorted, once each."""
        out: dict[Key, set[Key]] = {n: set() for n in self.nodes}
        for e in self.edges:
            out.setdefault(e.caller, set()).add(e.callee)
        return {k: sorted(v) for k, v in out.items()}


# -- addresses -----------------------------------------------------------------


def parse_host(host: str) -> tuple[str, str | None] | None:
    """``(name, namespace)`` of ``name``, ``name.ns``, ``name.ns.svc`` or
    ``name.ns.svc.cluster.local``; None for any other host."""
    parts = host.lower().split(".")
    if not all(_LABEL_RE.match(p) for p in parts):
        return None
    if len(parts) == 1:
        return parts[0], None
    if len(parts) == 2 or (len(parts) == 3 and parts[2] == "svc"):
        return parts[0], parts[1]
    if len(parts) == 5 and parts[2:] == ["svc", "cluster", "local"]:
        return parts[0], parts[1]
    return None


def hosts_in(value: str) -> list[tuple[str, str | None]]:
    """The service hosts a value states: an address, or a comma-separated list of
    addresses; a word without a port or scheme is not an address."""
    out: list[tuple[str, str | None]] = []
    if len(value) > 4096:
        return out
    for piece in value.split(","):
        piece = piece.strip().lower()
        if not piece or any(c.isspace() for c in piece) or "$" in piece:
            continue
        m = _URL.match(piece) or _HOST_PORT.match(piece)
        if m is None:
            continue
        host = parse_host(m.group(1))
        if host is not None and host[0] != "localhost":
            out.append(host)
    return out


def _at(span: Span) -> str:
    return f"{span.path}:{span.line}" if span.line else span.path


def _names(ix: ProjectIndex, svc: Service) -> tuple[tuple[str, str | None], ...]:
    names: set[tuple[str, str | None]] = {(svc.name.lower(), None)}
    names.update((c.name.lower(), None) for c in svc.compose)
    for dep in svc.deployments:
        names.update((ks.name.lower(), ks.namespace) for ks in ix.selecting(dep.workload))
    return tuple(sorted(names, key=lambda n: (n[0], n[1] or "")))


def _addresses(ix: ProjectIndex, svc: Service, here: _Here) -> Iterator[Address]:
    for a in _stated(ix, svc):
        yield replace(a, local=here.has(a))


@dataclass(frozen=True, slots=True)
class _Here:
    """The compose services and Kubernetes Services of one repository, by name."""

    compose: frozenset[str]
    kservices: frozenset[tuple[str, str]]
    knames: frozenset[str]

    @classmethod
    def of(cls, ix: ProjectIndex) -> _Here:
        ks = frozenset((k.name.lower(), k.namespace) for k in ix.kservices)
        return cls(
            frozenset(c.name.lower() for c in ix.compose_services), ks, frozenset(n for n, _ in ks)
        )

    def has(self, a: Address) -> bool:
        if a.kind == DEPENDS_ON:
            return True  # a service of the same compose file
        if a.namespace is not None:
            return (a.name, a.namespace) in self.kservices
        if a.name in self.compose:
            return True
        if a.caller_namespace is not None:
            return (a.name, a.caller_namespace) in self.kservices
        return a.name in self.knames


def _stated(ix: ProjectIndex, svc: Service) -> Iterator[Address]:
    for b in svc.builds:
        spans = dict(b.final.env_spans)
        for key, value in b.final.env:
            span = spans.get(key)
            if span is None:
                continue
            for name, ns in hosts_in(value):
                yield Address(name, ns, ENV, _at(span))
    for dep in svc.deployments:
        ns_here = dep.workload.namespace
        for e in dep.container.env:
            if e.source == "configMapKeyRef":
                # the value a ConfigMap of the tree gives it, at the ConfigMap's line
                cm_name, _, key = e.ref.partition("/")
                cm = ix.configmap(ns_here, cm_name)
                for d in cm.data if cm is not None else ():
                    if d.key == key:
                        for name, ns in hosts_in(d.value):
                            yield Address(name, ns, ENV, _at(d.span), ns_here)
                continue
            if e.value is None or e.source is not None:
                continue  # from a Secret or a field: not stated here
            for name, ns in hosts_in(e.value):
                yield Address(name, ns, ENV, _at(e.span), ns_here)
        for ef in dep.container.env_from:
            cm = ix.configmap(ns_here, ef.name) if ef.kind == "configMapRef" else None
            for d in cm.data if cm is not None else ():
                for name, ns in hosts_in(d.value):
                    yield Address(name, ns, ENV, _at(d.span), ns_here)
    for cf in svc.configs:
        # configuration files the code reads (facts/config.py): an address setting
        for entry in cf.entries:
            for name, ns in hosts_in(entry.value):
                yield Address(name, ns, CONFIG, _at(entry.span))
    for c in svc.compose:
        for e in c.environment:
            if e.value is None or e.source is not None:
                continue
            for name, ns in hosts_in(e.value):
                yield Address(name, ns, ENV, _at(e.span))
        for other, _condition in c.depends_on:
            yield Address(other.lower(), None, DEPENDS_ON, _at(c.depends_span or c.span))
    for g in svc.files:
        if g.generated:
            continue
        for call in g.calls:
            idx = _DIALS.get(call.callee)
            if idx is None or len(call.args) <= idx:
                continue
            literal = call.args[idx].literal
            if literal is None:
                continue  # a variable, a flag, an env read: not certain
            for name, ns in hosts_in(literal) or _bare_target(literal):
                yield Address(name, ns, GRPC, _at(call.span))


def _bare_target(literal: str) -> list[tuple[str, str | None]]:
    """A gRPC target is an address even without a port (``orders`` dials port 443);
    it is an address by its position, not by its shape."""
    host = parse_host(literal.strip())
    return [host] if host is not None and host[0] != "localhost" else []


def links_of(ix: ProjectIndex) -> tuple[Links, ...]:
    """Every service of one repository: its names and the addresses it calls (each
    address once per kind and place)."""
    out = []
    here = _Here.of(ix)
    for svc in ix.services:
        seen: set[Address] = set()
        calls = []
        for a in _addresses(ix, svc, here):
            if a not in seen:
                seen.add(a)
                calls.append(a)
        out.append(Links(svc.name, _names(ix, svc), tuple(calls)))
    return tuple(out)


# -- the fleet -----------------------------------------------------------------


def label(key: Key, unique: Iterable[str] = ()) -> str:
    """A service as notes show it: its name, and its source when the name is not
    unique in the fleet."""
    source, service = key
    if service in unique:
        return service
    base = os.path.basename(source.rstrip("/")) or source
    return f"{service} ({base})"


def unique_names(nodes: Sequence[Key]) -> frozenset[str]:
    count: dict[str, int] = {}
    for _, s in nodes:
        count[s] = count.get(s, 0) + 1
    return frozenset(s for s, n in count.items() if n == 1)


def build(repos: Iterable[tuple[str, Iterable[str], Iterable[Links]]]) -> Graph:
    """The fleet's graph from ``(source, service names, links)`` per checked
    repository (the service names are the readiness rows, ``(repository)`` left out)."""
    nodes: list[Key] = []
    links: dict[Key, Links] = {}
    for source, services, repo_links in repos:
        known = set(services)
        for s in sorted(known):
            nodes.append((source, s))
        for lk in repo_links:
            if lk.service in known:
                links[(source, lk.service)] = lk
    nodes.sort()
    #: name -> key -> the namespaces it answers in (None: a compose or service name)
    answers: dict[str, dict[Key, set[str | None]]] = {}
    for key, lk in sorted(links.items()):
        for name, ns in lk.names:
            answers.setdefault(name, {}).setdefault(key, set()).add(ns)
    unique = unique_names(nodes)
    edges: dict[tuple[Key, Key, str], str] = {}
    notes: set[str] = set()
    for caller, lk in sorted(links.items()):
        for a in lk.calls:
            found = _answering(answers.get(a.name, {}), a)
            if caller in found:
                continue  # it calls itself (or a name it shares): no edge
            mine = {k for k in found if k[0] == caller[0]}
            pick = mine if mine or a.local else found
            if len(pick) == 1:
                (callee,) = pick
                k = (caller, callee, a.kind)
                if k not in edges or _line_key(a.evidence) < _line_key(edges[k]):
                    edges[k] = a.evidence
            elif len(pick) > 1:
                who = ", ".join(label(k, unique) for k in sorted(pick))
                host = a.name if a.namespace is None else f"{a.name}.{a.namespace}"
                notes.add(
                    f"{label(caller, unique)}: {a.kind} {host!r} at {a.evidence} answers to "
                    f"{len(pick)} services ({who}): no edge"
                )
    return Graph(
        tuple(nodes),
        tuple(sorted(Edge(c, d, kind, ev) for (c, d, kind), ev in edges.items())),
        tuple(sorted(notes)),
    )


def _line_key(evidence: str) -> tuple[str, int]:
    path, _, line = evidence.rpartition(":")
    return (path, int(line)) if line.isdigit() else (evidence, 0)


def _answering(cands: dict[Key, set[str | None]], a: Address) -> set[Key]:
    """The services an address reaches: ``name.namespace`` a Kubernetes Service of
    that namespace; a short name from a workload container a Service of the caller's
    namespace (or, for a service with no Kubernetes Service of that name, its compose
    or service name); any other short name any name."""
    out = set()
    for key, spaces in cands.items():
        k8s = spaces - {None}
        if a.namespace is not None:
            hit = a.namespace in k8s
        elif a.caller_namespace is not None and k8s:
            hit = a.caller_namespace in k8s
        else:
            hit = True
        if hit:
            out.add(key)
    return out
