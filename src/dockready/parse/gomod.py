"""go.mod and vendor/modules.txt, per the go.mod reference grammar."""

from __future__ import annotations

from dockready.facts.go import GoMod, Replace, Require, VendorModules
from dockready.model import Span


def _strip_comment(line: str) -> tuple[str, str]:
    code, _, comment = line.partition("//")
    return code.strip(), comment.strip()


def _unquote(tok: str) -> str:
    if len(tok) >= 2 and tok[0] == tok[-1] and tok[0] in '"`':
        return tok[1:-1]
    return tok


def _replace(words: list[str], span: Span) -> Replace | None:
    """``old [v] => new [v]`` (the words after ``replace``), or None if malformed."""
    if "=>" not in words:
        return None
    i = words.index("=>")
    left, right = words[:i], words[i + 1 :]
    if not 1 <= len(left) <= 2 or not 1 <= len(right) <= 2:
        return None
    old = _unquote(left[0]) + (f"@{left[1]}" if len(left) == 2 else "")
    return Replace(old, _unquote(right[0]), right[1] if len(right) == 2 else None, span)


def parse_gomod(path: str, text: str) -> GoMod:
    """Parse a go.mod; a file with no ``module`` line gets ``error`` set."""
    module = ""
    go = toolchain = None
    go_span = toolchain_span = None
    requires: list[Require] = []
    replaces: list[Replace] = []
    block: str | None = None
    error: Span | None = None
    for n, raw in enumerate(text.splitlines(), start=1):
        code, comment = _strip_comment(raw)
        if not code:
            continue
        if block is not None:
            if code == ")":
                block = None
                continue
            words = code.split()
            if block == "require" and len(words) >= 2:
                requires.append(
                    Require(_unquote(words[0]), words[1], "indirect" in comment, Span(path, n, 1))
                )
            elif block == "replace":
                r = _replace(words, Span(path, n, 1))
                if r is not None:
                    replaces.append(r)
            continue
        words = code.split()
        verb = words[0]
        if len(words) >= 2 and words[1] == "(":
            block = verb
            continue
        if verb == "module" and len(words) >= 2:
            module = _unquote(words[1])
        elif verb == "go" and len(words) >= 2:
            go, go_span = words[1], Span(path, n, 1)
        elif verb == "toolchain" and len(words) >= 2:
            toolchain, toolchain_span = words[1], Span(path, n, 1)
        elif verb == "require" and len(words) >= 3:
            requires.append(
                Require(_unquote(words[1]), words[2], "indirect" in comment, Span(path, n, 1))
            )
        elif verb == "replace":
            r = _replace(words[1:], Span(path, n, 1))
            if r is not None:
                replaces.append(r)
        elif (
            verb
            not in (
                "module",
                "go",
                "toolchain",
                "require",
                "replace",
                "exclude",
                "retract",
                "godebug",
                "tool",
                "ignore",
            )
            and error is None
        ):
            error = Span(path, n, 1)
    if not module and error is None:
        error = Span(path, 1, 1)
    return GoMod(
        path=path,
        module=module,
        go=go,
        go_span=go_span,
        toolchain=toolchain,
        toolchain_span=toolchain_span,
        requires=tuple(requires),
        error=error,
        replaces=tuple(replaces),
    )


def parse_vendor_modules(path: str, text: str) -> VendorModules:
    mods = []
    for line in text.splitlines():
        if line.startswith("# "):
            words = line[2:].split()
            if len(words) >= 2 and not words[0].startswith("#"):
                mods.append((words[0], words[1]))
    return VendorModules(path=path, modules=tuple(mods))
