"""Rule pages rendered from the rule docstrings: `docs/rules/<ID>.md` and an index.

`make docs` (``python -m dockready.docs docs/rules``) writes them; a test fails when
the committed pages drift from the docstrings.
"""

from __future__ import annotations

import sys
from pathlib import Path

from dockready.rules.registry import CHAPTERS, Rule, all_rules


def rule_page(rule: Rule) -> str:
    return (
        f"# {rule.id} {rule.name}\n\n"
        f"Severity: **{rule.severity.label}** · Chapter {rule.chapter}: "
        f"{CHAPTERS[rule.chapter]}\n\n"
        f"{rule.doc.strip()}\n"
    )


def index_page(rules: list[Rule]) -> str:
    lines = ["# dockready rules", "", "Generated from the rule docstrings (`make docs`).", ""]
    chapter = None
    for r in rules:
        if r.chapter != chapter:
            chapter = r.chapter
            lines += ["", f"## {chapter} · {CHAPTERS[chapter]}", "", "| id | name | severity |"]
            lines.append("|---|---|---|")
        lines.append(f"| [{r.id}]({r.id}.md) | {r.name} | {r.severity.label} |")
    return "\n".join(lines) + "\n"


def pages() -> dict[str, str]:
    rules = all_rules()
    out = {f"{r.id}.md": rule_page(r) for r in rules}
    out["README.md"] = index_page(rules)
    return out


def write(directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    wanted = pages()
    for old in directory.glob("DR*.md"):
        if old.name not in wanted:
            old.unlink()
    for name, text in wanted.items():
        (directory / name).write_text(text, encoding="utf-8")


if __name__ == "__main__":
    write(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/rules"))
