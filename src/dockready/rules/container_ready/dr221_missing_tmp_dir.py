"""DR221 missing-tmp-dir: the code writes temp files, but the final image has no /tmp."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from dockready.facts.derived.files import file_writes, spills_multipart, temp_dir, under_tmp
from dockready.facts.derived.image import has_capability
from dockready.facts.derived.process import calls
from dockready.facts.derived.runtime import Runtime, image_runtime, runtimes
from dockready.facts.index import Build, ProjectIndex, Service
from dockready.model import Related, Severity, Span
from dockready.rules.registry import Context, Hit, Input, NoOptions, rule

_MULTIPART_NOTE = "multipart files over the in-memory limit spill to temp files"


@dataclass(frozen=True, slots=True)
class _TempUse:
    """Code that writes under ``/tmp`` in a given runtime."""

    span: Span
    what: str
    note: str


def _tmp_uses(svc: Service, rt: Runtime) -> list[_TempUse]:
    """What writes under ``/tmp`` with ``rt``'s environment (``$TMPDIR`` moves the
    temp directory, not literal ``/tmp/...`` paths)."""
    out: list[_TempUse] = []
    for w in file_writes(svc, rt.env):
        if under_tmp(w.path):
            note = "creates it in $TMPDIR, else /tmp" if w.temp else "writes under /tmp"
            out.append(_TempUse(w.span, w.what, note))
    if not under_tmp(temp_dir(rt.env)):
        return out
    lines = {(u.span.path, u.span.line) for u in out}
    for c, _ in calls(svc):
        if c.callee == "os.TempDir" and (c.span.path, c.span.line) not in lines:
            out.append(_TempUse(c.span, "os.TempDir()", "$TMPDIR, else /tmp"))
        elif spills_multipart(c):
            out.append(_TempUse(c.span, f"{c.receiver}.{c.name}", _MULTIPART_NOTE))
    return sorted(out, key=lambda u: (u.span.path, u.span.line, u.span.col))


def _failing(ix: ProjectIndex, svc: Service, build: Build) -> list[_TempUse]:
    """The temp-file uses that fail on ``build``'s image where it runs: in every
    workload (none with a volume at ``/tmp``), or in the image alone when there is
    no workload. Empty when any workload is fine or its ``TMPDIR`` is unknown."""
    placed = [rt for rt in runtimes(ix, svc, deployed=True) if rt.deployment is not None]
    if not placed:
        return _tmp_uses(svc, image_runtime(build))
    first: list[_TempUse] = []
    for rt in placed:
        mounts = rt.deployment.container.mounts if rt.deployment is not None else ()
        if any(m.mount_path.rstrip("/") == "/tmp" for m in mounts):
            return []
        if rt.sets("TMPDIR") is None or "TMPDIR" in rt.unknown:
            return []
        uses = _tmp_uses(svc, rt)
        if not uses:
            return []
        first = first or uses
    return first


@rule(
    id="DR221",
    name="missing-tmp-dir",
    severity=Severity.ERROR,
    reads=(Input.IMAGE,),
    calls=(
        "os.TempDir",
        ".ParseMultipartForm",
        ".FormFile",
        ".MultipartForm",
        ".ReadForm",
    ),
)
def missing_tmp_dir(ctx: Context[NoOptions]) -> Iterator[Hit]:
    """
    ## What it does
    Finds a service whose code writes temp files while its final image has no `/tmp`
    (`scratch` with no `/tmp` copied in) and no workload mounts a volume there. The
    code counts as writing temp files when it calls `os.CreateTemp`/`os.MkdirTemp`
    (or `ioutil.TempFile`/`TempDir`) with an empty directory, `os.TempDir()` or a
    `/tmp` path; calls `os.TempDir()`; writes a literal `/tmp/...` path
    (`os.Create`, `os.WriteFile`, `os.MkdirAll`...); or parses multipart uploads
    (`(*http.Request).ParseMultipartForm`/`FormFile`, gin/echo `FormFile`,
    `multipart.Reader.ReadForm`), which spill files larger than the in-memory limit
    (32 MB by default) to temp files: uploads fail only once they are large, which
    is why this is worth finding before production. The finding is on the final
    `FROM`; the calls are related.

    Decisions: with workloads, every one of them must lack a volume mounted at
    `/tmp` for a finding; with none, the image is judged alone (compose
    `tmpfs`/`volumes` are not read). A `TMPDIR` (Dockerfile or workload) that moves
    the temp directory elsewhere takes the temp-directory uses out, not literal
    `/tmp/...` paths; a `TMPDIR` we cannot read means no finding. A base image we do
    not know is never reported; distroless and Chainguard images have `/tmp`.

    ## Why is this bad?
    `scratch` has no directories at all. `os.CreateTemp("", ...)` uses `$TMPDIR` or
    `/tmp`, and fails with `open /tmp/upload-123: no such file or directory` on the
    first request that needs it, not at start-up.

    ## Example
    ```dockerfile
    FROM scratch
    COPY --from=build /out/app /app
    ENTRYPOINT ["/app"]
    ```
    with `os.CreateTemp("", "upload-*")` in the code.

    ## Use instead
    Mount an `emptyDir` at `/tmp` (works with `readOnlyRootFilesystem: true`):
    ```yaml
    volumeMounts:
      - name: tmp
        mountPath: /tmp
    volumes:
      - name: tmp
        emptyDir: {}
    ```
    or base the image on `gcr.io/distroless/static`, which has a `/tmp`.

    ## Fix safety
    Safe. Size the `emptyDir` (`sizeLimit`) for the largest expected upload.

    ## References
    - [os.TempDir](https://pkg.go.dev/os#TempDir)
    - [net/http: Request.ParseMultipartForm](https://pkg.go.dev/net/http#Request.ParseMultipartForm)
    - [Kubernetes: emptyDir](https://kubernetes.io/docs/concepts/storage/volumes/#emptydir)
    """
    ix = ctx.index
    for svc in ix.services:
        for build in svc.builds:
            if has_capability(build, "tmp") is not False:
                continue
            left = _failing(ix, svc, build)
            if not left:
                continue
            base = build.dockerfile.external_base(build.final)
            first = left[0]
            more = f" and {len(left) - 1} more" if len(left) > 1 else ""
            mounted = " and no workload mounts a volume there" if svc.deployments else ""
            yield Hit(
                build.final.span,
                f"the final image ({base}) has no /tmp{mounted}, but the code writes temp "
                f"files ({first.what}{more}): `no such file or directory` at run time",
                related=tuple(Related(u.span, f"{u.what}: {u.note}") for u in left),
                service=svc.name,
            )
