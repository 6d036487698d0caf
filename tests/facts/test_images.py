"""Base-image knowledge: reference parsing and what each family contains."""

from __future__ import annotations

import pytest

from dockready.facts.images import TABLE, BaseImage, ImageInfo, lookup, parse_ref


def known(ref: str) -> ImageInfo:
    info = lookup(ref)
    assert info is not None, ref
    return info


def image(ref: str) -> BaseImage:
    return known(ref).image


# --------------------------------------------------------------------------- parse_ref


@pytest.mark.parametrize(
    ("ref", "parts"),
    [
        ("alpine", ("docker.io", "library/alpine", None, None)),
        ("alpine:3.20", ("docker.io", "library/alpine", "3.20", None)),
        (
            "docker.io/library/alpine:3.20@sha256:abcd",
            ("docker.io", "library/alpine", "3.20", "sha256:abcd"),
        ),
        ("bitnami/redis:7", ("docker.io", "bitnami/redis", "7", None)),
        (
            "gcr.io/distroless/static-debian12:nonroot",
            ("gcr.io", "distroless/static-debian12", "nonroot", None),
        ),
        ("localhost:5000/app:dev", ("localhost:5000", "app", "dev", None)),
        ("localhost/app", ("localhost", "app", None, None)),
        ("golang@sha256:ff", ("docker.io", "library/golang", None, "sha256:ff")),
    ],
)
def test_parse_ref(ref: str, parts: tuple[str, str, str | None, str | None]) -> None:
    assert parse_ref(ref) == parts


# --------------------------------------------------------------------------- families


def test_scratch() -> None:
    img = image("scratch")
    assert img.family == "scratch"
    assert not (img.shell or img.bin_sh or img.ca_certs or img.tzdata or img.passwd or img.tmp)
    assert img.libc == "none" and img.static_only and img.user_is_root and not img.tools
    assert known("scratch").pinned


@pytest.mark.parametrize(
    ("ref", "family", "libc"),
    [
        ("gcr.io/distroless/static-debian12", "distroless-static", "none"),
        ("gcr.io/distroless/static", "distroless-static", "none"),
        ("gcr.io/distroless/base-debian12", "distroless-base", "glibc"),
        ("gcr.io/distroless/base-nossl-debian12:nonroot", "distroless-base", "glibc"),
        ("gcr.io/distroless/cc-debian12:latest", "distroless-cc", "glibc"),
    ],
)
def test_distroless_families(ref: str, family: str, libc: str) -> None:
    img = image(ref)
    assert (img.family, img.libc) == (family, libc)
    assert img.ca_certs and img.tzdata and img.passwd and img.tmp
    assert not img.shell and not img.tools and not img.full_distro
    assert img.static_only is (libc == "none")


def test_distroless_user_and_debug_variants() -> None:
    assert image("gcr.io/distroless/static-debian12").user == "root"
    nonroot = image("gcr.io/distroless/static-debian12:nonroot")
    assert nonroot.user == "65532" and not nonroot.user_is_root
    debug = image("gcr.io/distroless/static-debian12:debug")
    assert debug.shell and not debug.bin_sh and debug.user_is_root
    assert debug.has_tool("wget") and debug.has_tool("sh") and not debug.has_tool("curl")
    dn = image("gcr.io/distroless/base-debian12:debug-nonroot")
    assert dn.shell and dn.user == "65532"
    assert image("gcr.io/distroless/static-debian12:nonroot-arm64").user == "65532"
    assert lookup("gcr.io/distroless/static-debian12:weird") is None


def test_chainguard_static() -> None:
    img = image("cgr.dev/chainguard/static:latest")
    assert img.family == "chainguard-static" and img.user == "65532" and not img.user_is_root
    assert img.static_only and not img.shell and img.ca_certs
    assert not known("cgr.dev/chainguard/static:latest").pinned
    assert known("cgr.dev/chainguard/static@sha256:00").pinned


def test_alpine() -> None:
    info = known("docker.io/library/alpine:3.20@sha256:abcd")
    img = info.image
    assert img.family == "alpine" and img.libc == "musl" and img.static_only
    assert img.full_distro and img.shell and img.bin_sh and img.user == "root"
    assert img.has_tool("wget") and not img.has_tool("curl") and not img.has_tool("bash")
    assert img.ca_certs and not img.tzdata
    assert (info.tag, info.digest, info.pinned) == ("3.20", "sha256:abcd", True)
    assert not known("alpine:latest").pinned and not known("alpine").pinned


@pytest.mark.parametrize(
    ("ref", "version"),
    [
        ("golang:1.22", "1.22"),
        ("golang:1.22.3", "1.22.3"),
        ("golang:1.22-bookworm", "1.22"),
        ("golang:1.23rc1", "1.23rc1"),
        ("golang", None),
        ("golang:latest", None),
        ("golang:bookworm", None),
        ("mirror.example.com/library/golang:1.22", "1.22"),
        ("public.ecr.aws/docker/library/golang:1.21.5", "1.21.5"),
    ],
)
def test_golang_debian(ref: str, version: str | None) -> None:
    info = known(ref)
    img = info.image
    assert img.family == "golang" and img.go and img.gcc and img.git
    assert img.libc == "glibc" and not img.static_only and img.full_distro
    assert img.has_tool("curl") and img.tzdata and img.ca_certs
    assert info.go_version == version


@pytest.mark.parametrize(
    ("ref", "version"),
    [
        ("golang:1.22-alpine3.19", "1.22"),
        ("golang:1.22.3-alpine", "1.22.3"),
        ("golang:alpine", None),
        ("golang:alpine3.20", None),
    ],
)
def test_golang_alpine(ref: str, version: str | None) -> None:
    info = known(ref)
    img = info.image
    assert img.family == "golang-alpine" and img.go
    assert not img.gcc and not img.git and img.libc == "musl"
    assert img.has_tool("wget") and not img.has_tool("curl")
    assert info.go_version == version


def test_golang_windows_is_unknown() -> None:
    assert lookup("golang:1.22-windowsservercore-ltsc2022") is None
    assert lookup("golang:1.22-nanoserver") is None


def test_debian_ubuntu() -> None:
    bookworm = image("debian:bookworm-slim")
    assert bookworm.family == "debian" and bookworm.tzdata and not bookworm.ca_certs
    assert not image("debian:trixie").tzdata
    assert image("debian:12").tzdata
    ubuntu = image("ubuntu:24.04")
    assert ubuntu.family == "ubuntu" and not ubuntu.tzdata and not ubuntu.ca_certs
    for img in (bookworm, ubuntu):
        assert img.libc == "glibc" and img.full_distro and img.bin_sh
        assert not img.has_tool("curl") and not img.has_tool("wget") and img.has_tool("sleep")


@pytest.mark.parametrize(
    ("ref", "family"),
    [
        ("registry.access.redhat.com/ubi9/ubi-minimal", "ubi-minimal"),
        ("registry.access.redhat.com/ubi8/ubi-minimal:8.10", "ubi-minimal"),
        ("redhat/ubi9-minimal", "ubi-minimal"),
        ("registry.access.redhat.com/ubi9/ubi:9.4", "ubi"),
        ("registry.access.redhat.com/ubi9", "ubi"),
        ("redhat/ubi9", "ubi"),
    ],
)
def test_ubi(ref: str, family: str) -> None:
    img = image(ref)
    assert img.family == family and img.user == "root" and img.user_is_root
    assert img.libc == "glibc" and img.full_distro and img.ca_certs


@pytest.mark.parametrize(
    ("ref", "libc", "static_only"),
    [
        ("busybox", "glibc", False),
        ("busybox:1.36-musl", "musl", True),
        ("busybox:uclibc", "none", True),
    ],
)
def test_busybox(ref: str, libc: str, static_only: bool) -> None:
    img = image(ref)
    assert img.family == "busybox" and img.libc == libc and img.static_only is static_only
    assert img.shell and img.has_tool("wget") and img.has_tool("/bin/sleep")


@pytest.mark.parametrize(
    "ref",
    ["mycorp/base:1", "ghcr.io/acme/runtime:2", "golang:${GO}", "", "node:20", "alp ine"],
)
def test_unknown_images(ref: str) -> None:
    assert lookup(ref) is None


def test_table_is_data() -> None:
    families = {e.image.family for e in TABLE}
    assert {
        "scratch",
        "distroless-static",
        "distroless-base",
        "distroless-cc",
        "chainguard-static",
        "alpine",
        "debian",
        "ubuntu",
        "golang",
        "golang-alpine",
        "ubi",
        "ubi-minimal",
        "busybox",
    } <= families
    for e in TABLE:
        img = e.image
        assert img.libc in ("none", "glibc", "musl")
        assert img.user_is_root is (img.user in ("root", "0"))
        assert not img.bin_sh or img.shell
        assert ("sh" in img.tools) is img.shell
        assert img.go is ("go" in img.tools)
