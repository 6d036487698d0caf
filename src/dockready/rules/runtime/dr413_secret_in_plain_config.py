"""DR413 secret-in-plain-config: secret-like values in ConfigMaps, env and compose environment."""

from __future__ import annotations

from collections.abc import Iterator

from dockready.facts.derived.pod import containers
from dockready.facts.k8s import EnvVar
from dockready.model import Severity
from dockready.rules.registry import Context, Hit, Input, NoOptions, Tag, rule
from dockready.secrets import mask, secret_kind

_COMMENT_PREFIXES = ("#", "//", ";", "--")


def _embedded_secret(text: str) -> tuple[str, str, str] | None:
    """In a config file held by a ConfigMap entry (``app.yaml: |``, ``.properties``,
    ``.env``), the first ``key: value`` / ``key=value`` line whose value is
    secret-like: ``(key, kind, value)``."""
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith(_COMMENT_PREFIXES):
            continue
        cuts = [(i, len(sep)) for sep in (": ", "=") if (i := line.find(sep)) > 0]
        if not cuts:
            continue
        cut, width = min(cuts)
        key = line[:cut].strip().strip("\"'").removeprefix("export ").strip()
        value = line[cut + width :].strip().strip("\"'")
        if " " in key or not value:
            continue
        kind = secret_kind(key, value)
        if kind is not None:
            return key, kind, value
    return None


def _env_secret(e: EnvVar) -> str | None:
    if e.source is not None or not e.value:
        return None
    return secret_kind(e.name, e.value)


@rule(
    id="DR413",
    name="secret-in-plain-config",
    severity=Severity.ERROR,
    reads=(Input.K8S, Input.COMPOSE),
    tags=(Tag.SECURITY, Tag.SECRET),
)
def secret_in_plain_config(ctx: Context[NoOptions]) -> Iterator[Hit]:
    """
    ## What it does
    Finds secret-like values in configuration that is not a Secret: ConfigMap
    `data` entries (and, in an entry that holds a config file, its `key: value` /
    `key=value` lines), literal `env` values of Kubernetes containers (init
    containers included) and compose `environment:` values. A value is secret-like
    when its name says so (`DB_PASSWORD`, `apiKey`, `client_secret`...) and it is not
    a placeholder or a reference (`${VAR}`, `changeme`, `<token>`), or when its shape
    is a key or token whatever its name (private keys, AWS/GitHub/Slack/Stripe keys,
    passwords in URLs). Values are never printed: the message shows a masked prefix.
    Kubernetes Secrets themselves are fine here.

    ## Why is this bad?
    ConfigMaps and pod specs are readable by anyone who can read the namespace's
    configuration (and are printed by `kubectl describe`), live unencrypted in etcd,
    and are committed to Git as plain YAML. Secrets get separate RBAC, encryption at
    rest and integrations with external stores (seed 4.4).

    ## Example
    ```yaml
    kind: ConfigMap
    data:
      DB_PASSWORD: hunter2
    ```

    ## Use instead
    ```yaml
    env:
      - name: DB_PASSWORD
        valueFrom:
          secretKeyRef:
            name: orderservice-db
            key: password
    ```
    with the Secret created by an external secret manager, not committed.

    ## Fix safety
    Rotate the leaked value: it is in the Git history.

    ## References
    - [Kubernetes: Secrets](https://kubernetes.io/docs/concepts/configuration/secret/)
    - [Good practices for Kubernetes Secrets](https://kubernetes.io/docs/concepts/security/secrets-good-practices/)
    """
    ix = ctx.index
    for cm in ix.configmaps:
        if cm.secret:
            continue
        for d in cm.data:
            kind = secret_kind(d.key, d.value)
            if kind is not None:
                yield Hit(
                    d.span,
                    f"ConfigMap {cm.name}: {d.key} holds a {kind} ({mask(d.value)}); "
                    "put it in a Secret",
                )
            elif "\n" in d.value.strip():
                found = _embedded_secret(d.value)
                if found is not None:
                    key, kind, value = found
                    yield Hit(
                        d.span,
                        f"ConfigMap {cm.name}: the file {d.key} sets {key} to a {kind} "
                        f"({mask(value)}); put it in a Secret",
                    )
    for w in ix.workloads:
        for c in containers(w):
            for e in c.env:
                kind = _env_secret(e)
                if kind is not None:
                    yield Hit(
                        e.span,
                        f"env {e.name} of container {c.name} is a literal {kind} "
                        f"({mask(e.value or '')}); use valueFrom.secretKeyRef",
                    )
    for s in ix.compose_services:
        for e in s.environment:
            kind = _env_secret(e)
            if kind is not None:
                yield Hit(
                    e.span,
                    f"compose service {s.name}: environment {e.name} is a literal {kind} "
                    f"({mask(e.value or '')}); use compose secrets or an untracked env file",
                )
