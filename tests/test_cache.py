"""The cache of parsed facts (issue 13): a warm run is the cold run's report, byte
for byte; an edit is a miss for that file only; a corrupted, truncated or planted
entry is never trusted (never unpickled), and is rewritten; two runs may share it."""

from __future__ import annotations

import json
import os
import pickle
import shutil
import subprocess
import sys
import time
import zlib
from pathlib import Path

import pytest

from dockready import cache as cache_mod
from dockready import engine
from dockready.cache import DIRNAME, FactCache
from dockready.config import Config
from dockready.engine import ParseOptions, call_table, check, schema_version

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "orderservice"
SRC = Path(__file__).resolve().parents[1] / "src"


@pytest.fixture
def tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "home-cache"))  # the HMAC key
    root = tmp_path / "svc"
    shutil.copytree(EXAMPLE, root, ignore=shutil.ignore_patterns(DIRNAME))
    return root


def _run(root: Path, cache_dir: Path | None) -> str:
    outcome = check([str(root)], Config().with_cache(cache_dir), jobs=1)
    from dockready import report

    return report.render("json", outcome.result)


def _entries(d: Path) -> list[Path]:
    return sorted(p for p in d.rglob("*") if p.is_file() and p.parent.parent.parent == d)


def test_warm_run_is_the_cold_run_without_parsing(
    tree: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cdir = tree / DIRNAME
    cold = _run(tree, cdir)
    assert _entries(cdir), "the cold run wrote entries"
    assert (cdir / ".gitignore").read_text().strip().endswith("*")
    assert (cdir / "CACHEDIR.TAG").read_bytes().startswith(b"Signature: 8a477f597d28d172")

    def no_parsing(*_a: object, **_k: object) -> object:
        raise AssertionError("a warm run parsed a file")

    monkeypatch.setattr(engine, "parse_one", no_parsing)
    assert _run(tree, cdir) == cold
    # the cache directory is never read as part of the tree
    assert DIRNAME not in cold


def test_an_edit_is_a_miss_for_that_file_only(tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cdir = tree / DIRNAME
    _run(tree, cdir)
    dockerfile = tree / "Dockerfile"
    dockerfile.write_text(dockerfile.read_text() + "\nLABEL edited=yes\n")
    parsed: list[str] = []
    real = engine.parse_one

    def counting(
        src: engine.SourceFile, calls: frozenset[str] = engine.FACT_CALLS, *rest: object
    ) -> object:
        parsed.append(src.rel)
        return real(src, calls, *rest)  # type: ignore[arg-type]

    monkeypatch.setattr(engine, "parse_one", counting)
    warm = _run(tree, cdir)
    assert parsed == ["Dockerfile"]
    assert warm == _run(tree, None)  # and the report is the uncached one


@pytest.mark.parametrize("damage", ["truncate", "flip", "empty", "garbage"])
def test_damaged_entries_are_ignored_and_rewritten(tree: Path, damage: str) -> None:
    cdir = tree / DIRNAME
    cold = _run(tree, cdir)
    entries = _entries(cdir)
    sizes = [_pack_size(p) for p in entries]
    for p in entries:
        data = p.read_bytes()
        if damage == "truncate":
            p.write_bytes(data[: len(data) // 2])
        elif damage == "flip":
            p.write_bytes(data[:40] + bytes([data[40] ^ 0xFF]) + data[41:])
        elif damage == "empty":
            p.write_bytes(b"")
        else:
            p.write_bytes(os.urandom(len(data)))
    assert _run(tree, cdir) == cold
    assert [p.read_bytes() for p in entries] != [b""] * len(entries)
    # rewritten: the pack verifies again, with an entry for every file, as before
    assert [_pack_size(p) for p in entries] == sizes and all(sizes)


def _pack_size(pack: Path) -> int:
    options = ParseOptions(call_table(), kube_version=schema_version(Config()))
    fc = FactCache.open(pack.parents[2], options.calls, variant=options.variant)
    assert fc is not None and fc.dir == pack.parents[1]
    fc.scope = pack.name
    return len(fc._load())


def test_a_planted_entry_is_never_unpickled(tree: Path, tmp_path: Path) -> None:
    """A cache directory committed to a pull request: its pickles would run code
    when loaded. Without this user's key they are never loaded."""
    cdir = tree / DIRNAME
    _run(tree, cdir)
    marker = tmp_path / "pwned"

    class Evil:
        def __reduce__(self) -> tuple[object, ...]:
            return (os.system, (f"touch {marker}",))

    body = zlib.compress(pickle.dumps(Evil()))
    for p in _entries(cdir):
        p.write_bytes(b"\0" * 32 + body)  # a MAC made without the key
    _run(tree, cdir)
    assert not marker.exists()


def test_the_key_is_private_to_the_user(tree: Path, tmp_path: Path) -> None:
    _run(tree, tree / DIRNAME)
    key = tmp_path / "home-cache" / "dockready" / "cache.key"
    assert key.stat().st_mode & 0o077 == 0 and len(key.read_bytes()) == 32


def test_a_new_dockready_never_reads_old_entries(
    tree: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cdir = tree / DIRNAME
    _run(tree, cdir)
    before = {p.parent.parent.name for p in _entries(cdir)}
    monkeypatch.setattr(cache_mod, "FORMAT", "test-next")
    _run(tree, cdir)
    after = {p.parent.parent.name for p in _entries(cdir)}
    assert len(after - before) == 1


def _cli(root: Path, env: dict[str, str], *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "dockready", "check", str(root), "--format", "json", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def test_two_runs_share_the_cache(tree: Path, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "DOCKREADY_NO_CACHE"}
    env.update(PYTHONPATH=str(SRC), XDG_CACHE_HOME=str(tmp_path / "home-cache"))
    for _ in range(3):
        procs = [_cli(tree, env) for _ in range(3)]
        outs = [p.communicate(timeout=120) for p in procs]
        assert all(p.returncode == 1 for p in procs), [e for _, e in outs]
        assert len({o for o, _ in outs}) == 1
        json.loads(outs[0][0])
    assert _entries(tree / DIRNAME)


def test_no_cache_and_cache_dir(tree: Path, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "DOCKREADY_NO_CACHE"}
    env.update(PYTHONPATH=str(SRC), XDG_CACHE_HOME=str(tmp_path / "home-cache"))
    p = _cli(tree, env, "--no-cache")
    p.communicate(timeout=120)
    assert not (tree / DIRNAME).exists()
    elsewhere = tmp_path / "elsewhere"
    p = _cli(tree, env, "--cache-dir", str(elsewhere))
    p.communicate(timeout=120)
    assert not (tree / DIRNAME).exists() and _entries(elsewhere)
    p = _cli(tree, env)
    p.communicate(timeout=120)
    assert _entries(tree / DIRNAME)


def test_entries_of_other_salts_are_pruned_after_an_hour(tree: Path) -> None:
    cdir = tree / DIRNAME
    old, recent = cdir / ("0" * 24), cdir / ("1" * 24)
    for d in (old, recent):
        (d / "ab").mkdir(parents=True)
        (d / "ab" / "entry").write_bytes(b"x")
    two_hours_ago = time.time() - 7200
    os.utime(old, (two_hours_ago, two_hours_ago))
    _run(tree, cdir)
    assert not old.exists() and recent.exists()


def test_a_warm_run_leaves_the_pack_alone_and_a_removed_file_leaves_it(tree: Path) -> None:
    """One pack per checked tree, holding what its last run used: a warm run does not
    write it; a file removed from the tree is removed from it."""
    cdir = tree / DIRNAME
    _run(tree, cdir)
    [pack] = _entries(cdir)
    before = pack.stat()
    size = _pack_size(pack)
    _run(tree, cdir)
    after = pack.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    (tree / "Dockerfile").unlink()
    _run(tree, cdir)
    assert _entries(cdir) == [pack] and _pack_size(pack) == size - 1


def test_a_cache_directory_planted_as_a_link_is_neither_read_nor_written(
    tree: Path, tmp_path: Path
) -> None:
    """A pull request may commit ``.dockready_cache`` as a link to the reviewer's
    folders: nothing there is pruned, written or read."""
    elsewhere = tmp_path / "home"
    old = elsewhere / ("a" * 24)  # looks like a salt directory, and is old
    old.mkdir(parents=True)
    two_hours_ago = time.time() - 7200
    os.utime(old, (two_hours_ago, two_hours_ago))
    (tree / DIRNAME).symlink_to(elsewhere, target_is_directory=True)
    cold = _run(tree, None)
    assert _run(tree, tree / DIRNAME) == cold
    assert old.is_dir() and sorted(p.name for p in elsewhere.iterdir()) == [old.name]


def test_a_pack_planted_as_a_link_or_a_fifo_is_not_read(tree: Path, tmp_path: Path) -> None:
    cdir = tree / DIRNAME
    cold = _run(tree, cdir)
    [pack] = _entries(cdir)
    pack.unlink()
    pack.symlink_to("/dev/zero")
    assert _run(tree, cdir) == cold  # and it returns: /dev/zero is never read
    pack.unlink()
    os.mkfifo(pack)
    assert _run(tree, cdir) == cold


def test_a_link_planted_for_the_gitignore_is_not_followed(tree: Path, tmp_path: Path) -> None:
    cdir = tree / DIRNAME
    cdir.mkdir()
    target = tmp_path / "created-by-dockready"
    (cdir / ".gitignore").symlink_to(target)
    _run(tree, cdir)
    assert not target.exists()


def _keys_computed(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The files whose content a run hashes (reads) to look them up."""
    seen: list[str] = []
    real = FactCache.key

    def counting(self: FactCache, rel: str, kind: str, data: bytes) -> str:
        seen.append(rel)
        return real(self, rel, kind, data)

    monkeypatch.setattr(FactCache, "key", counting)
    return seen


def test_a_file_whose_stamp_still_holds_is_not_read_again(
    tree: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cdir = tree / DIRNAME
    monkeypatch.setattr(cache_mod, "RACY_NS", 0)  # the files are seconds old here
    cold = _run(tree, cdir)
    seen = _keys_computed(monkeypatch)
    assert _run(tree, cdir) == cold
    assert seen == []


def test_an_edit_that_keeps_size_and_mtime_is_still_seen(
    tree: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A tool that sets the modification time back (``cp -p``, ``rsync -a``, an
    archive) cannot set the change time back."""
    cdir = tree / DIRNAME
    monkeypatch.setattr(cache_mod, "RACY_NS", 0)
    _run(tree, cdir)
    dockerfile = tree / "Dockerfile"
    before = dockerfile.stat()
    text = dockerfile.read_text()
    edited = text.replace("FROM ", "from ", 1)
    assert edited != text and len(edited) == len(text)
    dockerfile.write_text(edited)
    os.utime(dockerfile, ns=(before.st_atime_ns, before.st_mtime_ns))
    seen = _keys_computed(monkeypatch)
    assert _run(tree, cdir) == _run(tree, None)
    assert "Dockerfile" in seen


def test_files_changed_just_before_the_pack_was_written_are_read_again(
    tree: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Git's "racily clean" files: written within RACY_NS of the pack, a second edit
    in the same clock tick would not show in the stamp."""
    cdir = tree / DIRNAME
    monkeypatch.setattr(cache_mod, "RACY_NS", 3600 * 10**9)
    _run(tree, cdir)
    seen = _keys_computed(monkeypatch)
    _run(tree, cdir)
    assert "Dockerfile" in seen and "main.go" in " ".join(seen)
