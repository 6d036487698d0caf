"""Which files of a tree dockready reads, and as what.

Discovery never follows directory symlinks (no loops), skips VCS/dependency folders,
and refuses files that are too large or binary with a notice instead of a crash.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from dockready.model import Notice, Span
from dockready.parse.configfile import config_format

MAX_BYTES = 4 * 1024 * 1024


class Kind(Enum):
    GO = "go"
    GOMOD = "gomod"
    GOSUM = "gosum"
    VENDOR = "vendor"
    DOCKERFILE = "dockerfile"
    DOCKERIGNORE = "dockerignore"
    YAML = "yaml"
    MAKEFILE = "makefile"
    #: Shell scripts: read only for the ``docker build`` commands they run.
    SCRIPT = "script"
    JSON = "json"
    #: Listed, never read: files a build context must not ship (``.env``, keys).
    SENSITIVE = "sensitive"
    #: A program's TOML or ini configuration (YAML and JSON ones are YAML and JSON):
    #: read for the values the code takes from it, not checked on its own.
    CONFIG = "config"


_MiB = 1024 * 1024
#: The largest file read, per kind (README, "What it reads"): a file over its cap is
#: skipped with a notice. Go sources and manifests may be generated and large; what
#: people write by hand (a Dockerfile, go.mod, a Makefile) is small.
MAX_BYTES_BY_KIND: dict[Kind, int] = {
    Kind.GO: 4 * _MiB,
    Kind.YAML: 4 * _MiB,
    Kind.JSON: 4 * _MiB,
    Kind.VENDOR: 8 * _MiB,
    Kind.GOMOD: 1 * _MiB,
    Kind.DOCKERFILE: 1 * _MiB,
    Kind.DOCKERIGNORE: 1 * _MiB,
    Kind.MAKEFILE: 1 * _MiB,
    Kind.SCRIPT: 1 * _MiB,
    Kind.CONFIG: 1 * _MiB,
    Kind.GOSUM: 64 * _MiB,  # listed, never read
    Kind.SENSITIVE: 1 << 62,  # listed, never read
}


def cap_of(kind: Kind) -> int:
    return MAX_BYTES_BY_KIND.get(kind, MAX_BYTES)


def _size(n: int) -> str:
    return f"{n / _MiB:.1f} MB" if n >= _MiB else f"{n // 1024} KB"


#: Never read as sources, whatever ``exclude`` says: test inputs of Go packages.
#: (``vendor/`` is read only for its modules.txt.) The configurable defaults are
#: ``config.DEFAULT_EXCLUDE``.
SKIP_DIRS = frozenset({"testdata"})


@dataclass(frozen=True, slots=True)
class SourceFile:
    """A file to read: ``rel`` is POSIX and relative to the root; ``abs`` is on disk."""

    rel: str
    abs: str
    kind: Kind
    size: int
    #: What the fact cache may trust instead of reading the file again: the inode,
    #: and the modification and change times in ns (``()``: unknown, read it).
    stamp: tuple[int, ...] = ()


#: Extensions that make a ``Dockerfile.*``/``Dockerfile-*`` name something else.
_NOT_DOCKERFILE_EXT = (
    ".md", ".txt", ".rst", ".adoc", ".html", ".go", ".py", ".sh", ".json", ".yaml", ".yml",
    ".toml", ".j2", ".tpl", ".tmpl", ".template", ".orig", ".bak", ".swp", ".lock", ".sum",
)  # fmt: skip


def is_dockerfile_name(low: str) -> bool:
    """Every name repositories give Dockerfiles (lower-cased): ``Dockerfile``,
    ``Dockerfile.api``, ``Dockerfile-api``, ``Dockerfile_api``, ``api.Dockerfile``,
    ``Containerfile*``; not docs, scripts or templates that share the prefix."""
    for stem in ("dockerfile", "containerfile"):
        if low == stem or low.endswith("." + stem):
            return True
        if low.startswith(stem) and low[len(stem)] in ".-_":
            return not low.endswith(_NOT_DOCKERFILE_EXT)
    return False


_SENSITIVE_EXT = (".key", ".pem", ".p12", ".pfx", ".jks", ".keystore")
_TEMPLATE_EXT = (".example", ".sample", ".template", ".dist", ".tmpl")


def is_sensitive_name(low: str) -> bool:
    """A file a build context must not ship (lower-cased name): ``.env`` files (not
    their ``.example`` templates), private keys and key stores."""
    if low.endswith(_TEMPLATE_EXT):
        return False
    if low == ".env" or low.startswith(".env.") or low in ("id_rsa", "id_ecdsa", "id_ed25519"):
        return True
    return low.endswith(_SENSITIVE_EXT)


def classify(rel: str) -> Kind | None:
    name = rel.rsplit("/", 1)[-1]
    low = name.lower()
    if low.endswith(".go"):
        return None if low.endswith("_test.go") else Kind.GO
    if is_sensitive_name(low):
        return Kind.SENSITIVE
    if name == "go.mod":
        return Kind.GOMOD
    if name in ("Makefile", "makefile", "GNUmakefile") or low.endswith(".mk"):
        return Kind.MAKEFILE
    if name == "go.sum":
        return Kind.GOSUM
    if rel == "vendor/modules.txt" or rel.endswith("/vendor/modules.txt"):
        return Kind.VENDOR
    if low.endswith(".dockerignore"):
        return Kind.DOCKERIGNORE
    if is_dockerfile_name(low):
        return Kind.DOCKERFILE
    if low.endswith((".yaml", ".yml")):
        return Kind.YAML
    if low.endswith(".json"):
        return Kind.JSON
    if low.endswith(".sh"):
        return Kind.SCRIPT
    if low.endswith((".toml", ".ini")) and config_format(rel) is not None:
        return Kind.CONFIG
    return None


def discover(
    root: Path, paths: list[Path], excluded: Callable[[str], bool] | None = None
) -> tuple[list[SourceFile], list[Notice]]:
    """All files under ``paths`` that dockready reads, relative to ``root``, less the
    ``excluded`` ones (``Config.excluder``; default ``DEFAULT_EXCLUDE``). A file named
    in ``paths`` is read even when excluded, as ruff does."""
    if excluded is None:
        from dockready.config import Config

        excluded = Config().excluder(root)
    files: dict[str, SourceFile] = {}
    notices: list[Notice] = []

    def unreadable_dir(e: OSError) -> None:  # os.walk would skip it silently
        where = relative(root, Path(e.filename)) if e.filename else None
        notices.append(
            Notice(f"skipped: cannot read directory ({e.strerror or e})", Span(where or "."))
        )

    for p in paths:
        if p.is_file():
            _add(root, p, files, notices)
            continue
        for dirpath, dirnames, filenames in walk(p, unreadable_dir):
            base = relative(root, Path(dirpath))  # once per folder; its entries by name
            under = "" if base == "." else base + "/"
            keep = []
            for d in dirnames:
                full = os.path.join(dirpath, d)
                if d in SKIP_DIRS or os.path.islink(full) or excluded(under + d):
                    continue
                if d == "vendor":
                    vm = Path(full, "modules.txt")
                    if vm.is_file():
                        _add(root, vm, files, notices, rel=under + "vendor/modules.txt")
                    continue
                keep.append(d)
            dirnames[:] = sorted(keep)
            for f in sorted(filenames):
                rel = under + f
                if classify(rel) is not None and not excluded(rel):
                    _add(root, Path(dirpath, f), files, notices, rel=rel)
    _skip_chart_templates(files, notices)
    return sorted(files.values(), key=lambda s: s.rel), notices


def walk(
    top: Path, onerror: Callable[[OSError], None]
) -> Iterator[tuple[str, list[str], list[str]]]:
    """``os.walk(top, topdown=True, followlinks=False)`` without recursion (a tree
    nested thousands deep must not raise RecursionError): the caller may prune the
    directory list in place, as with ``os.walk``."""
    stack = [os.fspath(top)]
    while stack:
        path = stack.pop()
        dirs: list[str] = []
        files: list[str] = []
        try:
            with os.scandir(path) as it:
                for entry in it:
                    try:
                        is_dir = entry.is_dir(follow_symlinks=False)
                    except OSError:
                        is_dir = False
                    (dirs if is_dir else files).append(entry.name)
        except OSError as e:
            onerror(e)
            continue
        yield path, dirs, files
        stack.extend(os.path.join(path, d) for d in reversed(dirs))


def _skip_chart_templates(files: dict[str, SourceFile], notices: list[Notice]) -> None:
    """Helm chart templates (``<chart>/templates/**``, a folder beside ``Chart.yaml``)
    are Go templates, not YAML: reading them as manifests can only give false parse
    errors. They are left out here; ``dockready.render`` reads them once rendered (and
    says so when it cannot)."""
    charts = sorted(
        rel.rsplit("/", 1)[0] if "/" in rel else "."
        for rel, f in files.items()
        if f.kind is Kind.YAML and rel.rsplit("/", 1)[-1] == "Chart.yaml"
    )
    for chart in charts:
        prefix = "templates/" if chart == "." else f"{chart}/templates/"
        for r in [r for r, f in files.items() if f.kind is Kind.YAML and r.startswith(prefix)]:
            del files[r]


def relative(root: Path, p: Path) -> str:
    """``p`` as a POSIX path relative to ``root`` (as given when outside it)."""
    try:
        return p.absolute().relative_to(root.absolute()).as_posix()
    except ValueError:
        return p.as_posix()


def named_dockerfiles(
    root: Path,
    paths: Sequence[Path],
    named: Iterable[str],
    files: Sequence[SourceFile],
    excluded: Callable[[str], bool],
) -> tuple[list[SourceFile], list[Notice]]:
    """The files build commands name as their Dockerfile (``docker build -f``, compose
    ``dockerfile:``...; ``named`` are root-relative) that discovery did not list, read
    as Dockerfiles whatever their name, when they lie under the checked ``paths``, are
    not excluded and are of no other kind."""
    listed = {f.rel for f in files}
    dirs = [p.absolute() for p in paths if p.is_dir()]
    found: dict[str, SourceFile] = {}
    notices: list[Notice] = []
    for rel in sorted(set(named) - listed):
        folders = rel.split("/")[:-1]
        if classify(rel) is not None or excluded(rel):
            continue
        if any(d in SKIP_DIRS or d == "vendor" for d in folders):
            continue
        p = root.absolute() / rel
        if p.is_file() and any(d == p.parent or d in p.parents for d in dirs):
            _add(root, p, found, notices, Kind.DOCKERFILE)
    return list(found.values()), notices


def _add(
    root: Path,
    p: Path,
    files: dict[str, SourceFile],
    notices: list[Notice],
    as_kind: Kind | None = None,
    rel: str | None = None,
) -> None:
    rel = rel if rel is not None else relative(root, p)
    kind = as_kind or classify(rel)
    if kind is None or rel in files:
        return
    try:
        st = os.lstat(p)
        link = stat.S_ISLNK(st.st_mode)
        if link:
            st = os.stat(p)
    except OSError as e:  # dangling symlink, permission denied
        notices.append(Notice(f"skipped: cannot read ({e.strerror or e})", Span(rel)))
        return
    if link and not _inside(root, p):
        # an untrusted tree must not make dockready read (and print) a host file
        notices.append(
            Notice("skipped: a symbolic link to a file outside the checked tree", Span(rel))
        )
        return
    if not stat.S_ISREG(st.st_mode):
        notices.append(Notice("skipped: not a regular file (a FIFO, device or socket)", Span(rel)))
        return
    cap = cap_of(kind)
    if st.st_size > cap:
        notices.append(
            Notice(
                f"skipped: {_size(st.st_size)} is over the {_size(cap)} size limit "
                f"of a {kind.value} file",
                Span(rel),
            )
        )
        return
    files[rel] = SourceFile(
        shown_path(rel), str(p), kind, st.st_size, (st.st_ino, st.st_mtime_ns, st.st_ctime_ns)
    )


def shown_path(rel: str) -> str:
    """``rel`` as reports can carry it: in a file name that is not UTF-8 (its bytes
    kept as surrogates by the file system layer) each undecodable byte is written
    ``\\xNN``, so two such names never look alike and the name can be recovered. The
    file is still read through its real path (``SourceFile.abs``)."""
    try:
        rel.encode("utf-8")
    except UnicodeEncodeError:
        return rel.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    return rel


def _inside(root: Path, p: Path) -> bool:
    """Is the file ``p`` resolves to (symbolic links followed) inside ``root``?"""
    try:
        p.resolve(strict=True).relative_to(root.resolve())
    except (OSError, ValueError, RuntimeError):
        return False
    return True


def read_text(src: SourceFile) -> tuple[str | None, Notice | None]:
    """Decode a file as text; binary files give None and a notice."""
    try:
        data = Path(src.abs).read_bytes()
    except OSError as e:
        return None, Notice(f"skipped: cannot read ({e.strerror or e})", Span(src.rel))
    return decode(data, src.rel)


def decode(data: bytes, rel: str) -> tuple[str | None, Notice | None]:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), None
        except UnicodeDecodeError:
            pass
    if b"\x00" in data[:8192]:
        return None, Notice("skipped: binary file", Span(rel))
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        text = data.decode("utf-8", errors="replace")
        return text, Notice("not valid UTF-8; undecodable bytes replaced", Span(rel, line))
