"""DR216 missing-tzdata: Finds a service that needs the time zone database when its final image has none: it calls..."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from dockready.facts.derived.build import embeds_tzdata, linked_files, zoneinfo_loads
from dockready.facts.derived.http import quoted
from dockready.facts.derived.image import has_capability, image_of, installs
from dockready.facts.derived.runtime import Runtime, places_run, sets_any
from dockready.facts.go import Call, GoFile
from dockready.facts.index import Service
from dockready.model import Related, Severity, Span
from dockready.rules.registry import Context, Hit, Input, NoOptions, rule


def _load_calls(files: Sequence[GoFile], rts: list[Runtime]) -> list[tuple[Call, str]]:
    """``time.LoadLocation`` calls that need zoneinfo, with the zone they load."""
    loads = zoneinfo_loads(files, lambda v: [rt.resolve(v) for rt in rts])
    return [(c, quoted(zone) if zone else (c.args[0].text if c.args else "")) for c, zone in loads]


def _tz_settings(svc: Service) -> list[tuple[Span, str]]:
    """``TZ=Area/City`` set by the image or a deployment: Go loads it from zoneinfo at
    start-up and silently falls back to UTC when it is missing."""
    out: list[tuple[Span, str]] = []
    for b in svc.builds:
        tz = b.final.getenv("TZ")
        span = dict(b.final.env_spans).get("TZ")
        if tz and span is not None and _zone_name(tz):
            out.append((span, tz))
    for d in svc.deployments:
        for e in d.container.env:
            if e.name == "TZ" and e.value and _zone_name(e.value):
                out.append((e.span, e.value))
    return out


def _zone_name(tz: str) -> bool:
    tz = tz.lstrip(":")
    return "/" in tz and not tz.startswith("/")


@rule(
    id="DR216",
    name="missing-tzdata",
    severity=Severity.ERROR,
    reads=(Input.IMAGE,),
    calls=("time.LoadLocation",),
)
def missing_tzdata(ctx: Context[NoOptions]) -> Iterator[Hit]:
    """
    ## What it does
    Finds a service that needs the time zone database when its final image has none:
    it calls `time.LoadLocation` with a zone other than `"UTC"`/`"Local"`/`""` (or sets
    `TZ=Area/City` in the Dockerfile or the manifest), the binary does not import
    `time/tzdata` (in any package) nor is built with `-tags timetzdata`, and the final
    image has no `/usr/share/zoneinfo`. The finding is on the final `FROM`; the
    `LoadLocation` calls and `TZ` settings are related.

    Decisions: zoneinfo is present when the base is known to ship it (distroless,
    golang images through `$GOROOT/lib/time/zoneinfo.zip`, Debian before trixie...),
    when a `COPY` brings `/usr/share/zoneinfo`, or when a `RUN` installs `tzdata`; an
    unknown base is not judged. A `ZONEINFO` environment variable (pointing Go at a
    copied `zoneinfo.zip`) counts as providing it. `time.LoadLocationFromTZData` needs
    no files and is fine.

    ## Why is this bad?
    `time.LoadLocation("Asia/Shanghai")` reads `/usr/share/zoneinfo`. On `scratch` or
    `alpine` it returns `unknown time zone Asia/Shanghai` at runtime, often only on the
    code path that formats invoices or schedules jobs. With `TZ` it is worse: Go
    silently falls back to UTC.

    ## Example
    ```go
    loc, err := time.LoadLocation("Asia/Shanghai") // on FROM alpine: unknown time zone
    ```

    ## Use instead
    ```go
    import _ "time/tzdata" // embeds the database (~450 KB)
    ```
    or build with `-tags timetzdata`, or use a base image that ships zoneinfo.

    ## Fix safety
    Safe: the binary grows by about 450 KB.

    ## References
    - [time/tzdata](https://pkg.go.dev/time/tzdata)
    - [time.LoadLocation](https://pkg.go.dev/time#LoadLocation)
    """
    ix = ctx.index
    for svc in ix.services:
        if not svc.builds:
            continue
        linked = linked_files(ix, svc)
        if embeds_tzdata(linked):
            continue
        rts = places_run(ix, svc)
        if sets_any(rts, ("ZONEINFO",)):
            continue
        loads = _load_calls(linked, rts)
        tzs = _tz_settings(svc)
        if not loads and not tzs:
            continue
        for build in svc.builds:
            if has_capability(build, "tzdata") is not False or embeds_tzdata((), build):
                continue
            if installs(build, "tzdata"):
                continue
            related = [Related(c.span, f"time.LoadLocation({name})") for c, name in loads]
            related += [Related(span, f"TZ={tz}") for span, tz in tzs]
            if loads:
                name = loads[0][1]
                which = "" if name.startswith('"') else " for every zone but UTC"
                what = f"time.LoadLocation({name}) fails with 'unknown time zone'{which}"
            else:
                what = f"TZ={tzs[0][1]} silently falls back to UTC"
            yield Hit(
                build.final.span,
                f"the final image {image_of(build)} has no zoneinfo and the binary does not "
                f"import time/tzdata: {what}",
                related=tuple(related[:4]),
                service=svc.name,
            )
