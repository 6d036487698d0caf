#!/usr/bin/env python3
"""How often would resolving a constant or a helper from another file of the package
change a fact?

    python bench/crossfile_refs.py DIR [DIR...]

Go values are resolved within their file (``parse.gosrc``): an identifier declared
elsewhere in the package stays unknown (``Opaque``). This counts, in the trees given,
the calls whose arguments the rules join on (env reads, listeners, routes, dials),
those whose first argument is a bare identifier left unknown, and how many of those
name a package-level ``const`` or ``var`` declared in another file of the same
directory: the facts that resolving constants across files would add. It counts the
same for the other unknown parts of those arguments (``":" + port``), and for
arguments that call a function of the package without arguments (``listenAddr()``),
the helpers a resolver would read across files.
"""

from __future__ import annotations

import sys
from collections import Counter, defaultdict
from pathlib import Path

from dockready.engine import call_table
from dockready.facts.go import Opaque
from dockready.parse.gosrc import _func_name, _parser, _text, _top_level, read_go

#: Calls whose first argument a rule joins on.
JOINED = frozenset({"os.Getenv", "os.LookupEnv", "syscall.Getenv"})
JOINED_NAMES = frozenset(
    {"ListenAndServe", "ListenAndServeTLS", "Listen", "HandleFunc", "Handle", "Dial",
     "DialContext", "NewClient"}
)  # fmt: skip


def _top_level_names(source: bytes) -> tuple[set[str], set[str]]:
    """The names of a file's package-level ``const`` and ``var`` declarations, and of
    its functions, read the way the Go parser reads them (``parse.gosrc``)."""
    top = _top_level(_parser().parse(source).root_node, "", source)
    values = {
        _text(n) for spec in (*top.consts, *top.vars) for n in spec.children_by_field_name("name")
    }
    return values, {_func_name(f) for f in top.funcs}


def main(roots: list[Path]) -> None:
    calls = call_table()
    joined = unknown = elsewhere = parts_unknown = parts_elsewhere = 0
    helper_calls = helpers_elsewhere = 0
    helpers: Counter[str] = Counter()
    examples: list[str] = []
    for root in roots:
        packages: dict[Path, list[tuple[Path, bytes]]] = defaultdict(list)
        for p in sorted(root.rglob("*.go")):
            if p.name.endswith("_test.go") or "vendor" in p.parts or not p.is_file():
                continue
            packages[p.parent].append((p, p.read_bytes()))
        for files in packages.values():
            declared = {p: _top_level_names(b) for p, b in files}
            for p, b in files:
                here_values, here_funcs = declared[p]
                others = [names for q, names in declared.items() if q != p]
                for c in read_go(str(p), b, calls, False).calls:
                    if not c.args or (c.callee not in JOINED and c.name not in JOINED_NAMES):
                        continue
                    joined += 1
                    parts = c.args[0].parts
                    for part in parts:
                        name = part.text if isinstance(part, Opaque) else ""
                        if name.isidentifier() and name not in here_values:
                            parts_unknown += 1
                            parts_elsewhere += any(name in vals for vals, _ in others)
                    if not (len(parts) == 1 and isinstance(parts[0], Opaque)):
                        continue
                    name = parts[0].text
                    if name.endswith("()") and name[:-2].isidentifier():
                        helper_calls += 1
                        fn = name[:-2]
                        if fn not in here_funcs and any(fn in funcs for _, funcs in others):
                            helpers_elsewhere += 1
                            helpers[f"{c.callee}({name})"] += 1
                        continue
                    if not name.isidentifier():
                        continue
                    unknown += 1
                    if name in here_values:
                        continue  # declared in this file: not a cross-file reference
                    if any(name in vals for vals, _ in others):
                        elsewhere += 1
                        examples.append(f"{p}:{c.span.line} {c.callee}({name})")
    print(f"joined calls: {joined}")
    print(f"first argument a bare identifier left unknown: {unknown}")
    print(f"... declared at package level in another file of the package: {elsewhere}")
    print(f"unknown identifiers in any part of a first argument: {parts_unknown}")
    print(f"... declared at package level in another file of the package: {parts_elsewhere}")
    print(f"first argument a call without arguments left unknown: {helper_calls}")
    print(f"... to a function declared in another file of the package: {helpers_elsewhere}")
    for call, n in helpers.most_common(10):
        print(f"  {n} x {call}")
    for e in examples[:20]:
        print("  " + e)


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    main([Path(a) for a in sys.argv[1:]])
