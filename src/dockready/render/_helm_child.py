"""Child process that renders charts with helm-python-sdk (see ``render.helm``).

Reads ``[{"dir", "name", "values": [files]}]`` as JSON on stdin; writes one answer
per chart, ``{"templates": {path: text}}`` or ``{"error": message}``, as JSON."""

from __future__ import annotations

import json
import sys
from typing import Any

import yaml


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """Helm's ``-f`` merge: maps merge key by key, anything else is replaced."""
    out = dict(base)
    for k, v in over.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = _merge(out[k], v)
        else:
            out[k] = v
    return out


def _one(req: dict[str, Any]) -> dict[str, Any]:
    from helm_python.chart import Chart  # type: ignore[import-not-found,unused-ignore]

    values: dict[str, Any] = {}
    for f in req["values"]:
        with open(f, encoding="utf-8") as fh:
            data = yaml.safe_load(fh) or {}
        if not isinstance(data, dict):
            return {"error": f"{f}: values file is not a mapping"}
        values = _merge(values, data)
    chart = Chart.load(req["dir"])
    templates = chart.render(values or None, name=req["name"], namespace="default")
    return {"templates": templates}


def main() -> None:
    requests = json.load(sys.stdin)
    answers = []
    for req in requests:
        try:
            answers.append(_one(req))
        except Exception as e:  # one chart's failure is that chart's notice
            msg = " ".join(str(e).split())[:300] or type(e).__name__
            answers.append({"error": msg})
    json.dump(answers, sys.stdout)


if __name__ == "__main__":
    main()
