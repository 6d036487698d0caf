"""What an image holds, read from the engine without running it: its config, the files
of its final filesystem, the entrypoint's ELF header, and secrets anywhere in its
layers, history or config (the same detectors ``check`` uses; never printed).
"""

from __future__ import annotations

import json
import posixpath
import struct
import subprocess
import tarfile
from dataclasses import dataclass, field

from dockready.secrets import mask, secret_file_name, secret_kind, strong_kind
from dockready.verify.docker import Docker, EngineError, Janitor

#: Shells and package managers that have no business in a final Go image (DR612).
SHELLS = ("sh", "bash", "ash", "dash", "zsh", "busybox")
PACKAGE_MANAGERS = ("apt", "apt-get", "dpkg", "apk", "yum", "dnf", "microdnf", "rpm", "pip", "pip3")
_BIN_DIRS = ("/bin", "/usr/bin", "/sbin", "/usr/sbin", "/usr/local/bin", "/usr/local/sbin")
#: Files read for secret shapes: small, and not where certificates and docs live.
_SCAN_MAX = 256 * 1024
_SKIP_DIRS = ("usr/share/", "etc/ssl/", "usr/lib/", "usr/local/go/", "lib/")


@dataclass(frozen=True, slots=True)
class Elf:
    """The entrypoint's ELF facts: ``interp`` is its PT_INTERP (None: static)."""

    path: str
    interp: str | None
    dynamic: bool


@dataclass(frozen=True, slots=True)
class LeakedSecret:
    """A secret found in the image: ``where`` (a layer file, the history, ``ENV``),
    its kind, and a masked form."""

    where: str
    kind: str
    shown: str


@dataclass
class ImageFacts:
    ref: str
    size: int = 0
    user: str = ""
    entrypoint: tuple[str, ...] = ()
    cmd: tuple[str, ...] = ()
    env: dict[str, str] = field(default_factory=dict)
    workdir: str = ""
    exposed: tuple[int, ...] = ()
    files: frozenset[str] = frozenset()  # absolute paths in the final filesystem
    links: dict[str, str] = field(default_factory=dict)  # symlink -> target
    elf: Elf | None = None
    shells: tuple[str, ...] = ()
    package_managers: tuple[str, ...] = ()
    secrets: tuple[LeakedSecret, ...] = ()

    @property
    def runs_as_root(self) -> bool:
        u = self.user.split(":", 1)[0].strip()
        return u in ("", "0", "root")

    def exists(self, path: str) -> bool:
        """Is ``path`` in the filesystem (symlinks followed)?"""
        seen = 0
        p = posixpath.normpath(path)
        while seen < 16:
            if p in self.links:
                target = self.links[p]
                p = posixpath.normpath(
                    target
                    if target.startswith("/")
                    else posixpath.join(posixpath.dirname(p), target)
                )
                seen += 1
                continue
            return p in self.files or self._under_link(p)
        return False

    def _under_link(self, p: str) -> bool:
        parts = p.split("/")
        for i in range(2, len(parts)):
            head = "/".join(parts[:i])
            if head in self.links:
                target = self.links[head]
                base = (
                    target
                    if target.startswith("/")
                    else posixpath.join(posixpath.dirname(head), target)
                )
                return self.exists(posixpath.join(base, *parts[i:]))
        return False


def inspect(docker: Docker, janitor: Janitor, ref: str) -> ImageFacts:
    """The image's config, files, entrypoint ELF and leaked secrets."""
    raw = json.loads(docker("image", "inspect", ref, timeout=60))[0]
    cfg = raw.get("Config") or {}
    env = dict(e.split("=", 1) for e in cfg.get("Env") or [] if "=" in e)
    facts = ImageFacts(
        ref=ref,
        size=int(raw.get("Size") or 0),
        user=cfg.get("User") or "",
        entrypoint=tuple(cfg.get("Entrypoint") or ()),
        cmd=tuple(cfg.get("Cmd") or ()),
        env=env,
        workdir=cfg.get("WorkingDir") or "",
        exposed=tuple(
            sorted(
                int(p.split("/")[0])
                for p in (cfg.get("ExposedPorts") or {})
                if p.split("/")[0].isdigit()
            )
        ),
    )
    _filesystem(docker, janitor, facts)
    facts.secrets = tuple(
        _config_secrets(facts) + _history_secrets(docker, ref) + _layer_secrets(docker, ref)
    )
    return facts


def entry_path(facts: ImageFacts) -> str | None:
    """The file the container executes: the first word of ENTRYPOINT (else CMD),
    found on PATH when it has no slash."""
    argv = facts.entrypoint or facts.cmd
    if not argv:
        return None
    first = argv[0]
    if first in ("/bin/sh", "sh", "/bin/bash", "bash") and len(argv) >= 3 and argv[1] == "-c":
        words = argv[2].split()
        if not words:
            return None
        first = words[0]
        if first == "exec" and len(words) > 1:
            first = words[1]
    if "/" in first:
        return posixpath.normpath(posixpath.join(facts.workdir or "/", first))
    path = facts.env.get("PATH", ":".join(_BIN_DIRS))
    for d in path.split(":"):
        cand = posixpath.join(d or "/", first)
        if facts.exists(cand):
            return cand
    return None


def _filesystem(docker: Docker, janitor: Janitor, facts: ImageFacts) -> None:
    """List the final filesystem (``docker export`` of a created container) and read
    the entrypoint's ELF header."""
    cid = docker("create", *janitor.labels(), facts.ref, timeout=120).strip()
    files: set[str] = set()
    links: dict[str, str] = {}
    members: dict[str, bytes] = {}
    try:
        proc = subprocess.Popen(
            [docker.client, "export", cid],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=docker.env,
        )
        assert proc.stdout is not None
        want: set[str] = set()
        with tarfile.open(fileobj=proc.stdout, mode="r|") as tar:
            for m in tar:
                name = "/" + _member(m.name)
                files.add(name)
                if m.issym() or m.islnk():
                    links[name] = m.linkname if m.issym() else "/" + _member(m.linkname)
                elif m.isfile() and _could_be_entry(name, facts):
                    want.add(name)
                    f = tar.extractfile(m)
                    if f is not None:
                        members[name] = f.read(8 * 1024 * 1024)
        proc.wait(timeout=120)
    finally:
        docker.run_raw(["rm", "--force", cid], timeout=60)
    facts.files = frozenset(files)
    facts.links = links
    entry = entry_path(facts)
    if entry is not None:
        real = _resolve(entry, links)
        data = members.get(real)
        if data is not None:
            facts.elf = read_elf(entry, data)
    names = {p.rsplit("/", 1)[-1]: p for p in files if posixpath.dirname(p) in _BIN_DIRS}
    facts.shells = tuple(sorted(names[s] for s in SHELLS if s in names))
    facts.package_managers = tuple(sorted(names[s] for s in PACKAGE_MANAGERS if s in names))


def _member(name: str) -> str:
    """A tar member's path without its ``./`` or ``/`` prefix (``./.env`` is ``.env``)."""
    while name.startswith("./"):
        name = name[2:]
    return name.strip("/") if name not in (".", "") else ""


def _could_be_entry(name: str, facts: ImageFacts) -> bool:
    argv = facts.entrypoint or facts.cmd
    return bool(argv) and (
        posixpath.basename(name) in {posixpath.basename(a) for a in argv[:3] if a}
        or posixpath.basename(name) in {w for a in argv[:3] for w in a.split()[:2]}
    )


def _resolve(path: str, links: dict[str, str]) -> str:
    for _ in range(16):
        if path not in links:
            return path
        t = links[path]
        path = posixpath.normpath(
            t if t.startswith("/") else posixpath.join(posixpath.dirname(path), t)
        )
    return path


def read_elf(path: str, data: bytes) -> Elf | None:
    """PT_INTERP and PT_DYNAMIC of a 64- or 32-bit little-endian ELF; None if not ELF."""
    if len(data) < 64 or data[:4] != b"\x7fELF":
        return None
    is64 = data[4] == 2
    if data[5] != 1:
        return None  # big-endian: not read
    try:
        if is64:
            (phoff,) = struct.unpack_from("<Q", data, 0x20)
            phentsize, phnum = struct.unpack_from("<HH", data, 0x36)
        else:
            (phoff,) = struct.unpack_from("<I", data, 0x1C)
            phentsize, phnum = struct.unpack_from("<HH", data, 0x2A)
        interp = None
        dynamic = False
        for i in range(phnum):
            off = phoff + i * phentsize
            (ptype,) = struct.unpack_from("<I", data, off)
            if ptype == 3:  # PT_INTERP
                if is64:
                    (p_offset,) = struct.unpack_from("<Q", data, off + 8)
                    (p_filesz,) = struct.unpack_from("<Q", data, off + 32)
                else:
                    (p_offset,) = struct.unpack_from("<I", data, off + 4)
                    (p_filesz,) = struct.unpack_from("<I", data, off + 16)
                interp = (
                    data[p_offset : p_offset + p_filesz].rstrip(b"\x00").decode("utf-8", "replace")
                )
            elif ptype == 2:  # PT_DYNAMIC
                dynamic = True
    except struct.error:
        return None
    return Elf(path, interp, dynamic or interp is not None)


def _config_secrets(facts: ImageFacts) -> list[LeakedSecret]:
    out = []
    for k, v in facts.env.items():
        kind = secret_kind(k, v)
        if kind is not None:
            out.append(LeakedSecret(f"ENV {k}", kind, mask(v)))
    return out


def _history_secrets(docker: Docker, ref: str) -> list[LeakedSecret]:
    proc = docker.run_raw(["history", "--no-trunc", "--format", "{{.CreatedBy}}", ref], timeout=60)
    out = []
    for line in proc.stdout.splitlines():
        kind = strong_kind(line)
        if kind is not None:
            out.append(LeakedSecret("the image history", kind, "(not shown)"))
    return out


def _layer_secrets(docker: Docker, ref: str) -> list[LeakedSecret]:
    """Secret files and secret shapes in small text files of every layer (a file a
    later layer deletes is still in the image)."""
    proc = subprocess.Popen(
        [docker.client, "save", ref],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=docker.env,
    )
    assert proc.stdout is not None
    out: list[LeakedSecret] = []
    try:
        with tarfile.open(fileobj=proc.stdout, mode="r|") as outer:
            for m in outer:
                if not m.isfile() or not (
                    m.name.endswith("layer.tar") or m.name.startswith("blobs/")
                ):
                    continue
                f = outer.extractfile(m)
                if f is None:
                    continue
                try:  # streamed: a layer is never held in memory whole
                    with tarfile.open(fileobj=f, mode="r|*") as layer:
                        out.extend(_scan_layer(layer))
                except (tarfile.TarError, OSError, EOFError):
                    continue  # the manifest or config blob, not a layer
    except (tarfile.TarError, EngineError):
        pass
    finally:
        proc.wait(timeout=120)
    unique: dict[tuple[str, str], LeakedSecret] = {}
    for s in out:
        unique.setdefault((s.where, s.kind), s)
    return list(unique.values())


def _scan_layer(layer: tarfile.TarFile) -> list[LeakedSecret]:
    out = []
    for m in layer:
        if not m.isfile():
            continue
        name = _member(m.name)
        base = posixpath.basename(name)
        if base.startswith(".wh."):
            continue
        if secret_file_name(name):
            out.append(LeakedSecret("/" + name, "secret file", "(not shown)"))
            continue
        if m.size > _SCAN_MAX or name.startswith(_SKIP_DIRS):
            continue
        f = layer.extractfile(m)
        if f is None:
            continue
        data = f.read()
        if b"\x00" in data[:1024]:
            continue
        kind = strong_kind(data.decode("utf-8", "replace"))
        if kind is not None:
            out.append(LeakedSecret("/" + name, kind, "(not shown)"))
    return out
