"""The HTML report: self-contained, escaped, secrets hidden (plain tests), and working
in a real browser (headless Chromium: no console error, the checklist and the
findings in the DOM after the scripts ran, filters applied from the URL hash, a
screenshot).

The browser tests are skipped when Chromium is missing, except under CI (``CI`` set
and not ``false``/``0``), where a missing Chromium fails them. Install it with
``apt-get install chromium`` (``.ci/run`` does).

``DOCKREADY_UPDATE_SCREENSHOT=1 pytest tests/report/test_html.py`` rewrites
``docs/html-report.png`` (the README's screenshot).
"""

from __future__ import annotations

import dataclasses
import os
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pytest
from browser import URL_ATTRS, browser, chromium, console_errors, dump_dom
from conftest import run_check

from dockready.model import Finding, Related, Result, ServiceSummary, Severity, Span
from dockready.report import available
from dockready.report import html as html_report
from dockready.report import render as render_format
from dockready.rules.registry import section, static_rules

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "orderservice"
SCREENSHOT = REPO / "docs" / "html-report.png"


# -- helpers ---------------------------------------------------------------------------


class Page(HTMLParser):
    """What the tests look at in a page: every element's tag and attributes, the
    findings (attributes and text) and the checklist cells."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str]]] = []
        self.findings: list[dict[str, str]] = []
        self.cells: dict[tuple[str, str], dict[str, str]] = {}
        self.body: dict[str, str] = {}
        self.text: list[str] = []
        self._finding: dict[str, str] | None = None
        self._style = False
        self.styles: list[str] = []
        self.feed(text)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        self.elements.append((tag, a))
        if tag == "body":
            self.body = a
        elif tag == "article" and "finding" in a.get("class", "").split():
            self._finding = {**a, "text": ""}
            self.findings.append(self._finding)
        elif tag == "td" and "data-status" in a:
            self.cells[(a["data-service"], a["data-rule"])] = a
        elif tag == "style":
            self._style = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "article":
            self._finding = None
        elif tag == "style":
            self._style = False

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if self._finding is not None:
            self._finding["text"] += data
        if self._style:
            self.styles.append(data)

    def finding(self, rule_id: str) -> dict[str, str]:
        return next(f for f in self.findings if f["data-rule"] == rule_id)


def finding(
    rule_id: str = "DR201",
    message: str = "something is wrong",
    *,
    path: str = "Dockerfile",
    line: int = 3,
    severity: Severity = Severity.ERROR,
    service: str | None = "svc",
    related: tuple[Related, ...] = (),
) -> Finding:
    return Finding(
        rule_id=rule_id,
        name="some-rule",
        severity=severity,
        message=message,
        span=Span(path, line, 1),
        chapter=int(rule_id[2]),
        service=service,
        related=related,
    )


def result_of(
    root: Path | str, *findings: Finding, services: tuple[ServiceSummary, ...] = ()
) -> Result:
    """A result of every rule, with the services' applicability judged as the engine
    does."""
    rules = tuple(r.info for r in static_rules())
    return Result(
        root=str(root),
        findings=findings,
        services=tuple(s.judged_by(rules) for s in services),
        files_checked=2,
        rules=rules,
    )


@pytest.fixture(scope="module")
def example() -> Result:
    return run_check(EXAMPLE)


@pytest.fixture(scope="module")
def page_html(example: Result) -> str:
    return html_report.render(example)


@pytest.fixture(scope="module")
def page_file(page_html: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("html") / "orderservice.html"
    path.write_text(page_html, encoding="utf-8")
    return path


# -- without a browser -----------------------------------------------------------------


def test_registered_as_a_format(example: Result) -> None:
    assert "html" in available()
    assert render_format("html", example) == html_report.render(example)


def test_no_absolute_path(example: Result, page_html: str) -> None:
    assert example.root not in page_html
    assert "<h1>orderservice</h1>" in page_html


def test_self_contained(page_html: str) -> None:
    doc_urls = {
        m.group(1)
        for r in static_rules()
        for m in re.finditer(r"\]\((https?://[^)\s]+)\)", section(r.doc, "References"))
    }
    page = Page(page_html)
    external = []
    for tag, attrs in page.elements:
        assert tag not in {"link", "iframe", "object", "embed", "img", "base"}, tag
        if tag == "script":
            assert "src" not in attrs
        for name, value in attrs.items():
            if name in URL_ATTRS and re.match(r"\s*([a-z][a-z0-9+.-]*:|//)", value, re.I):
                external.append((tag, attrs.get("class", ""), value))
    assert external, "the rule references are links"
    for tag, cls, url in external:
        assert (tag, cls) == ("a", "doc"), (tag, cls, url)
        assert url in doc_urls, url
    css = "".join(page.styles)
    assert "@import" not in css and "url(" not in css and "@font-face" not in css
    assert not re.search(r"https?://", css)
    assert "default-src 'none'" in page_html  # the CSP: nothing can be loaded


def test_everything_is_escaped(tmp_path: Path) -> None:
    (tmp_path / "a<b>.go").write_text("package main\n// </pre><script>alert(2)</script>\n")
    evil = finding(
        "DR211",
        "logs to `<b>x</b>` <script>alert(1)</script> & more",
        path="a<b>.go",
        line=2,
        service="<i>svc</i>",
        related=(Related(Span("a<b>.go", 1), "see <img src=x onerror=alert(3)>"),),
    )
    out = html_report.render(
        result_of(tmp_path, evil, services=(ServiceSummary("<i>svc</i>", "."),))
    )
    for raw in ("<script>alert", "<b>x</b>", "<img src=x", "<i>svc</i>", "a<b>.go"):
        assert raw not in out, raw
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; more" in out
    assert "<code>&lt;b&gt;x&lt;/b&gt;</code>" in out  # code spans are escaped too
    assert "// &lt;/pre&gt;&lt;script&gt;alert(2)&lt;/script&gt;" in out
    assert str(tmp_path) not in out
    assert out.count("<script>") == 1  # the report's own


def test_snippet_around_the_evidence(page_html: str) -> None:
    page = Page(page_html)
    dr404 = page.finding("DR404")
    assert "k8s/deployment.yaml:38:21" in dr404["text"]
    assert "path: /healthz" in dr404["text"]  # the lines around the probe
    assert 'http.HandleFunc("/health"' in dr404["text"]  # a related end's snippet
    assert re.search(r'<span class="ln hit" data-n="38">', page_html)


def test_secrets_are_never_shown(example: Result, page_html: str) -> None:
    assert "s3cr3t-Passw0rd" not in page_html
    assert "DB_PASSWORD: hunter2" not in page_html
    page = Page(page_html)
    for rule_id in ("DR207", "DR308", "DR413"):
        assert html_report.SECRET_NOTE in page.finding(rule_id)["text"]


def test_secret_lines_masked_in_other_snippets(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text(
        "FROM golang:1.22\n"
        "ENV AWS_KEY=AKIAABCDEFGHIJKLMNOP\n"
        "ENV A=1 \\\n"
        "    DB_PASSWORD=hunter22\n"
        "RUN go build -o /app .\n"
        "COPY key.pem /\n"
        "# -----BEGIN RSA PRIVATE KEY-----\n"
        "# MIIEowIBAAKCAQEA\n"
        "# -----END RSA PRIVATE KEY-----\n"
    )
    out = html_report.render(
        result_of(
            tmp_path,
            finding("DR308", "ENV DB_PASSWORD=h…", line=3),
            finding("DR201", "dynamic binary", line=5),
            finding("DR302", "unpinned", line=1, severity=Severity.WARNING),
            finding("DR306", "copy", line=7, severity=Severity.WARNING),
        )
    )
    for secret in ("AKIAABCDEFGHIJKLMNOP", "hunter22", "MIIEowIBAAKCAQEA", "BEGIN RSA"):
        assert secret not in out, secret
    assert "RUN go build -o /app ." in out
    assert html_report.LINE_NOTE in out and html_report.SECRET_NOTE in out


@pytest.mark.parametrize(
    "path",
    ["missing.go", "../outside.go", "/etc/passwd", "bin.go", "huge.go", "dir"],
)
def test_unreadable_files_have_no_snippet(tmp_path: Path, path: str) -> None:
    root = tmp_path / "repo"
    root.mkdir()
    (tmp_path / "outside.go").write_text("package outside\nvar leaked = 1\n")
    (root / "bin.go").write_bytes(b"package main\x00\nvar x = 1\n")
    (root / "huge.go").write_text("// x\n" * (html_report.MAX_FILE_BYTES // 4))
    (root / "dir").mkdir()
    out = html_report.render(result_of(root, finding("DR211", "m", path=path, line=2)))
    assert 'class="snippet"' not in out
    assert "leaked" not in out and "root:x:" not in out


def test_no_root_at_all() -> None:
    out = html_report.render(result_of("/nowhere/at/all", finding(line=10_000)))
    assert 'class="snippet"' not in out and "/nowhere" not in out


def test_nothing_found(tmp_path: Path) -> None:
    out = html_report.render(result_of(tmp_path))
    assert "No problems found" in out
    assert 'data-status="passed"' in out  # the (repository) suite stands in


def test_applicability(example: Result) -> None:
    bare = ServiceSummary("bare", ".", main_packages=("cmd/bare",))
    imaged = ServiceSummary("imaged", ".", ("cmd/imaged",), dockerfiles=("Dockerfile",))
    composed = ServiceSummary("composed", ".", ("cmd/c",), compose_services=("compose.yaml#c",))
    res = result_of(
        "/nowhere",
        finding("DR401", "no limits", path="k8s.yaml", service="bare", severity=Severity.WARNING),
        services=(bare, imaged, composed),
    )
    cells = Page(html_report.render(res)).cells
    status = {key: attrs["data-status"] for key, attrs in cells.items()}
    assert status[("bare", "DR101")] == "passed"  # chapter 1: the Go code
    assert status[("bare", "DR207")] == "passed"  # chapter 2, code alone
    assert status[("bare", "DR201")] == "na"  # chapter 2, code and image
    assert status[("imaged", "DR201")] == "passed"
    assert status[("bare", "DR301")] == "na"  # chapter 3: no Dockerfile
    assert status[("imaged", "DR301")] == "passed"
    assert status[("bare", "DR404")] == "na"  # chapter 4: no workload
    assert status[("bare", "DR401")] == "failed"  # a finding wins over the mapping
    assert status[("bare", "DR420")] == "passed"  # reads the Go code
    assert status[("composed", "DR413")] == "passed"  # reads compose too
    assert status[("composed", "DR404")] == "na"
    assert "no Kubernetes workload" in cells[("bare", "DR404")]["title"]
    assert not any(rule == "DR000" for _, rule in cells)  # only where a file is broken


def test_example_checklist(page_html: str) -> None:
    cells = Page(page_html).cells
    assert cells[("orderservice", "DR404")]["data-status"] == "failed"
    assert cells[("orderservice", "DR406")]["data-status"] == "passed"
    # the example has no compose file: the compose-only rule does not apply
    assert cells[("orderservice", "DR419")]["data-status"] == "na"
    assert {k for k, c in cells.items() if c["data-status"] == "na"} == {("orderservice", "DR419")}
    assert len(cells) == len([r for r in static_rules() if r.id != "DR000"])


def test_readme_screenshot() -> None:
    data = SCREENSHOT.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    assert 10_000 < len(data) < 400_000
    assert "docs/html-report.png" in (REPO / "README.md").read_text(encoding="utf-8")


# -- in a browser ----------------------------------------------------------------------


@browser
def test_loads_without_errors_and_shows_everything(tmp_path: Path, page_file: Path) -> None:
    dom, errors = dump_dom(tmp_path, page_file)
    assert errors == []
    page = Page(dom)
    assert page.body.get("data-ready") == "1", "the script ran to its end"
    assert page.body.get("data-shown") == "45"
    rules = {f["data-rule"] for f in page.findings}
    assert {"DR404", "DR217"} <= rules
    assert not any("hidden" in f for f in page.findings)
    assert page.cells[("orderservice", "DR404")]["data-status"] == "failed"
    assert page.cells[("orderservice", "DR406")]["data-status"] == "passed"


@browser
def test_hash_filters_by_severity(tmp_path: Path, page_file: Path) -> None:
    dom, errors = dump_dom(tmp_path, page_file, "#severity=error")
    assert errors == []
    page = Page(dom)
    assert page.body.get("data-ready") == "1"
    shown = [f for f in page.findings if "hidden" not in f]
    hidden = [f for f in page.findings if "hidden" in f]
    assert shown and all(f["data-severity"] == "error" for f in shown)
    assert hidden and all(f["data-severity"] != "error" for f in hidden)
    assert page.body["data-shown"] == str(len(shown)) == "13"
    assert page.body["data-severity"] == "error"
    chapters = [a["value"] for tag, a in page.elements if a.get("name") == "chapter"]
    assert page.body["data-chapter"] == ",".join(chapters)  # every chapter


@browser
def test_hash_filters_by_chapter_and_text(tmp_path: Path, page_file: Path) -> None:
    dom, errors = dump_dom(tmp_path, page_file, "#chapter=4&q=healthz")
    assert errors == []
    page = Page(dom)
    shown = [f["data-rule"] for f in page.findings if "hidden" not in f]
    assert shown == ["DR404"]
    blocks = [a for tag, a in page.elements if "chapter-block" in a.get("class", "")]
    assert {b["data-chapter"] for b in blocks if "hidden" not in b} == {"4"}


@browser
@pytest.mark.parametrize(
    "broken",
    [
        "<script>var x = ;</script>",  # a syntax error
        "<script>window.nope.call();</script>",  # an uncaught exception
    ],
)
def test_a_broken_script_is_detected(tmp_path: Path, page_html: str, broken: str) -> None:
    bad = tmp_path / "broken.html"
    bad.write_text(page_html.replace("</body>", broken + "</body>"), encoding="utf-8")
    _, errors = dump_dom(tmp_path, bad)
    assert errors and all("Uncaught" in e for e in errors), errors


@browser
def test_screenshot(tmp_path: Path, page_file: Path) -> None:
    shot = tmp_path / "report.png"
    proc = chromium(tmp_path, f"--screenshot={shot}", "--window-size=1280,2000", page_file.as_uri())
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert console_errors(proc.stderr, page_file) == []
    data = shot.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 10_000
    if os.environ.get("DOCKREADY_UPDATE_SCREENSHOT"):
        readme = tmp_path / "readme.png"
        proc = chromium(
            tmp_path,
            f"--screenshot={readme}",
            "--window-size=1200,1500",
            page_file.as_uri() + "#severity=error",
        )
        assert proc.returncode == 0, proc.stderr[-2000:]
        shutil.copyfile(readme, SCREENSHOT)


def test_says_what_is_not_shown(tmp_path: Path) -> None:
    names = {f.name for f in dataclasses.fields(Result)}
    if not {"suppressed", "baselined"} <= names:
        pytest.skip("this build has no suppressions or baseline")
    res = dataclasses.replace(
        result_of(tmp_path, finding()), suppressed=(finding("DR302"),), baselined=2
    )
    out = html_report.render(res)
    assert "(not shown: 1 suppressed inline, 2 in the baseline)" in out
    # a secret whose finding is suppressed stays hidden in other findings' snippets
    (tmp_path / "Dockerfile").write_text("FROM x\nENV DB_PASSWORD=hunter22\nRUN true\n")
    secret = finding("DR308", "ENV DB_PASSWORD=h…", line=2)
    out = html_report.render(
        dataclasses.replace(result_of(tmp_path, finding(line=3)), suppressed=(secret,))
    )
    assert "RUN true" in out and "hunter22" not in out
