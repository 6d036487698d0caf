"""Stable identities for findings, for baselines and code-scanning tools.

A fingerprint must survive line moves and unrelated edits: it is built from the rule
id, the file path and the message with every number taken out (messages name
lines, ports and sizes that move when the file is edited), never the line itself.
"""

from __future__ import annotations

import hashlib
import re

from dockready.model import Finding

_NUMBERS = re.compile(r"\d+")
_SPACE = re.compile(r"\s+")


def subject(finding: Finding) -> str:
    """The normalized text a fingerprint is made of."""
    msg = _SPACE.sub(" ", _NUMBERS.sub("#", finding.message)).strip()
    return f"{finding.rule_id}\x1f{finding.span.path}\x1f{msg}"


def fingerprint(finding: Finding) -> str:
    """A 16-hex-digit identity of a finding (same rule, file and subject: same id)."""
    return hashlib.sha256(subject(finding).encode()).hexdigest()[:16]
