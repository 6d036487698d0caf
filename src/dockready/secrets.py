"""Secret detection and masking, shared by every rule that may see a secret.

A secret's value never leaves this module unmasked: rules put ``mask(value)`` in
their messages, so every output (text, JSON, and later SARIF/HTML) only ever shows
a short prefix.
"""

from __future__ import annotations

import posixpath

from dockready import linear

# Values that are secrets whatever they are called.
_STRONG = (
    # Three dashes or more: a header mangled in copy and paste is still a key.
    ("private key", linear.compile(r"-{3,}BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-{3,}")),
    ("AWS access key id", linear.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b")),
    (
        "GitHub token",
        linear.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{40,})"),
    ),
    ("GitLab token", linear.compile(r"\bglpat-[A-Za-z0-9_\-]{20,}")),
    ("Slack token", linear.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}")),
    ("Stripe live key", linear.compile(r"\b[sr]k_live_[A-Za-z0-9]{16,}")),
    ("Google API key", linear.compile(r"\bAIza[0-9A-Za-z_\-]{35}\b")),
    ("password in URL", linear.compile(r"\b[a-z][a-z0-9+.\-]*://[^\s:/@]+:([^\s@/]{3,})@[^\s]+")),
)
_NAME = linear.compile(
    r"(?i)(passw(or)?d|passwd|\bpwd|_pwd|secret|token|api[_\-]?key|apikey|private[_\-]?key|"
    r"access[_\-]?key|client[_\-]?secret|credentials?|auth[_\-]?key|signing[_\-]?key|"
    r"encryption[_\-]?key|dsn|key[_\-]?content|aws[_\-]?access[_\-]?key[_\-]?id|"
    # a cloud or account key by its prefix: AZURE_STORAGE_KEY, STORAGE_ACCOUNT_KEY
    r"(?:azure|storage|account|master|shared|subscription|license|hmac|jwt|oci|gcp|"
    r"service[_\-]?account)[a-z0-9_\-]*key$)"
)
#: Named like an identifier, but half of a credential pair: a secret by name.
_CREDENTIAL_ID = linear.compile(r"(?i)aws[_\-]?access[_\-]?key[_\-]?id$")
# Names that mention a secret but hold something else (a path, a length, a name).
_NOT_NAME = linear.compile(
    r"(?i)(file|path|dir|url|uri|endpoint|ttl|timeout|length|len|size|header|field|"
    r"name|type|id|ref|prefix|env|key_?id|policy|mode|format|enabled|required|count|expir)$"
)
_PLACEHOLDER = linear.compile(
    r"^(\$\{?[A-Za-z_][A-Za-z0-9_]*\}?|\$\(.*\)|<[^>]*>|\{\{.*\}\}|%[sv]|x+|\*+|\.+|"
    r"(?i:changeme|change-me|replace-?me|todo|redacted|none|null|nil|true|false|example|"
    r"your[-_a-z]*|dummy|test|placeholder|secret|password|token))$"
)


# A parser quoting the input it stopped at (``can't find = in "hunter2"``).
_QUOTED_INPUT = linear.compile(r'"[^"\n]{3,}"|\'[^\'\n]{3,}\'|`[^`\n]{3,}`')


def scrub(message: str) -> str:
    """A parser's error message reduced to position and reason: every piece of
    input it quotes (three characters or more: a lone ``':'`` or ``'\\t'`` names a
    token, not a value) becomes ``"…"``, so a DR000 never prints what a file holds."""
    out: list[str] = []
    at = 0
    for m in _QUOTED_INPUT.finditer(message):
        out += (message[at : m.start()], '"…"')
        at = m.end()
    return "".join(out) + message[at:]


# A secret-sounding word inside a longer name (``DB_PASSWORD``, ``--db-password``,
# ``secret_token``), and what follows it on the line.
_NAME_IN_LINE = linear.compile(
    r"(?i)[a-z0-9_.\-]*(?:passw|pwd|secret|token|api[_\-]?key|apikey|private[_\-]?key|"
    r"access[_\-]?key|credential|auth[_\-]?key|signing[_\-]?key|encryption[_\-]?key)"
    r"[a-z0-9_.\-]*"
)
_AFTER_NAME = linear.compile(r"""^["'\]]*[ \t]*(?::=|[:=]|[ \t])[ \t]*["'\[]*([^\s"',\]]*)""")


def secret_line(line: str) -> bool:
    """Does a line of a file show a secret? Its text has a secret's shape
    (:func:`strong_kind`), or a secret-sounding key, variable or flag is followed by
    a value (``--db-password=x``, ``LABEL secret_token=x``, ``echo "password x"``,
    ``DB_PASSWORD: x``). A reference (``${DB_PASSWORD}``), a placeholder or a name
    with nothing after it (``secretKeyRef:``) is not a secret. Used to hide lines
    of report snippets."""
    if strong_kind(line) is not None:
        return True
    for m in _NAME_IN_LINE.finditer(line):
        after = _AFTER_NAME.match(line[m.end() :])
        value = after.group(1) if after is not None else ""
        if "(" not in value and plausible_value(value):  # a call is code, not a value
            return True
    return False


#: All of ``_STRONG`` in one pass: most values are none of them.
_ANY_STRONG = linear.compile("|".join(f"(?:{pat.pattern})" for _, pat in _STRONG))


def strong_kind(value: str) -> str | None:
    """The kind of secret a value is by its shape alone (keys, tokens), else None."""
    if _ANY_STRONG.search(value) is None:
        return None
    for kind, pat in _STRONG:
        if pat.search(value):
            return kind
    return None


def secret_name(name: str) -> bool:
    """Does a variable/key name say it holds a secret (``DB_PASSWORD``, ``apiKey``)?"""
    bare = name.strip("_-. ")
    if _CREDENTIAL_ID.search(bare):
        return True
    return bool(_NAME.search(name)) and not _NOT_NAME.search(bare)


def plausible_value(value: str) -> bool:
    """A literal that could be a real secret (not empty, a reference or a placeholder)."""
    v = value.strip()
    if len(v) < 4 or (" " in v.strip() and len(v.split()) > 3):
        return False
    if v.startswith(("/", "./", "file:", "vault:", "secret:", "arn:", "projects/")):
        return False
    return not _PLACEHOLDER.match(v)


def secret_kind(name: str, value: str) -> str | None:
    """Why ``name = value`` is a secret (``"password"``-like name or a strong shape)."""
    kind = strong_kind(value)
    if kind is not None:
        return kind
    if secret_name(name) and plausible_value(value):
        return "secret-like value"
    return None


def mask(value: str) -> str:
    """A short prefix, never the value: ``"s3cr3t-Passw0rd!"`` -> ``"s3c…(16 chars)"``."""
    v = value.strip()
    if v.startswith("---") and "BEGIN" in v[:12]:
        return "-----BEGIN …"
    m = _STRONG[-1][1].search(v)
    if m:  # a URL with a password: keep the URL, hide the password
        return v[: m.start(1)] + "****" + v[m.end(1) :]
    keep = 3 if len(v) >= 12 else (1 if len(v) >= 6 else 0)
    return f"{v[:keep]}…({len(v)} chars)"


#: A Go driver DSN with a password: ``user:password@tcp(host:3306)/db``.
_GO_DSN = linear.compile(r"^[^\s:@/]+:(\S+)@(?:tcp|unix|udp)?\(")


def setting_secret(key: tuple[str, ...], value: str) -> str | None:
    """Why a configuration setting holds a secret (None when it does not): a strong
    shape, a Go DSN with a real password, or a secret-like key with a plausible
    literal (not a placeholder, a format verb or a reference)."""
    kind = strong_kind(value)
    if kind is not None:
        return kind
    m = _GO_DSN.match(value.strip())
    if m:
        return "password in DSN" if plausible_value(m.group(1)) and "%" not in m.group(1) else None
    name = key[-1] if key else ""
    if "dsn" in name.lower():
        return None  # a DSN is a secret through its password only (above)
    if secret_name(name) and plausible_value(value) and "%" not in value:
        return "secret-like value"
    return None


def mask_dsn(value: str) -> str:
    """A Go DSN with its password hidden: ``orders:****@tcp(db:3306)/orders``."""
    v = value.strip()
    m = _GO_DSN.match(v)
    return v[: m.start(1)] + "****" + v[m.end(1) :] if m else mask(v)


_SECRET_FILES = frozenset(
    {
        ".env",
        ".netrc",
        "_netrc",
        ".npmrc",
        ".git-credentials",
        ".pgpass",
        "credentials.json",
        "service-account.json",
        "id_rsa",
        "id_dsa",
        "id_ecdsa",
        "id_ed25519",
    }
)
_SECRET_EXTS = (".key", ".p12", ".pfx", ".jks", ".keystore")
_NOT_SECRET_ENV = (".example", ".sample", ".template", ".dist", ".defaults")
_CERT_WORDS = frozenset(
    {
        "ca",
        "cert",
        "certs",
        "certificate",
        "chain",
        "fullchain",
        "bundle",
        "root",
        "rootca",
        "pub",
        "public",
    }
)


def secret_file_name(src: str) -> bool:
    """Does a file name say it holds credentials (``.env``, ``id_rsa``, ``*.key``, a
    ``*.pem`` whose name does not say certificate)? Used on ``COPY`` sources (DR308)
    and on image layer files (DR610)."""
    name = posixpath.basename(src.rstrip("/")).lower()
    if name in _SECRET_FILES:
        return True
    if name.startswith(".env.") and not name.endswith(_NOT_SECRET_ENV):
        return True
    if name.endswith(_SECRET_EXTS):
        return True
    if name.endswith(".pem"):
        stem = name[:-4].replace("-", ".").replace("_", ".")
        return not any(w in _CERT_WORDS for w in stem.split("."))
    return False
