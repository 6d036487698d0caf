"""DR207 hardcoded-secret: passwords, tokens and keys written as literals."""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterator
from urllib.parse import urlsplit

from dockready.facts.derived.image import shell_words
from dockready.facts.go import EnvRef, FlagRef
from dockready.model import Severity, Span
from dockready.rules.registry import Context, Hit, Input, NoOptions, Tag, rule
from dockready.secrets import mask, plausible_value, secret_name, strong_kind

#: Dockerfile instructions whose secrets DR308 reports (DR207 leaves them alone).
_DR308_INSTRUCTIONS = frozenset({"ENV", "ARG", "COPY"})
#: Passwords in URLs that are well-known defaults of local services, not secrets.
_DEFAULT_PASSWORDS = frozenset(
    {"guest", "postgres", "root", "admin", "password", "pass", "secret", "test", "dev", "user"}
)
#: Words that mark a literal as an example or a placeholder.
_EXAMPLE_WORDS = (
    "example",
    "dummy",
    "sample",
    "placeholder",
    "changeme",
    "change-me",
    "xxxxxx",
    "your-",
    "your_",
    "<",
    "{{",
)
#: Name endings that say a secret-like name holds something else (an algorithm, a
#: cookie or parameter name, a pattern...).
_NOT_SECRET_SUFFIXES = (
    "algo",
    "algorithm",
    "method",
    "scheme",
    "cookie",
    "param",
    "pattern",
    "regex",
    "version",
    "hint",
    "label",
    "kind",
    "claim",
    "scope",
    "issuer",
    "audience",
    "realm",
    "provider",
    "column",
    "delimiter",
    "separator",
)
#: Directories of test helpers and doubles (secrets there are fixtures).
_TEST_DIRS = frozenset(
    {"mock", "mocks", "fake", "fakes", "testutil", "testutils", "testhelpers", "testing"}
)
#: Reserved example hosts (RFC 2606) in URLs.
_EXAMPLE_HOSTS = (".example", ".test", ".invalid", "example.com", "example.org", "example.net")


def _example(value: str) -> bool:
    low = value.lower()
    return any(w in low for w in _EXAMPLE_WORDS)


def _real_password(password: str | None, user: str | None = None) -> bool:
    """Is a password found in a URL or a connection string a real one (not empty, a
    ``${VAR}``/``%s`` reference, a placeholder, a well-known default or the user
    name again)?"""
    if not password or not plausible_value(password) or "%" in password or "$" in password:
        return False
    if password.lower() in _DEFAULT_PASSWORDS or password == user:
        return False
    return not _example(password)


def _url_password(value: str) -> bool:
    """Does ``value`` hold a URL with a real password (``postgres://u:pw@db``,
    ``redis://:pw@cache``) to a host that is not a reserved example host?"""
    at = value.find("://")
    if at < 0 or "@" not in value:  # no URL, or one without user information
        return False
    start = at
    while start > 0 and (value[start - 1].isalnum() or value[start - 1] in "+.-"):
        start -= 1
    words = value[start:].split()
    if not words:
        return False
    try:
        parts = urlsplit(words[0])
        password, user, host = parts.password, parts.username, parts.hostname or ""
    except ValueError:
        return False
    return _real_password(password, user) and not host.endswith(_EXAMPLE_HOSTS)


def _dsn_password(value: str) -> bool:
    """Does ``value`` hold a real password in a connection string: libpq or ODBC
    keywords (``host=db password=…``, ``Server=db;Password=…``) or a MySQL DSN
    (``user:pw@tcp(db:3306)/orders``)?"""
    if "=" not in value and "@" not in value:
        return False
    for token in value.replace(";", " ").split():
        key, eq, val = token.partition("=")
        if eq and key.strip().lower() in ("password", "pwd"):
            return _real_password(val.strip("'\""))
    if "@tcp(" in value or "@unix(" in value:
        user, _, password = value.split("@", 1)[0].partition(":")
        return _real_password(password, user)
    return False


def _shape_secret(value: str) -> str | None:
    """A secret by its shape alone (a key, a token, a password in a URL or connection
    string), after dockready's exclusions; None otherwise."""
    kind = strong_kind(value)
    if kind is not None and kind != "password in URL":
        return None if _example(value) else kind
    if _url_password(value):
        return "password in URL"
    if _dsn_password(value):
        return "password in a connection string"
    return None


def _value_secret(name: str, value: str) -> str | None:
    """The kind of secret ``name = value`` is (by shape, or a secret-like name bound
    to a credential-looking literal), after dockready's exclusions."""
    kind = _shape_secret(value)
    if kind is not None:
        return kind
    if not secret_name(name) or not plausible_value(value) or _example(value):
        return None
    low_name = name.lower()
    if low_name.startswith(("err", "msg")) or low_name.endswith(_NOT_SECRET_SUFFIXES):
        return None
    v = value.strip()
    if any(ch.isspace() for ch in v) or "%" in v or "://" in v:
        return None  # a message, a format string, a URL without a password
    if v.lower() in _DEFAULT_PASSWORDS or v.lower() == low_name or (v.isalpha() and v.islower()):
        return None  # a default, the name again, one lowercase word (bcrypt, plain)
    if all(ch.isupper() or ch.isdigit() or ch == "_" for ch in v) and ("_" in v or v.isalpha()):
        return None  # an environment variable's name: DB_PASSWORD
    if all(ch.isalpha() or ch in "-_./:" for ch in v) and any(ch in "-_./:" for ch in v):
        return None  # a name, header or path: X-Api-Key, db_password, orders/db
    if v.startswith("^") or v.endswith("$") or "\\" in v or "[" in v:
        return None  # a pattern
    if v.isalnum() and (v.lower() in low_name or _same_last_word(name, v)):
        # an enum value naming itself: ReasonMissingSecret = "MissingObjectSecret"
        return None
    return "secret-like value"


_WORDS = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+")


def _same_last_word(name: str, value: str) -> bool:
    """``ReasonMissingTokenSecret`` and ``MissingTokenAuthSecret``: a CamelCase value
    ending in the name's last word is a label, not a credential."""
    if not value.isalpha() or not value[0].isupper() or value.isupper():
        return False
    a, b = _WORDS.findall(name), _WORDS.findall(value)
    return len(b) > 1 and bool(a) and a[-1].lower() == b[-1].lower()


_QUOTES = ('"', "`")
_DEFAULTED = (EnvRef, FlagRef)
_ONE_LITERAL = re.compile(r'"(?:[^"\\]|\\.)*"|`[^`]*`', re.S)


def _single_literal(text: str) -> bool:
    """Is Go source ``text`` one string literal (not a concatenation)?"""
    return _ONE_LITERAL.fullmatch(text) is not None


def _masked_word(word: str) -> str:
    """A command-line word with its secret masked: ``--api-key=AKIA…`` keeps the flag
    name (``--api-key=AKI…(20 chars)``); a URL keeps all but its password."""
    if "://" not in word and "=" in word:
        name, _, value = word.rpartition("=")
        return f"{name}={mask(value)}"
    return mask(word)


def _b64(value: str) -> str | None:
    try:
        return base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return None


@rule(
    id="DR207",
    name="hardcoded-secret",
    severity=Severity.ERROR,
    reads=(Input.CODE,),
    tags=(Tag.SECURITY, Tag.SECRET),
    calls=(),
)
def hardcoded_secret(ctx: Context[NoOptions]) -> Iterator[Hit]:
    """
    ## What it does
    Finds passwords, tokens, private keys and cloud keys written as literals:

    - in Go code: a string bound to a secret-like name (`dbPassword`, `APIKey:` in a
      struct literal, an `env("DB_PASSWORD", "…")` fallback), or any string shaped
      like a key or token (private key blocks, AWS/GitHub/GitLab/Slack/Stripe/Google
      keys, a password inside a URL or a connection string), the default of a flag
      included (`flag.String("dsn", "app:pw@tcp(db)/app", …)` read by `sql.Open`);
    - key- or token-shaped values in Dockerfile instructions other than
      `ENV`/`ARG`/`COPY` (those are DR308's): a token in a `RUN git config … url`, a
      password in an `ADD` URL, a key in `CMD`;
    - key- or token-shaped values in manifests outside `env` and ConfigMaps (those
      are DR413's): a committed `Secret` (its `data` decoded from base64), a
      container `command`/`args`.

    Not reported: empty values, `${VAR}`/`$(VAR)`/`%s` references, placeholders
    (`changeme`, `<token>`, `your-key`, `xxxx`), values with `example`, `dummy`,
    `sample`, URLs to reserved example hosts, well-known default passwords of local
    services (`guest`, `postgres`, `root`, `admin`...; also in URLs such as
    `guest:guest@`), names, paths and header names bound to a secret-like name
    (`X-Api-Key`, `DB_PASSWORD`, `orders/db`, `db-credentials`: a weak real secret
    such as `my-secret-key` is missed too), patterns (`^…$`), messages
    (`errInvalidToken = "invalid token"`), files under test-helper directories
    (`mocks/`, `fakes/`, `testutil/`...) and `_test.go` files (not read). The
    message shows only a masked prefix of the value.

    ## Why is this bad?
    A literal secret is in every clone of the repository, in every image layer and
    in the binary (`strings /app`); it cannot be rotated without a release, and the
    same value ends up shared by every environment.

    ## Example
    ```go
    const dbPassword = "s3cr3t-Passw0rd!"
    ```

    ## Use instead
    ```go
    password := os.Getenv("ORDERS_DB_PASSWORD") // from a Kubernetes Secret
    if password == "" {
        return errors.New("ORDERS_DB_PASSWORD is required")
    }
    ```

    ## Fix safety
    Removing the literal is not enough: the secret is in Git history and must be
    rotated.

    ## References
    - [OWASP: Secrets Management Cheat Sheet](https://cheatsheetseries.owasp.org/cheatsheets/Secrets_Management_Cheat_Sheet.html)
    - [Kubernetes: Good practices for Secrets](https://kubernetes.io/docs/concepts/security/secrets-good-practices/)
    - [gitleaks](https://github.com/gitleaks/gitleaks)
    """
    ix = ctx.index
    seen: set[tuple[Span, str]] = set()

    def hit(span: Span, value: str, text: str) -> Iterator[Hit]:
        if (span, value) not in seen:
            seen.add((span, value))
            yield Hit(span, text)

    for g in ix.go_files:
        if any(part in _TEST_DIRS for part in g.path.split("/")[:-1]):
            continue
        found: set[str] = set()  # one finding per value and file
        for lit in g.strings:
            kind = _value_secret(lit.key, lit.value)
            if kind is not None and lit.value not in found:
                found.add(lit.value)
                what = f"{lit.key} = " if lit.key else ""
                yield Hit(
                    lit.span,
                    f"{kind} in Go code: {what}{mask(lit.value)}: it ships in the binary and "
                    "in Git; read it from an env var or file backed by a Secret",
                )
        for c in g.calls:
            for arg in c.args:
                # Only a literal written at the call (not a constant or a concatenation,
                # reported where it is written).
                written = arg.text[:1] in _QUOTES and _single_literal(arg.text)
                literal = arg.literal if written else None
                kind = _shape_secret(literal) if literal else None
                if literal and kind is not None and literal not in found:
                    found.add(literal)
                    yield Hit(
                        c.span,
                        f"{kind} in Go code, passed to {c.callee.lstrip('.')}: {mask(literal)}: "
                        "it ships in the binary and in Git; read it from an env var or file "
                        "backed by a Secret",
                    )
                for part in arg.parts:
                    if not isinstance(part, _DEFAULTED) or part.default is None:
                        continue
                    # a flag's name says what it configures, not that its default is
                    # secret: only a default shaped like one (a password in a DSN) counts
                    kind = (
                        _value_secret(part.name, part.default)
                        if isinstance(part, EnvRef)
                        else _shape_secret(part.default)
                    )
                    if kind is not None and part.default not in found:
                        found.add(part.default)
                        what = (
                            f"the fallback of {part.name}"
                            if isinstance(part, EnvRef)
                            else f"the default of flag -{part.name}"
                        )
                        unset = "variable" if isinstance(part, EnvRef) else "flag"
                        yield Hit(
                            c.span,
                            f"{kind} as {what}: {mask(part.default)}: when the {unset} is "
                            "not set the committed value is used",
                        )
    for df in ix.dockerfiles:
        for st in df.stages:
            for inst in st.instructions:
                if inst.cmd in _DR308_INSTRUCTIONS or inst.cmd == "FROM":
                    continue
                text = " ".join((*inst.value, *inst.heredocs))
                for word in shell_words(text):
                    kind = _shape_secret(word)
                    if kind is not None:
                        yield from hit(
                            inst.span,
                            word,
                            f"{kind} in a Dockerfile {inst.cmd}: {_masked_word(word)}: it is stored "
                            "in the image history; use a BuildKit secret mount",
                        )
                        break
    for cm in ix.configmaps:
        if not cm.secret:
            continue
        for d in cm.data:
            decoded = _b64(d.value)
            for value in (d.value, decoded) if decoded is not None else (d.value,):
                kind = _shape_secret(value)
                if kind is not None:
                    yield from hit(
                        d.span,
                        value,
                        f"{kind} committed in Secret {cm.name} ({d.key}: {mask(value)}): "
                        "base64 is not encryption; use Sealed Secrets, SOPS or an external "
                        "secret store",
                    )
                    break
    for w in ix.workloads:
        for ctr in (*w.containers, *w.init_containers):
            for word in (*ctr.command, *ctr.args):
                kind = _shape_secret(word)
                if kind is not None:
                    yield from hit(
                        ctr.span,
                        word,
                        f"{kind} in the command line of container {ctr.name}: {_masked_word(word)}: "
                        "anyone who can read the pod spec sees it; use a Secret",
                    )
                    break
