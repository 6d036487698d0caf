"""Values the code takes from its configuration files.

A listen address is often ``cfg.Server.Port``, ``conf.GetConf().Hertz.Address``,
``viper.GetString("server.port")`` or ``cfg.Section("server").Key("HTTP_PORT")``:
opaque to the Go reader, plain in ``configs/config.yaml``. This module says which
configuration files a service reads and which setting such an expression names.

Decisions, for certainty:

- A service reads the configuration files under its module root that its code names:
  a string literal in a call or a flag default (``"conf"``, ``"../../configs"``,
  ``"etc/api.yaml"``, viper's ``SetConfigName("config")``) that is the file, its
  name without extension, or a directory holding it (relative to the module root or
  to the main package). A file nothing names is not read.
- ``viper.Get*("a.b")`` and ``Section("a").Key("b")`` name the key ``a.b`` exactly
  (case-insensitively, as viper and go-ini do). A selector (``c.Http.Addr``) names
  the keys whose trailing parts are its trailing exported fields, compared without
  case, ``_`` or ``-`` (``MetricsPort`` is ``metrics_port``; ``ServerSetting`` is
  section ``server``, go-ini's ``MapTo`` habit). One field alone (``c.Port``) names
  only a top-level key. When the expression names several different keys, it names
  none.
- :meth:`Settings.value` is the value only when every file that has the key agrees
  (``conf/dev``, ``conf/test`` and ``conf/online`` differing is not a value).
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from dockready.facts.config import ConfigEntry, ConfigFile
from dockready.facts.derived.image import copies_path, covers
from dockready.facts.go import Opaque, Value
from dockready.facts.index import Build, Service

if TYPE_CHECKING:
    from dockready.facts.derived.runtime import Runtime

_GET_KEY = re.compile(r'\.(?:Get|MustGet)\w*\(\s*"([^"]+)"\s*\)$')
_SECTION_KEY = re.compile(
    r'\.Section\(\s*"([^"]*)"\s*\)\s*\.Key\(\s*"([^"]+)"\s*\)(?:\s*\.\s*\w+\([^()]*\))?$'
)
_EXPORTED = re.compile(r"[A-Z]\w*")
_SUFFIXES = ("settings", "setting", "config", "conf", "cfg")


@dataclass(frozen=True, slots=True)
class Setting:
    """A key of a configuration file, as one file gives it."""

    file: ConfigFile
    entry: ConfigEntry

    @property
    def shown(self) -> str:
        return f"{'.'.join(self.entry.key)} in {self.file.path}:{self.entry.span.line}"


def _norm(part: str) -> str:
    return part.replace("_", "").replace("-", "").lower()


def _same(field_name: str, key: str) -> bool:
    f, k = _norm(field_name), _norm(key)
    return f == k or any(f == k + s for s in _SUFFIXES)


def expression_key(text: str) -> tuple[tuple[str, ...], bool] | None:
    """The key an expression names, and whether exactly (viper, go-ini) or as a
    trailing chain of struct fields; None when it names no key."""
    text = text.strip()
    m = _SECTION_KEY.search(text)
    if m:
        section = m.group(1)
        return ((section, m.group(2)) if section and section != "DEFAULT" else (m.group(2),)), True
    m = _GET_KEY.search(text)
    if m:
        return tuple(m.group(1).split(".")), True
    tail = text.rsplit(")", 1)[-1]
    chain: list[str] = []
    for part in reversed(tail.split(".")):
        if not _EXPORTED.fullmatch(part.strip()):
            break
        chain.insert(0, part.strip())
    return (tuple(chain), False) if chain else None


def _matched(chain: tuple[str, ...], key: tuple[str, ...]) -> int:
    n = 0
    while n < len(chain) and n < len(key) and _same(chain[-1 - n], key[-1 - n]):
        n += 1
    if n and (n == len(chain) or n == len(key)) and (n >= 2 or len(key) == 1):
        return n
    return 0


@dataclass(frozen=True, slots=True)
class Settings:
    """The configuration files a service reads, and the keys expressions name."""

    files: tuple[ConfigFile, ...] = ()
    _cache: dict[str, tuple[Setting, ...]] = field(default_factory=dict, compare=False)

    def lookup(self, text: str) -> tuple[Setting, ...]:
        """Every file's setting of the one key ``text`` names (empty when it names
        none, or several)."""
        if text in self._cache:
            return self._cache[text]
        found = self._lookup(text) if self.files else ()
        self._cache[text] = found
        return found

    def _lookup(self, text: str) -> tuple[Setting, ...]:
        named = expression_key(text)
        if named is None:
            return ()
        chain, exact = named
        best = 0
        hits: list[tuple[int, Setting]] = []
        want = tuple(p.lower() for p in chain)
        for f in self.files:
            for e in f.entries:
                if exact:
                    n = len(chain) if tuple(p.lower() for p in e.key) == want else 0
                else:
                    n = _matched(chain, e.key)
                if n:
                    best = max(best, n)
                    hits.append((n, Setting(f, e)))
        kept = [s for n, s in hits if n == best]
        if len({tuple(_norm(p) for p in s.entry.key) for s in kept}) != 1:
            return ()
        return tuple(kept)

    def value(self, text: str) -> Setting | None:
        """The setting ``text`` names when every file that has it agrees."""
        found = self.lookup(text)
        if not found or len({s.entry.value for s in found}) != 1:
            return None
        return found[0]

    def values(self) -> Mapping[str, str]:
        """The agreed values, by expression text, for :meth:`Value.resolve`."""
        return _Values(self)

    def opaque_parts(self, values: Iterable[Value]) -> Iterator[tuple[str, Setting]]:
        """``(opaque text, setting)`` for the opaque parts of ``values`` a setting gives."""
        for v in values:
            for p in v.parts:
                if isinstance(p, Opaque):
                    s = self.value(p.text)
                    if s is not None:
                        yield p.text, s


class _Values(Mapping[str, str]):
    """:meth:`Settings.value` as a read-only mapping (looked up on demand)."""

    def __init__(self, st: Settings) -> None:
        self._st = st

    def __getitem__(self, text: str) -> str:
        found = self._st.value(text)
        if found is None:
            raise KeyError(text)
        return found.entry.value

    def __contains__(self, text: object) -> bool:
        return isinstance(text, str) and self._st.value(text) is not None

    def __iter__(self) -> Iterator[str]:
        return iter(())

    def __len__(self) -> int:
        return 0


def settings(svc: Service) -> Settings:
    """The configuration files ``svc`` reads (``Service.configs``), for lookups."""
    return Settings(svc.configs)


def runtime_settings(svc: Service, rt: Runtime) -> dict[str, Setting]:
    """The settings the service's listen addresses take from configuration files in
    ``rt``: only where the value is certain there. Every file that has the key
    agrees, the final image holds one of them at the path the code opens it from
    (the module root's layout under the final ``WORKDIR``), and nothing the runtime
    mounts (a volume, a bind, a ConfigMap) covers that path."""
    build = rt.build
    if not svc.configs or build is None or svc.module is None:
        return {}
    st = settings(svc)
    mounts: list[str] = []
    if rt.deployment is not None:
        mounts += [m.mount_path for m in rt.deployment.container.mounts]
    if rt.compose is not None:
        mounts += [b.target for b in rt.compose.binds] + list(rt.compose.writable)

    def in_image(path: str) -> bool:
        full = image_path(svc, build, path)
        return full is not None and not any(covers(m, full) for m in mounts)

    out: dict[str, Setting] = {}
    addrs = [lst.addr for g in svc.files for lst in g.listeners if lst.addr is not None]
    for text, s in st.opaque_parts(addrs):
        if text not in out and any(in_image(x.file.path) for x in st.lookup(text)):
            out[text] = s
    return out


def image_path(svc: Service, build: Build, path: str) -> str | None:
    """Where the final image holds the configuration file ``path`` (relative to the
    checked root) for the code to open it: the module root's layout under the final
    ``WORKDIR``, when a ``COPY`` of the final stage writes there and the
    .dockerignore lets the file into the build context; None otherwise."""
    if svc.module is None:
        return None
    root = svc.module.dir
    rel = posixpath.relpath(path, root) if root not in (".", "") else path
    full = posixpath.normpath(posixpath.join(build.final.workdir or "/", rel))
    if copies_path(build, full) is None:
        return None
    ignore = build.dockerignore
    if ignore is not None:
        in_context = (
            posixpath.relpath(path, build.context) if build.context not in (".", "") else path
        )
        if not in_context.startswith("../") and ignore.excludes(in_context):
            return None
    return full
