"""DR602 binary-not-static: the entrypoint needs an ELF interpreter the image lacks."""

from __future__ import annotations

from collections.abc import Iterator

from dockready.model import Severity
from dockready.rules.observed._common import observation
from dockready.rules.registry import Context, Hit, Input, NoOptions, rule


@rule(id="DR602", name="binary-not-static", severity=Severity.ERROR, reads=(Input.RUNTIME,))
def binary_not_static(ctx: Context[NoOptions]) -> Iterator[Hit]:
    """
    ## What it does
    Reads the ELF header of the file the image's `ENTRYPOINT` (or `CMD`) runs and
    reports an error when its interpreter (`PT_INTERP`, such as
    `/lib64/ld-linux-x86-64.so.2`) is not in the image: the runtime twin of DR201.
    A dynamic binary whose interpreter is there is reported as info: it runs on this
    base, and breaks on `scratch` or `distroless/static`.

    ## Why is this bad?
    The kernel cannot start a dynamic binary without its loader, and says so in the
    most confusing way: `exec /app: no such file or directory`, about a file that is
    plainly there.

    ## Example
    ```dockerfile
    RUN go build -o /app .          # cgo on by default: links libc
    FROM scratch
    COPY --from=build /app /app
    ```

    ## Use instead
    ```dockerfile
    RUN CGO_ENABLED=0 go build -o /app .
    ```

    ## References
    - [Go: cgo](https://pkg.go.dev/cmd/cgo)
    """
    obs = observation(ctx)
    if obs is None or obs.image is None or obs.image.elf is None:
        return
    elf = obs.image.elf
    if elf.interp is not None and not obs.image.exists(elf.interp):
        yield Hit(
            obs.anchor,
            f"{elf.path} needs the ELF interpreter {elf.interp}, which the image does not "
            "have: the container fails with 'no such file or directory'; build with "
            "CGO_ENABLED=0 or use a base that has the C library",
            service=obs.service,
        )
    elif elf.dynamic:
        yield Hit(
            obs.anchor,
            f"{elf.path} is dynamically linked ({elf.interp or 'no interpreter'}): it runs "
            "on this base but not on scratch or distroless/static",
            severity=Severity.INFO,
            service=obs.service,
        )
