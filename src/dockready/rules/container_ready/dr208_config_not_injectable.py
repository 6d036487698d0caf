"""DR208 config-not-injectable: settings only from a committed file, no env override."""

from __future__ import annotations

import re
from collections.abc import Iterator

from dockready.facts.config import ConfigEntry, ConfigFile
from dockready.facts.derived.config import image_path
from dockready.facts.derived.envreads import BULK_CALLS, READ_CALLS, dotenv_loads, incomplete
from dockready.facts.derived.image import covers
from dockready.facts.derived.runtime import runtimes
from dockready.facts.index import ProjectIndex, Service
from dockready.model import Related, Severity
from dockready.rules.registry import Context, Hit, Input, NoOptions, rule

#: Imports through which a deployment can point the service at another file or
#: override a setting without the environment: command-line flags.
_FLAG_LIBS = (
    "flag",
    "github.com/spf13/pflag",
    "github.com/spf13/cobra",
    "github.com/urfave/cli",
    "github.com/alecthomas/kingpin",
    "gopkg.in/alecthomas/kingpin",
    "github.com/alecthomas/kong",
    "github.com/jessevdk/go-flags",
)
_SECRET_KEY = re.compile(r"(?i)(password|passwd|secret|token|api_?key|private_?key)$")
_HOST_KEY = re.compile(r"(?i)(host|addr|address|url|uri|dsn|endpoint|server|broker)s?$")
_LOCAL_HOST = re.compile(
    r"(?i)^(?:[a-z][a-z0-9+.-]*://)?(?:[^@/\s]*@)?"
    r"(localhost|127\.0\.0\.1|0\.0\.0\.0|(?:\d{1,3}\.){3}\d{1,3}|[a-z0-9-]+(?:\.[a-z0-9-]+)+)"
    r"(?::\d+)?(?:[/?].*)?$"
)
_PLACEHOLDER = re.compile(r"^\$\{?\w+\}?$|^<.*>$|^changeme$|^xxx+$", re.I)


def _env_specific(e: ConfigEntry) -> str | None:
    """How an entry is specific to one environment: a credential, or a host a
    deployment must change; None when it is not."""
    last = e.key[-1] if e.key else ""
    v = e.value.strip()
    if not v or _PLACEHOLDER.match(v):
        return None
    if _SECRET_KEY.search(last):
        return f"the credential {'.'.join(e.key)}"
    if _HOST_KEY.search(last) and _LOCAL_HOST.match(v):
        return f"{'.'.join(e.key)}: {v}"
    return None


def _overridable(svc: Service) -> bool:
    """Can a deployment change a setting without rebuilding the image: any read of
    the environment, a flag library, or a dotenv file?"""
    if incomplete(svc) is not None or dotenv_loads(svc):
        return True
    for g in svc.files:
        if any(c.callee in READ_CALLS or c.callee in BULK_CALLS for c in g.calls):
            return True
        if any(i.path in _FLAG_LIBS or i.path.startswith(_FLAG_LIBS[3:]) for i in g.imports):
            return True
    return False


def _mounted(ix: ProjectIndex, svc: Service, f: ConfigFile) -> bool:
    """Does a workload or compose service of the service put its own file there?"""
    for rt in runtimes(ix, svc):
        if rt.build is None:
            mounts_any = (rt.deployment is not None and rt.deployment.container.mounts) or (
                rt.compose is not None and (rt.compose.binds or rt.compose.writable)
            )
            if mounts_any:
                return True  # where the file lands is unknown without the image
            continue
        full = image_path(svc, rt.build, f.path)
        if full is None:
            continue
        targets: list[str] = []
        if rt.deployment is not None:
            targets += [m.mount_path for m in rt.deployment.container.mounts]
        if rt.compose is not None:
            targets += [b.target for b in rt.compose.binds] + list(rt.compose.writable)
        if any(covers(t, full) for t in targets):
            return True
    return False


@rule(
    id="DR208",
    name="config-not-injectable",
    severity=Severity.WARNING,
    reads=(Input.CODE,),
)
def config_not_injectable(ctx: Context[NoOptions]) -> Iterator[Hit]:
    """
    ## What it does
    Finds a service that takes its settings only from a configuration file committed
    with the code, when that file holds values that differ between environments (a
    database host such as `localhost:5432`, an address, a password), and nothing can
    override them: the code reads no environment variable and takes no command-line
    flag. The finding is on the first such value; the service's `main` is related.

    Decisions, for certainty:
    - The files are those the code names (`facts/derived/config.py`: viper's
      `SetConfigName`/`AddConfigPath`, `os.ReadFile("config.yaml")`, go-ini...).
    - Any way to inject a setting clears the service: an `os.Getenv`/`LookupEnv`/
      `os.Environ`/`os.ExpandEnv` anywhere in its code, an environment-binding
      library (envconfig, viper `AutomaticEnv`...), a dotenv file, a flag library
      (`flag`, pflag, cobra, urfave/cli, kingpin...), or a workload or compose
      service that mounts its own file where the code reads it.
    - An environment-specific value is a credential (`password`, `secret`,
      `token`, `api_key`: never shown) that is not a placeholder (`${DB_PASS}`,
      `<password>`), or a key named like an address (`host`, `addr`, `url`, `dsn`,
      `endpoint`...) whose value is a host name, an IP or a URL.

    ## Why is this bad?
    The same image must run in every environment, each giving its own settings
    (seed 2.3: environment, then file, then default). With the database host and
    password baked into `config.yaml`, every environment needs its own image or a
    file mounted over the committed one, and production credentials end up in the
    repository.

    ## Example
    ```yaml
    # configs/config.yaml
    database:
      host: localhost:5432
      password: s3cret
    ```
    ```go
    viper.SetConfigName("config")
    viper.AddConfigPath("configs")
    ```

    ## Use instead
    ```go
    viper.SetConfigName("config")
    viper.AddConfigPath("configs")
    viper.SetEnvPrefix("ORDERS")
    viper.AutomaticEnv() // ORDERS_DATABASE_HOST overrides database.host
    ```

    ## Fix safety
    Adding an environment override keeps the file's values as defaults; move the
    credentials out of the file into a Secret.

    ## References
    - [The twelve-factor app: config](https://12factor.net/config)
    - [Kubernetes: ConfigMaps](https://kubernetes.io/docs/concepts/configuration/configmap/)
    """
    ix = ctx.index
    for svc in ix.services:
        if svc.main is None or not svc.configs or _overridable(svc):
            continue
        for f in svc.configs:
            if _mounted(ix, svc, f):
                continue
            found = [(e, why) for e in f.entries if (why := _env_specific(e)) is not None]
            if not found:
                continue
            e, why = found[0]
            more = f" (and {len(found) - 1} more)" if len(found) > 1 else ""
            related = tuple(
                Related(fn.span, f"main of {svc.name}")
                for g in svc.main.files
                for fn in g.funcs
                if fn.name == "main"
            )[:1]
            yield Hit(
                e.span,
                f"{svc.name} takes its settings only from {f.path}, which holds {why}{more}, "
                "and nothing can override them (no environment variable, no flag): every "
                "environment needs its own image; let the environment override the file "
                "(e.g. viper AutomaticEnv, os.Getenv)",
                related=related,
                service=svc.name,
            )
            break
