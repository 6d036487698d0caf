"""What the image-build rules (chapter 3) share: the builds to check, how a final base
and a ``FROM`` are shown, development images, shells and whole-context copies."""

from __future__ import annotations

import posixpath
import shlex
from collections.abc import Iterator
from dataclasses import dataclass, replace
from functools import lru_cache

from dockready.facts.docker import SHELLS, Copy, Dockerfile, Instruction, Stage
from dockready.facts.images import BaseImage, lookup, parse_ref
from dockready.facts.index import Build, ProjectIndex
from dockready.model import Span


def builds(ix: ProjectIndex) -> Iterator[Build]:
    """Every Dockerfile with stages, as a Build (joined to its service when it is)."""
    for df in ix.dockerfiles:
        b = build_of(ix, df)
        if b is not None:
            yield b


def final_base(build: Build) -> str:
    """The external image at the root of the final stage's lineage (``scratch`` included)."""
    return build.dockerfile.external_base(build.final)


def from_text(st: Stage) -> str:
    """``alpine:latest``, or ``${BASE} (alpine:latest)`` when an ARG was substituted."""
    if st.base != st.base_resolved:
        return f"{st.base} ({st.base_resolved})"
    return st.base


def is_devcontainer(df: Dockerfile) -> bool:
    """Is the Dockerfile a development image (under ``.devcontainer/``)?"""
    return ".devcontainer/" in f"/{df.path}"


def shell_wrapper(inst: Instruction) -> tuple[str, str] | None:
    """``["sh", "-c", "script"]`` (exec form running a shell) -> ``(shell, script)``."""
    v = inst.value
    if not inst.json or len(v) < 3 or posixpath.basename(v[0]) not in SHELLS:
        return None
    flag = v[1]
    if flag.startswith("-") and not flag.startswith("--") and "c" in flag:
        return v[0], v[2]
    return None


#: ``COPY`` sources that mean the whole build context (``COPY . .``).
WHOLE_CONTEXT = frozenset({".", "./", "*", "./*", "/", "./."})


# What a final image needs for a capability, as paths a COPY may bring in.
CA_PATHS = (
    "/etc/ssl/certs",
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/tls/certs",
    "/etc/ssl/cert.pem",
    "/etc/ssl",
)


TZ_PATHS = ("/usr/share/zoneinfo", "/usr/share/zoneinfo/")


PASSWD_PATHS = ("/etc/passwd",)


TMP_PATHS = ("/tmp", "/tmp/")


def base_image(build: Build) -> BaseImage | None:
    """Knowledge about the external base of the final stage (None if unknown)."""
    info = lookup(build.dockerfile.external_base(build.final))
    return info.image if info is not None else None


def final_copies(build: Build) -> Iterator[Copy]:
    """COPY/ADD instructions that write into the final image (its whole lineage)."""
    for st in build.dockerfile.lineage(build.final):
        yield from st.copies


def _dest_covers(copy: Copy, path: str, binaries: frozenset[str] = frozenset()) -> bool:
    """Does ``copy`` (maybe) put ``path`` in the image? A copy of binaries a build stage
    compiled puts only those files there, not the folder it copies them into."""
    dest = copy.dest.rstrip("/") or "/"
    target = path.rstrip("/") or "/"
    only_files = copy.from_stage is not None and all(
        posixpath.normpath(s) in binaries for s in copy.sources
    )
    if dest == target or dest.startswith(target + "/"):
        return True
    if target.startswith(dest + "/") and not only_files:
        return True
    # ``COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/``
    return any(
        posixpath.join(dest, posixpath.basename(s.rstrip("/"))) == target or s.rstrip("/") == target
        for s in copy.sources
    )


def covers(mount: str, path: str) -> bool:
    """Does a mount (or a copy) at ``mount`` put something at ``path``?"""
    mp = mount.rstrip("/") or "/"
    return path == mp or path.startswith(mp + "/") or mp == "/"


def copies_path(build: Build, *paths: str) -> Copy | None:
    """The COPY that puts one of ``paths`` into the final image, if any."""
    binaries = frozenset(
        posixpath.normpath(posixpath.join(gb.workdir, gb.output))
        for gb in (
            *(g for st in build.dockerfile.stages for g in st.go_builds),
            *((build.go_build,) if build.go_build is not None else ()),
        )
        if gb.output and "$" not in gb.output
    )
    for c in final_copies(build):
        if any(_dest_covers(c, p, binaries) for p in paths):
            return c
    return None


def has_capability(build: Build, capability: str) -> bool | None:
    """``ca_certs``, ``tzdata``, ``passwd`` or ``tmp`` in the final image?"""
    paths = {
        "ca_certs": CA_PATHS,
        "tzdata": TZ_PATHS,
        "passwd": PASSWD_PATHS,
        "tmp": TMP_PATHS,
    }[capability]
    if copies_path(build, *paths) is not None:
        return True
    if capability == "tmp" and any(
        i.cmd == "WORKDIR" and i.value and i.value[0].rstrip("/") == "/tmp"
        for st in build.dockerfile.lineage(build.final)
        for i in st.instructions
    ):
        return True
    img = base_image(build)
    if img is None:
        return None
    return bool(getattr(img, capability))


def has_tool(build: Build, tool: str) -> bool | None:
    """Is ``tool`` (sh, curl, wget, sleep...) on the final image?"""
    for c in final_copies(build):
        if any(posixpath.basename(s.rstrip("/")) == tool for s in c.sources) or (
            posixpath.basename(c.dest.rstrip("/")) == tool
        ):
            return True
    img = base_image(build)
    if img is None:
        return None
    if tool in ("sh", "/bin/sh"):
        return img.bin_sh
    return img.has_tool(tool)


@dataclass(frozen=True, slots=True)
class User:
    """The effective user of the final image: ``name`` as written (``"65532"``,
    ``"app"``, ``"root"``); ``span`` is the USER instruction (None: the base's default)."""

    name: str
    span: Span | None
    from_base: bool

    @property
    def uid(self) -> int | None:
        head = self.name.split(":", 1)[0]
        if head == "root":
            return 0
        return int(head) if head.isdigit() else None

    @property
    def is_root(self) -> bool | None:
        uid = self.uid
        if uid is not None:
            return uid == 0
        return None if self.from_base else False

    @property
    def numeric(self) -> bool:
        return self.uid is not None


def effective_user(build: Build) -> User | None:
    """Who the container runs as, or None when nobody sets it and the base is unknown."""
    final: Stage = build.final
    if final.user is not None:
        return User(final.user, final.user_span, False)
    img = base_image(build)
    if img is None:
        return None
    return User(img.user, None, True)


def build_of(ix: ProjectIndex, df: Dockerfile) -> Build | None:
    """The :class:`Build` of any Dockerfile: the one joined to a service when there is
    one, else one made the way the index makes it (build context, ``.dockerignore``)
    but with no ``go build`` edge. None for a Dockerfile without stages. Lets
    per-Dockerfile rules use ``has_tool``/``effective_user`` on unjoined Dockerfiles."""
    made = ix.builds.get(df.path)
    if made is None:
        return None
    if df.path in ix.svc_by_file:
        return made  # joined to a service (or two): as the index made it
    return replace(made, go_build=None, build_stage=None)


def final_runs(build: Build) -> Iterator[Instruction]:
    """RUN instructions that write into the final image (its whole lineage)."""
    for st in build.dockerfile.lineage(build.final):
        for i in st.instructions:
            if i.cmd == "RUN":
                yield i


def shell_words(script: str) -> list[str]:
    """``script`` split into shell words, operators (``&&``, ``|``, ``;``) as their
    own words (a newline becomes ``;``); unbalanced quotes fall back to a whitespace
    split."""
    return list(_shell_words(script)) if len(script) <= 16384 else _split(script)


@lru_cache(maxsize=4096)  # several rules split the same instruction; shlex is slow
def _shell_words(script: str) -> tuple[str, ...]:
    return tuple(_split(script))


def _split(script: str) -> list[str]:
    lexer = shlex.shlex(
        script.replace("\\\n", " ").replace("\n", " ; "), posix=True, punctuation_chars=True
    )
    lexer.whitespace_split = True
    try:
        return list(lexer)
    except ValueError:
        return script.split()


_PKG_INSTALL = {
    "apk": ("add",),
    "apt-get": ("install",),
    "apt": ("install",),
    "dnf": ("install",),
    "yum": ("install",),
    "microdnf": ("install",),
}


_SH_OPERATORS = frozenset({"&&", "||", ";", "|", "&", "(", ")", ";;"})


def installed_packages(run: Instruction) -> tuple[str, ...]:
    """Packages a RUN installs with apk/apt-get/apt/dnf/yum/microdnf (versions and
    flags dropped): ``apk add --no-cache curl=8.5.0-r0`` -> ``("curl",)``."""
    out: list[str] = []
    for script in (*run.value[:1], *run.heredocs) if not run.json else (" ".join(run.value),):
        words = shell_words(script)
        i = 0
        while i < len(words):
            w = posixpath.basename(words[i])
            verbs = _PKG_INSTALL.get(w)
            if verbs is None:
                i += 1
                continue
            j = i + 1
            while j < len(words) and words[j].startswith("-"):
                j += 1
            if j < len(words) and words[j] in verbs:
                j += 1
                while j < len(words) and words[j] not in _SH_OPERATORS:
                    if not words[j].startswith("-"):
                        out.append(words[j].split("=", 1)[0])
                    j += 1
            i = j
    return tuple(out)


def installs_tool(build: Build, tool: str) -> bool:
    """Does a RUN of the final image install or fetch ``tool``: a package of that name
    (``apk add curl``) or a word naming it (``wget -O /bin/grpc_health_probe ...``)?
    ``has_tool`` only knows the base image and COPYs; use both."""
    name = posixpath.basename(tool)
    for run in final_runs(build):
        if name in installed_packages(run):
            return True
        text = " ".join((*run.value, *run.heredocs))
        if any(posixpath.basename(w) == name for w in shell_words(text)):
            return True
    return False


def image_of(build: Build) -> str:
    return build.dockerfile.external_base(build.final)


def installs(build: Build, package: str) -> bool:
    """Does a RUN of the final image install the OS package ``package``?"""
    return any(package in installed_packages(r) for r in final_runs(build))


def describe_unpinned(why: str) -> str:
    """``unpinned``'s reason as a phrase: "has no tag (it means :latest)"..."""
    if why == "no tag":
        return "has no tag (it means :latest)"
    if why == ":latest":
        return "uses :latest"
    return f"uses {why}, a tag with no version in it"


#: Tag words that name a variant or a channel, not a version: a tag made only of
#: them (``alpine``, ``slim``, ``lts-alpine``) moves with every release.
_FLOATING_WORDS = frozenset(
    {"latest", "alpine", "slim", "edge", "stable", "lts", "current", "mainline",
     "rolling", "nightly", "unstable", "testing", "windowsservercore", "nanoserver"}
)  # fmt: skip


def unpinned(ref: str) -> str | None:
    """Why the image reference ``ref`` is not pinned: ``"no tag"`` (it means
    ``latest``), ``":latest"``, or ``":<tag>"`` for a tag with no version in it
    (``golang:alpine``, ``node:lts-slim``; for the Go toolchain image any tag without
    a digit, such as ``golang:bookworm``, since the Go version then floats). None
    when it has a version tag or a digest, is ``scratch``, or cannot be judged
    because it is templated (``$VAR``, ``{{ }}``). Distribution codenames
    (``debian:bookworm``) and vendor channels (``distroless/static:nonroot``) count
    as pinned."""
    r = ref.strip()
    if not r or "$" in r or "{{" in r or any(c.isspace() for c in r) or r.lower() == "scratch":
        return None
    _, repo, tag, digest = parse_ref(r)
    if digest is not None:
        return None
    if tag is None:
        return "no tag"
    if tag == "latest":
        return ":latest"
    if any(c.isdigit() for c in tag):
        return None
    words = tag.lower().split("-")
    if all(w in _FLOATING_WORDS for w in words) or repo == "library/golang":
        return f":{tag}"
    return None
