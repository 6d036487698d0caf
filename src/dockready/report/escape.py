"""Text from the checked files, made safe to print on a terminal or in a CI log.

File names, Go string literals and YAML values can hold newlines, ESC and other
control characters: printed raw, they forge finding lines, put a GitHub workflow
command (``::error ...``) at the start of a line, clear the terminal, or reorder the
text (bidirectional overrides). :func:`printable` shows each such character as an
escape (``\\n``, ``\\x1b``, ``\\u202e``) instead.
"""

from __future__ import annotations

import re

# C0 controls (tab kept), DEL, C1 controls, line/paragraph separators, bidi controls.
_UNSAFE = re.compile(
    "[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]"
)
_NAMED = {"\n": "\\n", "\r": "\\r"}


def _show(m: re.Match[str]) -> str:
    ch = m.group()
    if ch in _NAMED:
        return _NAMED[ch]
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: str) -> str:
    """``text`` with every control, separator and bidi character escaped."""
    return _UNSAFE.sub(_show, text) if _UNSAFE.search(text) else text
