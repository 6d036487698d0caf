"""DR419 compose-no-healthcheck: depends_on without service_healthy, or no healthcheck."""

from __future__ import annotations

from collections.abc import Iterator

from dockready.model import Severity
from dockready.rules.registry import Context, Hit, Input, NoOptions, rule


@rule(
    id="DR419",
    name="compose-no-healthcheck",
    severity=Severity.INFO,
    reads=(Input.COMPOSE,),
)
def compose_no_healthcheck(ctx: Context[NoOptions]) -> Iterator[Hit]:
    """
    ## What it does
    In compose files, finds:

    - a `depends_on` entry for a service of the same file without
      `condition: service_healthy` (or `service_completed_successfully`), on the
      service's `depends_on`;
    - a compose service that runs a Go service of this repository that listens for
      requests, with no `healthcheck:` and no `HEALTHCHECK` in the Dockerfile that
      builds its image (or one that is disabled), on the service's name.

    Services that only pull an image from elsewhere are not judged for their own
    healthcheck: their image may have one.

    ## Why is this bad?
    Without a health condition, compose starts a dependent as soon as the
    dependency's container has started, long before a database accepts connections
    or a service has loaded its configuration: the dependent crashes or retries on
    every `docker compose up`, and CI runs built on compose are flaky. Without a
    healthcheck, `docker compose ps` shows a service as up while it cannot serve,
    and nothing can wait for it.

    ## Example
    ```yaml
    services:
      orders:
        build: .
        depends_on: [db]
      db:
        image: postgres:16
    ```

    ## Use instead
    ```yaml
    services:
      orders:
        build: .
        depends_on:
          db:
            condition: service_healthy
      db:
        image: postgres:16
        healthcheck:
          test: ["CMD", "pg_isready", "-U", "postgres"]
          interval: 2s
          retries: 30
    ```
    On a distroless image, without a shell or curl, give the binary a
    `healthcheck` subcommand and use `test: ["CMD", "/app", "healthcheck"]`.

    ## Fix safety
    Safe: it only changes when compose considers a service ready.

    ## References
    - [Compose: depends_on](https://docs.docker.com/reference/compose-file/services/#depends_on)
    - [Compose: healthcheck](https://docs.docker.com/reference/compose-file/services/#healthcheck)
    """
    ix = ctx.index
    by_file: dict[str, set[str]] = {}
    for cs in ix.compose_services:
        by_file.setdefault(cs.path, set()).add(cs.name)
    for cs in ix.compose_services:
        loose = [
            dep
            for dep, condition in cs.depends_on
            if dep in by_file[cs.path]
            and condition not in ("service_healthy", "service_completed_successfully")
        ]
        if loose:
            names = ", ".join(loose)
            them = (
                ("its container starts", "it")
                if len(loose) == 1
                else ("their containers start", "they")
            )
            yield Hit(
                cs.depends_span or cs.span,
                f"compose service {cs.name} depends on {names} without condition: "
                f"service_healthy: it starts as soon as {them[0]}, before {them[1]} can "
                f"serve; give {'it' if len(loose) == 1 else 'them'} a healthcheck and wait "
                "for service_healthy",
            )
    for svc in ix.services:
        if not any(lst for g in svc.files for lst in g.listeners):
            continue
        image_checks = any(
            b.final.healthcheck is not None and b.final.healthcheck.value[:1] != ("NONE",)
            for b in svc.builds
        )
        for cs in svc.compose:
            if cs.healthcheck:  # a test of its own
                continue
            if cs.healthcheck is None and (
                image_checks or (not svc.builds and cs.build_context is None)
            ):
                continue  # the image's HEALTHCHECK applies, or the image is not known
            yield Hit(
                cs.span,
                f"compose service {cs.name} has no healthcheck (nor does its Dockerfile): "
                "compose shows it up while it cannot serve, and nothing can wait for it "
                "with condition: service_healthy",
            )
