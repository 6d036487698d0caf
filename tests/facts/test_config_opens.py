"""The configuration files the code opens (DR314 and init read them): viper with
environment binding has no file it must find."""

from __future__ import annotations

from dockready.facts.derived.files import config_opens
from dockready.parse.gosrc import parse_go

VIPER = """package main

import "github.com/spf13/viper"

func main() {
	viper.SetConfigFile("config.yaml")
%s	_ = viper.ReadInConfig()
}
"""


def _opens(src: str) -> list[str]:
    g = parse_go("main.go", src.encode())
    return [shown for _, _, shown in config_opens(g)]


def test_viper_config_file_is_opened() -> None:
    assert _opens(VIPER % "") == ["config.yaml"]


def test_viper_with_environment_binding_needs_no_file() -> None:
    """Bug: AutomaticEnv/BindEnv/SetEnvPrefix were never recorded by the parser, so
    the exemption the rule documents never applied."""
    for call in ("viper.AutomaticEnv()", 'viper.BindEnv("port")', 'viper.SetEnvPrefix("app")'):
        assert _opens(VIPER % f"\t{call}\n") == [], call
