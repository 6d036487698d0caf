#!/usr/bin/env python3
"""How often would resolving a constant from another file of the package change a fact?

    python bench/crossfile_refs.py DIR [DIR...]

Go values are resolved within their file (``parse.gosrc``): an identifier declared
elsewhere in the package stays unknown (``Opaque``). This counts, in the trees given,
the calls whose arguments the rules join on (env reads, listeners, routes, dials),
those whose first argument is a bare identifier left unknown, and how many of those
name a package-level ``const`` or ``var`` declared in another file of the same
directory: the facts that resolving constants across files would add.
"""

from __future__ import annotations

import sys
from collections import defaultdict
from pathlib import Path

from dockready.engine import call_table
from dockready.facts.go import Opaque
from dockready.parse.gosrc import _parser, _text, _top_level, read_go

#: Calls whose first argument a rule joins on.
JOINED = frozenset({"os.Getenv", "os.LookupEnv", "syscall.Getenv"})
JOINED_NAMES = frozenset(
    {"ListenAndServe", "ListenAndServeTLS", "Listen", "HandleFunc", "Handle", "Dial",
     "DialContext", "NewClient"}
)  # fmt: skip


def _top_level_names(source: bytes) -> set[str]:
    """The names of a file's package-level ``const`` and ``var`` declarations, read
    the way the Go parser reads them (``parse.gosrc``)."""
    top = _top_level(_parser().parse(source).root_node, "", source)
    return {
        _text(n) for spec in (*top.consts, *top.vars) for n in spec.children_by_field_name("name")
    }


def main(roots: list[Path]) -> None:
    calls = call_table()
    joined = unknown = elsewhere = 0
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
                for c in read_go(str(p), b, calls, False).calls:
                    if not c.args or (c.callee not in JOINED and c.name not in JOINED_NAMES):
                        continue
                    joined += 1
                    parts = c.args[0].parts
                    if not (len(parts) == 1 and isinstance(parts[0], Opaque)):
                        continue
                    name = parts[0].text
                    if not name.isidentifier():
                        continue
                    unknown += 1
                    if name in declared[p]:
                        continue  # declared in this file: not a cross-file reference
                    if any(name in names for q, names in declared.items() if q != p):
                        elsewhere += 1
                        examples.append(f"{p}:{c.span.line} {c.callee}({name})")
    print(f"joined calls: {joined}")
    print(f"first argument a bare identifier left unknown: {unknown}")
    print(f"... declared at package level in another file of the package: {elsewhere}")
    for e in examples[:20]:
        print("  " + e)


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    main([Path(a) for a in sys.argv[1:]])
