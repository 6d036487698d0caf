"""Which configuration settings hold credentials, and how they are shown."""

from __future__ import annotations

import pytest

from dockready.secrets import mask_dsn, setting_secret


@pytest.mark.parametrize(
    ("key", "value", "kind"),
    [
        (("mysql", "dsn"), "gorm:gorm@tcp(127.0.0.1:3306)/gorm?charset=utf8mb4", "password in DSN"),
        (("db", "source"), "root:p@ss-w0rd@tcp(db:3306)/app", "password in DSN"),
        (("database", "password"), "Wint3r-Is-C0ming", "secret-like value"),
        (("redis", "url"), "redis://app:s3cret-redis@cache:6379/0", "password in URL"),
        (("github", "token"), "ghp_" + "a" * 36, "GitHub token"),
    ],
)
def test_secrets(key: tuple[str, ...], value: str, kind: str) -> None:
    assert setting_secret(key, value) == kind


@pytest.mark.parametrize(
    ("key", "value"),
    [
        (("mysql", "dsn"), "%s:%s@tcp(%s:3306)/user?charset=utf8mb4"),
        (("database", "password"), "${DB_PASSWORD}"),
        (("database", "password"), ""),
        (("redis", "password"), "changeme"),
        (("database", "password_file"), "/run/secrets/db"),
        (("server", "addr"), "0.0.0.0:8000"),
        (("mysql", "dsn"), "tcp(127.0.0.1:3306)/gorm"),
    ],
)
def test_not_secrets(key: tuple[str, ...], value: str) -> None:
    assert setting_secret(key, value) is None


def test_dsn_mask_hides_only_the_password() -> None:
    assert mask_dsn("orders:p@ss-w0rd@tcp(db:3306)/orders") == "orders:****@tcp(db:3306)/orders"
    assert "gorm" not in mask_dsn("not a dsn gorm-secret")
