"""DR215 missing-ca-certificates: Finds a final image with no CA bundle for code that makes TLS connections."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from dockready.facts.derived.build import CLOUD_SDKS, TLS_SCHEMES, imports_under
from dockready.facts.derived.http import quoted, service_go_files
from dockready.facts.derived.image import has_capability, image_of, installs
from dockready.facts.derived.runtime import Runtime, places_run, sets_any
from dockready.facts.go import (
    Call,
    EnvRef,
    FlagRef,
    GoFile,
    Value,
)
from dockready.facts.index import Service
from dockready.model import Related, Severity, Span
from dockready.rules.registry import Context, Hit, Input, NoOptions, rule


def _prefix(v: Value, rt: Runtime) -> str:
    """The leading part of a value that is known where it runs (``"https://api" +
    path`` -> the URL base): environment lookups resolved in ``rt`` (their fallback
    when ``rt`` surely does not set them), flags by their default."""
    out: list[str] = []
    for p in v.parts:
        if isinstance(p, str):
            out.append(p)
        elif isinstance(p, EnvRef):
            x = rt.env.get(p.name)
            if x is None and rt.sets(p.name) is False:
                x = p.default
            if x is None:
                break
            out.append(x)
        elif isinstance(p, FlagRef):
            if p.default is None:
                break
            out.append(p.default)
        else:
            break
    return "".join(out)


_HTTP_URL_ARG = {
    "net/http.Get": 0,
    "net/http.Head": 0,
    "net/http.Post": 0,
    "net/http.PostForm": 0,
    "net/http.NewRequest": 1,
    "net/http.NewRequestWithContext": 2,
}


_HTTP_CLIENT_METHODS = frozenset({"Get", "Head", "Post", "PostForm"})


_TLS_SCHEMES = TLS_SCHEMES


_TLS_DSN = ("sslmode=verify-full", "sslmode=verify-ca", "tls=true")


_CLOUD_SDKS = CLOUD_SDKS


# Packages that carry their own root certificates.
_OWN_ROOTS = ("golang.org/x/crypto/x509roots/fallback",)


_CERT_ENV = ("SSL_CERT_FILE", "SSL_CERT_DIR")


@dataclass(frozen=True, slots=True)
class _Evidence:
    span: Span
    what: str


def _https_arg(c: Call) -> Value | None:
    idx = _HTTP_URL_ARG.get(c.callee)
    if (
        idx is None
        and c.callee.startswith(".")
        and c.name in _HTTP_CLIENT_METHODS
        and (c.receiver_pkg == "net/http" or c.receiver == "http.DefaultClient")
    ):
        idx = 0
    return c.arg(idx) if idx is not None else None


def _tls_value(text: str) -> bool:
    low = text.lower()
    if low.startswith(_TLS_SCHEMES):
        return True
    return any(d in low for d in _TLS_DSN) and "sslrootcert=" not in low


def _custom_roots(g: GoFile) -> bool:
    """A ``tls.Config`` in the file brings its own roots or skips verification."""
    return any(
        lit.type == "crypto/tls.Config" and (lit.has("RootCAs") or lit.has("InsecureSkipVerify"))
        for lit in g.literals
    )


def tls_evidence(svc: Service, rts: list[Runtime]) -> list[_Evidence]:
    """Where the service makes TLS connections that verify with the system roots."""
    out: list[_Evidence] = []
    for g in service_go_files(svc):
        own = _custom_roots(g)
        for imp in g.imports:
            if any(imp.path == p or imp.path.startswith(p + "/") for p in _CLOUD_SDKS):
                out.append(_Evidence(imp.span, f"cloud SDK {imp.path} (HTTPS)"))
                break
        for c in g.calls:
            url = _https_arg(c)
            if url is not None:
                for rt in rts:
                    u = _prefix(url, rt)
                    if u.lower().startswith(("https://", "wss://")):
                        out.append(_Evidence(c.span, f"HTTPS request {c.name}({quoted(u)})"))
                        break
                continue
            if own:
                continue
            if c.callee == "google.golang.org/grpc/credentials.NewClientTLSFromCert":
                pool = c.arg(0)
                if pool is not None and pool.text.strip() == "nil":
                    out.append(_Evidence(c.span, "credentials.NewClientTLSFromCert(nil, ...)"))
            elif c.callee == "google.golang.org/grpc/credentials.NewTLS":
                out.append(_Evidence(c.span, "gRPC TLS credentials (credentials.NewTLS)"))
            elif c.callee == "crypto/tls.Dial":
                out.append(_Evidence(c.span, "tls.Dial"))
            else:
                dsn = _tls_arg(c, rts)
                if dsn is not None:
                    out.append(_Evidence(c.span, f"connection string {quoted(_redact(dsn))}"))
        if own:
            continue
        for s in g.strings:
            if _tls_value(s.value) and not s.value.lower().startswith(("https://", "wss://")):
                out.append(_Evidence(s.span, f"connection string {quoted(_redact(s.value))}"))
    seen: set[Span | str] = set()
    uniq = []
    for e in out:
        if e.span not in seen and e.what not in seen:
            seen.update((e.span, e.what))
            uniq.append(e)
    return uniq


def _tls_arg(c: Call, rts: list[Runtime]) -> str | None:
    """A connection string argument that asks for verified TLS (``rediss://``,
    ``sslmode=verify-full``...), resolved where the service runs."""
    if c.callee.startswith("net/http"):
        return None
    for a in c.args:
        for rt in rts:
            text = _prefix(a, rt)
            if text and _tls_value(text) and not text.lower().startswith(("https://", "wss://")):
                return text
    return None


def _redact(text: str) -> str:
    """Drop credentials from a URL or DSN before it goes into a message."""
    if "://" in text and "@" in text.split("://", 1)[1].split("/", 1)[0]:
        scheme, rest = text.split("://", 1)
        return f"{scheme}://…@{rest.split('@', 1)[1]}"
    words = []
    for w in text.split():
        key = w.split("=", 1)[0].lower()
        words.append(f"{key}=…" if key in ("password", "pwd", "pass") else w)
    return " ".join(words)


@rule(
    id="DR215",
    name="missing-ca-certificates",
    severity=Severity.ERROR,
    reads=(Input.IMAGE,),
    calls=(
        "net/http.Get",
        "net/http.Head",
        "net/http.Post",
        "net/http.PostForm",
        "net/http.NewRequest",
        "net/http.NewRequestWithContext",
        ".Get",
        ".Head",
        ".Post",
        ".PostForm",
        "google.golang.org/grpc/credentials.NewClientTLSFromCert",
        "google.golang.org/grpc/credentials.NewTLS",
        "crypto/tls.Dial",
    ),
)
def missing_ca_certificates(ctx: Context[NoOptions]) -> Iterator[Hit]:
    """
    ## What it does
    Finds a final image with no CA bundle for code that makes TLS connections. The
    TLS evidence: an `https://`/`wss://` URL passed to `http.Get`/`Post`/`Head`/
    `NewRequest[WithContext]` or a client's `Get`/`Post` (constants and env
    fallbacks resolved); gRPC `credentials.NewTLS` or `NewClientTLSFromCert(nil, …)`;
    `tls.Dial`; a cloud SDK import (`cloud.google.com/go`, `google.golang.org/api`,
    `aws-sdk-go(-v2)`, `azure-sdk-for-go`); a connection string whose scheme or
    options require a verified TLS connection (`rediss://`, `amqps://`,
    `mongodb+srv://`, `mqtts://`, `sslmode=verify-full`/`verify-ca`, MySQL `tls=true`).
    The finding is on the final `FROM`; the TLS evidence is related.

    Decisions: the image has a bundle when its base is known to ship one (alpine,
    distroless, golang...), when a `COPY` puts `/etc/ssl/certs` (or a `.crt` bundle)
    into it, or when its `RUN` installs `ca-certificates`; an unknown base image is not
    judged. `sslmode=require` is not evidence (lib/pq and pgx do not verify it), nor
    is a file whose `tls.Config` sets `RootCAs` or `InsecureSkipVerify`. A service
    that imports `golang.org/x/crypto/x509roots/fallback` or sets `SSL_CERT_FILE`/
    `SSL_CERT_DIR` is skipped.

    ## Why is this bad?
    Go verifies server certificates against the system roots, which a `scratch` (or
    slim Debian) image does not have. Every TLS handshake then fails at runtime with
    `x509: certificate signed by unknown authority`, usually far from the deploy that
    caused it.

    ## Example
    ```dockerfile
    FROM scratch
    COPY --from=build /out/app /app
    ENTRYPOINT ["/app"]
    ```

    ## Use instead
    ```dockerfile
    FROM gcr.io/distroless/static-debian12:nonroot
    ```
    or, staying on scratch:
    ```dockerfile
    COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/
    ```

    ## Fix safety
    Safe: only adds files to the image.

    ## References
    - [crypto/x509: SystemCertPool](https://pkg.go.dev/crypto/x509#SystemCertPool)
    - [golang.org/x/crypto/x509roots/fallback](https://pkg.go.dev/golang.org/x/crypto/x509roots/fallback)
    - [distroless static](https://github.com/GoogleContainerTools/distroless/blob/main/base/README.md)
    """
    ix = ctx.index
    for svc in ix.services:
        if not svc.builds:
            continue
        files = service_go_files(svc)
        rts = places_run(ix, svc)
        if imports_under(files, _OWN_ROOTS) or sets_any(rts, _CERT_ENV):
            continue
        evidence: list[_Evidence] | None = None
        for build in svc.builds:
            if has_capability(build, "ca_certs") is not False:
                continue
            if installs(build, "ca-certificates"):
                continue
            if evidence is None:
                evidence = tls_evidence(svc, rts)
            if not evidence:
                break
            first = evidence[0]
            more = f" and {len(evidence) - 1} more" if len(evidence) > 1 else ""
            yield Hit(
                build.final.span,
                f"the final image {image_of(build)} has no CA certificates, but "
                f"{svc.name} makes TLS connections ({first.what}{more}): every handshake "
                "fails with 'x509: certificate signed by unknown authority'",
                related=tuple(Related(e.span, f"TLS here: {e.what}") for e in evidence[:3]),
                service=svc.name,
            )
