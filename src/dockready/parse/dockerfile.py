"""Parse a Dockerfile into typed facts (:class:`~dockready.facts.docker.Dockerfile`).

BuildKit's own parser (the ``dockerfile`` package) splits the text into instructions;
this module replays them the way BuildKit's dispatcher would: global and stage ``ARG``
defaults, ``ENV`` (both forms), variable substitution where Docker performs it
(``FROM``, ``ENV``, ``ARG``, ``WORKDIR``, ``COPY``/``ADD``, ``USER``, ``EXPOSE``),
relative ``WORKDIR`` resolution, stage inheritance (``FROM <stage>``), and the
``go build``/``go install``/``go mod download`` commands hidden in ``RUN`` lines.

A variable whose value is not known here (an ``ARG`` without a default, a built-in
platform argument such as ``TARGETARCH``, an ``ENV`` of the base image) is left as
written (``${TARGETARCH}``), never replaced by a guess; ``${VAR:-default}`` uses the
default when ``VAR`` is unknown.

:func:`parse_dockerfile` never raises: a file Docker would reject yields a
``Dockerfile`` whose ``error`` names the line.
"""

from __future__ import annotations

import posixpath
import re
import shlex
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import dockerfile

from dockready.facts.docker import (
    SHELLS,
    Copy,
    Dockerfile,
    Expose,
    GoBuild,
    GoCommand,
    Instruction,
    MakeCall,
    Stage,
)
from dockready.model import Span
from dockready.secrets import scrub

# --------------------------------------------------------------------------- constants

INSTRUCTIONS = frozenset(
    {
        "FROM", "RUN", "CMD", "LABEL", "MAINTAINER", "EXPOSE", "ENV", "ADD", "COPY",
        "ENTRYPOINT", "VOLUME", "USER", "WORKDIR", "ARG", "ONBUILD", "STOPSIGNAL",
        "HEALTHCHECK", "SHELL",
    }
)  # fmt: skip

#: Instructions Docker rejects with fewer arguments than this.
_MIN_ARGS: Mapping[str, int] = {
    "COPY": 2, "ADD": 2, "ENV": 1, "ARG": 1, "EXPOSE": 1, "WORKDIR": 1, "USER": 1,
    "STOPSIGNAL": 1, "ONBUILD": 1, "HEALTHCHECK": 1,
}  # fmt: skip

#: ``busybox sh -c ...`` runs a script too.
_SHELLS = SHELLS | {"busybox"}
_WRAPPERS = frozenset({"exec", "time", "nohup", "command", "nice"})
_MAX_SHELL_DEPTH = 3
_MAX_ERROR_PROBES = 400

_LINE_IN_MESSAGE = re.compile(r"\bline (\d+)")
_DIRECTIVE = re.compile(r"#\s*([A-Za-z]+)\s*=\s*(\S*)\s*")
_INSTRUCTION_LIKE = re.compile(r"[A-Z]{2,12}")
_VAR_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_BRACED = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-+?])(.*))?", re.S)
_PLAIN = {"\\": re.compile(r"[^'\"$\\]+"), "`": re.compile(r"[^'\"$`]+")}
_PLAIN_DQ = {"\\": re.compile(r"[^\"$\\]+"), "`": re.compile(r"[^\"$`]+")}
_ASSIGNMENT = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)=(.*)", re.S)
_PORT = re.compile(r"(\d+)(?:-(\d+))?(?:/([A-Za-z]+))?")
_HEREDOC_MARK = re.compile(r"<<-?(['\"]?)([A-Za-z0-9_.\-]+)\1")
_REDIRECT = re.compile(r"\d*(?:>>?|<|&>>?|>&|<&|>\|)")
#: Cheap pre-filter: only RUN text matching this is tokenised.
_GO_HINT = re.compile(r"(?<![\w.\-])(?:go\s+(?:build|install|mod|get)|g?make)\b")
#: Where a ``go build``/``go install`` starts in the file (for precise spans).
_GO_CALL = re.compile(r"(?<![\w.\-])go\s+(?:build|install)\b")

#: One shell token: blanks, an operator, a comment (only at a word start), or a word
#: made of quoted/escaped/substituted pieces.
_SH_TOKEN = re.compile(
    r"""
      (?P<blank>[ \t\r\f\v]+)
    | (?P<op>&&|\|\||;;|[;&|()\n])
    | (?P<comment>\#[^\n]*)
    | (?P<word>(?:[^\s'"`\\;&|()<>$]+|[<>]+&?|\$\([^)]*\)?|\$|`[^`]*`?|'[^']*'?
                 |"(?:[^"\\]+|\\.)*"?|\\.)+)
    | (?P<other>.)
    """,
    re.X | re.S,
)

#: ``go build`` flags that take a value (``-o out`` as well as ``-o=out``).
_GO_VALUE_FLAGS = frozenset(
    {
        "o", "p", "C", "asmflags", "buildmode", "compiler", "gccgoflags", "gcflags",
        "installsuffix", "ldflags", "mod", "modfile", "overlay", "pgo", "pkgdir", "tags",
        "toolexec", "covermode", "coverpkg", "exec",
    }
)  # fmt: skip
_TRUE = frozenset({"1", "t", "T", "true", "TRUE", "True"})


# --------------------------------------------------------------------------- entry point


def parse_dockerfile(path: str, text: str) -> Dockerfile:
    """Parse ``text`` (the content of the Dockerfile at ``path``) into facts.

    Never raises: a syntax error, an unknown instruction, an instruction Docker rejects
    for its arity, or a file without ``FROM`` gives a ``Dockerfile`` with ``error`` set.
    """
    try:
        commands = dockerfile.parse_string(text)
    except dockerfile.GoParseError as exc:
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else "parse error"
        if "no instructions" in message:
            long = next((n for n, ln in enumerate(text.split("\n"), 1) if len(ln) > 65535), 0)
            if long:  # the parser stops at a line over 64 KiB and sees nothing
                return _failed(
                    path, long, "a line over 64 KiB, longer than the Dockerfile parser reads"
                )
            return _failed(path, 1, "empty Dockerfile: no instructions")
        return _failed(path, _error_line(text, message), f"Dockerfile syntax error: {message}")
    problem = _validate(commands)
    if problem is not None:
        return _failed(path, problem[0], problem[1], _extents(commands))
    return _Builder(path, text, _escape_token(text)).build(commands)


def _extents(commands: Sequence[Any]) -> tuple[tuple[int, int, bool], ...]:
    """Each instruction's ``(first line, last line, has a heredoc)``."""
    return tuple((int(c.start_line), int(c.end_line), bool(c.heredocs)) for c in commands)


def _failed(
    path: str, line: int, message: str, extents: tuple[tuple[int, int, bool], ...] = ()
) -> Dockerfile:
    if message.startswith("unknown instruction:"):
        # the word the parser did not know: shown when it looks like a mistyped
        # instruction (FORM, CPOY), never when it could be a stray value
        word = message.partition(":")[2].strip()
        message = (
            f"unknown instruction {word}"
            if _INSTRUCTION_LIKE.fullmatch(word)
            else ("unknown instruction")
        )
    return Dockerfile(
        path=path,
        error=Span(path, max(line, 1), 1),
        error_message=scrub(message),
        extents=extents,
    )


def _validate(commands: Sequence[Any]) -> tuple[int, str] | None:
    """The first problem Docker would reject before building, as ``(line, message)``."""
    seen_from = False
    for c in commands:
        cmd = str(c.cmd).upper()
        line = int(c.start_line)
        if cmd not in INSTRUCTIONS:
            # Only the keyword: the word may be ``NAME=value`` with a secret in it.
            word = str(c.cmd).split("=", 1)[0][:40]
            return line, f"unknown instruction: {word}"
        if cmd == "FROM":
            seen_from = True
            problem = _check_from(c)
        elif not seen_from and cmd != "ARG":
            problem = f"{cmd} before the first FROM (no build stage in current context)"
        else:
            problem = _check_arity(cmd, c)
        if problem is not None:
            return line, problem
    if not seen_from:
        return (int(commands[0].start_line) if commands else 1), "no FROM instruction"
    return None


def _check_from(c: Any) -> str | None:
    value = tuple(c.value)
    if len(value) == 1 or (len(value) == 3 and value[1].upper() == "AS"):
        return None
    return "FROM requires either one argument, or three: FROM <image> AS <name>"


def _check_arity(cmd: str, c: Any) -> str | None:
    needed = _MIN_ARGS.get(cmd)
    if needed is None:
        return None
    value = tuple(c.value)
    if len(value) < needed or not any(v.strip() for v in value):
        return f"{cmd} requires at least {needed} argument{'s' if needed > 1 else ''}"
    if cmd == "HEALTHCHECK":
        kind = value[0].upper()
        if kind not in ("CMD", "NONE"):
            return f"unknown type {value[0]!r} in HEALTHCHECK (try CMD)"
        if kind == "CMD" and len(value) < 2:
            return "missing command after HEALTHCHECK CMD"
    if cmd == "ONBUILD" and str(c.sub_cmd or "").upper() in ("ONBUILD", "FROM", "MAINTAINER"):
        return f"{c.sub_cmd} isn't allowed as an ONBUILD trigger"
    return None


def _error_line(text: str, message: str) -> int:
    """Best-effort line of a parser error: from the message, else the first line after
    the longest prefix of the file that still parses."""
    found = _LINE_IN_MESSAGE.search(message)
    if found:
        return int(found.group(1))
    lines = text.split("\n")
    line = 1
    for probes, k in enumerate(range(len(lines) - 1, -1, -1)):
        if probes >= _MAX_ERROR_PROBES:
            return 1
        if _parses("\n".join(lines[:k]) + "\n"):
            line = k + 1
            break
    while line > 1 and lines[line - 2].rstrip().endswith("\\"):
        line -= 1  # the failing line continues an instruction that starts earlier
    return line


def _parses(text: str) -> bool:
    try:
        dockerfile.parse_string(text)
    except dockerfile.GoParseError as exc:
        return "no instructions" in str(exc)
    return True


def _escape_token(text: str) -> str:
    """The ``# escape=`` parser directive (backslash unless set to a backtick)."""
    for raw in text.split("\n", 8)[:8]:
        m = _DIRECTIVE.fullmatch(raw.strip())
        if m is None:
            break
        if m.group(1).lower() == "escape" and m.group(2) == "`":
            return "`"
    return "\\"


# --------------------------------------------------------------------------- word processing


def expand(word: str, known: Mapping[str, str], escape: str = "\\") -> str:
    """Docker's word processing: quotes removed, escapes applied, variables substituted.

    ``$VAR``, ``${VAR}``, ``${VAR:-default}``, ``${VAR-default}``, ``${VAR:+alt}``,
    ``${VAR+alt}`` are understood; a variable not in ``known`` is left as written
    (except that ``:-``/``-`` then use their default).
    """
    if "$" not in word and "'" not in word and '"' not in word and escape not in word:
        return word
    if _depth[0] == 0:  # the outermost call: a value past the cap is taken as unknown
        _depth[0] += 1
        try:
            return _expand_word(word, known, escape)
        except _TooLarge:
            _oversized[0] += 1
            return word
        finally:
            _depth[0] -= 1
    return _expand_word(word, known, escape)


#: The largest value a word expands to (``ARG B=${A}${A}`` doubles per line).
MAX_EXPANDED = 64 * 1024
_depth = [0]
#: How many words were left unexpanded for their size, ever (the builder compares).
_oversized = [0]


class _TooLarge(Exception):
    pass


def _checked(out: list[str], counted: list[int]) -> None:
    """Count what was appended to ``out`` since the last check; stop past the cap."""
    size, seen = counted
    for piece in out[seen:]:
        size += len(piece)
    if size > MAX_EXPANDED:
        raise _TooLarge
    counted[0], counted[1] = size, len(out)


def _expand_word(word: str, known: Mapping[str, str], escape: str) -> str:
    out: list[str] = []
    counted = [0, 0]
    i, n = 0, len(word)
    plain = _PLAIN[escape]
    while i < n:
        _checked(out, counted)
        ch = word[i]
        if ch == "'":
            end = word.find("'", i + 1)
            end = n if end < 0 else end
            out.append(word[i + 1 : end])
            i = end + 1
        elif ch == '"':
            i = _double_quoted(word, i + 1, known, escape, out)
        elif ch == escape:
            out.append(word[i + 1] if i + 1 < n else ch)
            i += 2
        elif ch == "$":
            i = _dollar(word, i, known, escape, out)
        else:
            m = plain.match(word, i)
            end = m.end() if m else i + 1
            out.append(word[i:end])
            i = end
    _checked(out, counted)
    return "".join(out)


def _double_quoted(word: str, i: int, known: Mapping[str, str], esc: str, out: list[str]) -> int:
    """Process a double-quoted run starting after the quote; return the index after it."""
    n = len(word)
    plain = _PLAIN_DQ[esc]
    counted = [0, len(out)]
    while i < n:
        _checked(out, counted)
        ch = word[i]
        if ch == '"':
            return i + 1
        if ch == esc:
            nxt = word[i + 1] if i + 1 < n else ""
            out.append(nxt if nxt in ('"', "$", esc) else ch + nxt)
            i += 2
        elif ch == "$":
            i = _dollar(word, i, known, esc, out)
        else:
            m = plain.match(word, i)
            end = m.end() if m else i + 1
            out.append(word[i:end])
            i = end
    return n


def _dollar(word: str, i: int, known: Mapping[str, str], esc: str, out: list[str]) -> int:
    """Substitute the ``$`` reference at ``word[i]``; return the index after it."""
    nxt = word[i + 1] if i + 1 < len(word) else ""
    if nxt == "{":
        end = _closing_brace(word, i + 2)
        if end < 0:
            out.append(word[i:])
            return len(word)
        out.append(_braced(word[i + 2 : end], known, esc))
        return end + 1
    m = _VAR_NAME.match(word, i + 1)
    if m is None:
        out.append("$")
        return i + 1
    value = known.get(m.group(0))
    out.append(value if value is not None else word[i : m.end()])
    return m.end()


def _closing_brace(word: str, start: int) -> int:
    depth = 1
    for j in range(start, len(word)):
        if word[j] == "{":
            depth += 1
        elif word[j] == "}":
            depth -= 1
            if depth == 0:
                return j
    return -1


def _braced(inner: str, known: Mapping[str, str], esc: str) -> str:
    """The value of ``${inner}``; unknown or unsupported forms stay as written."""
    verbatim = "${" + inner + "}"
    m = _BRACED.fullmatch(inner)
    if m is None:
        return verbatim
    name, op, arg = m.group(1), m.group(2), m.group(3)
    value = known.get(name)
    if op is None:
        return value if value is not None else verbatim
    alt = expand(arg, known, esc)
    if op in (":-", "-"):
        if value is None or (op == ":-" and value == ""):
            return alt
        return value
    if value is None:
        return verbatim
    if op in (":+", "+"):
        return alt if (value != "" or op == "+") else ""
    return value  # ":?" / "?" with a known value


# --------------------------------------------------------------------------- path helpers


def _clean(path: str) -> str:
    """``path.Clean`` for POSIX paths (a leading ``//`` collapses, unlike normpath)."""
    cleaned = posixpath.normpath(path) if path else "."
    if cleaned.startswith("//"):
        cleaned = "/" + cleaned.lstrip("/")
    return cleaned


def _resolve(base: str, path: str) -> str:
    """``path`` resolved against directory ``base`` (absolute paths win)."""
    return _clean(path if path.startswith("/") else posixpath.join(base, path))


def _resolve_dest(workdir: str, dest: str) -> str:
    """A COPY destination against WORKDIR; a directory-like dest keeps a trailing ``/``."""
    resolved = _resolve(workdir, dest)
    dir_like = dest.endswith("/") or dest in (".", "..") or dest.endswith(("/.", "/.."))
    if dir_like and not resolved.endswith("/"):
        resolved += "/"
    return resolved


# --------------------------------------------------------------------------- shell scanning


def _shell_commands(script: str) -> list[tuple[list[str], str]]:
    """Split a shell script into simple commands: ``(raw words, raw text)`` pairs.

    Commands are separated by ``&&``, ``||``, ``;``, ``|``, ``&``, parentheses and
    newlines; ``\\``-newline continuations are joined and ``#`` comments dropped.
    Words keep their quotes (see :func:`expand`).
    """
    script = script.replace("\\\r\n", "").replace("\\\n", "")
    commands: list[tuple[list[str], str]] = []
    words: list[str] = []
    start = end = 0
    for m in _SH_TOKEN.finditer(script):
        kind = m.lastgroup
        if kind == "word":
            if not words:
                start = m.start()
            words.append(m.group())
            end = m.end()
        elif kind == "op" and words:
            commands.append((words, script[start:end]))
            words = []
    if words:
        commands.append((words, script[start:end]))
    return commands


def _basename(word: str) -> str:
    return word.rsplit("/", 1)[-1]


@dataclass
class _GoCall:
    """A ``go build``/``go install`` seen while scanning a RUN."""

    text: str
    env: dict[str, str]
    args: list[str]
    workdir: str
    install: bool


@dataclass
class _RunScan:
    """Replays one RUN's shell script: exports, ``cd``, ``env``, ``sh -c`` and go calls."""

    env: dict[str, str]
    workdir: str
    heredocs: Mapping[str, str] = field(default_factory=dict)
    depth: int = 0
    shell_vars: dict[str, str] = field(default_factory=dict)
    calls: list[_GoCall] = field(default_factory=list)
    mod_download: bool = False
    #: ``go get``/``go mod init``/``go mod tidy``: (args after ``go``, GOPATH mode)
    resolves: list[tuple[tuple[str, ...], bool]] = field(default_factory=list)
    #: ``make``: (targets, directory, environment)
    makes: list[tuple[tuple[str, ...], str, dict[str, str]]] = field(default_factory=list)

    def known(self) -> dict[str, str]:
        return {**self.env, **self.shell_vars}

    def script(self, text: str) -> None:
        for words, raw in _shell_commands(text):
            self.command(words, raw)

    def command(self, words: list[str], raw: str, inline: Mapping[str, str] | None = None) -> None:
        """Interpret one simple command (``inline`` are ``VAR=x`` prefixes seen so far)."""
        assigns = dict(inline or {})
        known = self.known()
        i = 0
        while i < len(words) and (m := _ASSIGNMENT.fullmatch(words[i])) is not None:
            assigns[m.group(1)] = expand(m.group(2), known)
            i += 1
        if i == len(words):
            self._assign(assigns)
            return
        marks = [w for w in words[i:] if _HEREDOC_MARK.fullmatch(w)]
        rest = [w for w in words[i:] if not _HEREDOC_MARK.fullmatch(w)] if marks else words[i:]
        argv = [expand(w, known) for w in rest]
        if marks:
            self._heredoc_scripts(marks, argv, assigns)
        if argv:
            self._dispatch(argv, rest, raw, assigns)

    def _assign(self, assigns: Mapping[str, str]) -> None:
        """Bare ``VAR=x``: updates the environment if exported, else a shell variable."""
        for name, value in assigns.items():
            if name in self.env:
                self.env[name] = value
            else:
                self.shell_vars[name] = value

    def _dispatch(
        self, argv: list[str], words: list[str], raw: str, assigns: dict[str, str]
    ) -> None:
        """Act on a command; ``words`` are ``argv`` before expansion (quotes kept)."""
        name = _basename(argv[0])
        if name == "export":
            self._export(words[1:])
        elif name == "cd":
            if len(argv) > 1 and not argv[1].startswith("-"):
                self.workdir = _resolve(self.workdir, argv[1])
        elif name == "env":
            self._env_command(argv, words, raw, assigns)
        elif name in _WRAPPERS:
            if len(words) > 1:
                self.command(words[1:], raw, assigns)
        elif name in _SHELLS and "-c" in argv[1:]:
            self._subshell(argv, assigns)
        elif name == "go":
            self._go(argv[1:], raw, assigns)
        elif name in ("make", "gmake"):
            self._make(argv[1:], assigns)

    def _make(self, args: list[str], assigns: Mapping[str, str]) -> None:
        """``make [-C dir] [-f file] [VAR=x] [targets]``: another Makefile (``-f``) or a
        variable target is not followed."""
        where, targets, env = self.workdir, [], {**self.env, **assigns}
        i = 0
        while i < len(args):
            a = args[i]
            if a in ("-C", "--directory") and i + 1 < len(args):
                where = _resolve(where, args[i + 1])
                i += 2
                continue
            if a.startswith(("-f", "--file", "--makefile")) or "$" in a:
                return
            m = _ASSIGNMENT.fullmatch(a)
            if m is not None:
                env[m.group(1)] = m.group(2)
            elif not a.startswith("-"):
                targets.append(a)
            i += 1
        self.makes.append((tuple(targets), where, env))

    def _export(self, raw_args: list[str]) -> None:
        known = self.known()
        for word in raw_args:
            m = _ASSIGNMENT.fullmatch(word)
            if m is not None:
                self.env[m.group(1)] = expand(m.group(2), known)
                self.shell_vars.pop(m.group(1), None)
            elif word in self.shell_vars:
                self.env[word] = self.shell_vars.pop(word)

    def _env_command(
        self, argv: list[str], words: list[str], raw: str, assigns: dict[str, str]
    ) -> None:
        """``env [-u NAME] [VAR=x ...] cmd args``: the assignments apply to ``cmd``."""
        j = 1
        while j < len(argv):
            word = argv[j]
            if word in ("-u", "--unset"):
                j += 2
                continue
            if word.startswith("-"):
                j += 1
                continue
            m = _ASSIGNMENT.fullmatch(word)
            if m is None:
                break
            assigns[m.group(1)] = m.group(2)
            j += 1
        if j < len(argv):
            self.command(words[j:], raw, assigns)

    def _subshell(self, argv: list[str], assigns: Mapping[str, str]) -> None:
        """``sh -c 'script'``: scanned in a child shell (its exports do not leak back)."""
        if self.depth >= _MAX_SHELL_DEPTH:
            return
        at = argv.index("-c", 1)
        if at + 1 >= len(argv):
            return
        child = _RunScan({**self.env, **assigns}, self.workdir, self.heredocs, self.depth + 1)
        child.script(argv[at + 1])
        self._adopt(child)

    def _adopt(self, child: _RunScan) -> None:
        """What a child shell found belongs to this RUN."""
        self.calls.extend(child.calls)
        self.mod_download = self.mod_download or child.mod_download
        self.resolves.extend(child.resolves)
        self.makes.extend(child.makes)

    def _heredoc_scripts(
        self, marks: list[str], argv: list[str], assigns: Mapping[str, str]
    ) -> None:
        """``RUN <<EOF`` (or ``<<EOF bash``): the heredoc body is the script itself."""
        flags_only = all(a.startswith("-") for a in argv[1:])
        if argv and not (_basename(argv[0]) in _SHELLS and flags_only and "-c" not in argv):
            return  # the heredoc is stdin or a file for some other command
        if self.depth >= _MAX_SHELL_DEPTH:
            return
        for mark in marks:
            m = _HEREDOC_MARK.fullmatch(mark)
            body = self.heredocs.get(m.group(2), "") if m else ""
            child = _RunScan({**self.env, **assigns}, self.workdir, {}, self.depth + 1)
            child.script(body)
            self._adopt(child)

    def _go(self, args: list[str], raw: str, assigns: Mapping[str, str]) -> None:
        if not args:
            return
        if args[0] in ("build", "install"):
            env = {**self.env, **assigns}
            self.calls.append(
                _GoCall(raw.strip(), env, args[1:], self.workdir, args[0] == "install")
            )
        elif args[0] == "mod" and len(args) > 1 and args[1] == "download":
            self.mod_download = True
        elif args[0] == "get" or (args[0] == "mod" and args[1:2] in (["init"], ["tidy"])):
            env = {**self.env, **assigns}
            self.resolves.append((tuple(args), env.get("GO111MODULE", "").lower() == "off"))


# --------------------------------------------------------------------------- go build flags


def _go_flags(args: Sequence[str]) -> tuple[dict[str, str], list[str]]:
    """Go ``flag`` parsing for ``go build``: ``(flags, positional arguments)``.

    ``-f``/``--f``, ``-f=v`` and ``-f v`` (for flags that take a value) are understood;
    parsing stops at the first non-flag or ``--``. Shell redirections are dropped.
    """
    flags: dict[str, str] = {}
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "--":
            i += 1
            break
        if not arg.startswith("-") or arg == "-" or _REDIRECT.match(arg):
            break
        name, eq, value = arg[2:].partition("=") if arg.startswith("--") else arg[1:].partition("=")
        if not eq:
            if name in _GO_VALUE_FLAGS and i + 1 < len(args):
                value = args[i + 1]
                i += 1
            else:
                value = "true"
        flags[name] = value
        i += 1
    return flags, _without_redirections(args[i:])


def _without_redirections(args: Sequence[str]) -> list[str]:
    out: list[str] = []
    skip = False
    for arg in args:
        if skip:
            skip = False
            continue
        m = _REDIRECT.match(arg)
        if m is not None:
            skip = m.end() == len(arg)  # "> file": the target is the next word
            continue
        out.append(arg)
    return out


def _go_build(call: _GoCall, span: Span) -> GoBuild:
    """A :class:`GoBuild` from a scanned call; ``GOFLAGS`` supplies defaults."""
    defaults, _ = _go_flags(call.env.get("GOFLAGS", "").split())
    explicit, targets = _go_flags(call.args)
    flags = {**defaults, **explicit}
    workdir = _resolve(call.workdir, flags["C"]) if "C" in flags else call.workdir
    return GoBuild(
        span=span,
        command=call.text,
        env=tuple(call.env.items()),
        targets=tuple(targets) or (".",),
        output=flags.get("o"),
        mod=flags.get("mod"),
        tags=flags.get("tags"),
        ldflags=flags.get("ldflags"),
        trimpath=flags.get("trimpath", "false") in _TRUE,
        buildmode=flags.get("buildmode"),
        buildvcs=flags.get("buildvcs"),
        workdir=workdir,
        install=call.install,
    )


# --------------------------------------------------------------------------- stages


@dataclass
class _StageState:
    """A stage being built (mutable); :meth:`freeze` makes the :class:`Stage`."""

    index: int
    name: str | None
    base: str
    base_resolved: str
    span: Span
    platform: str | None = None
    parent: int | None = None
    instructions: list[Instruction] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    env_spans: dict[str, Span] = field(default_factory=dict)
    args: dict[str, str | None] = field(default_factory=dict)
    user: str | None = None
    user_span: Span | None = None
    workdir: str = "/"
    copies: list[Copy] = field(default_factory=list)
    go_builds: list[GoBuild] = field(default_factory=list)
    mod_downloads: list[Span] = field(default_factory=list)
    go_commands: list[GoCommand] = field(default_factory=list)
    make_calls: list[MakeCall] = field(default_factory=list)
    exposes: list[Expose] = field(default_factory=list)
    cmd: Instruction | None = None
    entrypoint: Instruction | None = None
    healthcheck: Instruction | None = None
    cmd_set: bool = False

    def inherit(self, parent: Stage) -> None:
        """Take over what a ``FROM <stage>`` child inherits: the parent's image config."""
        self.env = dict(parent.env)
        self.env_spans = dict(parent.env_spans)
        self.user, self.user_span = parent.user, parent.user_span
        self.workdir = parent.workdir
        self.cmd, self.entrypoint, self.healthcheck = (
            parent.cmd,
            parent.entrypoint,
            parent.healthcheck,
        )

    def known(self) -> dict[str, str]:
        """Variables visible to substitution: ARGs with a value, overridden by ENV."""
        values = {k: v for k, v in self.args.items() if v is not None}
        values.update(self.env)
        return values

    def freeze(self) -> Stage:
        return Stage(
            index=self.index, name=self.name, base=self.base,
            base_resolved=self.base_resolved, span=self.span, platform=self.platform,
            parent=self.parent, instructions=tuple(self.instructions),
            env=tuple(self.env.items()), env_spans=tuple(self.env_spans.items()),
            args=tuple(self.args.items()), user=self.user, user_span=self.user_span,
            workdir=self.workdir, copies=tuple(self.copies), go_builds=tuple(self.go_builds),
            mod_downloads=tuple(self.mod_downloads), go_commands=tuple(self.go_commands),
            make_calls=tuple(self.make_calls),
            exposes=tuple(self.exposes),
            cmd=self.cmd, entrypoint=self.entrypoint, healthcheck=self.healthcheck,
        )  # fmt: skip


def _split_arg(item: str) -> tuple[str, str | None]:
    name, eq, default = item.partition("=")
    return name.strip(), (default if eq else None)


class _Builder:
    """Replays validated instructions into stages."""

    def __init__(self, path: str, text: str, escape: str) -> None:
        self.path = path
        self.lines = text.split("\n")
        self.escape = escape
        self.global_args: dict[str, str | None] = {}
        self.stages: list[Stage] = []
        self.cur: _StageState | None = None

    def build(self, commands: Sequence[Any]) -> Dockerfile:
        extents = tuple((int(c.start_line), int(c.end_line), bool(c.heredocs)) for c in commands)
        too_large: list[int] = []
        for c in commands:
            before = _oversized[0]
            self._one(c)
            if _oversized[0] != before:
                too_large.append(int(c.start_line))
        self._close()
        return Dockerfile(
            path=self.path,
            stages=tuple(self.stages),
            global_args=tuple(self.global_args.items()),
            extents=extents,
            too_large=tuple(too_large),
        )

    def _one(self, c: Any) -> None:
        inst = self._instruction(c)
        if inst.cmd == "FROM":
            self._close()
            self.cur = self._open(c, inst)
        elif self.cur is None:
            self._global_arg(c)
        else:
            self.cur.instructions.append(inst)
            handler = _HANDLERS.get(inst.cmd)
            if handler is not None:
                handler(self, self.cur, c, inst)

    def _instruction(self, c: Any) -> Instruction:
        cmd = str(c.cmd).upper()
        value = tuple(c.value)
        if cmd == "ONBUILD" and c.sub_cmd:
            value = (str(c.sub_cmd).upper(), *value)
        return Instruction(
            cmd=cmd,
            value=value,
            flags=tuple(c.flags),
            original=str(c.original),
            span=Span(self.path, int(c.start_line), 1, int(c.end_line)),
            json=bool(c.json),
            heredocs=tuple(h.content for h in c.heredocs) if c.heredocs else (),
        )

    def _expand(self, word: str, known: Mapping[str, str]) -> str:
        return expand(word, known, self.escape)

    def _global_arg(self, c: Any) -> None:
        known = {k: v for k, v in self.global_args.items() if v is not None}
        for item in c.value:
            name, default = _split_arg(item)
            if default is not None:
                default = self._expand(default, known)
                known[name] = default
            self.global_args[name] = default

    def _open(self, c: Any, inst: Instruction) -> _StageState:
        known = {k: v for k, v in self.global_args.items() if v is not None}
        base = inst.value[0]
        resolved = self._expand(base, known)
        platform = inst.flag("platform")
        stage = _StageState(
            index=len(self.stages),
            name=inst.value[2] if len(inst.value) == 3 else None,
            base=base,
            base_resolved=resolved,
            span=inst.span,
            platform=self._expand(platform, known) if platform else platform,
            parent=self._stage_index(resolved),
            instructions=[inst],
        )
        if stage.parent is not None:
            stage.inherit(self.stages[stage.parent])
        return stage

    def _stage_index(self, ref: str) -> int | None:
        for s in reversed(self.stages):
            if s.name is not None and s.name.lower() == ref.lower():
                return s.index
        return None

    def _close(self) -> None:
        if self.cur is not None:
            self.stages.append(self.cur.freeze())
            self.cur = None

    # ----------------------------------------------------------------- handlers

    def on_arg(self, st: _StageState, c: Any, inst: Instruction) -> None:
        known = st.known()
        for item in inst.value:
            name, default = _split_arg(item)
            if default is not None:
                default = self._expand(default, known)
            elif name in self.global_args:
                default = self.global_args[name]  # a redeclared global takes its value
            st.args[name] = default
            if default is not None and name not in st.env:
                known[name] = default

    def on_env(self, st: _StageState, c: Any, inst: Instruction) -> None:
        known = st.known()  # all pairs of one ENV see the values from before it
        pairs = inst.value
        for k in range(0, len(pairs) - 1, 2):
            name = pairs[k]
            st.env[name] = self._expand(pairs[k + 1], known)
            st.env_spans[name] = inst.span

    def on_workdir(self, st: _StageState, c: Any, inst: Instruction) -> None:
        st.workdir = _resolve(st.workdir, self._expand(inst.value[0], st.known()))

    def on_user(self, st: _StageState, c: Any, inst: Instruction) -> None:
        st.user = self._expand(inst.value[0].strip(), st.known())
        st.user_span = inst.span

    def on_copy(self, st: _StageState, c: Any, inst: Instruction) -> None:
        known = st.known()
        words = [self._expand(v, known) for v in inst.value]
        chown, chmod, source = inst.flag("chown"), inst.flag("chmod"), inst.flag("from")
        st.copies.append(
            Copy(
                span=inst.span,
                sources=tuple(words[:-1]),
                dest=_resolve_dest(st.workdir, words[-1]),
                from_stage=self._expand(source, known) if source else source,
                chown=self._expand(chown, known) if chown else chown,
                chmod=chmod,
                is_add=inst.cmd == "ADD",
            )
        )

    def on_expose(self, st: _StageState, c: Any, inst: Instruction) -> None:
        known = st.known()
        for raw in inst.value:
            for text in self._expand(raw, known).split():
                st.exposes.append(_expose(inst.span, text))

    def on_cmd(self, st: _StageState, c: Any, inst: Instruction) -> None:
        st.cmd = inst
        st.cmd_set = True

    def on_entrypoint(self, st: _StageState, c: Any, inst: Instruction) -> None:
        st.entrypoint = inst
        if not st.cmd_set:
            st.cmd = None  # ENTRYPOINT resets a CMD inherited from the base

    def on_healthcheck(self, st: _StageState, c: Any, inst: Instruction) -> None:
        st.healthcheck = inst

    def on_run(self, st: _StageState, c: Any, inst: Instruction) -> None:
        script, heredocs = self._run_script(c, inst)
        if not _GO_HINT.search(script) and not any(_GO_HINT.search(h) for h in heredocs.values()):
            return
        scan = _RunScan(st.known(), st.workdir, heredocs)
        scan.script(script)
        if scan.mod_download:
            st.mod_downloads.append(inst.span)
        st.go_commands.extend(GoCommand(inst.span, a, gopath) for a, gopath in scan.resolves)
        st.make_calls.extend(
            MakeCall(inst.span, t, where, tuple(sorted(env.items())))
            for t, where, env in scan.makes
        )
        spans = self._go_spans(c, len(scan.calls))
        st.go_builds.extend(
            _go_build(call, span) for call, span in zip(scan.calls, spans, strict=True)
        )

    @staticmethod
    def _run_script(c: Any, inst: Instruction) -> tuple[str, dict[str, str]]:
        """The RUN's shell text (exec form re-quoted) and its heredoc bodies by name."""
        if inst.json:
            return " ".join(shlex.quote(v) for v in inst.value), {}
        heredocs = {str(h.name): str(h.content) for h in c.heredocs}
        return (inst.value[0] if inst.value else ""), heredocs

    def _go_spans(self, c: Any, count: int) -> list[Span]:
        """Spans of the ``count`` go calls of a RUN: successive matches in its lines."""
        first, last = int(c.start_line), int(c.end_line)
        found: list[Span] = []
        for number in range(first, min(last, len(self.lines)) + 1):
            for m in _GO_CALL.finditer(self.lines[number - 1]):
                found.append(Span(self.path, number, m.start() + 1))
        fallback = Span(self.path, first, 1)
        return [found[k] if k < len(found) else fallback for k in range(count)]


def go_builds_in(script: str, env: Mapping[str, str], workdir: str, span: Span) -> list[GoBuild]:
    """The ``go build``/``go install`` commands of a shell script run with ``env`` in
    ``workdir`` (a Makefile recipe a RUN's ``make`` runs), each at ``span``."""
    scan = _RunScan(dict(env), workdir)
    scan.script(script)
    return [_go_build(call, span) for call in scan.calls]


def _expose(span: Span, text: str) -> Expose:
    """``8080``, ``8080/tcp``, ``53/udp``; a range or unresolved text has port None."""
    m = _PORT.fullmatch(text)
    if m is None:
        proto = text.rpartition("/")[2].lower() if "/" in text else "tcp"
        return Expose(span=span, text=text, port=None, protocol=proto)
    port = int(m.group(1)) if m.group(2) is None else None
    if port is not None and not 0 < port < 65536:
        port = None
    return Expose(span=span, text=text, port=port, protocol=(m.group(3) or "tcp").lower())


_Handler = Callable[[_Builder, _StageState, Any, Instruction], None]

_HANDLERS: Mapping[str, _Handler] = {
    "ARG": _Builder.on_arg,
    "ENV": _Builder.on_env,
    "WORKDIR": _Builder.on_workdir,
    "USER": _Builder.on_user,
    "COPY": _Builder.on_copy,
    "ADD": _Builder.on_copy,
    "EXPOSE": _Builder.on_expose,
    "CMD": _Builder.on_cmd,
    "ENTRYPOINT": _Builder.on_entrypoint,
    "HEALTHCHECK": _Builder.on_healthcheck,
    "RUN": _Builder.on_run,
}
