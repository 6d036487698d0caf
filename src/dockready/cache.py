"""A content-addressed cache of per-file facts, in the style of ruff's cache.

Only parsing is cached: discovery, joins and rules always run. An entry is what
parsing one file produced (``engine.Parsed``), keyed by

- the file's path, kind and bytes (its hash: an edit, a move or a rename is a miss);
- the *salt*: dockready's version and a digest of its own code, the versions of the
  parsers it uses (tree-sitter, tree-sitter-go, dockerfile, PyYAML, google-re2), the
  Python version, and the Go call table the rules ask for.

Entries live in ``.dockready_cache/`` at the checked root (``--cache-dir`` elsewhere,
``--no-cache`` not at all), under a directory per salt, so an upgrade never reads an
older entry. The entries of one checked tree are kept together in one *pack* file
(``<salt>/<xx>/<scope>``, the scope being the checked paths): a warm run reads one
file, checks one MAC and unpickles each entry it uses, rather than opening thousands
of files. A pack holds the entries its last run used, so it does not grow with edits.
The directory holds a ``.gitignore`` and a ``CACHEDIR.TAG``, so neither git nor
backup tools take it.

Entries are pickles, and a pickle can run code when loaded: a pack is trusted only
when its HMAC-SHA256, under a key private to this machine's user
(``~/.cache/dockready/cache.key``, mode 0600; or ``DOCKREADY_CACHE_KEY``, for a CI
cache shared between jobs), matches. A cache directory planted in a pull request, a
truncated or corrupted pack all fail that check and are ignored, then rewritten.
Writes go to a temporary file renamed into place, so two runs may share the cache
(the last to finish leaves its pack).
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import pickle
import re
import secrets
import shutil
import stat
import sys
import tempfile
import time
import zlib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

#: Bumped when the layout of an entry changes.
FORMAT = "4"
DIRNAME = ".dockready_cache"
_TAG = b"Signature: 8a477f597d28d172789f06886806bc55\n# dockready's cache of parsed facts\n"
_PARSERS = ("tree-sitter", "tree-sitter-go", "dockerfile", "PyYAML", "google-re2")
_MAC = 32
_SALT_DIR = re.compile(r"[0-9a-f]{24}")
#: A file changed less than this before the pack was written is read again (2 s: a
#: file system's clock tick, and the time between hashing a file and writing the pack).
RACY_NS = 2_000_000_000
#: The largest pack read or written (a 21,000-file tree's is about 11 MB).
MAX_PACK = 256 << 20
#: Seconds after which another salt's entries are removed.
STALE_SECONDS = 3600


def _versions() -> str:
    import importlib.metadata  # here: only a run that caches pays for it

    out = []
    for name in _PARSERS:
        try:
            out.append(f"{name}={importlib.metadata.version(name)}")
        except importlib.metadata.PackageNotFoundError:
            out.append(f"{name}=?")
    return ";".join(out)


#: The modules whose code decides what parsing a file produces (rules do not: the
#: Go calls they ask for are in the salt on their own).
_PARSING_CODE = ("parse", "facts", "discover.py", "engine.py", "secrets.py", "linear.py",
                 "model.py", "limits.py", "suppress.py", "cache.py")  # fmt: skip


def _code_digest() -> str:
    """A digest of dockready's parsing code: a change of the code that makes facts
    (even without a version bump, as in development) is a new salt."""
    pkg = Path(__file__).resolve().parent
    h = hashlib.blake2b(digest_size=16)
    files = [p for name in _PARSING_CODE for p in (pkg / name).rglob("*.py")] + [
        pkg / name for name in _PARSING_CODE if name.endswith(".py")
    ]
    for p in sorted(set(files)):
        h.update(p.relative_to(pkg).as_posix().encode())
        h.update(p.read_bytes())
    return h.hexdigest()


def salt(calls: Iterable[str], variant: str = "") -> str:
    """The salt of entries: what, besides a file's bytes, decides what parsing it
    gives (``variant`` names a parsing mode, such as the prefilter turned off)."""
    from dockready import __version__

    h = hashlib.blake2b(digest_size=16)
    for part in (
        FORMAT,
        variant,
        __version__,
        _code_digest(),
        _versions(),
        sys.version,
        "\0".join(sorted(calls)),
    ):
        h.update(part.encode())
        h.update(b"\0")
    return h.hexdigest()


def _key_file() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "dockready" / "cache.key"


def _secret() -> bytes | None:
    """The HMAC key: ``DOCKREADY_CACHE_KEY``, else this user's key file (made on
    first use). None when neither can be had: then nothing is cached."""
    env = os.environ.get("DOCKREADY_CACHE_KEY")
    if env:
        return hashlib.sha256(env.encode()).digest()
    try:
        path = _key_file()
    except (RuntimeError, KeyError):  # no home directory to keep a key in
        return None
    try:
        data = path.read_bytes()
        if len(data) == 32:
            return data
    except OSError:
        pass
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        key = secrets.token_bytes(32)
        fd, tmp = tempfile.mkstemp(dir=path.parent)
        with os.fdopen(fd, "wb") as fh:
            fh.write(key)
        os.chmod(tmp, 0o600)
        try:
            os.link(tmp, path)  # the first writer wins; everyone reads its key
        except FileExistsError:
            pass
        finally:
            os.unlink(tmp)
        data = path.read_bytes()
        return data if len(data) == 32 else None
    except OSError:
        return None


class FactCache:
    """Parsed facts by content, for one checked tree. ``get``/``put``/``save`` never
    raise: a cache that cannot be read or written is a cache that misses.

    ``get(key)`` gives the entry's value (and keeps the entry for the next run),
    ``put(key, blob)`` adds a pickled value, ``save()`` writes the pack when this run
    changed it (an entry added, or one no longer used).

    A file's key is its content's hash, so a warm run would read and hash every file.
    The pack also records each file's size, inode and modification and change times
    with its key (``note``): a file whose record still holds is not read again
    (``known``), as git and ruff do. The change time cannot be set back by a program,
    so an edit always shows; a file changed within ``RACY_NS`` of the pack's writing
    is read anyway (git's "racily clean" files: a second edit in the same clock tick
    would look the same)."""

    def __init__(self, directory: Path, salt_: str, key: bytes, scope: str = "") -> None:
        self.top = directory
        self.dir = directory / salt_[:24]
        self._key = key
        self.scope = hashlib.blake2b(
            scope.encode("utf-8", "surrogateescape"), digest_size=16
        ).hexdigest()
        self.hits = 0
        self.misses = 0
        self._ready = False
        self._old: dict[str, bytes] | None = None
        self._new: dict[str, bytes] = {}
        self._stamps: dict[str, tuple[int, tuple[int, ...], str]] = {}
        self._written = 0
        self._noted: dict[str, tuple[int, tuple[int, ...], str]] = {}

    @classmethod
    def open(
        cls, directory: Path, calls: Iterable[str], scope: str = "", variant: str = ""
    ) -> FactCache | None:
        key = _secret()
        if key is None:
            return None
        return cls(directory, salt(calls, variant), key, scope)

    def key(self, rel: str, kind: str, data: bytes) -> str:
        h = hashlib.blake2b(digest_size=20)
        h.update(rel.encode("utf-8", "surrogateescape"))
        h.update(b"\0" + kind.encode() + b"\0")
        h.update(data)
        return h.hexdigest()

    @property
    def path(self) -> Path:
        """The pack of this tree's entries."""
        return self.dir / self.scope[:2] / self.scope

    def _load(self) -> dict[str, bytes]:
        if self._old is not None:
            return self._old
        self._old = {}
        blob = self._read_pack()
        if blob is None:
            return self._old
        mac, body = blob[:_MAC], blob[_MAC:]
        if len(mac) != _MAC or not hmac.compare_digest(
            mac, hmac.new(self._key, body, hashlib.sha256).digest()
        ):
            return self._old  # corrupted, truncated or not ours: never unpickled
        try:
            pack = pickle.loads(body)
        except Exception:
            return self._old
        if (
            isinstance(pack, dict)
            and isinstance(pack.get("entries"), dict)
            and isinstance(pack.get("stamps"), dict)
            and isinstance(pack.get("written"), int)
        ):
            self._old = pack["entries"]
            self._stamps = pack["stamps"]
            self._written = pack["written"]
        return self._old

    def known(self, rel: str, size: int, stamp: tuple[int, ...]) -> str | None:
        """The key of a file the pack has a record of, when the record still holds
        (same size, inode, modification and change times) and the file was not
        changed around the time the pack was written; else None: read it."""
        if not stamp:
            return None
        self._load()
        rec = self._stamps.get(rel)
        if rec is None or rec[0] != size or rec[1] != stamp:
            return None
        if max(stamp[1:], default=self._written) >= self._written - RACY_NS:
            return None
        return rec[2]

    def note(self, rel: str, size: int, stamp: tuple[int, ...], key: str) -> None:
        """Record what a file's key was, for ``known`` in the next run."""
        if stamp:
            self._noted[rel] = (size, stamp, key)

    def _planted(self) -> bool:
        """Is a folder on the way to the pack a symbolic link? (A cache directory is
        in the checked tree, which may be a pull request's: what it links to is not
        ours to read or write.)"""
        links = [self.dir, self.path.parent]
        if self.top.name == DIRNAME:  # the in-tree default; a --cache-dir may be a link
            links.append(self.top)
        return any(os.path.islink(d) for d in links)

    def _read_pack(self) -> bytes | None:
        """The pack's bytes: a regular file, not a link, and not over ``MAX_PACK``."""
        if self._planted():
            return None
        try:
            # no link followed; a FIFO must not block the open
            flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
            fd = os.open(self.path, flags)
        except OSError:
            return None
        try:
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode) or st.st_size > MAX_PACK:
                return None
            with os.fdopen(fd, "rb", closefd=False) as fh:
                return fh.read(MAX_PACK + 1)
        except OSError:
            return None
        finally:
            os.close(fd)

    def get(self, key: str) -> Any | None:
        blob = self._load().get(key)
        if blob is None:
            self.misses += 1
            return None
        try:
            value = pickle.loads(zlib.decompress(blob))
        except Exception:
            self.misses += 1
            return None
        self._new[key] = blob
        self.hits += 1
        return value

    def put(self, key: str, blob: bytes) -> None:
        """Add an entry: ``blob`` is the value, pickled. Entries are compressed one
        by one, so that a run that changed one file does not compress them all again."""
        self._new[key] = zlib.compress(blob, 1)

    def save(self) -> None:
        """Write the pack (the entries this run used), unless it would not change."""
        old = self._load()
        if self._new.keys() == old.keys() and self._noted == self._stamps:
            return
        pack = {"entries": self._new, "stamps": self._noted, "written": time.time_ns()}
        try:
            body = pickle.dumps(pack, protocol=pickle.HIGHEST_PROTOCOL)
            blob = hmac.new(self._key, body, hashlib.sha256).digest() + body
            path = self.path
            if self._planted() or len(blob) > MAX_PACK:
                return
            if not self._ready:
                self._prepare()
            path.parent.mkdir(parents=True, exist_ok=True)
            if self._planted():
                return
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
            try:
                with os.fdopen(fd, "wb") as fh:
                    fh.write(blob)
                os.replace(tmp, path)
                os.utime(self.dir)  # in use: not stale for another dockready's pruning
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
                raise
        except Exception:
            return

    def _prepare(self) -> None:
        self.top.mkdir(parents=True, exist_ok=True)
        for name, data in ((".gitignore", b"# made by dockready\n*\n"), ("CACHEDIR.TAG", _TAG)):
            try:  # O_EXCL: never through a link planted in its place
                fd = os.open(self.top / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
            except OSError:
                continue  # there already (or not writable: the cache works without it)
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
        self._prune()
        self._ready = True

    def _prune(self) -> None:
        """Packs of other salts (another dockready, other parsers) not written for an
        hour are removed: nothing will read them again."""
        now = time.time()
        for d in self.top.iterdir():
            try:
                if (
                    d != self.dir
                    and _SALT_DIR.fullmatch(d.name)  # only what dockready made here
                    and not d.is_symlink()
                    and d.is_dir()
                    and now - d.stat().st_mtime > STALE_SECONDS
                ):
                    shutil.rmtree(d, ignore_errors=True)
            except OSError:
                continue
