"""DR307 dockerignore-missing: the whole context is copied without a .dockerignore for secrets."""

from __future__ import annotations

import functools
import posixpath
from collections.abc import Iterable, Iterator

from dockready.discover import is_sensitive_name
from dockready.facts.derived.image import WHOLE_CONTEXT, builds
from dockready.facts.docker import Dockerfile, DockerIgnore
from dockready.model import Related, Severity, Span
from dockready.rules.registry import Context, Hit, Input, NoOptions, rule


def _copies_whole_context(df: Dockerfile) -> bool:
    return any(
        c.from_stage is None and any(s in WHOLE_CONTEXT for s in c.sources)
        for st in df.stages
        for c in st.copies
    )


@rule(
    id="DR307",
    name="dockerignore-missing",
    severity=Severity.WARNING,
    reads=(Input.IMAGE,),
)
def dockerignore_missing(ctx: Context[NoOptions]) -> Iterator[Hit]:
    """
    ## What it does
    Finds a Dockerfile that copies its whole build context (`COPY . .`, `ADD . /src`)
    while the context has no `.dockerignore` (reported on line 1 of the Dockerfile),
    or has one that lets in what must not ship: `.git` (a repository-root context
    has it), and the `.env` files, private keys and key stores (`*.key`, `*.pem`,
    `*.p12`...) the context holds (reported once on line 1 of the `.dockerignore`,
    naming them). A context with no such file is not asked to exclude them.

    Neither finding has a line of its own: suppress it with a comment at the top of
    the Dockerfile (`# dockready: ignore=DR307 <reason>`, before the first
    instruction) or anywhere in the `.dockerignore`, or with `per-path-ignores`.

    Decisions: the context is the one the index joins (a compose `build.context`,
    else the Dockerfile's directory or module root), and a `<Dockerfile>.dockerignore`
    next to the Dockerfile wins, as in BuildKit. Each required entry is checked with
    Docker's matching on a representative path (`.git/HEAD`, `.env`, `server.key`,
    `server.pem`), so `**/*.pem` or an allowlist (`*` then `!cmd/`) both pass.
    Build output (`bin/`, `dist/`) is recommended but not required: dockready cannot
    see whether a project produces it. A Dockerfile that copies only named files is
    not reported: BuildKit then transfers only those.

    ## Why is this bad?
    `COPY . .` puts everything in the context into a layer: the `.git` history
    (with every secret ever committed), a developer's `.env`, TLS keys. Deleting them
    in a later layer does not remove them from the image. A big context also slows
    every build and busts the cache on unrelated changes.

    ## Example
    A repository with `Dockerfile` (`COPY . .`), `.env` and `.git/`, and no
    `.dockerignore`.

    ## Use instead
    ```
    # .dockerignore
    .git
    .env
    **/.env
    **/*.pem
    **/*.key
    bin/
    dist/
    ```

    ## Fix safety
    Check that nothing the build needs is excluded (a `go:embed` directory, a
    config file the image ships).

    ## References
    - [Docker: .dockerignore files](https://docs.docker.com/build/concepts/context/#dockerignore-files)
    """
    ix = ctx.index
    reported: set[str] = set()
    for b in builds(ix):
        df = b.dockerfile
        if not _copies_whole_context(df):
            continue
        di = b.dockerignore
        if di is None:
            where = "the repository root" if b.context == "." else b.context
            yield Hit(
                Span(df.path, 1, 1),
                f"no .dockerignore in the build context ({where}) and the Dockerfile copies "
                "all of it: .git, .env and key files end up in the image",
            )
            continue
        if di.path in reported:
            continue
        shipped = _shipped(ix.all_paths, b.context, di)
        if shipped:
            reported.add(di.path)
            shown = ", ".join(shipped[:4]) + (
                f" and {len(shipped) - 4} more" if len(shipped) > 4 else ""
            )
            yield Hit(
                Span(di.path, 1, 1),
                f".dockerignore does not exclude {shown}: {df.path} copies the whole "
                "context, so they end up in the image",
                related=(Related(b.final.span, "the image built from this context"),),
            )


@functools.lru_cache(maxsize=4)
def _sensitive(paths: frozenset[str]) -> tuple[str, ...]:
    """The paths whose names say they hold secrets, sorted: found once per tree, not
    once per .dockerignore (a monorepo has hundreds)."""
    return tuple(sorted(p for p in paths if is_sensitive_name(posixpath.basename(p).lower())))


def _shipped(paths: Iterable[str], context: str, di: DockerIgnore) -> list[str]:
    """What the context holds that must not ship and the .dockerignore lets in:
    ``.git`` (a repository-root context has it), ``.env`` files and keys."""
    out = [".git"] if context == "." and not di.excludes(".git/HEAD") else []
    prefix = "" if context == "." else context.rstrip("/") + "/"
    for p in _sensitive(frozenset(paths) if not isinstance(paths, frozenset) else paths):
        if not p.startswith(prefix):
            continue
        rel = p[len(prefix) :]
        if is_sensitive_name(posixpath.basename(rel).lower()) and not di.excludes(rel):
            out.append(rel)
    return out
