"""Chapter rules (see docs/CHECKLIST.md)."""

from __future__ import annotations
