"""`derivcheck grade` (SPEC §9): key and submission formats, scoring, outputs, hostile input, parallelism."""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
import time
from fractions import Fraction
from pathlib import Path

import pytest

from derivcheck.grading import batch as G
from derivcheck.grading.key import (
    DEFAULT_DEDUCTIONS,
    Answer,
    KeyProblem,
    Submission,
    discover,
    load_key,
    read_submission,
    register_reader,
    READERS,
)
from derivcheck.grading.outputs import feedback_md, gradescope_json, histogram, summary_md
from derivcheck.results import (
    ERROR,
    INVALID,
    PROVED,
    START,
    TIMEOUT,
    ChainResult,
    ClaimResult,
    CoverageResult,
    FileError,
    FileResult,
    Note,
    StepResult,
)

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "int305"
KEY = EXAMPLE / "key.yaml"


def run_grade(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "derivcheck", "grade", *args], cwd=cwd, capture_output=True, text=True, timeout=600
    )


@pytest.fixture(scope="module")
def key():
    return load_key(KEY)


# -- scoring, one deduction at a time (synthetic verify results: no SymPy) -----------------


def step(i: int, status: str, *kinds: str) -> StepResult:
    return StepResult(i, 10 + i, f"e{i}", status, message=f"m{i}", diagnoses=[Note(k, f"{k} message") for k in kinds])


def result(*chains: list[StepResult], claim: str = PROVED, coverage: CoverageResult | None = None) -> FileResult:
    r = FileResult("s.yaml", chains=[ChainResult([], list(c)) for c in chains])
    r.claim = ClaimResult(claim, "claim message")
    r.coverage = coverage
    return r


def q1(key):
    return key.questions["q1"]


def answer_for(q):
    from derivcheck.model import Chain, Derivation, Step

    return Answer(q.id, derivation=Derivation("s.yaml", q.scope, [Chain((Step("x", 1),))], claim=q.claim))


def sides(start: str = PROVED, end: str = PROVED, chain: int = 0):
    return [G.ClaimSide(chain, "start", start, "s"), G.ClaimSide(chain, "end", end, "e")]


def test_full_marks(key):
    q = q1(key)
    g = G.score_answer(q, answer_for(q), result([step(1, START), step(2, PROVED)]), sides())
    assert g.score == 30 and g.deductions == [] and g.status == G.GRADED


def test_invalid_step_each(key):
    q = q1(key)
    r = result([step(1, START), step(2, INVALID, "sign-error"), step(3, INVALID), step(4, PROVED)])
    g = G.score_answer(q, answer_for(q), r, sides())
    assert [d.kind for d in g.deductions] == ["invalid_step", "invalid_step"]
    assert g.score == 15 and g.deductions[0].diagnosis == "sign-error" and g.deductions[0].step == 2


def test_slip_and_after_slip(key):
    q = q1(key)
    r = result([step(1, START), step(2, INVALID, "slip"), step(3, INVALID, "after-slip"), step(4, PROVED)])
    g = G.score_answer(q, answer_for(q), r, sides())
    assert [(d.kind, d.points) for d in g.deductions] == [("slip", 3), ("after_slip", 0)]
    assert g.score == 27


def test_wrong_start_and_wrong_result(key):
    q = q1(key)
    r = result([step(1, START), step(2, PROVED)], claim=INVALID)
    g = G.score_answer(q, answer_for(q), r, sides(start=INVALID))
    assert [d.kind for d in g.deductions] == ["wrong_start"] and g.score == 15
    g = G.score_answer(q, answer_for(q), r, sides(end=INVALID))
    assert [d.kind for d in g.deductions] == ["wrong_result"] and g.deductions[0].step == 2 and g.score == 15


def test_missing_case(key):
    q = key.questions["q2"]
    r = result([step(1, START), step(2, PROVED)], coverage=CoverageResult(False, ["T != k: K = 2, T = 1, k = 2"]))
    g = G.score_answer(q, answer_for(q), r, sides())
    assert [d.kind for d in g.deductions] == ["missing_case"] and g.score == 20
    assert "T != k" in g.deductions[0].message


def test_floor_at_zero(key):
    q = q1(key)
    r = result([step(1, START)] + [step(i, INVALID) for i in range(2, 8)], claim=INVALID)
    g = G.score_answer(q, answer_for(q), r, sides(INVALID, INVALID))
    assert g.score == 0 and sum(d.points for d in g.deductions) > 30


def test_error_missing_manual_timeout(key):
    q = q1(key)
    g = G.score_answer(q, answer_for(q), result([step(1, START), step(2, ERROR)]), sides())
    assert g.score == 0 and g.status == "error" and "m2" in g.reason
    r = FileResult("s.yaml", error=FileError("definitions refer to each other in a cycle", 4))
    g = G.score_answer(q, answer_for(q), r, [])
    assert g.score == 0 and "s.yaml:4" in g.reason
    g = G.score_answer(q, None, None, [])
    assert g.score == 0 and g.status == "missing" and "no answer" in g.reason
    g = G.score_answer(q, Answer("q1", error="s.yaml:3: bad"), None, [])
    assert g.score == 0 and g.reason == "s.yaml:3: bad"
    g = G.score_answer(key.questions["q3"], None, None, [])
    assert g.score is None and g.status == "manual"
    # a timeout is no deduction, only a remark for a person
    g = G.score_answer(q, answer_for(q), result([step(1, START), step(2, TIMEOUT)]), sides())
    assert g.score == 30 and g.review


def test_deductions_overrides(tmp_path):
    text = KEY.read_text().split("deductions:")[0] + "deductions:\n  invalid_step: 0.5\n"
    text = text.replace("    points: 30\n    symbols:", "    points: 30\n    deductions: {slip: 0}\n    symbols:", 1)
    p = tmp_path / "key.yaml"
    p.write_text(text)
    k = load_key(p)
    assert k.deductions["invalid_step"] == Fraction(1, 2) and k.deductions["wrong_start"] == DEFAULT_DEDUCTIONS["wrong_start"]
    q = k.questions["q1"]
    assert q.deductions["slip"] == 0 and q.deductions["invalid_step"] == Fraction(1, 2)
    r = result([step(1, START), step(2, INVALID, "slip"), step(3, INVALID)])
    g = G.score_answer(q, answer_for(q), r, sides())
    assert g.score == 15


def test_fmt_score():
    assert [G.fmt_score(Fraction(x)) for x in (27, "7.5", "0")] == ["27", "7.5", "0"]
    assert G.fmt_score(Fraction(10, 3)) == "3.33" and G.fmt_score(None) == ""


# -- the key ------------------------------------------------------------------------------

BROKEN_KEYS = {
    "no_questions": ("assignment: A\n", "questions", 1),
    "unknown_key": ("questions:\n  q1:\n    points: 3\n    claim: x = x\n    clam: y\n", "unknown key 'clam'", 5),
    "no_points": ("questions:\n  q1:\n    claim: x = x\n", "points", 2),
    "bad_points": ("questions:\n  q1:\n    points: lots\n    claim: x = x\n", "number", 3),
    "bad_claim": ("questions:\n  q1:\n    points: 3\n    claim: x = (y\n", "claim", 4),
    "not_equation": ("questions:\n  q1:\n    points: 3\n    claim: x < y\n", "equation", 4),
    "cycle": ("define:\n  a: b\n  b: a\nquestions:\n  q1:\n    points: 3\n    claim: a = b\n", "cycle", None),
    "bad_deduction": ("questions:\n  q1:\n    points: 3\n    claim: x = x\ndeductions:\n  invalid_step: 2\n", "between 0 and 1", 6),
    "bad_yaml": ("questions: [\n", "invalid YAML", None),
    "python_tag": ("questions: !!python/object/apply:os.system ['touch pwned']\n", "not allowed", 1),
    "no_claim": ("questions:\n  q1:\n    points: 3\n", "claim", 2),
}


@pytest.mark.parametrize("name", sorted(BROKEN_KEYS))
def test_broken_key_is_refused_with_line(tmp_path, name):
    text, words, line = BROKEN_KEYS[name]
    p = tmp_path / "key.yaml"
    p.write_text(text)
    with pytest.raises(KeyProblem) as info:
        load_key(p)
    assert words in info.value.message
    if line is not None:
        assert info.value.line == line and info.value.where() == f"{p}:{line}"


def test_broken_key_exits_2_before_grading(tmp_path):
    (tmp_path / "key.yaml").write_text("questions:\n  q1:\n    points: 3\n    claim: x = (y\n")
    subs = tmp_path / "subs"
    subs.mkdir()
    (subs / "a.yaml").write_text("answers: {}\n")
    proc = run_grade("key.yaml", "subs", "--out", "out", cwd=tmp_path)
    assert proc.returncode == 2
    assert "key.yaml:4" in proc.stderr and "Traceback" not in proc.stderr
    assert not (tmp_path / "out" / "grades.csv").exists()
    proc = run_grade("nokey.yaml", "subs", "--out", "out", cwd=tmp_path)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    proc = run_grade(str(KEY), "missing", "--out", "out", cwd=tmp_path)
    assert proc.returncode == 2 and "does not exist" in proc.stderr


# -- submissions --------------------------------------------------------------------------


def write(folder: Path, name: str, text: str) -> Path:
    p = folder / name
    p.write_text(text)
    return p


def test_submission_format_errors(tmp_path, key):
    cases = {
        "empty.yaml": ("", "empty"),
        "list.yaml": ("- a\n", "mapping"),
        "typo.yaml": ("answer:\n  q1: {steps: [x]}\n", "unknown key 'answer'"),
        "tag.yaml": ("answers: !!python/object/apply:os.system ['touch pwned']\n", "not allowed"),
        "bomb.yaml": ("a: &a [1, 2]\nb: [*a, *a]\n", "aliases"),
    }
    for name, (text, words) in cases.items():
        sub = read_submission(write(tmp_path, name, text), key)
        assert sub.error and words in sub.error, (name, sub.error)
        assert f"{name}" in sub.error


def test_answer_errors_are_per_answer(tmp_path, key):
    text = (
        "answers:\n"
        "  q1:\n    define:\n      L: x_j\n    steps: [Derivative(L, w_j)]\n"
        "  q2:\n    stesp: [x]\n"
        "  q9:\n    steps: [x]\n"
    )
    sub = read_submission(write(tmp_path, "s.yaml", text), key)
    assert sub.error is None
    assert "redefines" in sub.answers["q1"].error and "s.yaml:4" in sub.answers["q1"].error
    assert "unknown key 'stesp'" in sub.answers["q2"].error
    assert any("'q9' is not a question" in w for w in sub.warnings)


def test_redefinition_rules(tmp_path, key):
    def err(own: str) -> str | None:
        sub = read_submission(write(tmp_path, "r.yaml", f"answers:\n  q2:\n    {own}\n    steps: [x, x]\n"), key)
        return sub.answers["q2"].error

    assert "redefines" in err("symbols: {z_k: positive}")  # z_k is z[k], the key's
    assert "redefines" in err("define: {K: 3}")  # a size of the key
    assert "redefines" in err("symbols: {T: positive}")  # an index of the key
    assert err("define: {u_hat: 2}") is None  # a new name
    assert err("symbols: {q: positive}") is None


def test_plug_in_reader(tmp_path, key):
    def reader(path: Path, key) -> Submission:
        return Submission(path.stem, str(path), error="markdown later")

    register_reader(".txt", reader)
    try:
        write(tmp_path, "b.txt", "hello")
        write(tmp_path, "a.yaml", "answers: {}\n")
        write(tmp_path, ".hidden.yaml", "x")
        write(tmp_path, "notes.pdf", "x")
        found, _ = discover(tmp_path)
        assert [s for s, _ in found] == ["a", "b"]
        assert read_submission(tmp_path / "b.txt", key).error == "markdown later"
    finally:
        READERS.pop(".txt")


# -- the whole command on a class with hostile submissions --------------------------------

HOSTILE = {
    "h_tag": "answers:\n  q1: !!python/object/apply:os.system ['touch derivcheck-pwned']\n",
    "h_code": "answers:\n  q1:\n    steps:\n      - Derivative(L, w_j)\n      - \"__import__('os').system('touch derivcheck-pwned')\"\n",
    "h_empty": "",
    "h_tower": "answers:\n  q1:\n    steps:\n      - Derivative(L, w_j)\n      - 2**2**2**2**2**2\n",
    "h_nested": "answers:\n  q1:\n    steps:\n      - Derivative(L, w_j)\n      - " + "(" * 10000 + "x" + ")" * 10000 + "\n",
    "h_bomb": "answers:\n  q1: &a [x, x]\n  q2: [*a, *a]\n",
}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    work = tmp_path_factory.mktemp("grade")
    subs = work / "subs"
    shutil.copytree(EXAMPLE / "submissions", subs)
    for name, text in HOSTILE.items():
        (subs / f"{name}.yaml").write_text(text)
    with (subs / "h_big.yaml").open("w") as f:
        f.write("answers:\n  q1:\n    steps:\n")
        line = "      - x_j + x_j + x_j + x_j\n"
        f.write(line * (10_000_000 // len(line)))
    started = time.monotonic()
    proc = run_grade(str(KEY), "subs", "--out", "out", "--jobs", "2", "--gradescope", cwd=work)
    return work, proc, time.monotonic() - started


EXPECTED = {
    "s001": ["30", "40", "", "70"],
    "s002": ["27", "20", "", "47"],
    "s003": ["7.5", "0", "", "7.5"],
    "s004": ["0", "40", "", "40"],
    "s005": ["0", "0", "", "0"],
    "s006": ["30", "40", "", "70"],
    "s007": ["0", "40", "", "40"],
    "s008": ["30", "10", "", "40"],
    "s009": ["30", "20", "", "50"],  # the Markdown submission
}


def test_batch_exit_and_csv(graded):
    work, proc, _ = graded
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr
    assert not (work / "derivcheck-pwned").exists() and not (work / "subs" / "derivcheck-pwned").exists()
    with (work / "out" / "grades.csv").open(newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["student", "q1", "q2", "q3", "total"]
    ids = [r[0] for r in rows[1:]]
    assert ids == sorted(ids) and len(ids) == 9 + len(HOSTILE) + 1
    got = {r[0]: r[1:] for r in rows[1:]}
    for student, want in EXPECTED.items():
        assert got[student] == want, student
    for name in [*HOSTILE, "h_big"]:
        assert got[name] == ["0", "0", "", "0"], name


def test_hostile_reasons(graded):
    work, _, _ = graded
    data = json.loads((work / "out" / "grades.json").read_text())
    by = {s["student"]: s for s in data["students"]}
    reason = lambda s, q="q1": by[s]["questions"][q]["reason"] or ""  # noqa: E731
    assert "not allowed" in reason("h_tag")
    assert "cannot be read" in reason("h_code")
    assert "empty" in reason("h_empty")
    assert "cannot be read" in reason("h_tower")
    assert "cannot be read" in reason("h_nested")
    assert "aliases" in reason("h_bomb")
    assert "limit" in reason("h_big") and "kB" in reason("h_big")
    assert "redefines" in reason("s007")


def test_grades_json(graded):
    work, _, _ = graded
    data = json.loads((work / "out" / "grades.json").read_text())
    assert [q["id"] for q in data["questions"]] == ["q1", "q2", "q3"] and data["questions"][2]["manual"]
    s2 = next(s for s in data["students"] if s["student"] == "s002")
    assert s2["total"] == 47 and s2["status"] == "graded"  # a JSON number
    q1 = s2["questions"]["q1"]
    assert [(d["kind"], d["points"], d["step"]) for d in q1["deductions"]] == [("slip", 3, 3), ("after_slip", 0, 4)]
    assert q1["result"]["status"] == "invalid" and q1["result"]["chains"][0]["steps"][2]["status"] == "invalid"
    assert q1["result"]["claim"]["status"] == "proved"
    q2 = s2["questions"]["q2"]
    assert [d["kind"] for d in q2["deductions"]] == ["missing_case"] and q2["result"]["coverage"]["complete"] is False
    assert s2["questions"]["q3"]["status"] == "manual" and s2["questions"]["q3"]["score"] is None
    s3 = next(s for s in data["students"] if s["student"] == "s003")
    assert [(d["kind"], d["points"]) for d in s3["questions"]["q1"]["deductions"]] == [("invalid_step", 7.5), ("wrong_result", 15)]
    assert s3["questions"]["q2"]["status"] == "missing"
    s8 = next(s for s in data["students"] if s["student"] == "s008")
    d8 = s8["questions"]["q2"]["deductions"]
    assert [(d["kind"], d["case"], d["step"]) for d in d8] == [("invalid_step", 2, 4), ("wrong_result", 2, 4)]


def test_feedback(graded):
    work, _, _ = graded
    fb = (work / "out" / "feedback" / "s002.md").read_text()
    assert "feedback for s002" in fb and "47 / 70" in fb
    assert "Score: 27 / 30" in fb and "−3 (slip): step 3 (line" in fb and "no deduction" in fb
    assert "Score: 20 / 40" in fb and "missing case" in fb and "T != k" in fb
    assert "`(-1/y + (1 - t)/(1 - y)) * y*(1 - y) * x_j`" in fb  # the annotated chain
    assert "Graded by hand" in fb
    fb3 = (work / "out" / "feedback" / "s003.md").read_text()
    assert "−15 (wrong result)" in fb3 and "−7.5 (invalid step)" in fb3 and "no answer" in fb3
    fb5 = (work / "out" / "feedback" / "s005.md").read_text()
    assert "could not be graded" in fb5 and "invalid YAML" in fb5
    assert len(list((work / "out" / "feedback").glob("*.md"))) == 9 + len(HOSTILE) + 1


def test_summary(graded):
    work, _, _ = graded
    text = (work / "out" / "summary.md").read_text()
    assert "## q1" in text and "Mean" in text and "#" in text.split("## q1")[1]
    assert "| slip | q1 | step 3 | 1 |" in text
    assert "| missing case | q2 |  | 2 |" in text
    assert "## q3" in text and "Graded by hand" in text


def test_gradescope(graded):
    work, _, _ = graded
    data = json.loads((work / "out" / "gradescope" / "s002" / "results.json").read_text())
    assert data["score"] == 47
    assert [(t["score"], t["max_score"]) for t in data["tests"]] == [(27, 30), (20, 40)]
    assert "slip" in data["tests"][0]["output"] and data["tests"][0]["name"].startswith("q1")


def test_parallel_equals_serial_and_cache_off(graded, key):
    work, _, _ = graded
    parallel = json.loads((work / "out" / "grades.json").read_text())
    chosen = ["s001", "s002", "s003", "s008"]
    subs = [(s, work / "subs" / f"{s}.yaml") for s in chosen]
    serial, stats = G.grade_batch(key, subs, G.BatchOptions(jobs=1, cache=False))
    assert stats.cache_hits == 0
    from derivcheck.grading.outputs import grades_json

    mine = grades_json(key, serial)
    theirs = {s["student"]: s for s in parallel["students"]}
    for s in mine["students"]:
        other = theirs[s["student"]]
        for qid, q in s["questions"].items():
            o = other["questions"][qid]
            assert (q["score"], q["deductions"]) == (o["score"], o["deductions"]), (s["student"], qid)
            if q["result"]:
                assert q["result"]["chains"] == o["result"]["chains"]


def test_transition_cache_reuses(key, tmp_path):
    a = write(tmp_path, "a.yaml", (EXAMPLE / "submissions" / "s003.yaml").read_text())
    b = write(tmp_path, "b.yaml", "# a copy, moved down\n\n" + (EXAMPLE / "submissions" / "s003.yaml").read_text())
    cache = G.TransitionCache()
    ga = G.grade_submission("a", a, key, cache)
    misses = cache.misses
    gb = G.grade_submission("b", b, key, cache)
    assert cache.misses == misses and cache.hits >= misses
    assert ga.questions["q1"].score == gb.questions["q1"].score == Fraction(15, 2)


# -- one bad submission never stops the batch ---------------------------------------------


def _fake_grade(student, path, key, cache=None, seed=0, timeout=10.0):
    if student == "slow":
        time.sleep(60)
    if student == "crash":
        os._exit(3)
    if student == "hog":
        bytearray(8 * 1024**3)
    return G.failed_submission(student, str(path), key, "fine")


def test_timeout_crash_and_memory_are_contained(key, tmp_path, monkeypatch):
    monkeypatch.setattr(G, "grade_submission", _fake_grade)  # the forked workers inherit it
    subs = [(s, tmp_path / f"{s}.yaml") for s in ("a", "crash", "hog", "slow", "z")]
    started = time.monotonic()
    grades, stats = G.grade_batch(key, subs, G.BatchOptions(jobs=2, submission_timeout=2, memory_mb=1024))
    assert time.monotonic() - started < 20
    by = {g.student: g for g in grades}
    assert [g.student for g in grades] == ["a", "crash", "hog", "slow", "z"]
    assert by["a"].error == "fine" and by["z"].error == "fine"
    assert "timed out" in by["slow"].error and by["slow"].questions["q1"].score == 0
    assert "crashed" in by["crash"].error
    assert "memory" in by["hog"].error
    assert stats.timed_out == 1 and stats.crashed == 1


# -- output helpers -----------------------------------------------------------------------


def test_histogram_and_summary_without_submissions(key):
    assert histogram([], Fraction(30)) == ["(no submissions)"]
    many = [Fraction(i) for i in range(31)]
    assert len(histogram(many, Fraction(30))) == 10
    assert "0 submission(s)" in summary_md(key, [])


def test_feedback_escapes_student_text(key):
    g = G.failed_submission("s", "s.yaml", key, "<script>alert(1)</script> [x](http://evil)")
    text = feedback_md(key, g)
    assert "<script>" not in text and "&lt;script&gt;" in text
    assert "[x](http" not in text and "\\[x\\](http" in text
    assert gradescope_json(key, g)["score"] == 0
