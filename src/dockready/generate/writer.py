"""Writing generated files: never over a file that differs without ``--force``,
``--diff`` and ``--dry-run`` to look first, and nothing written twice (a second run
finds every file unchanged).

A run is all or nothing for conflicts: when any file would overwrite different
content, nothing is written and the conflicting files are listed.
"""

from __future__ import annotations

import difflib
import os
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import Enum
from pathlib import Path, PurePosixPath


class WriteError(Exception):
    """A file cannot be planned or written (a directory in the way, no permission)."""


class Status(Enum):
    NEW = "new"
    CHANGED = "changed"
    UNCHANGED = "unchanged"


@dataclass(frozen=True, slots=True)
class Planned:
    """One generated file: where it goes, what it holds, what is there now."""

    rel: str  # POSIX, relative to the target directory
    path: Path
    content: str
    existing: str | None

    @property
    def status(self) -> Status:
        if self.existing is None:
            return Status.NEW
        return Status.UNCHANGED if self.existing == self.content else Status.CHANGED


def display(path: Path) -> str:
    """``path`` relative to the working directory when it is below it."""
    try:
        return path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def plan(files: Mapping[str, str], target: Path) -> list[Planned]:
    """The files of ``files`` (relative POSIX path -> content) under ``target``, with
    what each path holds today, sorted by path."""
    out: list[Planned] = []
    for rel in sorted(files):
        parts = PurePosixPath(rel).parts
        if not parts or PurePosixPath(rel).is_absolute() or ".." in parts:
            raise WriteError(f"{rel}: a generated path must stay inside {display(target)}")
        path = target.joinpath(*parts)
        existing: str | None = None
        if path.exists() or path.is_symlink():
            if not path.is_file():
                raise WriteError(f"{display(path)} exists and is not a regular file")
            try:
                existing = path.read_bytes().decode("utf-8", errors="surrogateescape")
            except OSError as e:
                raise WriteError(f"cannot read {display(path)}: {e.strerror or e}") from e
        out.append(Planned(rel, path, files[rel], existing))
    return out


def conflicts(planned: Iterable[Planned]) -> list[Planned]:
    """Files that exist with other content: written only with ``--force``."""
    return [p for p in planned if p.status is Status.CHANGED]


def write(planned: Iterable[Planned], force: bool = False) -> list[Planned]:
    """Write the new and changed files (changed ones only with ``force``); returns
    the files written. Raises :class:`WriteError` on a conflict without ``force``
    (before writing anything) or when a write fails."""
    todo = list(planned)
    clashing = conflicts(todo)
    if clashing and not force:
        names = ", ".join(display(p.path) for p in clashing)
        raise WriteError(f"would overwrite {names}")
    written: list[Planned] = []
    for p in todo:
        if p.status is Status.UNCHANGED:
            continue
        _atomic_write(p.path, p.content)
        written.append(p)
    return written


def _atomic_write(path: Path, content: str) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
                fh.write(content)
            if path.exists():
                os.chmod(tmp, path.stat().st_mode & 0o7777)
            else:
                umask = os.umask(0)
                os.umask(umask)
                os.chmod(tmp, 0o666 & ~umask)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError as e:
        raise WriteError(f"cannot write {display(path)}: {e.strerror or e}") from e


def _lines(text: str) -> list[str]:
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n\\ No newline at end of file\n"
    return lines


def diff(planned: Iterable[Planned]) -> str:
    """A unified diff from what is there to what would be written (new files against
    ``/dev/null``); empty when nothing would change."""
    out: list[str] = []
    for p in planned:
        if p.status is Status.UNCHANGED:
            continue
        name = display(p.path)
        old = _lines(p.existing) if p.existing is not None else []
        fromfile = f"a/{name}" if p.existing is not None else "/dev/null"
        out.extend(difflib.unified_diff(old, _lines(p.content), fromfile, f"b/{name}"))
    return "".join(out)


def dry_run(planned: Iterable[Planned]) -> str:
    """Every file as it would be written, each under a header naming it and what
    writing it would do."""
    out: list[str] = []
    for p in planned:
        what = {
            Status.NEW: "new file",
            Status.CHANGED: "would overwrite: differs (needs --force)",
            Status.UNCHANGED: "unchanged",
        }[p.status]
        out.append(f"==> {display(p.path)} ({what}) <==\n")
        out.append(p.content if p.content.endswith("\n") else p.content + "\n")
        out.append("\n")
    return "".join(out)
