"""Secret names the peers' fixtures flag (issue 12): cloud keys by name, the AWS key
id by name, a private key whose header lost dashes; and names that only look alike."""

from __future__ import annotations

import pytest

from dockready.secrets import mask, secret_kind, secret_name, strong_kind


@pytest.mark.parametrize(
    "name",
    ["AZURE_STORAGE_KEY", "AZURE_CLIENT_KEY", "azureStorageKey", "STORAGE_ACCOUNT_KEY",
     "OCI_CLI_KEY_CONTENT", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "JWT_KEY",
     "LICENSE_KEY", "DB_PASSWORD", "apiKey"],
)  # fmt: skip
def test_secret_names(name: str) -> None:
    assert secret_name(name)


@pytest.mark.parametrize(
    "name",
    ["CACHE_KEY", "PRIMARY_KEY", "SORT_KEY", "REDIS_KEY_PREFIX", "KEY_ID", "ACCESS_KEY_ID",
     "AZURE_CLIENT_ID", "AZURE_KEY_VAULT_NAME", "SSH_KEY_PATH", "JWT_KEY_FILE",
     "PASSWORD_MIN_LENGTH"],
)  # fmt: skip
def test_not_secret_names(name: str) -> None:
    assert not secret_name(name)


def test_the_aws_key_id_is_a_secret_by_name_whatever_its_value() -> None:
    assert secret_kind("AWS_ACCESS_KEY_ID", "exampleaccesskeyid42") == "secret-like value"
    assert secret_kind("AWS_ACCESS_KEY_ID", "${AWS_ACCESS_KEY_ID}") is None  # a reference


@pytest.mark.parametrize("dashes", [3, 4, 5])
def test_private_key_headers_with_fewer_dashes(dashes: int) -> None:
    d = "-" * dashes
    key = f"{d}BEGIN RSA PRIVATE KEY{d}\nMIIEowIBAAKCAQEA\n{d}END RSA PRIVATE KEY{d}"
    assert strong_kind(key) == "private key"
    assert mask(key) == "-----BEGIN …"


def test_two_dashes_are_not_a_header() -> None:
    assert strong_kind("--BEGIN PRIVATE KEY--") is None
