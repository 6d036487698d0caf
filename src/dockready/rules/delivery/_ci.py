"""What the chapter 5 rules ask of CI jobs: the Go builds they run, the caches they
keep, and the deploys they push."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable, Mapping

from dockready.facts.delivery import CICommand, CIJob, CIStep
from dockready.facts.docker import Makefile, MakeTarget

#: ``go`` subcommands that compile (and so fill the build and module caches).
GO_BUILDS = frozenset({"build", "test", "install"})
#: A cache path that may hold Go's caches (``~/go/pkg/mod``, ``.cache/go-build``,
#: ``$GOCACHE``; a variable may be anything).
_GO_PATH = re.compile(r"go|pkg/mod|\$", re.I)
_MAJOR = re.compile(r"^v(\d+)")


def go_builds(step: CIStep) -> list[CICommand]:
    """The step's ``go build``/``go test``/``go install`` of the repository's packages
    (``go install tool@version`` installs a tool, not the code)."""
    out = []
    for c in step.commands:
        if c.program != "go" or len(c.words) < 2 or c.words[1] not in GO_BUILDS:
            continue
        targets = [w for w in c.words[2:] if not w.startswith("-")]
        if c.words[1] == "install" and targets and all("@" in t for t in targets):
            continue
        out.append(c)
    return out


_MAKE_VAR = re.compile(r"\$[({]([A-Za-z_][A-Za-z0-9_]*)[)}]")
_GO_IN_RECIPE = re.compile(r"(?:^|[\s;&|(])go\s+(build|test|install)\b([^;&|]*)")
_MAKE_IN_RECIPE = re.compile(r"(?:^|[\s;&|(])(?:make|\$[({]MAKE[)}])\s+([A-Za-z0-9_./-][^;&|]*)")


def made_go_builds(step: CIStep, makefiles: Mapping[str, Makefile]) -> list[tuple[CICommand, str]]:
    """The step's ``make <goal>`` commands whose goal (or a prerequisite, or a
    ``$(MAKE) <goal>`` of its recipe) runs ``go build``/``go test``/``go install`` of
    the code, with the ``go`` subcommand. Only a plain ``make`` run in the folder the
    step starts in (no ``cd`` before it, no ``-C``/``-f``) is followed."""
    out: list[tuple[CICommand, str]] = []
    for c in step.commands:
        if c.program in ("cd", "pushd", "popd"):
            break
        if c.program not in ("make", "gmake") or step.cwd is None:
            continue
        args = c.words[1:]
        if any(a.startswith("-") and a not in ("-s", "-k") for a in args):
            continue
        mf = _makefile_in(makefiles, step.cwd)
        if mf is None:
            continue
        goals = [a for a in args if "=" not in a and not a.startswith("-")]
        start = [mf.target(g) for g in goals] if goals else [mf.default]
        sub = _runs_go(mf, [t for t in start if t is not None])
        if sub is not None:
            out.append((c, sub))
    return out


def _makefile_in(makefiles: Mapping[str, Makefile], d: str) -> Makefile | None:
    for name in ("GNUmakefile", "makefile", "Makefile"):
        mf = makefiles.get(name if d in (".", "") else posixpath.join(d, name))
        if mf is not None:
            return mf
    return None


def _runs_go(mf: Makefile, start: Iterable[MakeTarget]) -> str | None:
    variables = dict(mf.variables)
    todo = list(start)
    seen: set[str] = set()
    while todo and len(seen) < 50:
        t = todo.pop()
        if t.name in seen:
            continue
        seen.add(t.name)
        for line in t.recipe:
            text = _MAKE_VAR.sub(lambda m: variables.get(m.group(1), m.group(0)), line)
            for m in _GO_IN_RECIPE.finditer(text):
                rest = m.group(2).split()
                targets = [w for w in rest if not w.startswith("-")]
                if m.group(1) == "install" and targets and all("@" in w for w in targets):
                    continue
                return m.group(1)
            for m in _MAKE_IN_RECIPE.finditer(text):
                for goal in m.group(1).split():
                    nxt = mf.target(goal)
                    if nxt is not None:
                        todo.append(nxt)
        todo += [p for name in t.prerequisites if (p := mf.target(name)) is not None]
    return None


def go_cache_path(path: str) -> bool:
    return path == "?" or bool(_GO_PATH.search(path))


def github_go_cache(job: CIJob) -> tuple[bool, str]:
    """Does a step of the GitHub job keep Go's caches (or may it: an action we cannot
    read)? With the reason when it does not, for the message."""
    why = "no step restores a Go cache"
    for s in job.steps:
        action = s.action
        if not action or action.startswith("docker://"):
            continue
        if action == "actions/setup-go":
            wanted = (s.input("cache") or "").strip().lower()
            m = _MAJOR.match(s.ref)
            if m is None:
                return True, ""  # a commit or a branch: its default is not known
            if int(m.group(1)) >= 4:
                if wanted != "false":
                    return True, ""
                why = f"{s.uses} has `cache: false`"
            elif wanted == "true":
                return True, ""
            else:
                why = (
                    f"{s.uses} caches only with `cache: true`"
                    if int(m.group(1)) == 3
                    else f"{s.uses} does not cache"
                )
            continue
        if action.startswith("./"):
            return True, ""  # a local action: it may set up a cache
        if action in ("actions/cache", "actions/cache/restore"):
            path = s.input("path")
            if path is None or any(go_cache_path(p) for p in path.split()):
                return True, ""
            continue
        name = action.split("/", 1)[-1].lower()
        if "cache" in name or "go" in name:
            return True, ""  # another action that may cache Go (setup-go-faster...)
    return False, why


def gitlab_go_cache(job: CIJob) -> bool | None:
    """Does the GitLab job cache Go (True), certainly not (False), or is it unknown
    (None: Go's caches set to a folder outside the project, which a runner may keep)?"""
    if any(go_cache_path(p) for p in job.caches):
        return True
    for var in ("GOPATH", "GOMODCACHE", "GOCACHE"):
        v = job.variable(var)
        inside = v is None or v.startswith(("$CI_PROJECT_DIR", "${CI_PROJECT_DIR}"))
        if not inside and v is not None and v.startswith(("/", "$", "~")):
            return None
    return False


#: Programs that make a throwaway cluster inside the job (an end-to-end test).
_LOCAL_CLUSTERS = frozenset({"kind", "minikube", "k3d", "k3s", "microk8s", "kwok", "ctlptl"})


def local_cluster(job: CIJob) -> bool:
    if any(c.program in _LOCAL_CLUSTERS for c in job.commands):
        return True
    return any(any(k in s.action.lower() for k in _LOCAL_CLUSTERS) for s in job.steps if s.action)


#: Actions that deploy to a cluster.
_DEPLOY_ACTIONS = frozenset({"azure/k8s-deploy"})


def deploy_command(step: CIStep) -> tuple[CICommand, str] | None:
    """The first command of the step that changes a cluster from CI, with what it is
    (``kubectl apply``): ``kubectl apply``/``replace``/``create -f``/``set image``,
    ``helm upgrade``/``install``, ``skaffold run``/``deploy``, ``kapp deploy``; a dry
    run is none."""
    for c in step.commands:
        w = c.words
        if any(x.startswith("--dry-run") for x in w) or len(w) < 2:
            continue
        sub = [x for x in w[1:] if not x.startswith("-")]
        verb = sub[0] if sub else ""
        if c.program == "kubectl":
            # the verb may follow a flag's value (kubectl -n prod apply -f k8s/)
            head = sub[:3]
            files = any(x in ("-f", "-k") or x.startswith(("-f=", "--filename", "-k=")) for x in w)
            for v in ("apply", "replace", "create"):
                if v in head and (v != "create" or files):
                    return c, f"kubectl {v}"
            if any(head[i : i + 2] == ["set", "image"] for i in range(len(head))):
                return c, "kubectl set image"
            continue
        if (
            (c.program == "helm" and verb in ("upgrade", "install"))
            or (c.program == "skaffold" and verb in ("run", "deploy"))
            or (c.program == "kapp" and verb == "deploy")
        ):
            return c, f"{c.program} {verb}"
    return None


def deploy_action(step: CIStep) -> bool:
    return step.action.lower() in _DEPLOY_ACTIONS
