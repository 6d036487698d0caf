"""Which environment variables a service's code reads, and where its runtimes may set
variables the tree does not show (DR227 env-not-read, DR228 required-env-not-set).

Decisions, for certainty:

- A read is a call of ``os.Getenv``/``os.LookupEnv``/``syscall.Getenv`` with a
  literal name. The code's reads are *complete* only when nothing reads variables in
  bulk or by a computed name: no ``os.Environ``, no ``os.ExpandEnv``/``os.Expand``,
  no read with a computed name other than a helper forwarding its parameter
  (``getEnv(key, fallback)``: its callers' literal names are then seen as string
  literals of the code), no environment-binding library (envconfig, caarlos0/env,
  cleanenv, koanf, kingpin, urfave/cli...), no viper ``AutomaticEnv``/``BindEnv``,
  and no child process (``os/exec`` hands the whole environment to it).
- A runtime may set variables it does not show when an ``envFrom`` source or a
  compose ``env_file:``/``extends:`` is involved, when its command is a shell script
  (it may ``export``), or when the code loads a dotenv file that the image holds or a
  mount provides (``godotenv.Load``).
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator
from dataclasses import dataclass

from dockready.facts.derived.image import copies_path, covers
from dockready.facts.derived.runtime import (
    Runtime,
    compose_argv,
    container_argv,
    image_argv,
)
from dockready.facts.docker import SCRIPT_SUFFIXES, script_command
from dockready.facts.go import Call, EnvRef, GoFile, Import, Opaque, Value
from dockready.facts.index import ProjectIndex, Service, _image_repo, _names
from dockready.model import Span

READ_CALLS = ("os.Getenv", "os.LookupEnv", "syscall.Getenv")
BULK_CALLS = ("os.Environ", "os.ExpandEnv", "os.Expand", "syscall.Environ")
_DOTENV_PKGS = (
    "github.com/joho/godotenv",
    "github.com/lpernett/godotenv",
    "github.com/subosito/gotenv",
)
#: Import paths (prefixes) of libraries that read the environment in bulk or by
#: names the code does not spell out, and of command-line libraries with env bindings.
BULK_LIBS = (
    "github.com/kelseyhightower/envconfig",
    "github.com/caarlos0/env",
    "github.com/sethvargo/go-envconfig",
    "github.com/ilyakaznacheev/cleanenv",
    "github.com/knadh/koanf",
    "github.com/netflix/go-env",
    "github.com/vrischmann/envconfig",
    "github.com/joeshaw/envdecode",
    "github.com/namsral/flag",
    "github.com/peterbourgon/ff",
    "github.com/jessevdk/go-flags",
    "github.com/urfave/cli",
    "github.com/alecthomas/kingpin",
    "gopkg.in/alecthomas/kingpin",
    "github.com/alecthomas/kong",
    "github.com/ardanlabs/conf",
    "github.com/jinzhu/configor",
    "github.com/kkyr/fig",
    "github.com/gookit/config",
    "github.com/heetch/confita",
    "github.com/golobby/config",
    "github.com/codingconcepts/env",
    "github.com/hashicorp/go-envparse",
    "github.com/zeromicro/go-zero/core/conf",
    "github.com/go-kratos/kratos/v2/config/env",
    "github.com/micro/go-micro",
    "go-micro.dev",
    "github.com/tkanos/gonfig",
    "github.com/num30/config",
    "github.com/jacobstr/confer",
    "github.com/sakirsensoy/genv",
)
_VIPER_ENV = frozenset({"AutomaticEnv", "BindEnv", "SetEnvPrefix"})
_HELPER = re.compile(r"(?i)env|var|conf|setting|lookup|default|fallback|^get|^must")


@dataclass(frozen=True, slots=True)
class Read:
    """A literal read of ``name`` in ``file``."""

    name: str
    call: Call
    file: GoFile


def literal_name(c: Call) -> str | None:
    a = c.arg(0)
    return a.literal if a is not None else None


def reads(svc: Service) -> Iterator[Read]:
    """Every literal read of a variable in the service's code, in file order."""
    for g in svc.files:
        if g.path.endswith("_test.go"):
            continue
        for c in g.calls_to(*READ_CALLS):
            name = literal_name(c)
            if name:
                yield Read(name, c, g)


def _forwards(c: Call) -> bool:
    """``os.Getenv(key)`` inside a helper whose callers name the variable."""
    a = c.arg(0)
    if a is None or len(a.parts) != 1 or not isinstance(a.parts[0], Opaque):
        return False
    ident = a.parts[0].text
    return ident.isidentifier() and bool(_HELPER.search(c.func.rsplit(".", 1)[-1]))


def incomplete(svc: Service) -> str | None:
    """Why the code's literal reads may not be all it reads; None when they are."""
    for g in svc.files:
        if g.path.endswith("_test.go"):
            continue
        for imp in g.imports:
            if imp.path == "os/exec":
                return "it starts child processes (os/exec), which inherit the environment"
            if any(imp.path == p or imp.path.startswith(p + "/") for p in BULK_LIBS):
                return f"it imports {imp.path}, which reads the environment by itself"
        for c in g.calls:
            if c.callee in BULK_CALLS:
                return f"it calls {c.callee} ({c.span.path}:{c.span.line})"
            if c.callee in READ_CALLS and literal_name(c) is None and not _forwards(c):
                return f"it reads a computed name ({c.span.path}:{c.span.line})"
            if c.name in _VIPER_ENV and (
                "viper" in c.receiver_pkg or "viper" in c.callee or c.receiver == "viper"
            ):
                return "viper binds settings to the environment"
    return None


def dotenv_loads(svc: Service) -> list[tuple[Call, tuple[str, ...] | None]]:
    """``godotenv.Load``-style calls and the files they read (None: not literal)."""
    out: list[tuple[Call, tuple[str, ...] | None]] = []
    for g in svc.files:
        for c in g.calls:
            if c.package in _DOTENV_PKGS and c.name in ("Load", "Overload"):
                names = [a.literal for a in c.args]
                files = tuple(n for n in names if n is not None)
                out.append((c, files if len(files) == len(names) else None))
                if not c.args:
                    out[-1] = (c, (".env",))
    return out


def _mounts(rt: Runtime) -> list[str]:
    if rt.deployment is not None:
        return [m.mount_path for m in rt.deployment.container.mounts]
    if rt.compose is not None:
        return [b.target for b in rt.compose.binds] + list(rt.compose.writable)
    return []


def argv(rt: Runtime) -> tuple[str, ...] | None:
    if rt.deployment is not None:
        return container_argv(rt.deployment.container, rt.build)
    if rt.compose is not None:
        return compose_argv(rt.compose, rt.build)
    return image_argv(rt.build) if rt.build is not None else None


def runs_script(rt: Runtime) -> str | None:
    """Why the process ``rt`` starts may not be the Go binary alone: a shell, an
    interpreter, a script or ``env`` in front of it (it may export or read
    variables), or a command that is not known."""
    words = argv(rt)
    if words is None:
        return "the image's command is not known"
    head = posixpath.basename(words[0]) if words else ""
    if (
        head == "env"
        or script_command(words)
        or any(w.endswith(SCRIPT_SUFFIXES) for w in words[1:2])
    ):
        return f"the command runs {' '.join(words[:2])}"
    return None


def certain_join(ix: ProjectIndex, svc: Service, rt: Runtime) -> bool:
    """Is ``rt`` certainly this service: a container whose image repository is one of
    the service's names (or declared for it), a compose service that builds it or
    names such an image? (A container joined by its name alone may be another
    program: ``hubble-ui``'s ``backend`` container is not the ``backend`` service.)"""
    names = _names(svc)
    declared = [d for d in ix.declared if d.name == svc.name]
    if rt.deployment is not None:
        c = rt.deployment.container
        repo = c.image.split("@", 1)[0]
        if ":" in repo.rsplit("/", 1)[-1]:
            repo = repo.rsplit(":", 1)[0]
        return _image_repo(c.image) in names or any(repo in d.images for d in declared)
    if rt.compose is not None:
        cs = rt.compose
        return cs.build_context is not None or (
            cs.image is not None and _image_repo(cs.image) in names
        )
    return True


def runs_binary(svc: Service, rt: Runtime) -> bool:
    """Does ``rt`` start the service's binary itself (not a launcher that runs it)?
    The command's program is the ``go build -o`` output, or is named like the service."""
    words = argv(rt)
    if not words:
        return False
    prog = posixpath.basename(words[0])
    build = rt.build
    if build is not None and build.go_build is not None and build.go_build.output:
        return prog == posixpath.basename(build.go_build.output)
    return prog in _names(svc)


def hidden_source(svc: Service, rt: Runtime) -> str | None:
    """Why ``rt`` may set variables the tree does not show; None when it cannot."""
    if rt.open:
        return "envFrom a source that is not in the tree"
    if rt.compose is not None and rt.compose.env_open:
        return "env_file:/extends:"
    script = runs_script(rt)
    if script is not None:
        return script
    loads = dotenv_loads(svc)
    if loads:
        build = rt.build
        if build is None:
            return "the code loads a dotenv file"
        workdir = build.final.workdir or "/"
        for _call, files in loads:
            if files is None:
                return "the code loads a dotenv file"
            for f in files:
                full = posixpath.normpath(posixpath.join(workdir, f))
                if copies_path(build, full) is not None or any(
                    covers(m, full) for m in _mounts(rt)
                ):
                    return f"the code loads {f}, which this runtime provides"
    return None


def code_sets(svc: Service) -> set[str] | None:
    """Names the code sets itself (``os.Setenv``); None when a name is computed."""
    out: set[str] = set()
    for g in svc.files:
        for c in g.calls_to("os.Setenv"):
            name = literal_name(c)
            if name is None:
                return None
            out.add(name)
    return out


#: Package-level calls whose argument is an address or a DSN: a connection that
#: cannot be made without it.
_CONNECT = frozenset({"Open", "Connect", "Dial", "DialContext", "DialTimeout"})
_NOT_CONNECT = frozenset({"os", "io/fs", "path/filepath", "plugin", "net/http", "embed"})
_SINK_FUNCS = frozenset({"main", "init"})


def _runs(c: Call) -> bool:
    """Does the call run whenever ``main`` does: in ``main``/``init``, outside any
    branch, loop or closure other than a ``go func() {...}()``?"""
    return c.func in _SINK_FUNCS and not c.conditional and (not c.in_closure or c.in_goroutine)


def _needed_to_listen(v: Value) -> list[str]:
    """The variables a listen address cannot do without: the whole address
    (``os.Getenv("ADDR")``: "" is port 80 for HTTP, a random one for TCP) or its port
    (``":" + os.Getenv("PORT")``); an empty host is all interfaces, which is fine."""
    parts = v.parts
    last = parts[-1] if parts else None
    if not isinstance(last, EnvRef) or last.default is not None:
        return []
    if len(parts) == 1:
        return [last.name]
    before = parts[-2]
    return [last.name] if isinstance(before, str) and before.endswith(":") else []


def _needed_to_connect(v: Value) -> list[str]:
    """The variables a connection argument cannot do without: all its variables with
    no default, when it is one variable or one of them names an address."""
    names = [p.name for p in v.parts if isinstance(p, EnvRef) and p.default is None]
    if len(v.parts) == 1 or any(_ADDRESS.search(n) for n in names):
        return names
    return []


_ADDRESS = re.compile(r"(?i)host|addr|url|uri|dsn|endpoint|server|broker|port")


def needs(svc: Service) -> Iterator[tuple[Span, str, list[str], Value]]:
    """``(span, what, variables, value)``: listen addresses and connection arguments of the
    main package that certainly run, with the variables they cannot do without."""
    main = svc.main
    if main is None:
        return
    for g in main.files:
        if g.path.endswith("_test.go") or g.generated:
            continue
        listening = {lst.span: lst for lst in g.listeners}
        for c in g.calls:
            if not _runs(c):
                continue
            lst = listening.get(c.span)
            if lst is not None and lst.addr is not None:
                yield (
                    c.span,
                    f"the {lst.kind} listen address",
                    _needed_to_listen(lst.addr),
                    lst.addr,
                )
                continue
            pkg = c.package
            if c.name in _CONNECT and pkg and pkg not in _NOT_CONNECT:
                for a in c.args:
                    if any(isinstance(p, EnvRef) for p in a.parts):
                        short = Import(pkg, None, c.span).name
                        what = f"the connection string given to {short}.{c.name}"
                        yield c.span, what, _needed_to_connect(a), a


#: Variables read by the Go runtime, the C library, the shell, proxies, TLS, the
#: platform (Kubernetes, Knative) and common tooling, never by the service's code.
_KNOWN = frozenset(
    {
        "PATH",
        "HOME",
        "USER",
        "LOGNAME",
        "LANG",
        "LANGUAGE",
        "TZ",
        "TERM",
        "HOSTNAME",
        "SHELL",
        "PWD",
        "TMPDIR",
        "TEMP",
        "TMP",
        "ZONEINFO",
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "NO_PROXY",
        "ALL_PROXY",
        "REQUEST_METHOD",
        "DEBIAN_FRONTEND",
        "APP_ENV",
        "ENV",
        "ENVIRONMENT",
        "NODE_ENV",
    }
)
_KNOWN_PREFIXES = (
    "GO",
    "CGO_",
    "LC_",
    "LD_",
    "MALLOC_",
    "GLIBC_",
    "SSL_",
    "OTEL_",
    "AWS_",
    "GOOGLE_",
    "GCP_",
    "GCLOUD_",
    "CLOUDSDK_",
    "AZURE_",
    "ARM_",
    "KUBERNETES_",
    "K_",
    "JAEGER_",
    "DD_",
    "NEW_RELIC_",
    "NEWRELIC_",
    "SENTRY_",
    "ELASTIC_APM_",
    "GRPC_",
    "DAPR_",
    "VAULT_",
    "CONSUL_",
    "NOMAD_",
    "DOCKER_",
    "XDG_",
    "S6_",
    "TINI_",
    "GIN_",
    "JAVA_",
    "NODE_",
    "PYTHON",
    "NGINX_",
)


def well_known(name: str) -> bool:
    up = name.upper()
    return up in _KNOWN or up.startswith(_KNOWN_PREFIXES)
