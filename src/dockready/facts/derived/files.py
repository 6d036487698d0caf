"""Files the code writes (logs, temp files, data) and the configuration files it opens.

Three-valued where it matters: ``True``/``False`` when the facts say so,
``None`` when they do not; rules do not report on ``None``."""

from __future__ import annotations

import posixpath
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from dockready.facts.go import (
    Call,
    GoFile,
    Opaque,
    Value,
)
from dockready.facts.index import Service
from dockready.model import Span


@dataclass(frozen=True, slots=True)
class FileWrite:
    """A place the code writes on the filesystem. ``what`` names the call
    (``os.CreateTemp``, ``lumberjack.Logger``); ``path`` is the file or directory it
    creates or writes into, resolved with the environment (relative as written; None
    when unknown). ``temp`` is true when the path is the temp directory
    (``os.TempDir()``: ``$TMPDIR`` or ``/tmp``)."""

    what: str
    span: Span
    path: str | None
    temp: bool = False


_WRITE_FLAGS = ("O_WRONLY", "O_RDWR", "O_CREATE", "O_APPEND", "O_TRUNC")


# callee -> (index of the path argument, the path is a temp *directory* when empty)
_FILE_WRITES = {
    "os.Create": (0, False),
    "os.WriteFile": (0, False),
    "os.Mkdir": (0, False),
    "os.MkdirAll": (0, False),
    "os.OpenFile": (0, False),
    "os.CreateTemp": (0, True),
    "os.MkdirTemp": (0, True),
    "io/ioutil.WriteFile": (0, False),
    "io/ioutil.TempFile": (0, True),
    "io/ioutil.TempDir": (0, True),
}


_LUMBERJACK = ("gopkg.in/natefinch/lumberjack.v2.Logger", "github.com/natefinch/lumberjack.Logger")


def under_tmp(path: str | None) -> bool:
    """Is ``path`` ``/tmp`` or inside it?"""
    return path is not None and (path.rstrip("/") == "/tmp" or path.startswith("/tmp/"))


#: Methods (by receiver package) that parse multipart uploads and spill the files
#: over the in-memory limit to the temp directory.
MULTIPART_SPILLS: Mapping[str, frozenset[str]] = {
    "net/http": frozenset({"ParseMultipartForm", "FormFile"}),
    "github.com/gin-gonic/gin": frozenset({"FormFile", "MultipartForm"}),
    "github.com/labstack/echo/v4": frozenset({"FormFile", "MultipartForm"}),
    "github.com/labstack/echo": frozenset({"FormFile", "MultipartForm"}),
    "mime/multipart": frozenset({"ReadForm"}),
}


def spills_multipart(c: Call) -> bool:
    """Is ``c`` a method call that may write uploaded files to the temp directory?"""
    return c.callee.startswith(".") and c.name in MULTIPART_SPILLS.get(c.receiver_pkg, ())


def temp_dir(env: Mapping[str, str] | None = None) -> str:
    """``os.TempDir()`` in a container: ``$TMPDIR``, else ``/tmp``."""
    return (env or {}).get("TMPDIR") or "/tmp"


def _write_path(
    v: Value | None,
    env: Mapping[str, str] | None,
    temp: bool,
    settings: Mapping[str, str] | None = None,
) -> tuple[str | None, bool]:
    if v is None:
        return None, False
    if temp and v.literal == "":
        return temp_dir(env), True
    parts = v.parts
    if parts and isinstance(parts[0], Opaque) and parts[0].text.strip() == "os.TempDir()":
        rest = Value(v.text, parts[1:]).resolve(env, None, settings) if len(parts) > 1 else ""
        return (temp_dir(env) + rest if rest is not None else None), True
    return v.resolve(env, None, settings), False


def file_writes(
    svc: Service, env: Mapping[str, str] | None = None, settings: Mapping[str, str] | None = None
) -> list[FileWrite]:
    """Every file or directory the service's code creates or writes: ``os.Create``,
    ``os.WriteFile``, ``os.OpenFile`` with a write flag, ``os.Mkdir(All)``,
    ``os.CreateTemp``/``os.MkdirTemp`` (``""`` is the temp directory), the
    ``io/ioutil`` equivalents and ``lumberjack.Logger`` (no ``Filename``: a file in
    the temp directory). ``settings``: values configuration files give opaque parts
    (``derived/config.py``)."""
    out: list[FileWrite] = []
    for g in svc.files:
        for c in g.calls:
            spec = _FILE_WRITES.get(c.callee)
            if spec is None:
                continue
            if c.callee == "os.OpenFile":
                flags = c.arg(1)
                if flags is None or not any(f in flags.text for f in _WRITE_FLAGS):
                    continue
            idx, temp = spec
            path, is_temp = _write_path(c.arg(idx), env, temp, settings)
            what = c.callee.replace("io/ioutil.", "ioutil.")
            out.append(FileWrite(what, c.span, path, is_temp))
        for lit in g.literals:
            if lit.type not in _LUMBERJACK:
                continue
            fn = lit.field("Filename")
            if fn is None:
                out.append(FileWrite("lumberjack.Logger", lit.span, temp_dir(env), True))
            else:
                path, is_temp = _write_path(fn, env, False, settings)
                out.append(FileWrite("lumberjack.Logger", lit.span, path, is_temp))
    return out


#: Go calls whose first argument is the path of a file they read.
_FILE_READERS = frozenset(
    {
        "os.Open",
        "os.ReadFile",
        "io/ioutil.ReadFile",
        "github.com/BurntSushi/toml.DecodeFile",
        "github.com/ilyakaznacheev/cleanenv.ReadConfig",
        "gopkg.in/ini.v1.Load",
        "github.com/go-ini/ini.Load",
        "github.com/knadh/koanf/providers/file.Provider",
        "github.com/knadh/koanf/v2/providers/file.Provider",
    }
)


_VIPER = "github.com/spf13/viper"


_VIPER_ENV = frozenset({"AutomaticEnv", "BindEnv", "SetEnvPrefix"})


_CONFIG_EXTS = frozenset(
    {".yaml", ".yml", ".json", ".toml", ".ini", ".conf", ".cfg", ".properties", ".hcl"}
)


_VIPER_EXTS = (".yaml", ".yml", ".json", ".toml", ".ini", ".hcl", ".properties", ".env")


_SYSTEM_DIRS = ("/proc/", "/sys/", "/dev/", "/run/", "/var/run/", "/usr/", "/etc/ssl/")


def _viper_call(c: Call, name: str) -> bool:
    if c.callee == f"{_VIPER}.{name}":
        return True
    return c.callee == f".{name}" and c.receiver_pkg == _VIPER


def _literal_arg(c: Call, i: int) -> str | None:
    v = c.arg(i)
    return v.literal if v is not None else None


def _is_app_config(path: str) -> bool:
    ext = posixpath.splitext(path)[1].lower()
    if ext not in _CONFIG_EXTS:
        return False
    # /etc/resolv.conf, /etc/nsswitch.conf and friends are the system's.
    return not (path.startswith(_SYSTEM_DIRS) or posixpath.dirname(path) == "/etc")


_DOTENV = frozenset({"github.com/joho/godotenv.Load", "github.com/joho/godotenv.Overload"})
_FATAL = frozenset(
    {"log.Fatal", "log.Fatalf", "log.Fatalln", "log.Panic", "log.Panicf", "log.Panicln", "os.Exit"}
)
_FATAL_METHODS = frozenset({"Fatal", "Fatalf", "Fatalln", "Fatalw", "Panic", "Panicf", "Panicw"})


def fatal_after(g: GoFile, c: Call, within: int = 4) -> Call | None:
    """A call that ends the process (``log.Fatal``, ``os.Exit``, a logger's ``Fatal``)
    in the same function within ``within`` lines after ``c``: how ``if err != nil {
    log.Fatal(...) }`` looks in the facts."""
    for f in g.calls:
        if f.func != c.func or not c.span.line <= f.span.line <= c.span.line + within:
            continue
        if f.callee in _FATAL or (f.callee.startswith(".") and f.name in _FATAL_METHODS):
            return f
    return None


def _dotenv(g: GoFile, c: Call) -> tuple[str, ...] | None:
    """The files ``godotenv.Load(...)`` needs when a missing one is fatal: its
    arguments, or ``.env`` in the working directory. An error that is dropped or only
    logged means the file is optional."""
    if c.discarded or fatal_after(g, c) is None:
        return None
    args = [_literal_arg(c, i) for i in range(len(c.args))]
    if any(a is None or "$" in a for a in args):
        return None
    return tuple(a for a in args if a) or (".env",)


def config_opens(g: GoFile) -> Iterator[tuple[Call, tuple[str, ...], str]]:
    """``(call, candidate paths, shown)``: the files a config load needs (any one)."""
    viper_ok = not any(_viper_call(c, n) for c in g.calls for n in _VIPER_ENV)
    for c in g.calls:
        if c.callee in _DOTENV:
            files = _dotenv(g, c)
            if files is not None:
                yield c, files[:1], files[0]
            continue
        if c.callee not in _FILE_READERS and not (viper_ok and _viper_call(c, "SetConfigFile")):
            continue
        path = _literal_arg(c, 0)
        if path and "$" not in path and _is_app_config(path):
            yield c, (path,), path
    if not viper_ok:
        return
    names = [c for c in g.calls if _viper_call(c, "SetConfigName")]
    dirs = [c for c in g.calls if _viper_call(c, "AddConfigPath")]
    reads = [c for c in g.calls if _viper_call(c, "ReadInConfig")]
    if len(names) != 1 or not dirs or not reads:
        return
    name = _literal_arg(names[0], 0)
    lits = [_literal_arg(d, 0) for d in dirs]
    if not name or any(d is None or "$" in d for d in lits):
        return
    cands = tuple(posixpath.join(d or ".", name + ext) for d in lits for ext in _VIPER_EXTS)
    yield reads[0], cands, f"{name}.* from " + ", ".join(str(d) for d in lits)
