"""HTML reports: verify --format html, grade's report.html and feedback/STUDENT.html.

Ground truth comes from outside derivcheck: the standard library's HTML and XML
parsers (what a browser would build), ``statistics`` for means and medians,
mpmath at 60 digits for the numbers shown, and a small MathML evaluator written
here that reads the rendered mathematics back as numbers.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from fractions import Fraction
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import mpmath
import pytest

from derivcheck.formats import charts
from derivcheck.formats.html import SourceHints, badge, render_verify, source_hints
from derivcheck.formats.mathml import (
    UnsafeMathML,
    expr_mathml,
    latex_mathml,
    looks_latex,
    sanitize,
    step_mathml,
)
from derivcheck.grading.outputs import run_grade, write_outputs

DATA = Path(__file__).parent / "data" / "html"
MATHML_NS = "{http://www.w3.org/1998/Math/MathML}"
#: MathML Core presentation elements (w3.org/TR/mathml-core), typed here independently of the renderer.
MATHML_CORE = {"math", "mrow", "mi", "mn", "mo", "ms", "mtext", "mspace", "msub", "msup", "msubsup", "mfrac", "msqrt",
               "mroot", "mover", "munder", "munderover", "mtable", "mtr", "mtd", "mstyle", "mpadded", "mphantom",
               "menclose", "merror", "semantics", "annotation", "annotation-xml", "mmultiscripts", "mprescripts", "none"}


# -- a DOM as the browser's parser builds it ----------------------------------------------------


class Dom(HTMLParser):
    """Every element (tag, attributes), the text of the page, and the text inside <script>."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.scripts: list[str] = []
        self._in_script = False
        self.feed(text)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, dict(attrs)))
        self._in_script = tag == "script"

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        (self.scripts if self._in_script else self.text).append(data)

    def tags(self, name: str) -> list[dict[str, str | None]]:
        return [a for t, a in self.elements if t == name]

    @property
    def all_text(self) -> str:
        return "".join(self.text)


def assert_inert(page: str) -> Dom:
    """No element or attribute that runs code or loads anything, other than the page's own hashed script."""
    dom = Dom(page)
    for tag, attrs in dom.elements:
        assert tag not in ("img", "iframe", "object", "embed", "link", "base", "form", "b"), tag
        for name, value in attrs.items():
            assert not name.startswith("on"), (tag, name)
            assert name not in ("src", "style", "srcset", "formaction"), (tag, name)
            if name == "href":
                assert not re.match(r"\s*(javascript|data|https?):", value or "", re.IGNORECASE), value
    csp = [a["content"] for a in dom.tags("meta") if a.get("http-equiv") == "Content-Security-Policy"]
    assert len(csp) == 1 and "default-src 'none'" in csp[0]
    assert len(dom.scripts) == len(dom.tags("script"))
    for script in dom.scripts:
        digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in csp[0]
    if not dom.scripts:
        assert "script-src 'none'" in csp[0]
    return dom


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The test key graded once: hostile ids added beside the fixtures."""
    work = tmp_path_factory.mktemp("graded")
    subs = work / "subs"
    shutil.copytree(DATA / "submissions", subs)
    shutil.copy(DATA / "submissions" / "hostile.yaml", subs / '"><img src=x onerror=alert(7)>.yaml')
    shutil.copy(DATA / "submissions" / "sign.yaml", subs / "a&b #1 %20?.yaml")
    out = work / "out"
    assert run_grade(DATA / "key.yaml", subs, out, jobs=1, progress=False) == 0
    return out


# -- class 1: what a student wrote is shown as text, never as markup ----------------------------


def test_hostile_steps_why_and_case_title_render_as_text(graded: Path) -> None:
    page = (graded / "feedback" / "hostile.html").read_text("utf-8")
    dom = assert_inert(page)
    text = dom.all_text
    # shown, character for character, as text
    assert "x</math><script>alert(1)</script>" in text
    assert "<script>alert(3)</script></math><img src=x onerror=alert(4)>" in text
    assert r"\text{</math><script>alert(2)</script>}" in text
    assert "<b>bold</b><script>alert(6)</script>" in text
    assert r"\href{javascript:alert(5)}{x}" in text
    assert not dom.scripts


def test_hostile_student_ids_are_text_and_links_resolve(graded: Path) -> None:
    report = (graded / "report.html").read_text("utf-8")
    dom = assert_inert(report)
    assert '"><img src=x onerror=alert(7)>' in dom.all_text
    assert "a&b #1 %20?" in dom.all_text
    hrefs = [a["href"] for a in dom.tags("a") if a.get("href") and not a["href"].startswith("#")]
    assert hrefs
    for href in hrefs:
        parts = urlsplit(href)
        assert not parts.scheme and not parts.netloc and not parts.query, href
        target = graded / unquote(parts.path)
        assert target.is_file(), href
        if parts.fragment:
            assert f'id="{unquote(parts.fragment)}"' in target.read_text("utf-8"), href
    ids = {unquote(urlsplit(h).path) for h in hrefs}
    assert 'feedback/"><img src=x onerror=alert(7)>.html' in ids and "feedback/a&b #1 %20?.html" in ids
    page = (graded / "feedback" / '"><img src=x onerror=alert(7)>.html').read_text("utf-8")
    assert '"><img src=x onerror=alert(7)>' in assert_inert(page).all_text


def test_verify_page_escapes_title_and_why(tmp_path: Path) -> None:
    out = tmp_path / "page.html"
    proc = subprocess.run([sys.executable, "-m", "derivcheck", "verify", str(DATA / "derivation.yaml"), "--format", "html",
                           "--output-file", str(out)], capture_output=True, text=True)
    assert proc.returncode == 1, proc.stderr  # x**2 -> 2*x is invalid
    assert proc.stdout == ""
    dom = assert_inert(out.read_text("utf-8"))
    assert '<script>alert("title")</script> square' in dom.all_text
    assert '</math><script>alert("why")</script>' in dom.all_text


@pytest.mark.parametrize("tex", [
    r"\text{</math><script>alert(1)</script>}",  # latex2mathml copies \text verbatim
    r"\href{javascript:alert(1)}{x}",            # ... and \href into an attribute
    r"\style{color:red}{x}",
    r'\color{red" onload="alert(1)}{x}',
    r"\mathrm{a&b}",
    "x" * 3000,                                  # too long to convert
])
def test_converter_output_outside_the_whitelist_falls_back_to_text(tex: str) -> None:
    out = latex_mathml(tex)
    assert out.startswith('<code class="src">'), out
    assert Dom(str(out)).all_text == " ".join(tex.split())
    with pytest.raises(UnsafeMathML):
        sanitize('<math xmlns="http://www.w3.org/1998/Math/MathML"><mi href="javascript:x">a</mi></math>')


def test_sanitized_mathml_uses_only_mathml_core(graded: Path) -> None:
    pages = [p.read_text("utf-8") for p in (graded / "feedback").glob("*.html")]
    blocks = [m for page in pages for m in re.findall(r"<math .*?</math>", page, flags=re.DOTALL)]
    assert len(blocks) > 10
    for block in blocks:
        for el in ET.fromstring(block).iter():
            assert el.tag.startswith(MATHML_NS) and el.tag[len(MATHML_NS):] in MATHML_CORE, el.tag
            assert not any(a.startswith("on") or a in ("href", "style", "src") for a in el.attrib)


# -- class 2: the mathematics shown is the mathematics checked -----------------------------------


class MathValue:
    """Evaluate rendered MathML at a point (mpmath, 60 digits): mi/mn/mo rows, mfrac, msup, msub, msqrt."""

    NAMES = {"∂": None}

    def __init__(self, point: dict[str, mpmath.mpf]) -> None:
        self.point = point

    def value(self, el: ET.Element) -> mpmath.mpf:
        tag = el.tag[len(MATHML_NS):]
        kids = list(el)
        if tag in ("math", "mrow"):
            return self.row(kids)
        if tag == "mn":
            return mpmath.mpf(el.text)
        if tag == "mi":
            return self.point[el.text]
        if tag == "msub":  # a subscripted name: x_j
            return self.point[f"{self.name(kids[0])}_{self.name(kids[1])}"]
        if tag == "mfrac":
            return self.value(kids[0]) / self.value(kids[1])
        if tag == "msup":
            return self.value(kids[0]) ** self.value(kids[1])
        if tag == "msqrt":
            return mpmath.sqrt(self.row(kids))
        raise AssertionError(f"unexpected {tag}")

    def name(self, el: ET.Element) -> str:
        return "".join(t.strip() for t in el.itertext())

    def row(self, kids: list[ET.Element]) -> mpmath.mpf:
        """Sums of products; a fenced (...) is a group; juxtaposition and · multiply."""
        items: list[object] = []
        i = 0
        while i < len(kids):
            k = kids[i]
            tag, text = k.tag[len(MATHML_NS):], (k.text or "").strip()
            if tag == "mo" and text == "(":
                depth, j = 1, i + 1
                while depth:
                    t = (kids[j].text or "").strip() if kids[j].tag == MATHML_NS + "mo" else ""
                    depth += (t == "(") - (t == ")")
                    j += 1
                items.append(self.row(kids[i + 1:j - 1]))
                i = j
                continue
            if tag == "mo" and text in ("+", "−", "-"):
                items.append(text)
            elif tag == "mo" and text in ("·", "⋅", "×"):
                pass
            else:
                items.append(self.value(k))
            i += 1
        total, term, sign = mpmath.mpf(0), None, 1
        for it in items:
            if isinstance(it, str):
                if term is not None:
                    total += sign * term
                sign, term = (1 if it == "+" else -1) * (sign if term is None else 1), None
            else:
                term = it if term is None else term * it
        return total + sign * (term if term is not None else 0)


@pytest.mark.parametrize("text, truth", [
    # each truth is the expression written out by hand with mpmath
    ("x**2/3 + 1/(x + 1)", lambda p: p["x"] ** 2 / 3 + 1 / (p["x"] + 1)),
    ("(y - t)*x_j", lambda p: (p["y"] - p["t"]) * p["x_j"]),
    ("-2*a*b + sqrt(a) - b**3", lambda p: -2 * p["a"] * p["b"] + mpmath.sqrt(p["a"]) - p["b"] ** 3),
    ("(-t/y + (1 - t)/(1 - y)) * y*(1 - y) * x_j",
     lambda p: (-p["t"] / p["y"] + (1 - p["t"]) / (1 - p["y"])) * p["y"] * (1 - p["y"]) * p["x_j"]),
])
def test_rendered_expression_evaluates_to_the_expression(text: str, truth) -> None:  # type: ignore[no-untyped-def]
    with mpmath.workdps(60):
        for point in ({"x": mpmath.mpf(3) / 7, "y": mpmath.mpf("0.3"), "t": mpmath.mpf(1), "x_j": mpmath.mpf(-2), "a": mpmath.mpf(5), "b": mpmath.mpf(-3)},
                      {"x": mpmath.mpf(11), "y": mpmath.mpf("0.9"), "t": mpmath.mpf(0), "x_j": mpmath.mpf("1.5"), "a": mpmath.mpf(2), "b": mpmath.mpf(7) / 3}):
            shown = MathValue(point).value(ET.fromstring(str(expr_mathml(text))))
            assert abs(shown - truth(point)) <= mpmath.mpf(10) ** -50 * max(1, abs(truth(point))), text


def test_partial_derivative_is_shown_in_leibniz_notation() -> None:
    # Derivative(L, w_j) is dL/dw_j as a partial: a fraction of (partial, L) over (partial, w sub j)
    root = ET.fromstring(str(expr_mathml("Derivative(L, w_j)")))
    frac = next(root.iter(MATHML_NS + "mfrac"))
    top, bottom = list(frac)
    assert "".join(top.itertext()) == "∂L"
    assert "".join(bottom.itertext()) == "∂wj"
    assert bottom.find(f".//{MATHML_NS}msub") is not None
    # a second derivative: partial squared over (partial y) squared
    second = "".join(ET.fromstring(str(expr_mathml("Derivative(L, y, y)"))).itertext())
    assert second == "∂2L∂y2"


def test_latex_steps_are_shown_as_written(graded: Path) -> None:
    # good.yaml's q2: '(a+b)(a+b)' is a LaTeX step (a product, as written), then an expression step.
    hints = source_hints(DATA / "submissions" / "good.yaml")
    assert hints.lines == frozenset({8, 9})
    page = (graded / "feedback" / "good.html").read_text("utf-8")
    row = re.search(r'<tr id="q-q2-c1-s2".*?</tr>', page, flags=re.DOTALL).group(0)
    math = ET.fromstring(re.search(r"<math .*?</math>", row, flags=re.DOTALL).group(0))
    assert [e.text for e in math.iter() if e.text and e.text.strip()] == ["(", "a", "+", "b", ")", "(", "a", "+", "b", ")"]
    # a Markdown document holds LaTeX steps only; guessing (no source) keeps \frac as LaTeX
    assert source_hints("answer.md").all_latex
    assert looks_latex(r"\frac{1}{y_T}") and looks_latex("y(1-y)") and not looks_latex("y*(1 - y)")
    assert "mfrac" in step_mathml(r"\frac{1}{y_T}", SourceHints().is_latex(_step(r"\frac{1}{y_T}")))


def _step(text: str):  # type: ignore[no-untyped-def]
    from derivcheck.results import StepResult

    return StepResult(1, 1, text, "start")


# -- class 3: charts draw the numbers they claim ------------------------------------------------


def test_mean_median_and_buckets_match_statistics() -> None:
    import statistics

    scores = [Fraction(0), Fraction(15, 2), Fraction(27), Fraction(30), Fraction(30)]
    mean, median = charts.mean_median(scores)
    assert mean == Fraction(189, 10) == statistics.mean(scores)  # (0 + 7.5 + 27 + 30 + 30) / 5
    assert median == 27
    assert [(b.label, b.count) for b in charts.buckets(scores, Fraction(30))] == [("0", 1), ("7.5", 1), ("27", 1), ("30", 2)]
    # 31 distinct scores 0..30 in ten bins of width 3: 3 each, the closed last bin [27, 30] holds 4
    many = [Fraction(i) for i in range(31)]
    bs = charts.buckets(many, Fraction(30))
    assert [b.count for b in bs] == [3] * 9 + [4] and sum(b.count for b in bs) == 31


def test_histogram_bars_are_proportional_and_described() -> None:
    scores = [Fraction(s) for s in (0, 10, 10, 10, 20, 40, 40)]
    svg = ET.fromstring(str(charts.histogram_svg("h", "q", scores, Fraction(40))))
    ns = "{http://www.w3.org/2000/svg}"
    bars = [r for r in svg.iter(ns + "rect") if r.get("class") == "bar"]
    heights = [float(r.get("height")) for r in bars]
    assert len(bars) == 4
    assert heights[1] / heights[0] == pytest.approx(3, rel=0.01) and heights[3] / heights[0] == pytest.approx(2, rel=0.01)  # SVG keeps 0.1 px
    assert svg.get("role") == "img" and svg.get("aria-labelledby") == "h-t h-d"
    desc = svg.find(ns + "desc").text
    assert "mean 18.57" in desc and "median 10" in desc  # 130/7 = 18.571...
    assert all(f"{label}: {n}" in desc for label, n in (("0", 1), ("10", 3), ("20", 1), ("40", 2)))
    # the mean line sits at 130/7 of the 0..40 axis
    mean = next(l for l in svg.iter(ns + "line") if l.get("class") == "mean")
    axis = next(l for l in svg.iter(ns + "line") if l.get("class") == "axis")
    x0, x1 = float(axis.get("x1")), float(axis.get("x2"))
    assert (float(mean.get("x1")) - x0) / (x1 - x0) == pytest.approx(130 / 7 / 40, abs=1e-3)


def test_mistake_bars_link_to_an_example() -> None:
    bars = [charts.Bar("sign-error · q1", 4, charts.page_href("s<1>", "q-q1"), "s<1>"), charts.Bar("slip · q2", 1)]
    svg = str(charts.bars_svg("m", "mistakes", bars))
    root = ET.fromstring(svg)
    links = list(root.iter("{http://www.w3.org/2000/svg}a"))
    assert [a.get("href") for a in links] == ["feedback/s%3C1%3E.html#q-q1"]
    widths = [float(r.get("width")) for r in root.iter("{http://www.w3.org/2000/svg}rect")]
    assert widths[0] / widths[1] == pytest.approx(4)
    assert "sign-error · q1: 4 submissions" in root.find("{http://www.w3.org/2000/svg}desc").text


def test_report_lists_every_student_with_the_csv_scores_and_the_failures(graded: Path) -> None:
    report = (graded / "report.html").read_text("utf-8")
    rows = dict(line.split(",", 1) for line in (graded / "grades.csv").read_text("utf-8").splitlines()[1:])
    dom = Dom(report)
    for student, cells in rows.items():
        total = cells.rsplit(",", 1)[1]
        assert re.search(r'<td class="num" data-sort="[0-9.]+">' + re.escape(total) + "</td>", report)
    assert len([a for a in dom.tags("td") if a.get("data-sort") in ("graded", "failed")]) == len(rows)
    assert "Failed submissions" in dom.all_text and "broken" in dom.all_text
    # every verdict is words as well as colour
    assert "✗ invalid" in Dom(str(badge("invalid"))).all_text.replace("  ", " ")
    feedback = Dom((graded / "feedback" / "sign.html").read_text("utf-8")).all_text
    assert "invalid" in feedback and "proved" in feedback and "sign-error" in feedback


# -- class 4: the numbers shown are right ----------------------------------------------------------


@pytest.mark.parametrize("seed", [0, 1, 7])
def test_counterexample_table_matches_mpmath(tmp_path: Path, seed: int) -> None:
    # x**2 -> 2*x is wrong except at x = 0 and x = 2: the table's point must show x**2 and 2*x there
    proc = subprocess.run([sys.executable, "-m", "derivcheck", "verify", str(DATA / "derivation.yaml"), "--format", "html",
                           "--seed", str(seed)], capture_output=True, text=True)
    assert proc.returncode == 1
    dom = Dom(proc.stdout)
    cells = [t.strip() for t in dom.text if t.strip()]
    i = cells.index("Counterexample")
    table = dict(zip(cells[i + 1:i + 7:2], cells[i + 2:i + 7:2]))  # x, previous step, this step
    with mpmath.workdps(60):
        x = mpmath.mpf(table["x"])
        for shown, truth in ((table["previous step"], x ** 2), (table["this step"], 2 * x)):
            assert abs(mpmath.mpf(shown) - truth) <= mpmath.mpf("1e-5") * abs(truth)  # shown to 6 digits
        assert abs(x ** 2 - 2 * x) > mpmath.mpf("1e-3")
    js = json.loads(subprocess.run([sys.executable, "-m", "derivcheck", "verify", str(DATA / "derivation.yaml"), "--format", "json",
                                    "--seed", str(seed)], capture_output=True, text=True).stdout)
    assert js["files"][0]["chains"][0]["steps"][1]["status"] == "invalid"


def test_grade_without_html_packages_writes_the_rest(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from derivcheck.grading import batch as G
    from derivcheck.grading.key import discover, load_key

    key = load_key(DATA / "key.yaml")
    subs, _ = discover(DATA / "submissions")
    grades, stats = G.grade_batch(key, subs[:2], G.BatchOptions(jobs=1))
    for name in [m for m in sys.modules if m.startswith("derivcheck.formats") or m.startswith("jinja2")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "jinja2", None)
    remarks = write_outputs(key, grades, tmp_path, stats)
    assert len(remarks) == 1 and "jinja2" in remarks[0] and "pip install" in remarks[0]
    assert {p.name for p in tmp_path.iterdir()} == {"grades.csv", "grades.json", "feedback", "summary.md"}
    assert all(p.suffix == ".md" for p in (tmp_path / "feedback").iterdir())


def test_verify_page_for_several_files_has_one_section_each() -> None:
    from derivcheck.api import verify_file

    files = [DATA / "derivation.yaml", Path(__file__).parent.parent / "examples" / "int305_q1_update_rule.yaml"]
    page = render_verify([verify_file(f) for f in files])
    dom = assert_inert(page)
    sections = [a for a in dom.tags("section")]
    assert [s["id"] for s in sections] == ["file-1", "file-2"]
    assert "2 files" in dom.all_text


# -- class 5: hostile sizes and shapes stay bounded ------------------------------------------------


@pytest.mark.parametrize("text", [
    "(" * 400 + "x" + ")" * 400,   # deep nesting: the parser or the printer gives up, the page does not
    "x + " * 1200 + "x",           # longer than any step worth converting
    "factorial(3000)",             # a 9131-digit number: more MathML than a page should hold
    "2**2**2**2**2**2",
])
def test_pathological_steps_are_shown_bounded(text: str) -> None:
    out = str(step_mathml(text, latex=False))
    assert len(out) < 70_000
    if out.startswith("<code"):
        assert Dom(out).all_text == " ".join(text.split())
    else:
        ET.fromstring(out)  # well-formed MathML


def test_page_out_of_time_shows_the_remaining_steps_as_text() -> None:
    from derivcheck.formats.mathml import page_budget

    with page_budget(0):
        for text in ("x**2/3", r"\frac{1}{2}", "y(1-y)"):
            out = str(step_mathml(text))
            assert out.startswith('<code class="src">') and Dom(out).all_text == text
    # and outside the spent budget, the same steps are mathematics again (the fallback was not cached)
    assert str(step_mathml("x**2/3")).startswith("<math")
    assert str(step_mathml(r"\frac{1}{2}")).startswith("<math")


def test_output_file_holds_what_stdout_would(tmp_path: Path) -> None:
    # the same seed gives the same report: --output-file must change where it goes, nothing else
    target = str(DATA / "derivation.yaml")
    for fmt in ("json", "html", "text"):
        out = tmp_path / f"report.{fmt}"
        to_file = subprocess.run([sys.executable, "-m", "derivcheck", "verify", target, "--format", fmt, "--seed", "3", "-o", str(out)],
                                 capture_output=True, text=True)
        to_stdout = subprocess.run([sys.executable, "-m", "derivcheck", "verify", target, "--format", fmt, "--seed", "3"],
                                   capture_output=True, text=True, env={**__import__("os").environ, "NO_COLOR": "1"})
        assert to_file.returncode == to_stdout.returncode == 1
        assert to_file.stdout == "" and str(out) in to_file.stderr
        assert out.read_text("utf-8") == to_stdout.stdout, fmt
    unwritable = subprocess.run([sys.executable, "-m", "derivcheck", "verify", target, "--format", "html", "-o", str(tmp_path / "no" / "such" / "x.html")],
                                capture_output=True, text=True)
    assert unwritable.returncode == 2 and "cannot write the report" in unwritable.stderr and "Traceback" not in unwritable.stderr


def test_teaching_example_states_its_expectation() -> None:
    from derivcheck.api import verify_file

    wrong = verify_file(DATA / "derivation.yaml")  # x**2 -> 2*x: invalid
    wrong.expect = "invalid"
    text = Dom(render_verify([wrong])).all_text
    assert "meant to be" in text and "it is, as expected" in text
    wrong.expect = "valid"
    assert "expected valid, got invalid" in Dom(render_verify([wrong])).all_text


def test_plain_symbol_e_never_looks_like_eulers_number() -> None:
    # In expressions `e` is a plain symbol and `E`/exp are Euler's number: e**x and exp(x) are
    # different functions (at x = 1 with e = 2: 2 against 2.718...), so they must not look alike.
    def base(text: str) -> str:
        sup = next(ET.fromstring(str(expr_mathml(text))).iter(MATHML_NS + "msup"))
        return "".join(sup[0].itertext())

    assert base("exp(x)") == base("E**x") == base("exp(-z)") == "e"
    assert base("e**x") == base("e**(-z)") == base("2*e**x") == "\U0001d5be"  # MATHEMATICAL SANS-SERIF SMALL E
    assert "".join(ET.fromstring(str(expr_mathml("2*e"))).itertext()) != "".join(ET.fromstring(str(expr_mathml("2*E"))).itertext())
    # Heaviside's step function is H(x), not SymPy's theta (a symbol students also use)
    assert "".join(ET.fromstring(str(expr_mathml("Heaviside(x)"))).itertext()).startswith("H(")


def test_source_hints_follow_the_yaml_keys(tmp_path: Path) -> None:
    from derivcheck.results import StepResult

    src = tmp_path / "d.yaml"
    src.write_text("symbols: {x: real}\nsteps:\n  - latex: >-\n      x^2\n  - expr: x**2\n  - {latex: 'x x'}\n  - x*x\n", encoding="utf-8")
    hints = source_hints(src)
    assert hints.lines == frozenset({3, 6})
    assert [hints.is_latex(StepResult(i, line, text, "start")) for i, (line, text) in
            enumerate([(3, "x^2"), (5, "x**2"), (6, "x x"), (7, "x*x"), (7, r"\frac{x}{1}")], start=1)] == [True, False, True, False, True]
    assert source_hints(tmp_path / "missing.yaml").lines is None


def test_a_file_name_that_is_not_utf8_does_not_stop_the_outputs(tmp_path: Path) -> None:
    # b"\xff\xfe" is not UTF-8: Python names the file with surrogates, which no UTF-8 output can hold
    subs = tmp_path / "subs"
    subs.mkdir()
    shutil.copy(DATA / "submissions" / "good.yaml", subs / "ok.yaml")
    shutil.copy(DATA / "submissions" / "good.yaml", os.fsdecode(bytes(subs) + b"/\xff\xfe.yaml"))
    proc = subprocess.run([sys.executable, "-m", "derivcheck", "grade", str(DATA / "key.yaml"), str(subs), "--out", str(tmp_path / "out"), "-j", "1"],
                          capture_output=True, text=True)
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr
    rows = (tmp_path / "out" / "grades.csv").read_text("utf-8").splitlines()
    assert rows[1:] == ["\\xff\\xfe,10,20,,30", "ok,10,20,,30"]
    assert (tmp_path / "out" / "feedback" / "\\xff\\xfe.html").is_file()
    assert "\\xff\\xfe" in Dom((tmp_path / "out" / "report.html").read_text("utf-8")).all_text
    # verify --output-file too: the page names the file, escaped, and is written
    bad = os.fsdecode(bytes(tmp_path) + b"/\xff.yaml")
    shutil.copy(DATA / "derivation.yaml", bad)
    page = tmp_path / "page.html"
    proc = subprocess.run([sys.executable, "-m", "derivcheck", "verify", bad, "--format", "html", "-o", str(page)], capture_output=True, text=True)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert ".yaml" in Dom(page.read_text("utf-8")).all_text


def test_safe_id_keeps_distinct_byte_names_distinct() -> None:
    from derivcheck.grading.outputs import safe_id

    names = [os.fsdecode(b) for b in (b"\xff", b"\xfe", b"\xff\xfe", b"a\xe9", b"a\xc3\xa9")]  # the last is valid UTF-8: "aé"
    ids = [safe_id(n) for n in names]
    assert ids == ["\\xff", "\\xfe", "\\xff\\xfe", "a\\xe9", "aé"]
    assert len(set(ids)) == len(ids)
    assert all(i.encode("utf-8") for i in ids)


def test_outputs_quote_non_utf8_bytes_in_messages(tmp_path: Path) -> None:
    # a failure reason that quotes a non-UTF-8 path (as a loader message does) is written escaped, not dropped
    from derivcheck.grading.batch import FAILED, QuestionGrade, SubmissionGrade
    from derivcheck.grading.key import load_key

    key = load_key(DATA / "key.yaml")
    reason = "cannot read " + os.fsdecode(b"/subs/\xff.yaml")
    g = SubmissionGrade("s1", os.fsdecode(b"/subs/\xff.yaml"),
                        {q: QuestionGrade(q, key.questions[q].points, Fraction(0), FAILED, reason) for q in key.questions}, error=reason)
    assert write_outputs(key, [g], tmp_path) == []
    for name in ("grades.json", "summary.md", "report.html", "feedback/s1.md", "feedback/s1.html"):
        text = (tmp_path / name).read_text("utf-8")
        assert "\\udcff" in text or "\\xff" in text or name == "summary.md", name
    assert "/subs/\\udcff.yaml" in Dom((tmp_path / "report.html").read_text("utf-8")).all_text


def test_the_package_ships_every_subpackage_and_the_templates() -> None:
    # an installed (non-editable) derivcheck holds only what pyproject.toml names: the
    # templates and every subpackage must be named, or the HTML pages fail only after install
    import fnmatch

    tomllib = pytest.importorskip("tomllib", reason="tomllib is in the standard library from Python 3.11")

    root = Path(__file__).parent.parent
    setup = tomllib.loads((root / "pyproject.toml").read_text("utf-8"))["tool"]["setuptools"]
    include = setup["packages"]["find"]["include"]
    packages = [".".join(p.parent.relative_to(root).parts) for p in (root / "derivcheck").rglob("__init__.py")]
    assert "derivcheck.formats" in packages
    for name in packages:
        assert any(fnmatch.fnmatch(name, pattern) for pattern in include), name
    patterns = setup["package-data"]["derivcheck.formats"]
    for template in (root / "derivcheck" / "formats" / "templates").iterdir():
        assert any(fnmatch.fnmatch(f"templates/{template.name}", p) for p in patterns), template.name


def test_counterexample_values_are_shown_apart() -> None:
    # 0.1 + 2**-50 and 0.1 differ (2**-50 ~ 8.9e-16, about 1e-14 relative): they print alike to 10 digits
    from derivcheck.formats.html import values_apart
    from derivcheck.results import Counterexample

    left, right = 0.1 + 2.0 ** -50, 0.1
    a, b = values_apart(Counterexample({"x": 0.1}, left, right))
    assert a != b and float(a) == left and float(b) == right
    assert values_apart(Counterexample({}, 40.0, 40.00004)) == ("40", "40.00004")

    class Certified(Counterexample):  # values beyond a double come as text from the certificate
        left_text = "6.4600000000000000000000000000000000002e36"
        right_text = "6.46e36"

    assert values_apart(Certified({}, 6.46e36, 6.46e36)) == (Certified.left_text, Certified.right_text)


@pytest.mark.parametrize("seed", [0, 3])
def test_tiny_difference_shows_two_different_values(seed: int) -> None:
    # sin(x) + 1e-25 - sin(x) = 1e-25 exactly: the table's two values must differ, by 1e-25 (mpmath, 60 digits)
    proc = subprocess.run([sys.executable, "-m", "derivcheck", "verify", str(DATA / "tiny_difference.yaml"), "--format", "html",
                           "--seed", str(seed)], capture_output=True, text=True, check=False)
    assert proc.returncode == 1
    cells = [t.strip() for t in Dom(proc.stdout).text if t.strip()]
    i = cells.index("Counterexample")
    table = dict(zip(cells[i + 1:i + 7:2], cells[i + 2:i + 7:2]))
    assert table["previous step"] != table["this step"]
    with mpmath.workdps(60):
        x = mpmath.mpf(table["x"])
        truth = mpmath.sin(x) + mpmath.mpf(10) ** -25
        shown = mpmath.mpf(table["previous step"])
        assert abs(shown - truth) <= abs(truth) * mpmath.mpf("1e-5")
        assert abs(mpmath.mpf(table["this step"]) - mpmath.sin(x)) <= abs(mpmath.sin(x)) * mpmath.mpf("1e-5")


def test_coverage_neither_shown_nor_refuted_says_so() -> None:
    from derivcheck.results import ChainResult, ClaimResult, CoverageResult, FileResult, Note, StepResult

    r = FileResult("c.yaml", status="unknown", claim=ClaimResult("proved", "holds"),
                   chains=[ChainResult(["x > 0"], [StepResult(1, 3, "x", "start"), StepResult(2, 4, "x", "proved")])])
    r.coverage = CoverageResult(False, [])
    r.coverage.notes = [Note("coverage-undecided", "could not tell whether x = <0> is covered")]
    text = Dom(render_verify([r])).all_text
    assert "Cases not covered" not in text
    assert "Coverage of the claim" in text and "could not tell whether x = <0> is covered" in text
    r.coverage = CoverageResult(False, ["x = -1"])
    assert "Cases not covered: x = -1" in Dom(render_verify([r])).all_text
