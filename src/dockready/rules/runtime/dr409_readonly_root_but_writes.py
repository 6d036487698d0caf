"""DR409 readonly-root-but-writes: writes outside the writable mounts of a read-only root."""

from __future__ import annotations

import posixpath
from collections.abc import Iterator, Mapping

from dockready.facts.derived.files import file_writes
from dockready.facts.derived.image import final_copies
from dockready.facts.derived.pod import under
from dockready.facts.derived.runtime import compose_runtime
from dockready.facts.index import Build, Service
from dockready.model import Related, Severity
from dockready.rules.registry import Context, Hit, Input, NoOptions, rule

# Writable in every container whatever the root filesystem (tmpfs / pseudo files).
_ALWAYS_WRITABLE = ("/dev", "/proc", "/sys")


def _absolute(path: str | None, workdir: str | None) -> str | None:
    if path is None or path == "" or "$" in path:
        return None
    if not path.startswith("/"):
        if workdir is None:
            return None
        path = posixpath.join(workdir, path)
    return posixpath.normpath(path)


_MKDIRS = frozenset({"os.Mkdir", "os.MkdirAll"})


# Directories every image with a filesystem has (scratch's missing /tmp is DR221's).
_STANDARD_DIRS = frozenset({"/", "/tmp", "/var", "/var/tmp", "/etc", "/usr", "/home", "/run"})


def _in_image(path: str, builds: tuple[Build, ...]) -> bool:
    """Is ``path`` a directory every final image already has (so ``MkdirAll`` of it
    writes nothing): a standard directory, the WORKDIR or one of its parents, or a
    parent of something COPY put there?"""
    if path in _STANDARD_DIRS:
        return True
    if not builds:
        return False
    for b in builds:
        dirs = [b.final.workdir, *(c.dest for c in final_copies(b))]
        if not any(under(d.rstrip("/") or "/", path) for d in dirs):
            return False
    return True


def _workdir(svc: Service) -> str | None:
    dirs = {b.final.workdir for b in svc.builds}
    return dirs.pop() if len(dirs) == 1 else None


def _listed(paths: list[str]) -> str:
    return paths[0] if len(paths) == 1 else ", ".join(paths[:-1]) + " and " + paths[-1]


def _blocked_writes(
    svc: Service, env: Mapping[str, str], workdir: str | None, writable: list[str]
) -> dict[str, Related]:
    """The places the code writes that a read-only root with ``writable`` mounts
    refuses, by path, with where the code writes them."""
    seen: dict[str, Related] = {}
    for w in file_writes(svc, env):
        path = _absolute(w.path, workdir)
        if path is None or path in seen:
            continue
        if any(under(path, root) for root in (*_ALWAYS_WRITABLE, *writable)):
            continue
        if w.what in _MKDIRS and _in_image(path, svc.builds):
            continue
        where = "the temp directory " + path if w.temp else path
        seen[path] = Related(w.span, f"{w.what} writes {where}")
    return seen


@rule(
    id="DR409",
    name="readonly-root-but-writes",
    severity=Severity.ERROR,
    reads=(Input.K8S, Input.COMPOSE),
)
def readonly_root_but_writes(ctx: Context[NoOptions]) -> Iterator[Hit]:
    """
    ## What it does
    Joins a container that sets `readOnlyRootFilesystem: true` with the code of the
    service it runs, and finds files the code writes outside every writable volume
    mount of that container: `os.Create`, `os.WriteFile`, `os.OpenFile` with a write
    flag, `os.Mkdir(All)`, `os.CreateTemp`/`os.MkdirTemp` (`""` and `os.TempDir()`
    are `$TMPDIR`, else `/tmp`), their `io/ioutil` forms and `lumberjack.Logger` log
    files. The finding is on `readOnlyRootFilesystem`; each write is a related
    location.

    Paths are resolved with the container's environment (Dockerfile `ENV`, literal
    `env`, ConfigMap values); relative paths against the image `WORKDIR`. A path that
    cannot be resolved statically (a flag, `filepath.Join(...)`, an unset variable)
    is not reported. Mounts with `readOnly: true` do not count as writable;
    `/dev`, `/proc` and `/sys` are always writable. `os.MkdirAll` of a directory the
    image already has (`/tmp`, the `WORKDIR` or a parent of a `COPY` destination)
    writes nothing and is not reported.

    Compose services with `read_only: true` are checked the same way: `tmpfs:`
    entries and volumes not marked `:ro` (named, anonymous or bind) are writable;
    the finding is on `read_only`.

    ## Why is this bad?
    Every such write fails at runtime with `read-only file system`: the upload that
    spools to a temp file, the log file opened at start-up (which usually kills the
    process in a crash loop), the cache directory. Nothing shows it before the
    cluster runs the code path.

    ## Example
    ```go
    tmp, err := os.CreateTemp("", "upload-*") // /tmp
    ```
    ```yaml
    securityContext:
      readOnlyRootFilesystem: true
    # no volume at /tmp
    ```

    ## Use instead
    ```yaml
    volumeMounts:
      - name: tmp
        mountPath: /tmp
    volumes:
      - name: tmp
        emptyDir:
          sizeLimit: 64Mi
    ```
    and write logs to stdout instead of files.

    ## Fix safety
    Adding an `emptyDir` is safe; size it, since it counts against the node's
    ephemeral storage.

    ## References
    - [Kubernetes: emptyDir](https://kubernetes.io/docs/concepts/storage/volumes/#emptydir)
    - [os.TempDir](https://pkg.go.dev/os#TempDir)
    """
    ix = ctx.index
    for svc in ix.services:
        workdir = _workdir(svc)
        for dep in svc.deployments:
            c = dep.container
            sec = c.security
            if sec.read_only_root is not True:
                continue
            writable = [m.mount_path for m in c.mounts if not m.read_only]
            seen = _blocked_writes(svc, ix.env_for(svc, dep), workdir, writable)
            if not seen:
                continue
            paths = list(seen)
            yield Hit(
                sec.span_of("read_only_root") or c.span,
                f"readOnlyRootFilesystem is true but the code writes {_listed(paths)}, not "
                f"on a writable volume of container {c.name}: "
                f"{'the write fails' if len(paths) == 1 else 'these writes fail'} with "
                "'read-only file system'; mount an emptyDir there",
                related=tuple(seen.values()),
            )
        for cs in svc.compose:
            if not cs.read_only:
                continue
            env = compose_runtime(svc, cs).env
            seen = _blocked_writes(svc, env, workdir, list(cs.writable))
            if not seen:
                continue
            paths = list(seen)
            yield Hit(
                cs.read_only_span or cs.span,
                f"compose service {cs.name} has read_only: true but the code writes "
                f"{_listed(paths)}, not on a tmpfs or volume: "
                f"{'the write fails' if len(paths) == 1 else 'these writes fail'} with "
                "'read-only file system'; add tmpfs: [/tmp] (or a volume) there",
                related=tuple(seen.values()),
            )
