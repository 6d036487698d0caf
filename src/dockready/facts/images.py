"""What we know about common base images, kept as data.

:data:`TABLE` maps an image (repository pattern + tag pattern) to a :class:`BaseImage`
describing what the image contains: a shell, a C library, CA certificates, zoneinfo,
``/etc/passwd``, ``/tmp``, its default user and the tools a probe or hook might call.
:func:`lookup` takes any image reference (registry, mirror, tag, digest) and returns an
:class:`ImageInfo`, or None for an image we know nothing about: callers treat that as
*unknown* and never guess.

Nuances worth knowing when reading the table:

* ``static_only`` means a dynamically linked **glibc** binary cannot run there: scratch,
  distroless ``static``, Chainguard ``static`` (no libc at all) and musl images
  (``alpine``, ``golang:*-alpine``, ``busybox:musl``). A binary linked against musl
  (built with cgo on Alpine) does run on Alpine; a static binary runs anywhere.
* ``tzdata`` means ``time.LoadLocation`` works without ``time/tzdata``: true for images
  with ``/usr/share/zoneinfo``, and for the ``golang`` images whose
  ``$GOROOT/lib/time/zoneinfo.zip`` the Go runtime falls back to. Debian dropped
  ``tzdata`` from its minimal images with trixie (13), which ``debian:latest`` now is.
* Distroless ``:debug`` tags carry a busybox shell at ``/busybox/sh`` but no
  ``/bin/sh``, so ``shell`` is true while ``bin_sh`` (what a shell-form ``CMD`` or
  ``RUN`` needs) is false.
* ``golang`` (Debian) images have gcc, so cgo is on by default there; the ``-alpine``
  variants have no C compiler, so since Go 1.20 cgo is off by default.
* Without a tag a digest-pinned reference is read as the image's default variant.
* ``pinned`` is a tag other than ``latest``, or a digest; ``scratch`` (not an image
  at all) counts as pinned.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from functools import lru_cache


@dataclass(frozen=True, slots=True)
class BaseImage:
    """The contents of one base image variant (see the module notes)."""

    family: str
    shell: bool
    bin_sh: bool
    libc: str  # "none" | "glibc" | "musl"
    ca_certs: bool
    tzdata: bool
    passwd: bool
    tmp: bool
    user: str
    user_is_root: bool
    tools: frozenset[str]
    go: bool
    gcc: bool
    git: bool
    static_only: bool
    full_distro: bool

    def has_tool(self, name: str) -> bool:
        """Whether the command ``name`` (a bare name or a path) exists in the image."""
        return name.rsplit("/", 1)[-1] in self.tools


@dataclass(frozen=True, slots=True)
class ImageInfo:
    """A looked-up reference: the known image plus the parts of the reference."""

    ref: str
    image: BaseImage
    registry: str
    repository: str
    tag: str | None
    digest: str | None
    go_version: str | None
    pinned: bool


@dataclass(frozen=True, slots=True)
class Entry:
    """One row of :data:`TABLE`: ``repository`` and ``tag`` are regular expressions
    matched in full against the normalized repository (``golang``, ``distroless/static``;
    a ``library/`` prefix and any registry dropped) and the tag (``latest`` if absent)."""

    repository: str
    tag: str
    image: BaseImage


# --------------------------------------------------------------------------- tool sets

_BUSYBOX = frozenset({"sh", "ash", "busybox", "sleep", "wget", "nc", "cat", "ls", "env", "tar"})
_COREUTILS = frozenset({"sh", "bash", "dash", "sleep", "cat", "ls", "env", "tar"})
_DEBIAN = _COREUTILS | {"apt-get"}
_GOLANG = _DEBIAN | {"curl", "wget", "git", "gcc", "make", "go"}
_GOLANG_ALPINE = _BUSYBOX | {"apk", "go"}
_UBI = (_COREUTILS - {"dash"}) | {"curl", "dnf", "yum"}
_UBI_MINIMAL = (_COREUTILS - {"dash", "tar"}) | {"curl", "microdnf"}

# --------------------------------------------------------------------------- images

SCRATCH = BaseImage(
    family="scratch", shell=False, bin_sh=False, libc="none", ca_certs=False, tzdata=False,
    passwd=False, tmp=False, user="root", user_is_root=True, tools=frozenset(), go=False,
    gcc=False, git=False, static_only=True, full_distro=False,
)  # fmt: skip
DISTROLESS_STATIC = BaseImage(
    family="distroless-static", shell=False, bin_sh=False, libc="none", ca_certs=True,
    tzdata=True, passwd=True, tmp=True, user="root", user_is_root=True, tools=frozenset(),
    go=False, gcc=False, git=False, static_only=True, full_distro=False,
)  # fmt: skip
DISTROLESS_BASE = replace(
    DISTROLESS_STATIC, family="distroless-base", libc="glibc", static_only=False
)
DISTROLESS_CC = replace(DISTROLESS_BASE, family="distroless-cc")
CHAINGUARD_STATIC = replace(
    DISTROLESS_STATIC, family="chainguard-static", user="65532", user_is_root=False
)
ALPINE = BaseImage(
    family="alpine", shell=True, bin_sh=True, libc="musl", ca_certs=True, tzdata=False,
    passwd=True, tmp=True, user="root", user_is_root=True, tools=_BUSYBOX | {"apk"}, go=False,
    gcc=False, git=False, static_only=True, full_distro=True,
)  # fmt: skip
DEBIAN = BaseImage(
    family="debian", shell=True, bin_sh=True, libc="glibc", ca_certs=False, tzdata=False,
    passwd=True, tmp=True, user="root", user_is_root=True, tools=_DEBIAN, go=False, gcc=False,
    git=False, static_only=False, full_distro=True,
)  # fmt: skip
DEBIAN_WITH_TZDATA = replace(DEBIAN, tzdata=True)
UBUNTU = replace(DEBIAN, family="ubuntu")
GOLANG = replace(
    DEBIAN, family="golang", ca_certs=True, tzdata=True, tools=_GOLANG, go=True, gcc=True, git=True
)
GOLANG_ALPINE = replace(ALPINE, family="golang-alpine", tzdata=True, tools=_GOLANG_ALPINE, go=True)
UBI = replace(DEBIAN, family="ubi", ca_certs=True, tzdata=True, tools=_UBI)
UBI_MINIMAL = replace(UBI, family="ubi-minimal", tools=_UBI_MINIMAL)
BUSYBOX = BaseImage(
    family="busybox", shell=True, bin_sh=True, libc="glibc", ca_certs=False, tzdata=False,
    passwd=True, tmp=True, user="root", user_is_root=True, tools=_BUSYBOX, go=False,
    gcc=False, git=False, static_only=False, full_distro=False,
)  # fmt: skip


def _nonroot(image: BaseImage) -> BaseImage:
    return replace(image, user="65532", user_is_root=False)


def _debug(image: BaseImage) -> BaseImage:
    return replace(image, shell=True, tools=_BUSYBOX)


_ARCH = r"(?:-(?:amd64|arm64|arm|s390x|ppc64le|riscv64|386))?"
_STATIC = r"distroless/static(?:-debian\d+)?"
_BASE = r"distroless/base(?:-nossl)?(?:-debian\d+)?"
_CC = r"distroless/cc(?:-debian\d+)?"
_UBI_REPO = r"ubi\d*/ubi|ubi\d+|redhat/ubi\d+"
_UBI_MINIMAL_REPO = r"ubi\d*/ubi-minimal|ubi\d+-minimal|redhat/ubi\d+-minimal"
_DEBIAN_TZDATA_TAG = (
    r"(?:bookworm|bullseye|buster|stretch|oldstable|oldoldstable|(?:9|10|11|12)(?:\.\d+)*)"
    r"(?:-.*)?"
)
_WINDOWS = r"(?!.*(?:windowsservercore|nanoserver)).*"

TABLE: tuple[Entry, ...] = (
    Entry("scratch", r".*", SCRATCH),
    Entry(_STATIC, "debug-nonroot" + _ARCH, _debug(_nonroot(DISTROLESS_STATIC))),
    Entry(_STATIC, "debug" + _ARCH, _debug(DISTROLESS_STATIC)),
    Entry(_STATIC, "nonroot" + _ARCH, _nonroot(DISTROLESS_STATIC)),
    Entry(_STATIC, "latest" + _ARCH, DISTROLESS_STATIC),
    Entry(_BASE, "debug-nonroot" + _ARCH, _debug(_nonroot(DISTROLESS_BASE))),
    Entry(_BASE, "debug" + _ARCH, _debug(DISTROLESS_BASE)),
    Entry(_BASE, "nonroot" + _ARCH, _nonroot(DISTROLESS_BASE)),
    Entry(_BASE, "latest" + _ARCH, DISTROLESS_BASE),
    Entry(_CC, "debug-nonroot" + _ARCH, _debug(_nonroot(DISTROLESS_CC))),
    Entry(_CC, "debug" + _ARCH, _debug(DISTROLESS_CC)),
    Entry(_CC, "nonroot" + _ARCH, _nonroot(DISTROLESS_CC)),
    Entry(_CC, "latest" + _ARCH, DISTROLESS_CC),
    Entry(r"chainguard/static", r"latest(?:-\w+)?", CHAINGUARD_STATIC),
    Entry(r"golang", r"(?:.*-)?alpine[\d.]*", GOLANG_ALPINE),
    Entry(r"golang", _WINDOWS, GOLANG),
    Entry(r"alpine", r".*", ALPINE),
    Entry(r"debian", _DEBIAN_TZDATA_TAG, DEBIAN_WITH_TZDATA),
    Entry(r"debian", r".*", DEBIAN),
    Entry(r"ubuntu", r".*", UBUNTU),
    Entry(_UBI_MINIMAL_REPO, r".*", UBI_MINIMAL),
    Entry(_UBI_REPO, r".*", UBI),
    Entry(r"busybox", r".*musl", replace(BUSYBOX, libc="musl", static_only=True)),
    Entry(r"busybox", r".*uclibc", replace(BUSYBOX, libc="none", static_only=True)),
    Entry(r"busybox", r".*", BUSYBOX),
)

_COMPILED = tuple((re.compile(e.repository), re.compile(e.tag), e.image) for e in TABLE)
_GO_VERSION = re.compile(r"(\d+(?:\.\d+){0,2}(?:(?:rc|beta)\d+)?)(?:-.*)?")
_DOCKER_HUB = frozenset({"docker.io", "index.docker.io", "registry-1.docker.io"})


# --------------------------------------------------------------------------- references


def parse_ref(ref: str) -> tuple[str, str, str | None, str | None]:
    """``(registry, repository, tag, digest)`` of an image reference.

    Docker Hub images get registry ``docker.io`` and a ``library/`` prefix when they
    have a single path component: ``alpine:3.20`` → ``("docker.io", "library/alpine",
    "3.20", None)``.
    """
    name, _, digest = ref.strip().partition("@")
    tag: str | None = None
    colon = name.rfind(":")
    if colon > name.rfind("/"):
        name, tag = name[:colon], name[colon + 1 :]
    first, sep, rest = name.partition("/")
    if sep and ("." in first or ":" in first or first == "localhost"):
        registry, repository = first.lower(), rest
    else:
        registry, repository = "docker.io", name
    if registry in _DOCKER_HUB:
        registry = "docker.io"
        if "/" not in repository:
            repository = "library/" + repository
    return registry, repository, tag or None, digest or None


def _normalized(repository: str) -> str:
    """The table key of a repository: anything up to a ``library/`` component dropped."""
    head, sep, tail = repository.rpartition("library/")
    if sep and (not head or head.endswith("/")):
        return tail
    return repository


@lru_cache(maxsize=1024)
def lookup(ref: str) -> ImageInfo | None:
    """What we know about the image ``ref`` names, or None when it is unknown (also for
    references with unresolved ``$VARIABLES``)."""
    if not ref or "$" in ref or any(c.isspace() for c in ref.strip()):
        return None
    registry, repository, tag, digest = parse_ref(ref)
    key = _normalized(repository)
    image = _match(key, tag or "latest")
    if image is None:
        return None
    return ImageInfo(
        ref=ref,
        image=image,
        registry=registry,
        repository=repository,
        tag=tag,
        digest=digest,
        go_version=_go_version(tag) if image.go else None,
        pinned=image is SCRATCH or digest is not None or (tag is not None and tag != "latest"),
    )


def _match(key: str, tag: str) -> BaseImage | None:
    for repo_re, tag_re, image in _COMPILED:
        if repo_re.fullmatch(key) and tag_re.fullmatch(tag):
            return image
    return None


def _go_version(tag: str | None) -> str | None:
    """``1.22`` from ``1.22-alpine3.19``; None for ``latest``, ``alpine``, ``bookworm``."""
    if tag is None:
        return None
    m = _GO_VERSION.fullmatch(tag)
    return m.group(1) if m else None
