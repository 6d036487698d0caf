"""Which setting of a configuration file a Go expression names."""

from __future__ import annotations

import pytest

from dockready.facts.config import ConfigEntry, ConfigFile
from dockready.facts.derived.config import Settings, expression_key
from dockready.model import Span


def _file(path: str, **kv: str) -> ConfigFile:
    entries = tuple(
        ConfigEntry(tuple(k.split("__")), v, Span(path, i + 1, 1))
        for i, (k, v) in enumerate(kv.items())
    )
    return ConfigFile(path, "yaml", entries)


KRATOS = _file(
    "configs/config.yaml",
    server__http__addr="0.0.0.0:8000",
    server__grpc__addr="0.0.0.0:9000",
    data__redis__addr="127.0.0.1:6379",
)


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ('viper.GetString("server.port")', (("server", "port"), True)),
        ('v.GetInt("port")', (("port",), True)),
        (
            'cfg.Section("server").Key("HTTP_PORT").MustString("8000")',
            (("server", "HTTP_PORT"), True),
        ),
        ('cfg.Section("").Key("PORT").String()', (("PORT",), True)),
        ("conf.GetConf().Hertz.Address", (("Hertz", "Address"), False)),
        ("c.Http.Addr", (("Http", "Addr"), False)),
        ("setting.ServerSetting.HttpPort", (("ServerSetting", "HttpPort"), False)),
    ],
)
def test_expression_key(text: str, key: tuple[tuple[str, ...], bool]) -> None:
    assert expression_key(text) == key


@pytest.mark.parametrize("text", ["port", "os.Args[1]", "getAddr()"])
def test_no_key(text: str) -> None:
    assert expression_key(text) is None


def test_trailing_fields_name_a_nested_key() -> None:
    st = Settings((KRATOS,))
    got = st.value("c.Http.Addr")
    assert got is not None and got.entry.value == "0.0.0.0:8000" and got.entry.span.line == 1
    assert st.value("c.Grpc.Addr").entry.value == "0.0.0.0:9000"  # type: ignore[union-attr]


def test_one_field_names_only_a_top_level_key() -> None:
    # c.Addr could be server.http.addr, server.grpc.addr or data.redis.addr: none
    assert Settings((KRATOS,)).lookup("c.Addr") == ()
    top = _file("etc/api.yaml", Name="api", Port="8888")
    assert Settings((top,)).value("c.RestConf.Port").entry.value == "8888"  # type: ignore[union-attr]


def test_snake_case_and_section_suffixes() -> None:
    f = _file("conf/conf.yaml", hertz__metrics_port="8090", server__HttpPort="8000")
    st = Settings((f,))
    assert st.value("conf.GetConf().Hertz.MetricsPort").entry.value == "8090"  # type: ignore[union-attr]
    assert st.value("setting.ServerSetting.HttpPort").entry.value == "8000"  # type: ignore[union-attr]


def test_files_that_disagree_give_no_value() -> None:
    dev = _file("conf/dev/conf.yaml", hertz__address=":8080")
    prod = _file("conf/online/conf.yaml", hertz__address=":80")
    st = Settings((dev, prod))
    assert len(st.lookup("conf.GetConf().Hertz.Address")) == 2
    assert st.value("conf.GetConf().Hertz.Address") is None
    same = Settings((dev, _file("conf/test/conf.yaml", hertz__address=":8080")))
    assert same.value("conf.GetConf().Hertz.Address") is not None


def test_viper_keys_are_case_insensitive_and_exact() -> None:
    st = Settings((KRATOS,))
    assert st.value('viper.GetString("Server.HTTP.Addr")').entry.value == "0.0.0.0:8000"  # type: ignore[union-attr]
    assert st.value('viper.GetString("http.addr")') is None  # exact: no suffix matching
