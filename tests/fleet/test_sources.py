"""What a SOURCE is: directories, list files, git URLs (masked), missing paths."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from dockready.fleet import sources
from dockready.fleet.sources import DIR, GIT, MISSING, expand, mask_url

from .conftest import EXAMPLES


def test_list_file_with_comments_and_relative_paths(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b").mkdir()
    (tmp_path / "sub" / "more.txt").write_text("b   # relative to sub/\n")
    listing = tmp_path / "fleet.txt"
    listing.write_text(
        "# the fleet\n\na\nsub/more.txt\nmissing-one\nhttps://user:s3cr3t@git.example.com/org/x.git # team x\n a \n"
    )
    got = expand([str(listing)])
    assert [(s.kind, s.key) for s in got] == [
        (DIR, str((tmp_path / "a").resolve())),
        (DIR, str((tmp_path / "sub" / "b").resolve())),
        (MISSING, str(tmp_path / "missing-one")),
        (GIT, "https://***@git.example.com/org/x.git"),
    ]
    assert got[2].problem == "no such file or directory"
    assert got[3].location == "https://user:s3cr3t@git.example.com/org/x.git"


def test_a_list_that_includes_itself_ends(tmp_path: Path) -> None:
    listing = tmp_path / "l.txt"
    listing.write_text("l.txt\n.\n")
    assert [s.key for s in expand([str(listing)])] == [str(tmp_path.resolve())]


def test_binary_list_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    blob = tmp_path / "blob"
    blob.write_bytes(b"\0\1\2")
    (src,) = expand([str(blob)])
    assert src.kind == MISSING and "binary" in src.problem


@pytest.mark.parametrize(
    ("url", "masked"),
    [
        ("https://tok@github.com/o/r.git", "https://***@github.com/o/r.git"),
        ("https://github.com/o/r.git", "https://github.com/o/r.git"),
        ("git@github.com:o/r.git", "git@github.com:o/r.git"),
    ],
)
def test_mask_url(url: str, masked: str) -> None:
    assert mask_url(url) == masked


def _bare_repo(tmp_path: Path, content: Path) -> str:
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    work = tmp_path / "work"
    shutil.copytree(content, work)
    env = ["-c", "user.name=t", "-c", "user.email=t@example.com", "-c", "init.defaultBranch=main"]
    subprocess.run(["git", *env, "init", "-q", str(work)], check=True)
    subprocess.run(["git", *env, "-C", str(work), "add", "-A"], check=True)
    subprocess.run(["git", *env, "-C", str(work), "commit", "-qm", "one"], check=True)
    bare = tmp_path / "origin.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(work), str(bare)], check=True)
    return f"file://{bare}"


def test_git_source_is_cloned_then_fetched(tmp_path: Path) -> None:
    url = _bare_repo(tmp_path, EXAMPLES / "orderservice-fixed")
    cache = tmp_path / "cache"
    first = sources.sync(url, cache, timeout=60)
    assert (first / "go.mod").is_file()
    # a new commit upstream arrives on the next run
    work = tmp_path / "work"
    (work / "NEW").write_text("x")
    env = ["-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run(["git", *env, "-C", str(work), "add", "-A"], check=True)
    subprocess.run(["git", *env, "-C", str(work), "commit", "-qm", "two"], check=True)
    subprocess.run(
        ["git", "-C", str(work), "push", "-q", str(tmp_path / "origin.git"), "HEAD:main"],
        check=True,
    )
    again = sources.sync(url, cache, timeout=60)
    assert again == first and (again / "NEW").is_file()


def test_failed_clone_is_a_git_error(tmp_path: Path) -> None:
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    with pytest.raises(sources.GitError, match="git clone failed"):
        sources.sync(f"file://{tmp_path}/nothing.git", tmp_path / "cache", timeout=60)
