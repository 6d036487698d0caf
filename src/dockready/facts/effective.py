"""Derived views over the index that several rules share: what the final image
contains, who it runs as, which ports and routes a service really serves.

Every answer is three-valued where it matters: ``True``/``False`` when the facts say
so, ``None`` when they do not (an unknown base image). Rules must not report on
``None``: precision beats recall for a tool people gate CI on.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from dockready.facts.docker import Copy, Stage
from dockready.facts.go import GoFile, Listener, Route
from dockready.facts.images import BaseImage, lookup
from dockready.facts.index import Build, Deployment, ProjectIndex, Service
from dockready.model import Span

# What a final image needs for a capability, as paths a COPY may bring in.
CA_PATHS = (
    "/etc/ssl/certs",
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/tls/certs",
    "/etc/ssl/cert.pem",
    "/etc/ssl",
)
TZ_PATHS = ("/usr/share/zoneinfo", "/usr/share/zoneinfo/")
PASSWD_PATHS = ("/etc/passwd",)
TMP_PATHS = ("/tmp", "/tmp/")


def base_image(build: Build) -> BaseImage | None:
    """Knowledge about the external base of the final stage (None if unknown)."""
    info = lookup(build.dockerfile.external_base(build.final))
    return info.image if info is not None else None


def final_copies(build: Build) -> Iterator[Copy]:
    """COPY/ADD instructions that write into the final image (its whole lineage)."""
    for st in build.dockerfile.lineage(build.final):
        yield from st.copies


def _dest_covers(copy: Copy, path: str) -> bool:
    dest = copy.dest.rstrip("/") or "/"
    target = path.rstrip("/") or "/"
    if dest == target or target.startswith(dest + "/") or dest.startswith(target + "/"):
        return True
    # ``COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/``
    return any(
        posixpath.join(dest, posixpath.basename(s.rstrip("/"))) == target or s.rstrip("/") == target
        for s in copy.sources
    )


def copies_path(build: Build, *paths: str) -> Copy | None:
    """The COPY that puts one of ``paths`` into the final image, if any."""
    for c in final_copies(build):
        if any(_dest_covers(c, p) for p in paths):
            return c
    return None


def has_capability(build: Build, capability: str) -> bool | None:
    """``ca_certs``, ``tzdata``, ``passwd`` or ``tmp`` in the final image?"""
    paths = {
        "ca_certs": CA_PATHS,
        "tzdata": TZ_PATHS,
        "passwd": PASSWD_PATHS,
        "tmp": TMP_PATHS,
    }[capability]
    if copies_path(build, *paths) is not None:
        return True
    if capability == "tmp" and any(
        i.cmd == "WORKDIR" and i.value and i.value[0].rstrip("/") == "/tmp"
        for st in build.dockerfile.lineage(build.final)
        for i in st.instructions
    ):
        return True
    img = base_image(build)
    if img is None:
        return None
    return bool(getattr(img, capability))


def has_tool(build: Build, tool: str) -> bool | None:
    """Is ``tool`` (sh, curl, wget, sleep...) on the final image?"""
    for c in final_copies(build):
        if any(posixpath.basename(s.rstrip("/")) == tool for s in c.sources) or (
            posixpath.basename(c.dest.rstrip("/")) == tool
        ):
            return True
    img = base_image(build)
    if img is None:
        return None
    if tool in ("sh", "/bin/sh"):
        return img.bin_sh
    return img.has_tool(tool)


@dataclass(frozen=True, slots=True)
class User:
    """The effective user of the final image: ``name`` as written (``"65532"``,
    ``"app"``, ``"root"``); ``span`` is the USER instruction (None: the base's default)."""

    name: str
    span: Span | None
    from_base: bool

    @property
    def uid(self) -> int | None:
        head = self.name.split(":", 1)[0]
        if head == "root":
            return 0
        return int(head) if head.isdigit() else None

    @property
    def is_root(self) -> bool | None:
        uid = self.uid
        if uid is not None:
            return uid == 0
        return None if self.from_base else False

    @property
    def numeric(self) -> bool:
        return self.uid is not None


def effective_user(build: Build) -> User | None:
    """Who the container runs as, or None when nobody sets it and the base is unknown."""
    final: Stage = build.final
    if final.user is not None:
        return User(final.user, final.user_span, False)
    img = base_image(build)
    if img is None:
        return None
    return User(img.user, None, True)


def port_of(addr: str | None) -> int | None:
    """``":8080"`` / ``"0.0.0.0:8080"`` / ``"8080"`` / ``"[::]:80"`` -> the port."""
    if addr is None:
        return None
    a = addr.strip()
    if a.startswith("["):
        a = a.rsplit("]", 1)[-1]
    tail = a.rsplit(":", 1)[-1]
    if tail.isdigit():
        p = int(tail)
        return p if 0 < p < 65536 else None
    return None


def host_of(addr: str | None) -> str | None:
    if addr is None or ":" not in addr:
        return None
    a = addr.strip()
    if a.startswith("["):
        return a[1:].split("]", 1)[0]
    return a.rsplit(":", 1)[0]


def is_loopback(host: str | None) -> bool:
    return host is not None and (
        host in ("localhost", "::1", "ip6-localhost") or host.startswith("127.")
    )


@dataclass(frozen=True, slots=True)
class BoundListener:
    """A listener with its address resolved in a given environment."""

    listener: Listener
    file: GoFile
    addr: str | None

    @property
    def port(self) -> int | None:
        return port_of(self.addr)

    @property
    def host(self) -> str | None:
        return host_of(self.addr)


def main_files(svc: Service) -> tuple[GoFile, ...]:
    return svc.main.files if svc.main is not None else ()


def listeners(svc: Service, env: Mapping[str, str] | None = None) -> list[BoundListener]:
    """Every listener of the service, its address resolved with ``env``.

    Listeners in non-main packages are included (servers are often started from an
    ``internal/server`` package)."""
    out = []
    for g in svc.files:
        for lst in g.listeners:
            addr = lst.addr.resolve(env) if lst.addr is not None else None
            out.append(BoundListener(lst, g, addr))
    return out


def env_for(ix: ProjectIndex, svc: Service, dep: Deployment | None = None) -> dict[str, str]:
    return ix.env_for(svc, dep)


def routes(svc: Service) -> list[tuple[Route, GoFile]]:
    return [(r, g) for g in svc.files for r in g.routes]


def route_matches(route: Route, path: str, method: str = "GET") -> bool:
    """Would ``method path`` be served by ``route``? Go 1.22 / ServeMux semantics:
    a pattern ending in ``/`` matches the subtree; ``{x}`` wildcards match a segment;
    ``{x...}`` the rest; a method of GET also serves HEAD."""
    if (
        route.method is not None
        and route.method != method
        and not (route.method == "GET" and method == "HEAD")
    ):
        return False
    pat = route.path
    if pat.endswith("/{$}"):
        return path == pat[:-3]
    if pat == path:
        return True
    if "{" in pat or ":" in pat:
        ps, xs = pat.strip("/").split("/"), path.strip("/").split("/")
        for i, seg in enumerate(ps):
            if (seg.startswith("{") and seg.endswith("...}")) or seg.startswith("*"):
                return True
            if i >= len(xs):
                return False
            if not (seg.startswith("{") or seg.startswith(":")) and seg != xs[i]:
                return False
        return len(ps) == len(xs)
    return route.framework == "net/http" and pat.endswith("/") and path.startswith(pat)
