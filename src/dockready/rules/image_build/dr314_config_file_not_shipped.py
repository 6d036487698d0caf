"""DR314 config-file-not-shipped: a config file the code opens is not in the image."""

from __future__ import annotations

import posixpath
from collections.abc import Iterator

from dockready.facts.derived.files import config_opens
from dockready.facts.derived.image import copies_path, covers
from dockready.facts.go import Call
from dockready.facts.index import Service
from dockready.model import Related, Severity
from dockready.rules.registry import Context, Hit, Input, NoOptions, rule


def _short_callee(c: Call) -> str:
    """``os.ReadFile``, ``viper.ReadInConfig``, ``v.SetConfigFile``."""
    if c.callee.startswith("."):
        return f"{c.receiver}{c.callee}"
    pkg = c.package.rsplit("/", 1)[-1].split(".", 1)[0]
    return f"{pkg}.{c.name}"


def _mounted(svc: Service, path: str) -> bool:
    """A workload's volumeMount, or a compose bind or volume, puts something there."""
    for dep in svc.deployments:
        if any(covers(m.mount_path, path) for m in dep.container.mounts):
            return True
    for cs in svc.compose:
        targets = [b.target for b in cs.binds] + list(cs.writable)
        if any(covers(t, path) for t in targets):
            return True
    return False


@rule(
    id="DR314",
    name="config-file-not-shipped",
    severity=Severity.ERROR,
    reads=(Input.IMAGE,),
)
def config_file_not_shipped(ctx: Context[NoOptions]) -> Iterator[Hit]:
    """
    ## What it does
    Finds a service whose code opens a configuration file at a fixed path
    (`os.ReadFile("config.yaml")`, `os.Open("/etc/orders/config.yaml")`,
    `viper.SetConfigFile`, viper `SetConfigName` + `AddConfigPath` +
    `ReadInConfig`, `toml.DecodeFile`, `cleanenv.ReadConfig`, `ini.Load`, koanf
    `file.Provider`, and `godotenv.Load()` when a missing `.env` is fatal: a
    `log.Fatal`/`os.Exit` right after it) that the final image does not contain and no Kubernetes
    workload running the service mounts. The finding is on the final `FROM` of the
    service's Dockerfile (where the fix usually goes); the Go call is the related
    location.

    Decisions, for precision: only string-literal paths (constants included) with a
    configuration extension (`.yaml`, `.yml`, `.json`, `.toml`, `.ini`, `.conf`,
    `.cfg`, `.properties`, `.hcl`); a path built from an environment variable or a
    flag is skipped (the deployment can point it elsewhere), and so is viper when the
    file also calls `AutomaticEnv`/`BindEnv`/`SetEnvPrefix` (settings can come from
    the environment). System files (`/etc/*.conf`, `/proc`, `/usr`...) are not
    configuration. A relative path is resolved against the final stage's `WORKDIR`.
    A path counts as shipped when a `COPY` of the final image writes it or a
    directory holding it, and as mounted when a `volumeMount` of a workload running
    the service is the path or one of its parents, or when a compose service running
    it binds or mounts a volume there.

    ## Why is this bad?
    The service builds and passes its tests on a laptop where `config.yaml` sits next
    to the code, then exits at start-up in the container (`open config.yaml: no such
    file or directory`): a crash loop on the first deployment.

    ## Example
    ```go
    data, err := os.ReadFile("config.yaml")
    ```
    ```dockerfile
    FROM gcr.io/distroless/static-debian12:nonroot
    COPY --from=build /app /app
    ENTRYPOINT ["/app"]
    ```

    ## Use instead
    Ship it, or (better for settings that differ per environment) mount it from a
    ConfigMap:
    ```dockerfile
    WORKDIR /
    COPY config.yaml /config.yaml
    ```
    ```yaml
    volumeMounts:
      - {name: config, mountPath: /etc/orders}
    ```
    and read the path from the environment: `os.Getenv("ORDERS_CONFIG")`.

    ## Fix safety
    Check which file each environment needs before baking one into the image.

    ## References
    - [Kubernetes: configure a pod to use a ConfigMap](https://kubernetes.io/docs/tasks/configure-pod-container/configure-pod-configmap/#add-configmap-data-to-a-volume)
    - [The twelve-factor app: config](https://12factor.net/config)
    """
    ix = ctx.index
    for svc in ix.services:
        if not svc.builds:
            continue
        opens = [(c, paths, shown) for g in svc.files for c, paths, shown in config_opens(g)]
        if not opens:
            continue
        for b in svc.builds:
            workdir = b.final.workdir or "/"
            done: set[str] = set()
            for call, paths, shown in opens:
                full = tuple(posixpath.normpath(posixpath.join(workdir, p)) for p in paths)
                if shown in done:
                    continue
                if copies_path(b, *full) is not None or any(_mounted(svc, p) for p in full):
                    continue
                done.add(shown)
                dirs = dict.fromkeys(posixpath.dirname(p) for p in full)
                where = full[0] if len(full) == 1 else ", ".join(dirs)
                at = "" if where == shown else f" ({where} in the container)"
                mounted = " and no workload mounts" if svc.deployments else ""
                yield Hit(
                    b.final.span,
                    f"the code reads {shown}{at}, which the final image does not "
                    f"contain{mounted}: the service fails at start-up; COPY it or mount it "
                    "from a ConfigMap",
                    related=(Related(call.span, f"{_short_callee(call)} reads {shown}"),),
                )
