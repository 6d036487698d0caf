"""DR307 dockerignore-missing: the whole context is copied without a .dockerignore for secrets."""

from __future__ import annotations

from collections.abc import Iterator

from dockready.facts.derived.image import WHOLE_CONTEXT, builds
from dockready.facts.docker import Dockerfile
from dockready.model import Related, Severity, Span
from dockready.rules.registry import Context, Hit, Input, NoOptions, rule

#: What a .dockerignore must exclude: a representative path for each entry.
_MUST_IGNORE = (
    (".git", ".git/HEAD"),
    (".env", ".env"),
    ("*.key", "server.key"),
    ("*.pem", "server.pem"),
)


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
    or has one that does not exclude `.git`, `.env`, `*.key` and `*.pem` (reported
    once on line 1 of the `.dockerignore`, naming what is missing).

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
        missing = [name for name, probe in _MUST_IGNORE if not di.excludes(probe)]
        if missing:
            reported.add(di.path)
            yield Hit(
                Span(di.path, 1, 1),
                f".dockerignore does not exclude {', '.join(missing)}: {df.path} copies the "
                "whole context, so they end up in the image",
                related=(Related(b.final.span, "the image built from this context"),),
            )
