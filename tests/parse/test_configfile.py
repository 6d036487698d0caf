"""Configuration files a service reads: which files, their keys and lines."""

from __future__ import annotations

import pytest

from dockready.discover import Kind, classify
from dockready.engine import parse_one
from dockready.facts.config import ConfigFile
from dockready.parse.configfile import config_format, parse_ini, parse_toml
from dockready.parse.yamlfiles import parse_json, read_yaml


@pytest.mark.parametrize(
    ("path", "fmt"),
    [
        ("conf/app.ini", "ini"),
        ("configs/config.yaml", "yaml"),
        ("app/cart/conf/test/conf.yaml", "yaml"),
        ("etc/greet-api.yaml", "yaml"),
        ("config.toml", "toml"),
        ("settings.json", "json"),
        ("application-prod.yml", "yaml"),
    ],
)
def test_config_paths(path: str, fmt: str) -> None:
    assert config_format(path) == fmt


@pytest.mark.parametrize(
    "path",
    [
        "docker-compose.yml",
        "config/compose.yaml",
        ".github/workflows/config.yml",
        "charts/api/values.yaml",
        "charts/api/templates/config.yaml",
        "pyproject.toml",
        "_typos.toml",
        "package.json",
        "deploy/ingress.yaml",
        "README.md",
        "conf/Dockerfile",
    ],
)
def test_not_config_paths(path: str) -> None:
    assert config_format(path) is None


def test_toml_and_ini_are_read_only_where_config_lives() -> None:
    assert classify("conf/app.ini") is Kind.CONFIG
    assert classify("config.toml") is Kind.CONFIG
    assert classify("pyproject.toml") is None
    assert classify("tox.ini") is None


def _entries(f: ConfigFile | None) -> dict[str, tuple[str, int]]:
    assert f is not None
    return {".".join(e.key): (e.value, e.span.line) for e in f.entries}


def test_ini_sections_keys_lines() -> None:
    text = "; top\nAPP_NAME = blog\n\n[server]\nHttpPort = 8000\n# c\nRunMode: 'release'\n"
    got = _entries(parse_ini("conf/app.ini", text))
    assert got == {
        "APP_NAME": ("blog", 2),
        "server.HttpPort": ("8000", 5),
        "server.RunMode": ("release", 7),
    }


def test_toml_tables_dotted_keys_and_skipped_shapes() -> None:
    text = (
        'title = "orders"\n'
        "[server]\n"
        "port = 8080  # comment\n"
        'http.addr = ":9090"\n'
        "debug = true\n"
        "hosts = [\n  'a',\n]\n"
        "[[peers]]\n"
        'addr = "x"\n'
    )
    got = _entries(parse_toml("config.toml", text))
    assert got == {
        "title": ("orders", 1),
        "server.port": ("8080", 3),
        "server.http.addr": (":9090", 4),
        "server.debug": ("true", 5),
    }
    assert parse_toml("config.toml", "port = = 1\n") is None


def test_yaml_config_keeps_value_lines() -> None:
    text = (
        "server:\n  http:\n    addr: 0.0.0.0:8000\n  grpc:\n    addr: 0.0.0.0:9000\nlist: [1, 2]\n"
    )
    got = _entries(read_yaml("configs/config.yaml", text, "yaml"))  # type: ignore[arg-type]
    assert got == {"server.http.addr": ("0.0.0.0:8000", 3), "server.grpc.addr": ("0.0.0.0:9000", 5)}


def test_yaml_manifest_is_not_config() -> None:
    text = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata: {a: b}\n"
    assert not isinstance(read_yaml("config/cm.yaml", text, "yaml"), ConfigFile)


def test_json_config_lines() -> None:
    text = '{\n  "server": {\n    "port": 8080\n  }\n}\n'
    f, notice = parse_json("config.json", text, config=True)
    assert notice is None
    assert _entries(f) == {"server.port": ("8080", 3)}  # type: ignore[arg-type]
    assert parse_json("config.json", "{broken", config=True) == (None, None)


def test_broken_config_files_never_crash(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from dockready.discover import SourceFile

    for name, data in (
        ("conf/app.ini", b"\xff\xfe[\x00"),
        ("config.toml", b"a = [1,\n"),
        ("conf/x.yaml", b"a: [\n"),
    ):
        p = tmp_path / name.replace("/", "_")
        p.write_bytes(data)
        kind = classify(name)
        assert kind is not None
        out = parse_one(SourceFile(name, str(p), kind, len(data)))
        assert out.error is None
