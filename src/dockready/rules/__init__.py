"""Rules, grouped by checklist chapter (the module prefix). Importing this package
registers them all; the chapter of a rule is the first digit of its id."""

from dockready.rules import (
    code,
    image,
    parsing,
    prepare_build,
    prepare_code,
    prepare_runtime,
    runtime_pod,
    runtime_security,
)

__all__ = [
    "code",
    "image",
    "parsing",
    "prepare_build",
    "prepare_code",
    "prepare_runtime",
    "runtime_pod",
    "runtime_security",
]
