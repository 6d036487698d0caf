"""Inline suppressions: the comment grammar per language, annotations, and matching."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path
from textwrap import dedent

from conftest import run_check

from dockready.model import Finding, Severity, Span
from dockready.parse.yamlfiles import parse_yaml
from dockready.suppress import (
    END,
    LINE,
    WORKLOAD,
    Problem,
    Suppression,
    apply,
    object_starts,
    scan,
    scan_all,
    scan_problems,
    workload_scan,
    workload_suppressions,
)

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "orderservice"


def finding(rule_id: str, path: str, line: int, message: str = "msg") -> Finding:
    return Finding(rule_id, "name", Severity.WARNING, message, Span(path, line, 1), 3)


def covered(sups: list[Suppression]) -> list[tuple[tuple[str, ...], int, int]]:
    return [(s.ids, s.first, s.last) for s in sups]


# --------------------------------------------------------------------------- Dockerfile


def test_dockerfile_own_line_applies_to_next_line_and_trailing_to_its_own() -> None:
    text = dedent("""\
        FROM golang:1.22 AS build
        # dockready: ignore=DR302,DR304 the platform team's base sets USER
        FROM alpine:latest
        CMD /app # dockready: ignore=DR305 wrapper script traps signals
        """)
    sups = scan("Dockerfile", text, "dockerfile")
    assert covered(sups) == [(("DR302", "DR304"), 3, 3), (("DR305",), 4, 4)]
    assert sups[0].span == Span("Dockerfile", 2, 1)
    assert sups[0].reason == "the platform team's base sets USER"
    assert sups[0].scope == LINE
    assert sups[1].span == Span("Dockerfile", 4, 10)
    assert sups[1].reason == "wrapper script traps signals"


def test_dockerfile_compact_form_case_and_separators() -> None:
    text = dedent("""\
        #dockready:ignore=DR304
        FROM alpine:3.20
        # dockready: IGNORE = dr305, DR306 -- legacy entrypoint
        CMD /app
        # dockready: ignore DR308
        ENV A=b
        """)
    sups = scan("Dockerfile", text, "dockerfile")
    # a directive in the leading comments also covers line 1 (whole-file findings)
    assert covered(sups) == [(("DR304",), 1, 2), (("DR305", "DR306"), 4, 4), (("DR308",), 6, 6)]
    assert sups[0].reason == ""
    assert sups[1].reason == "legacy entrypoint"


def test_dockerfile_stacked_directives_skip_comment_lines_not_blank_lines() -> None:
    text = dedent("""\
        # dockready: ignore=DR302 pinned by renovate
        # a note in between
        # dockready: ignore=DR304
        FROM alpine:latest
        # dockready: ignore=DR305

        CMD /app
        """)
    assert covered(scan("Dockerfile", text, "dockerfile")) == [
        (("DR302",), 1, 4),  # leading comments: from line 1
        (("DR304",), 1, 4),
        (("DR305",), 6, 6),  # the blank line: unused, so it gets reported
    ]


def test_dockerfile_directive_covers_the_whole_logical_instruction() -> None:
    text = dedent("""\
        FROM alpine:3.20
        # dockready: ignore=DR309
        RUN apk add --no-cache \\
            # a comment inside the continuation
            ca-certificates \\
            tzdata # dockready: ignore=DR310
        USER 10001
        """)
    assert covered(scan("Dockerfile", text, "dockerfile")) == [
        (("DR309",), 3, 6),
        (("DR310",), 3, 6),
    ]


def test_dockerfile_quoted_and_escaped_hash_and_heredocs_are_not_comments() -> None:
    text = dedent("""\
        FROM alpine:3.20
        RUN echo "# dockready: ignore=DR304" > /etc/motd
        RUN echo '#dockready:ignore=DR302' && grep -q dockready /etc/motd
        RUN echo \\# dockready: ignore=DR305
        RUN echo "dockready checks this" # build the motd
        RUN <<EOF
        # dockready: ignore=DR306
        echo done
        EOF
        COPY <<-"CONF" /etc/app.conf
        \t# dockready: ignore=DR307
        \tCONF
        # dockready: ignore=DR308 after the heredocs
        USER 10001
        """)
    sups, problems = scan_all("Dockerfile", text, "dockerfile")
    assert covered(sups) == [(("DR308",), 14, 14)]
    assert problems == []


def test_dockerfile_heredoc_is_one_instruction() -> None:
    text = dedent("""\
        # dockready: ignore=DR306
        RUN <<EOF
        apk add curl
        EOF
        """)
    assert covered(scan("Dockerfile", text, "dockerfile")) == [(("DR306",), 1, 4)]


def test_dockerfile_escape_directive() -> None:
    text = dedent("""\
        # escape=`
        FROM mcr.microsoft.com/windows/servercore
        # dockready: ignore=DR309
        RUN dir `
            c:\\
        USER app
        """)
    assert covered(scan("Dockerfile", text, "dockerfile")) == [(("DR309",), 4, 5)]


# --------------------------------------------------------------------------- YAML


def test_yaml_own_line_trailing_and_chained() -> None:
    text = dedent("""\
        apiVersion: apps/v1
        kind: Deployment
        spec:
          template:
            spec:
              containers:
                # dockready: ignore=DR401,DR405 sized by the VPA
                - name: api
                  image: registry.example.com/api:latest # dockready: ignore=DR414 dev only
                  ports:
                    - containerPort: 8080 # port # dockready: ignore=DR415
        """)
    sups = scan("k8s/app.yaml", text, "yaml")
    assert covered(sups) == [
        (("DR401", "DR405"), 8, 8),
        (("DR414",), 9, 9),
        (("DR415",), 11, 11),
    ]
    assert [s.reason for s in sups] == ["sized by the VPA", "dev only", ""]
    lines = text.splitlines()
    assert sups[1].span == Span("k8s/app.yaml", 9, lines[8].index("#") + 1)
    assert sups[2].span == Span("k8s/app.yaml", 11, lines[10].index("# dockready") + 1)


def test_yaml_quoted_scalars_and_block_scalars_are_not_comments() -> None:
    """What is text and what is a comment is the YAML parser's call: block scalar
    bodies and continued quoted scalars are text."""
    text = dedent("""\
        kind: ConfigMap
        data:
          a: "x # dockready: ignore=DR401"
          b: 'it''s # dockready: ignore=DR402'
          script: |
            # dockready: ignore=DR403
            echo hi
          long: "first line
            # dockready: ignore=DR406
            last line"
          c: it's fine # dockready: ignore=DR405
        args:
          - |
            # dockready: ignore=DR404
        """)
    sups, problems = scan_all("k8s/cm.yaml", text, "yaml")
    assert covered(sups) == [(("DR405",), 11, 11)]
    assert problems == []


def test_yaml_block_scalar_ends_at_a_shallower_line() -> None:
    text = dedent("""\
        containers:
          - command: >-
              run
            # dockready: ignore=DR401
            name: api
        """)
    assert covered(scan("k8s/x.yaml", text, "yaml")) == [(("DR401",), 5, 5)]


def test_yaml_annotation_text_is_not_a_comment() -> None:
    text = 'metadata:\n  annotations:\n    dockready.io/ignore: "DR401"\n'
    assert scan_all("k8s/x.yaml", text, "yaml") == ([], [])


# --------------------------------------------------------------------------- Go


def test_go_own_line_and_trailing() -> None:
    text = dedent("""\
        package main

        func main() {
        \t//dockready:ignore DR101 the CRM client sets a deadline on the context
        \tresp, err := http.Post(url, "application/json", body)
        \tlog.Fatal(http.ListenAndServe(":8080", nil)) //dockready:ignore DR102,DR214 behind envoy
        \t// dockready:ignore=DR103 spaced form
        \t// another comment
        \tconn, _ := grpc.Dial(addr)
        }
        """)
    sups = scan("cmd/api/main.go", text, "go")
    assert covered(sups) == [
        (("DR101",), 5, 5),
        (("DR102", "DR214"), 6, 6),
        (("DR103",), 9, 9),
    ]
    assert sups[0].span == Span("cmd/api/main.go", 4, 2)
    assert sups[0].reason == "the CRM client sets a deadline on the context"
    assert sups[1].reason == "behind envoy"
    assert sups[1].span.line == 6


def test_go_strings_raw_strings_and_block_comments_are_skipped() -> None:
    text = dedent("""\
        package main

        const a = "//dockready:ignore DR101"
        const r = '/'
        var b = `
        //dockready:ignore DR102
        `
        /* //dockready:ignore DR103 */
        /*
        //dockready:ignore DR104
        */
        var c = 1 // nolint //dockready:ignore DR105
        """)
    sups, problems = scan_all("x.go", text, "go")
    assert covered(sups) == [(("DR105",), 12, 12)]
    assert sups[0].span == Span("x.go", 12, 21)
    assert problems == []


def test_go_accepts_bytes_and_gomod() -> None:
    src = b'package main\n\n//dockready:ignore DR207 test fixture\nconst k = "s3cr3t"\n'
    assert covered(scan("a.go", src, "go")) == [(("DR207",), 4, 4)]
    mod = "module example.com/x\n\ngo 1.22 //dockready:ignore DR203\n"
    assert covered(scan("go.mod", mod, "gomod")) == [(("DR203",), 3, 3)]


# --------------------------------------------------------------------------- problems


def test_malformed_directives_are_problems_not_suppressions() -> None:
    text = dedent("""\
        # dockready: ignore
        # dockready: ignore=foo,DR30 oops
        # dockready: disable=DR304
        # dockready: ignore=DR304,DR3045 half right
        FROM alpine:latest
        """)
    sups, problems = scan_all("Dockerfile", text, "dockerfile")
    assert covered(sups) == [(("DR304",), 1, 5)]
    assert sups[0].reason == "half right"
    assert [(p.span.line, p.message) for p in problems] == [
        (
            1,
            "'dockready: ignore' names no rule id: a suppression must name the ids it "
            "silences, e.g. 'dockready: ignore=DR304 reason'",
        ),
        (2, "'foo' is not a rule id (expected DR and three digits)"),
        (2, "'DR30' is not a rule id (expected DR and three digits)"),
        (2, "suppression ignored: it names no valid rule id"),
        (3, "'dockready: disable' is not a dockready directive (expected 'dockready: ignore=DR…')"),
        (4, "'DR3045' is not a rule id (expected DR and three digits)"),
    ]
    assert scan_problems("Dockerfile", text, "dockerfile") == problems
    assert all(isinstance(p, Problem) and isinstance(p, tuple) for p in problems)


def test_known_ids_are_checked_when_given() -> None:
    text = "//dockready:ignore DR101,DR999\nx := 1\n"
    sups, problems = scan_all("a.go", text, "go", known={"DR101", "DR102"})
    assert covered(sups) == [(("DR101",), 2, 2)]
    assert problems == [Problem(Span("a.go", 1, 1), "DR999 is not a dockready rule")]


def test_comments_that_only_mention_dockready_are_ignored() -> None:
    text = dedent("""\
        # dockready checks this file
        # see dockready.io/ignore in the docs
        # we ran dockready: ignore it
        FROM alpine:3.20
        """)
    assert scan_all("Dockerfile", text, "dockerfile") == ([], [])


def test_files_without_dockready_cost_one_search() -> None:
    assert scan_all("Dockerfile", "FROM alpine\n" * 1000, "dockerfile") == ([], [])
    assert scan_all("a.go", b"package main\n", "go") == ([], [])
    assert scan_all("go.sum", "# dockready: ignore=DR101\nx\n", "gosum") == ([], [])


# --------------------------------------------------------------------------- apply


def test_apply_pairs_findings_and_reports_unused() -> None:
    text = dedent("""\
        # dockready: ignore=DR302 pinned elsewhere
        FROM alpine:latest
        # dockready: ignore=DR999
        USER root
        CMD /app # dockready: ignore=DR305,DR311
        """)
    sups = scan("Dockerfile", text, "dockerfile")
    f302 = finding("DR302", "Dockerfile", 2)
    f304 = finding("DR304", "Dockerfile", 2)  # wrong id: not suppressed
    f305 = finding("DR305", "Dockerfile", 5)
    f302_elsewhere = finding("DR302", "other/Dockerfile", 2)
    pairs, unused = apply([f302, f304, f305, f302_elsewhere], sups)
    assert pairs == [(f302, sups[0]), (f304, None), (f305, sups[2]), (f302_elsewhere, None)]
    # DR999 matched nothing; DR311 of the trailing one matched nothing
    assert unused == [sups[1], Suppression(sups[2].span, ("DR311",), "", LINE, 5, 5)]


def test_apply_marks_every_covering_suppression_used_and_prefers_line_scope() -> None:
    w = Suppression(Span("k.yaml", 2, 1), ("DR401",), "", WORKLOAD, 2, 20)
    line = Suppression(Span("k.yaml", 7, 9), ("DR401",), "vpa", LINE, 8, 8)
    f = finding("DR401", "k.yaml", 8)
    pairs, unused = apply([f], [w, line])
    assert pairs == [(f, line)]
    assert unused == []


def test_apply_with_nothing() -> None:
    assert apply([], []) == ([], [])
    f = finding("DR101", "a.go", 3)
    assert apply([f], []) == ([(f, None)], [])


# --------------------------------------------------------------------------- workloads

MANIFESTS = dedent("""\
    apiVersion: apps/v1
    kind: Deployment
    metadata:
      name: api
      annotations:
        dockready.io/ignore: "DR401, DR405"
        dockready.io/ignore-reason: sized by the VPA
    spec:
      template:
        spec:
          containers:
            - name: api
              image: registry.example.com/api:1.0
    ---
    apiVersion: apps/v1
    kind: Deployment
    metadata:
      name: worker
    spec:
      template:
        metadata:
          annotations:
            dockready.io/ignore: DR403
        spec:
          containers:
            - name: worker
              image: registry.example.com/worker:1.0
    ---
    apiVersion: v1
    kind: Service
    metadata:
      name: api
    spec:
      selector: {app: api}
      ports: [{port: 80}]
    """)


def test_workload_annotation_covers_its_document_only() -> None:
    m = parse_yaml("k8s/app.yaml", MANIFESTS)
    assert m is not None and m.error is None
    starts = object_starts([m])
    assert starts == {"k8s/app.yaml": [2, 16, 30]}
    sups, problems = workload_scan(m.workloads, starts)
    assert problems == []
    assert sups == [
        Suppression(
            Span("k8s/app.yaml", 2, 1), ("DR401", "DR405"), "sized by the VPA", WORKLOAD, 2, 15
        ),
        Suppression(Span("k8s/app.yaml", 16, 1), ("DR403",), "", WORKLOAD, 16, 29),
    ]
    api_401 = finding("DR401", "k8s/app.yaml", 12)
    worker_401 = finding("DR401", "k8s/app.yaml", 26)  # the next document: not covered
    worker_403 = finding("DR403", "k8s/app.yaml", 26)
    service_403 = finding("DR403", "k8s/app.yaml", 31)  # after the worker's range
    other_file = finding("DR401", "k8s/other.yaml", 12)
    pairs, unused = apply([api_401, worker_401, worker_403, service_403, other_file], sups)
    assert [s for _, s in pairs] == [sups[0], None, sups[1], None, None]
    assert unused == [Suppression(sups[0].span, ("DR405",), "sized by the VPA", WORKLOAD, 2, 15)]
    assert workload_suppressions(m.workloads, starts) == sups


def test_last_workload_runs_to_end_of_file_and_bad_annotations_are_problems() -> None:
    text = dedent("""\
        apiVersion: v1
        kind: Pod
        metadata:
          name: a
          annotations:
            dockready.io/ignore: "all"
        spec:
          containers: [{name: a, image: a:1}]
        ---
        apiVersion: v1
        kind: Pod
        metadata:
          name: b
          annotations:
            dockready.io/ignore: "DR401 dr402 nope"
        spec:
          containers: [{name: b, image: b:1}]
        """)
    m = parse_yaml("pods.yaml", text)
    assert m is not None and m.error is None
    sups, problems = workload_scan(m.workloads, object_starts([m]))
    assert covered(sups) == [(("DR401", "DR402"), 11, END)]
    assert [(p.span.line, p.message) for p in problems] == [
        (
            2,
            "annotation dockready.io/ignore: 'all' is not a rule id (expected DR and three digits)",
        ),
        (
            2,
            "annotation dockready.io/ignore on Pod a names no valid rule id: it suppresses "
            'nothing (expected e.g. "DR401,DR405")',
        ),
        (
            11,
            "annotation dockready.io/ignore: 'nope' is not a rule id (expected DR and three digits)",
        ),
    ]


# --------------------------------------------------------------------------- end to end


def test_end_to_end_on_the_example(tmp_path: Path) -> None:
    root = tmp_path / "orderservice"
    shutil.copytree(EXAMPLE, root)
    dockerfile = root / "Dockerfile"
    dockerfile.write_text(
        dockerfile.read_text().replace(
            "FROM alpine:latest\n",
            "# dockready: ignore=DR302,DR304 tracked in JIRA-12\nFROM alpine:latest\n",
        )
    )
    main = root / "cmd" / "orderservice" / "main.go"
    main.write_text(
        main.read_text().replace(
            'log.Fatal(http.ListenAndServe(":"+port, nil)) // planted: DR102, DR213, DR214',
            'log.Fatal(http.ListenAndServe(":"+port, nil)) //dockready:ignore DR102 envoy',
        )
    )
    deployment = root / "k8s" / "deployment.yaml"
    deployment.write_text(
        deployment.read_text().replace(
            "  name: orderservice\n  labels:",
            '  name: orderservice\n  annotations:\n    dockready.io/ignore: "DR401,DR101"\n'
            "  labels:",
        )
    )
    result = run_check(root)
    sups: list[Suppression] = []
    manifests = []
    for rel, kind in [
        ("Dockerfile", "dockerfile"),
        ("cmd/orderservice/main.go", "go"),
        ("k8s/deployment.yaml", "yaml"),
    ]:
        text = (root / rel).read_text()
        sups += scan(rel, text, kind)
        if kind == "yaml":
            m = parse_yaml(rel, text)
            assert m is not None
            manifests.append(m)
    sups += workload_suppressions(
        [w for m in manifests for w in m.workloads], object_starts(manifests)
    )
    # The engine applies them itself; here, redo it by hand from the raw findings.
    raw = [replace(f, suppressed=None) for f in (*result.findings, *result.suppressed)]
    raw = [f for f in raw if f.rule_id != "DR001"]
    assert {(f.rule_id, f.span.path) for f in result.suppressed} == {
        ("DR102", "cmd/orderservice/main.go"),
        ("DR302", "Dockerfile"),
        ("DR304", "Dockerfile"),
        ("DR401", "k8s/deployment.yaml"),
    }
    pairs, unused = apply(raw, sups)
    silenced = sorted((f.rule_id, f.span.path) for f, s in pairs if s is not None)
    assert silenced == [
        ("DR102", "cmd/orderservice/main.go"),
        ("DR302", "Dockerfile"),
        ("DR304", "Dockerfile"),
        ("DR401", "k8s/deployment.yaml"),
    ]
    # DR101 is a Go rule: never raised in the manifest, so reported unused
    assert [(s.ids, s.scope) for s in unused] == [(("DR101",), WORKLOAD)]
    # the ConfigMap's document (before the Deployment) is not covered
    assert any(f.rule_id == "DR413" and s is None for f, s in pairs)


def test_file_level_findings_are_suppressed_atop_the_dockerfile_or_in_the_dockerignore() -> None:
    """DR307 has no line of its own (line 1 of the Dockerfile or the .dockerignore)."""
    top = (
        "# syntax=docker/dockerfile:1\n# dockready: ignore=DR307 clean CI export\n\nFROM scratch\n"
    )
    (sup,) = scan("Dockerfile", top, "dockerfile")
    assert (sup.first, sup.last) == (1, 3)  # a blank line ends what it covers below
    later = "FROM scratch\n# dockready: ignore=DR307 too late\nUSER 1\n"
    (sup,) = scan("Dockerfile", later, "dockerfile")
    assert (sup.first, sup.last) == (3, 3)  # not a leading comment: line 1 is not covered
    ignore = ".git\n# dockready: ignore=DR307 fixtures ship on purpose\nbin/\n"
    (sup,) = scan(".dockerignore", ignore, "dockerignore")
    assert sup.first == 1 and sup.last > 1000 and sup.reason == "fixtures ship on purpose"
