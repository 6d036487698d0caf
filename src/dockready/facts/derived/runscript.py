"""What a ``RUN`` instruction executes, as simple commands, and the BuildKit cache
mounts it has: shared by the image-build rules that read shell scripts (DR309,
DR313, DR316).

``commands`` splits a script into simple commands (``argv`` lists) at ``&&``, ``||``,
``;``, ``|``, newlines and subshell parentheses, drops leading ``VAR=value``
assignments and wrappers (``sudo``, ``env``, ``exec``, ``command``, shell keywords
such as ``then``/``do``), and looks into ``sh -c '...'``. Heredoc bodies are read
when the RUN hands them to a shell (``RUN <<EOF``, ``RUN bash <<EOF``)."""

from __future__ import annotations

import posixpath
import shlex
from collections.abc import Iterator

from dockready.facts.derived.image import shell_words, shell_wrapper
from dockready.facts.docker import SHELLS, Instruction

#: Words that separate simple commands in ``shell_words`` output.
_OPERATORS = frozenset({"&&", "||", ";", "|", "&", "(", ")", ";;", "|&", "{", "}"})
#: Words that may open a simple command without being the command.
_KEYWORDS = frozenset({"then", "do", "else", "elif", "if", "while", "until", "!", "time"})
#: Commands that run the rest of their arguments as a command.
_WRAPPERS = frozenset({"sudo", "exec", "command", "nohup", "nice", "doas"})


def _heredoc_is_script(inst: Instruction) -> bool:
    """Does the RUN hand its heredocs to a shell (``RUN <<EOF``, ``RUN bash <<EOF``)?"""
    if not inst.heredocs or inst.json or not inst.value:
        return False
    words = shell_words(inst.value[0])
    # what is left besides the heredoc markers: nothing, or a shell and its flags
    rest: list[str] = []
    skip = False
    for w in words:
        if w in ("<<", "<<-"):
            skip = True
        elif skip:
            skip = False
        elif not w.startswith("-"):
            rest.append(w)
    if not rest:
        return True
    return len(rest) == 1 and posixpath.basename(rest[0]) in SHELLS


def run_scripts(inst: Instruction) -> tuple[str, ...]:
    """The shell text a RUN executes: its command line (exec form re-quoted, or the
    script of ``["sh", "-c", "..."]``) and the heredoc bodies a shell runs."""
    if inst.json:
        wrapped = shell_wrapper(inst)
        if wrapped is not None:
            return (wrapped[1],)
        return (shlex.join(inst.value),)
    out = [inst.value[0]] if inst.value else []
    if _heredoc_is_script(inst):
        out.extend(inst.heredocs)
    return tuple(out)


def _strip_prefix(argv: list[str]) -> list[str]:
    """``argv`` without leading assignments, keywords and wrappers (``sudo -E``,
    ``env -i A=1``)."""
    i = 0
    while i < len(argv):
        w = argv[i]
        base = posixpath.basename(w)
        if w in _KEYWORDS or (
            "=" in w and not w.startswith(("-", "=")) and w.split("=")[0].isidentifier()
        ):
            i += 1
        elif base in _WRAPPERS or base == "env":
            i += 1
            while i < len(argv) and argv[i].startswith("-"):
                i += 1
        else:
            break
    return argv[i:]


def commands(script: str, depth: int = 0) -> list[list[str]]:
    """The simple commands of a shell script, each as its words (see the module notes)."""
    out: list[list[str]] = []
    cur: list[str] = []
    # line by line: ``shell_words`` turns newlines into ``;`` before it drops
    # ``# comments``, so a comment would swallow the rest of a multi-line script
    words = [
        w for line in script.replace("\\\n", " ").split("\n") for w in (*shell_words(line), ";")
    ]
    for w in words:
        if w not in _OPERATORS:
            cur.append(w)
            continue
        argv = _strip_prefix(cur)
        cur = []
        if not argv:
            continue
        out.append(argv)
        # sh -c 'apt-get update && ...'
        if depth < 3 and posixpath.basename(argv[0]) in SHELLS:
            for k, a in enumerate(argv[1:-1], start=1):
                if a.startswith("-") and not a.startswith("--") and "c" in a:
                    out.extend(commands(argv[k + 1], depth + 1))
                    break
    return out


def run_commands(inst: Instruction) -> list[list[str]]:
    """Every simple command a RUN executes (all its scripts)."""
    return [argv for script in run_scripts(inst) for argv in commands(script)]


def program(argv: list[str]) -> str:
    """The command's name: ``/usr/bin/apt-get`` -> ``apt-get``."""
    return posixpath.basename(argv[0]) if argv else ""


def operands(argv: list[str]) -> list[str]:
    """The arguments that are not options (``-x``, ``--long``)."""
    return [a for a in argv[1:] if not a.startswith("-")]


def cache_mounts(inst: Instruction) -> tuple[str, ...]:
    """The targets of the RUN's ``--mount=type=cache`` flags, as written."""
    out: list[str] = []
    for f in inst.flags:
        if not f.startswith("--mount="):
            continue
        opts: dict[str, str] = {}
        for item in f[len("--mount=") :].split(","):
            k, _, v = item.partition("=")
            opts[k.strip().lower()] = v.strip().strip("\"'")
        if opts.get("type") != "cache":
            continue
        target = opts.get("target") or opts.get("dst") or opts.get("destination") or ""
        if target:
            out.append(target)
    return tuple(out)


def path_covers(parent: str, path: str) -> bool:
    """Is ``path`` ``parent`` or inside it (both absolute, ``/*`` suffixes ignored)?"""
    p = posixpath.normpath(parent.removesuffix("/*").removesuffix("*") or "/")
    q = posixpath.normpath(path)
    return q == p or q.startswith(p.rstrip("/") + "/")


def mounted(inst: Instruction, path: str) -> bool:
    """Does a cache mount of the RUN hold ``path`` (a mount whose target is a
    variable counts: it may)?"""
    return any("$" in t or path_covers(t, path) for t in cache_mounts(inst))


def removes(argv_list: list[list[str]], path: str) -> bool:
    """Does one of the commands delete ``path`` (or a folder holding it, or its
    contents): ``rm -rf /var/lib/apt/lists/*``, ``rm -r /var/cache/apk``?"""
    for argv in argv_list:
        if program(argv) != "rm":
            continue
        for a in operands(argv):
            if (
                a.startswith("/")
                and len(a.rstrip("/*")) > len("/var")
                and (path_covers(a, path) or a.startswith(path))
            ):
                return True
    return False


def iter_runs(instructions: tuple[Instruction, ...]) -> Iterator[Instruction]:
    for i in instructions:
        if i.cmd == "RUN":
            yield i
