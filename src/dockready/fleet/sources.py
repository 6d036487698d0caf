"""What a SOURCE of ``dockready fleet`` is, and the git cache.

A SOURCE is a directory (a repository or a monorepo: everything under it is one
``check``), a git URL (cloned shallow into the cache, fetched again on the next run),
or a text file listing sources, one a line, ``#`` comments, relative paths against
the list file's directory. A source that cannot be used (a path that does not exist,
a list that cannot be read) is kept as a ``Source`` with its ``problem``: it becomes
an error row, and the other sources go on.

User info in a URL (``https://user:token@host/...``) never leaves this module: the
label of a git source, stored and printed, has it replaced with ``***``.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

DIR, GIT, MISSING = "dir", "git", "missing"
MAX_LIST_BYTES = 1024 * 1024
_URL = re.compile(r"^(?:https?|git|ssh|file)://", re.IGNORECASE)
_SCP = re.compile(r"^[\w.-]+@[\w.-]+:(?!/)")  # git@github.com:org/repo.git
_COMMENT = re.compile(r"\s+#.*$")
_USERINFO = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*://)[^/@\s]+@")
_SLUG = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True, slots=True)
class Source:
    """One repository to check. ``key`` is its identity across runs (an absolute
    path, or the masked URL); ``location`` is what is read or cloned."""

    kind: str
    key: str
    location: str
    problem: str = ""


def is_git_url(text: str) -> bool:
    return bool(_URL.match(text) or _SCP.match(text))


def mask_url(url: str) -> str:
    """The URL with any user info (a token) replaced by ``***``."""
    if _SCP.match(url):
        return url
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    if "@" not in parts.netloc:
        return url
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"***@{host}"))


def expand(
    args: Iterable[str], base: Path | None = None, _seen: set[Path] | None = None
) -> list[Source]:
    """The sources named by ``args`` (list files expanded), without duplicates, in
    the order given."""
    seen = _seen if _seen is not None else set()
    out: list[Source] = []
    keys: set[str] = set()

    def add(src: Source) -> None:
        if src.key not in keys:
            keys.add(src.key)
            out.append(src)

    for raw in args:
        text = raw.strip()
        if not text:
            continue
        if is_git_url(text):
            add(Source(GIT, mask_url(text), text))
            continue
        path = Path(os.path.expanduser(text))
        if base is not None and not path.is_absolute():
            path = base / path
        key = str(path.resolve()) if path.exists() else str(path.absolute())
        if path.is_dir():
            add(Source(DIR, key, key))
        elif path.is_file():
            real = path.resolve()
            if real in seen:
                continue  # a list that includes itself
            seen.add(real)
            lines, problem = _read_list(path)
            if problem:
                add(Source(MISSING, key, key, problem))
                continue
            for src in expand(lines, real.parent, seen):
                add(src)
        elif path.exists():
            add(Source(MISSING, key, key, "not a directory or a list of sources"))
        else:
            add(Source(MISSING, key, key, "no such file or directory"))
    return out


def _read_list(path: Path) -> tuple[list[str], str]:
    try:
        with path.open("rb") as fh:
            data = fh.read(MAX_LIST_BYTES + 1)
    except OSError as e:
        return [], f"cannot read the list of sources: {e.strerror or e}"
    if len(data) > MAX_LIST_BYTES:
        return [], f"a list of sources is at most {MAX_LIST_BYTES} bytes"
    if b"\0" in data:
        return [], "not a list of sources (binary file)"
    text = data.decode("utf-8", errors="replace")
    lines = []
    for line in text.splitlines():
        line = _COMMENT.sub("", line).strip()
        if line and not line.startswith("#"):
            lines.append(line)
    return lines, ""


class GitError(Exception):
    pass


def cache_path(cache_dir: Path, url: str) -> Path:
    masked = mask_url(url)
    tail = _SLUG.sub("-", masked.rstrip("/").rsplit("/", 1)[-1].removesuffix(".git"))[:40]
    digest = hashlib.sha256(url.encode()).hexdigest()[:12]
    return cache_dir / f"{tail or 'repo'}-{digest}"


def sync(url: str, cache_dir: Path, timeout: float) -> Path:
    """A shallow checkout of ``url`` in the cache: cloned the first time, fetched
    and reset to the remote's HEAD after that. Raises ``GitError`` with a masked
    one-line reason."""
    dest = cache_path(cache_dir, url)
    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "GIT_ASKPASS": "true"}
    if (dest / ".git").is_dir():
        try:
            _git(
                ["git", "-C", str(dest), "fetch", "--depth", "1", "--quiet", "origin", "HEAD"],
                url,
                env,
                timeout,
            )
            _git(
                ["git", "-C", str(dest), "reset", "--hard", "--quiet", "FETCH_HEAD"],
                url,
                env,
                timeout,
            )
            return dest
        except GitError:
            shutil.rmtree(dest, ignore_errors=True)  # a broken cache: clone again
    elif dest.exists():
        shutil.rmtree(dest, ignore_errors=True)
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise GitError(f"cannot create the cache {cache_dir}: {e.strerror or e}") from None
    _git(["git", "clone", "--depth", "1", "--quiet", "--", url, str(dest)], url, env, timeout)
    return dest


def _git(cmd: list[str], url: str, env: dict[str, str], timeout: float) -> None:
    try:
        proc = subprocess.run(
            cmd, env=env, capture_output=True, timeout=timeout, stdin=subprocess.DEVNULL
        )
    except FileNotFoundError:
        raise GitError("git is not installed (a git URL needs it)") from None
    except subprocess.TimeoutExpired:
        raise GitError(
            f"git {cmd[1] if cmd[1] != '-C' else cmd[3]} timed out after {timeout:g} s"
        ) from None
    if proc.returncode != 0:
        err = _USERINFO.sub(
            r"\1***@", proc.stderr.decode("utf-8", errors="replace").replace(url, mask_url(url))
        )
        last = [ln.strip() for ln in err.splitlines() if ln.strip()]
        reason = last[-1] if last else f"exit status {proc.returncode}"
        verb = cmd[1] if cmd[1] != "-C" else cmd[3]
        raise GitError(f"git {verb} failed: {reason}")
