"""DR412 writable-config-mount: config and secret volumes mounted without readOnly: true."""

from __future__ import annotations

from collections.abc import Iterator

from dockready.facts.derived.pod import containers
from dockready.model import Related, Severity
from dockready.rules.registry import Context, Hit, Input, NoOptions, rule

_CONFIG_VOLUMES = frozenset({"configMap", "secret", "projected"})


@rule(
    id="DR412",
    name="writable-config-mount",
    severity=Severity.WARNING,
    reads=(Input.K8S,),
)
def writable_config_mount(ctx: Context[NoOptions]) -> Iterator[Hit]:
    """
    ## What it does
    Finds `volumeMounts` of a `configMap`, `secret` or `projected` volume without
    `readOnly: true`. The finding is on the mount; the volume is related.

    Kubernetes has served these volumes read-only since 1.9-era releases whatever
    the mount says, so this is not a writable-config hole on a current cluster; it
    stays a warning because the seed's checklist asks for the explicit flag: it
    documents the intent, keeps policy engines (Pod Security admission add-ons,
    Kyverno, Gatekeeper) quiet and is the same on runtimes that differ.

    ## Why is this bad?
    Configuration and credentials should be immutable inside the container: code that
    tries to rewrite them gets a surprise at runtime, and manifests that do not say
    `readOnly` are flagged by every hardening review.

    ## Example
    ```yaml
    volumeMounts:
      - name: config
        mountPath: /etc/orderservice
    ```

    ## Use instead
    ```yaml
    volumeMounts:
      - name: config
        mountPath: /etc/orderservice
        readOnly: true
    ```

    ## Fix safety
    Safe: the kubelet mounts these volumes read-only anyway.

    ## References
    - [Kubernetes: ConfigMap volumes](https://kubernetes.io/docs/concepts/configuration/configmap/#using-configmaps-as-files-from-a-pod)
    - [Kubernetes: Secret volumes](https://kubernetes.io/docs/concepts/configuration/secret/#using-secrets-as-files-from-a-pod)
    """
    ix = ctx.index
    for w in ix.workloads:
        for c in containers(w):
            for m in c.mounts:
                v = w.volume(m.name)
                if v is None or v.kind not in _CONFIG_VOLUMES or m.read_only:
                    continue
                yield Hit(
                    m.span,
                    f"{v.kind} volume {v.name} is mounted at {m.mount_path} in container "
                    f"{c.name} without readOnly: true",
                    related=(Related(v.span, f"{v.kind} volume {v.name}"),),
                )
