"""DR308 secret-in-image: secrets in an image's ENV, ARG or copied files."""

from __future__ import annotations

from collections.abc import Iterator

from dockready.facts.derived.config import image_path
from dockready.facts.derived.image import copies_path
from dockready.facts.docker import Stage
from dockready.model import Related, Severity, Span
from dockready.rules.registry import Context, Hit, Input, NoOptions, Tag, rule
from dockready.secrets import (
    mask,
    mask_dsn,
    secret_file_name,
    secret_kind,
    secret_name,
    setting_secret,
)

#: Build args that carry credentials for private modules, whatever their value.
_TOKEN_ARGS = frozenset(
    {
        "NETRC",
        "GIT_CREDENTIALS",
        "SSH_KEY",
        "SSH_PRIVATE_KEY",
        "ID_RSA",
        "GOAUTH",
        "GIT_AUTH",
        "DEPLOY_KEY",
    }
)


def _token_arg(name: str) -> bool:
    return name.upper() in _TOKEN_ARGS or secret_name(name)


def _raw_env(st: Stage) -> dict[str, tuple[str, Span]]:
    """The ENV pairs written in this stage, raw (before substitution), last wins."""
    out: dict[str, tuple[str, Span]] = {}
    for i in st.instructions:
        if i.cmd == "ENV":
            for k in range(0, len(i.value) - 1, 2):
                out[i.value[k]] = (i.value[k + 1], i.span)
    return out


def _references(raw: str, names: set[str]) -> str | None:
    for n in names:
        if f"${n}" in raw or f"${{{n}}}" in raw or f"${{{n}:" in raw:
            return n
    return None


def _arg_hits(st: Stage) -> Iterator[Hit]:
    insts = st.instructions
    for k, i in enumerate(insts):
        if i.cmd != "ARG":
            continue
        for item in i.value:
            name, eq, default = item.partition("=")
            name = name.strip()
            if eq:
                kind = secret_kind(name, default)
                if kind is not None:
                    yield Hit(
                        i.span,
                        f"ARG {name} has a secret default ({mask(default)}, {kind}): it is in "
                        "the Dockerfile and the image history; use RUN --mount=type=secret",
                    )
                    continue
            if _token_arg(name) and any(j.cmd == "RUN" for j in insts[k + 1 :]):
                yield Hit(
                    i.span,
                    f"ARG {name} passes a credential as a build arg: its value is recorded in "
                    "the history of every RUN after it; use RUN --mount=type=secret",
                )


def _config_hits(ctx: Context[NoOptions]) -> Iterator[Hit]:
    """Secrets in the configuration files a service reads, when its image ships them."""
    for svc in ctx.index.services:
        for b in svc.builds:
            for cf in svc.configs:
                at = image_path(svc, b, cf.path)
                if at is None:
                    continue
                for e in cf.entries:
                    kind = setting_secret(e.key, e.value)
                    if kind is None:
                        continue
                    shown = mask(e.value)
                    if kind == "password in DSN":
                        shown = mask_dsn(e.value)
                    copy = copies_path(b, at)
                    related = (Related(copy.span, f"puts it in the image at {at}"),) if copy else ()
                    yield Hit(
                        e.span,
                        f"{'.'.join(e.key)} = {shown} ({kind}) in {cf.path}, which the "
                        f"service reads and {b.dockerfile.path} copies into the image: anyone "
                        "who can pull the image has it; inject it at run time (a Kubernetes "
                        "Secret, an environment variable) and keep a placeholder in the file",
                        related=related,
                        service=svc.name,
                    )


@rule(
    id="DR308",
    name="secret-in-image",
    severity=Severity.ERROR,
    reads=(Input.IMAGE,),
    tags=(Tag.SECURITY, Tag.SECRET),
)
def secret_in_image(ctx: Context[NoOptions]) -> Iterator[Hit]:
    """
    ## What it does
    Finds secrets put into an image or its build history, in every stage:
    - `ENV` with a secret-like name and a plausible literal value (`ENV
      DB_PASSWORD=hunter2`), or one that copies a build arg (`ENV TOKEN=$TOKEN`);
    - `ARG` with a secret-like name and a literal default;
    - `ARG` carrying a credential (a secret-like name such as `GITHUB_TOKEN`, or
      `NETRC`, `SSH_PRIVATE_KEY`...) even without a default, when a `RUN` follows it in
      the stage: build args are recorded in the image history of every `RUN`;
    - a credential in a configuration file the service reads (`configs/config.yaml`,
      `conf/app.ini`: a `password`/`secret`/`token` key with a literal value, a DSN
      with a password such as `root:s3cret@tcp(db:3306)/app`, a key or token of a
      known shape) when the final image holds that file where the code opens it. The
      finding is on the setting's line, the `COPY` is related; placeholders
      (`${DB_PASSWORD}`, `%s`, `changeme`) are not secrets;
    - `COPY`/`ADD` of `.env`, `.netrc`, `.npmrc`, `.git-credentials`,
      `credentials.json`, `id_rsa`-style keys, `*.key`/`*.p12`/`*.pfx`/`*.jks`, and
      `*.pem` unless its name says it is a certificate (`ca.pem`, `cert.pem`).

    Values are never printed: messages show a masked prefix. Placeholders
    (`changeme`, `${VAR}`, `<token>`) are not secrets. Builder stages are included:
    their layers live in the build cache and in any exported cache.

    ## Why is this bad?
    `ENV` is part of the image config (`docker inspect` shows it to anyone who can
    pull); `ARG` values appear in `docker history`; a copied file stays in its layer
    even if a later `RUN rm` deletes it. Registries, caches and every node that
    pulled the image keep a copy.

    ## Example
    ```dockerfile
    ARG GITHUB_TOKEN
    RUN git config --global url."https://${GITHUB_TOKEN}@github.com/".insteadOf "https://github.com/"
    COPY .netrc /root/.netrc
    ENV DB_PASSWORD=hunter2
    ```

    ## Use instead
    ```dockerfile
    # docker build --secret id=netrc,src=$HOME/.netrc .
    RUN --mount=type=secret,id=netrc,target=/root/.netrc go mod download
    ```
    and give runtime secrets to the container (Kubernetes `secretKeyRef`), not the
    image.

    ## Fix safety
    Rotate the secret: it is already in every pushed image and cache.

    ## References
    - [Docker: build secrets](https://docs.docker.com/build/building/secrets/)
    - [Hadolint DL3044 / Docker build checks SecretsUsedInArgOrEnv](https://docs.docker.com/reference/build-checks/secrets-used-in-arg-or-env/)
    """
    ix = ctx.index
    for df in ix.dockerfiles:
        for st in df.stages:
            args = {n for n, _ in st.args} | {n for n, _ in df.global_args}
            for name, (raw, span) in _raw_env(st).items():
                value = st.getenv(name) or raw
                kind = secret_kind(name, value)
                ref = _references(raw, args) if secret_name(name) else None
                if kind is not None and ref is None:
                    yield Hit(
                        span,
                        f"ENV {name}={mask(value)} ({kind}) is stored in the image config; "
                        "pass it at run time (a Kubernetes Secret) instead",
                    )
                elif ref is not None:
                    yield Hit(
                        span,
                        f"ENV {name} copies build arg {ref} into the image config; use "
                        "RUN --mount=type=secret for build-time secrets",
                    )
            yield from _arg_hits(st)
            for c in st.copies:
                bad = [s for s in c.sources if secret_file_name(s)]
                if bad:
                    verb = "ADD" if c.is_add else "COPY"
                    yield Hit(
                        c.span,
                        f"{verb} of {', '.join(bad)} puts a secrets file into an image layer "
                        "(a later rm does not remove it); use RUN --mount=type=secret",
                    )
    yield from _config_hits(ctx)
