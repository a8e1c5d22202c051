"""Grading outputs and the answer cache: the same bytes whatever the run, complete files, reuse only of identical answers.

Ground truth comes from outside the code under test: scores worked out by hand
(tests/data/grading/small/key.yaml's header), the standard library's one-piece
``json.dumps`` of the whole document, and the file contents before a failed write.
"""

from __future__ import annotations

import json
import os
from fractions import Fraction
from pathlib import Path

import pytest

from derivcheck.grading import batch as G
from derivcheck.grading import outputs as gradeout
from derivcheck.grading.key import discover, load_key, read_submission
from derivcheck.results import TIMEOUT

ROOT = Path(__file__).resolve().parents[1]
SMALL = ROOT / "tests" / "data" / "grading" / "small"

#: by hand, from the key's deductions (see the key's header comment)
HAND = {"good": Fraction(16), "good_copy": Fraction(16), "sign": Fraction(17, 2), "slip": Fraction(77, 5),
        "élève-7": Fraction(23, 2), "broken": Fraction(0), "md": Fraction(10)}


@pytest.fixture(scope="module")
def key():
    return load_key(SMALL / "key.yaml")


@pytest.fixture(scope="module")
def graded(key):
    from derivcheck.documents import register_markdown_reader

    register_markdown_reader()
    subs, _ = discover(SMALL / "submissions")
    grades, _ = G.grade_batch(key, subs, G.BatchOptions(jobs=1, render=gradeout.render_feedback_files))
    return grades


def test_scores_by_hand(graded) -> None:
    assert {g.student: g.total for g in graded} == HAND


def test_grades_json_from_parts_is_one_dump(key, graded) -> None:
    whole = json.dumps(gradeout.grades_json(key, graded), indent=2, ensure_ascii=False, default=str) + "\n"
    parts = {gradeout.safe_id(g.student): gradeout.student_json_text(g) for g in graded}
    assert gradeout.grades_json_text(key, graded, parts) == whole
    assert gradeout.grades_json_text(key, graded) == whole
    assert gradeout.grades_json_text(key, []) == json.dumps(gradeout.grades_json(key, []), indent=2) + "\n"
    # a student id holding quotes, a newline escape and a non-UTF-8 byte (kept as a surrogate)
    odd = [G.failed_submission('a"b\\n', "x", key, "why\nnot"), G.failed_submission("z\udcff", "y", key, "r")]
    odd = [g if gradeout.safe_id(g.student) == g.student else __import__("dataclasses").replace(g, student=gradeout.safe_id(g.student)) for g in odd]
    assert gradeout.grades_json_text(key, odd) == json.dumps(gradeout.grades_json(key, odd), indent=2, ensure_ascii=False) + "\n"


def test_outputs_do_not_depend_on_jobs_or_the_cache(key, tmp_path: Path) -> None:
    subs, _ = discover(SMALL / "submissions")
    outs = []
    for i, opts in enumerate([G.BatchOptions(jobs=1, cache=False), G.BatchOptions(jobs=2, render=gradeout.render_feedback_files)]):
        writer = gradeout.FeedbackWriter(key, tmp_path / str(i))
        grades, stats = G.grade_batch(key, subs, opts, writer)
        gradeout.write_outputs(key, grades, tmp_path / str(i), stats, feedback=writer)
        outs.append({str(p.relative_to(tmp_path / str(i))): p.read_bytes() for p in sorted((tmp_path / str(i)).rglob("*")) if p.is_file()})
    assert outs[0] == outs[1]
    assert "stats" not in json.loads(outs[0]["grades.json"])
    assert outs[0]["grades.csv"].decode().splitlines()[1:] == [
        f"{s},{q1},{q2},,{t}" for s, q1, q2, t in
        [("broken", 0, 0, 0), ("good", 10, 6, 16), ("good_copy", 10, 6, 16), ("md", 10, 0, 10), ("sign", 2.5, 6, 8.5),
         ("slip", 10, 5.4, 15.4), ("élève-7", 10, 1.5, 11.5)]]


def test_a_failed_write_leaves_the_old_file_whole(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "grades.csv"
    target.write_text("student,total\nold,1\n", encoding="utf-8")

    class Full(OSError):
        pass

    real_open = open

    def failing_open(path, mode="r", *a, **k):  # type: ignore[no-untyped-def]
        f = real_open(path, mode, *a, **k)
        if "w" in mode:
            real_write = f.write

            def write(text: str) -> int:
                real_write(text[: len(text) // 2])
                raise Full(28, "No space left on device")

            f.write = write  # type: ignore[method-assign]
        return f

    monkeypatch.setattr("builtins.open", failing_open)
    with pytest.raises(OSError):
        gradeout.write_atomic(target, "student,total\nnew,2\n" * 100)
    monkeypatch.undo()
    assert target.read_text(encoding="utf-8") == "student,total\nold,1\n"
    assert sorted(os.listdir(tmp_path)) == ["grades.csv"]


# -- the answer cache ---------------------------------------------------------------------


def _answer(key, path: Path, qid: str):
    sub = read_submission(path, key)
    return sub.answers[qid]


def test_identical_answers_share_a_result_and_get_their_own_path(key, tmp_path: Path) -> None:
    text = (SMALL / "submissions" / "sign.yaml").read_text()
    a, b = tmp_path / "a.yaml", tmp_path / "b.yaml"
    a.write_text(text)
    b.write_text(text)
    cache = G.TransitionCache()
    ga = G.grade_submission("a", a, key, cache)
    misses = cache.misses
    gb = G.grade_submission("b", b, key, cache)
    assert cache.answer_hits == 2 and cache.misses == misses
    fresh = G.grade_submission("b", b, key, G.TransitionCache(enabled=False))
    for qid in ("q1", "q2"):
        got, want = gb.questions[qid], fresh.questions[qid]
        assert got.result is not None and want.result is not None
        assert got.result.to_json() == want.result.to_json()
        assert got.result.path == str(b) and ga.questions[qid].result.path == str(a)
        assert got.score == want.score and [d.message for d in got.deductions] == [d.message for d in want.deductions]
    # by hand: -3*x**2 after Derivative(x**3, x) is invalid (at x = 1: 3 against -3) and the chain ends off the claim
    assert gb.questions["q1"].score == Fraction(5, 2)


def test_answers_that_differ_do_not_share(key, tmp_path: Path) -> None:
    base = (SMALL / "submissions" / "good.yaml").read_text()
    variants = {
        "moved": "\n" + base,                                                  # the same steps one line lower
        "why": base.replace("- 3*x**2", "- expr: 3*x**2\n        why: power rule"),
        "own": base.replace("  q1:\n", "  q1:\n    define:\n      c: 3\n"),
        "other": base.replace("- 3*x**2", "- 3*x**3"),
    }
    seed_key = G.answer_cache_key("q1", _answer(key, SMALL / "submissions" / "good.yaml", "q1"), 0, 10.0)
    for name, text in variants.items():
        p = tmp_path / f"{name}.yaml"
        p.write_text(text)
        assert G.answer_cache_key("q1", _answer(key, p, "q1"), 0, 10.0) != seed_key, name
    good = _answer(key, SMALL / "submissions" / "good.yaml", "q1")
    assert G.answer_cache_key("q1", good, 1, 10.0) != seed_key  # another seed
    assert G.answer_cache_key("q1", good, 0, 5.0) != seed_key   # another timeout
    # by hand: 3*x**3 is not the derivative of x**3 (at x = 2: 12 against 24)
    other = G.grade_submission("other", tmp_path / "other.yaml", key, G.TransitionCache())
    assert other.questions["q1"].score == Fraction(5, 2)


def test_undecided_results_are_not_kept(key, monkeypatch: pytest.MonkeyPatch) -> None:
    answer = _answer(key, SMALL / "submissions" / "good.yaml", "q1")
    real = G.verify_answer

    def timing_out(*args, **kwargs):  # type: ignore[no-untyped-def]
        result, sides = real(*args, **kwargs)
        result.chains[0].steps[1].status = TIMEOUT  # as a transition past its budget would be
        return result, sides

    monkeypatch.setattr(G, "verify_answer", timing_out)
    cache = G.TransitionCache()
    G.verify_answer_cached("q1", answer, cache)
    assert not [k for k in cache.entries if k.startswith(G.ANSWER_KEY)]
    monkeypatch.setattr(G, "verify_answer", real)
    G.verify_answer_cached("q1", answer, cache)
    assert [k for k in cache.entries if k.startswith(G.ANSWER_KEY)]


def test_a_corrupt_shared_entry_is_recomputed(key) -> None:
    answer = _answer(key, SMALL / "submissions" / "sign.yaml", "q1")
    k = G.answer_cache_key("q1", answer, 0, 10.0)
    cache = G.TransitionCache()
    cache.merge([(k, b"not a pickle")])
    result, _ = G.verify_answer_cached("q1", answer, cache, timeout=10.0)
    # by hand, as above: invalid at x = 1
    assert [s.status for s in result.chains[0].steps] == ["start", "invalid"]
    assert cache.answer_hits == 0


def test_a_result_missing_a_diagnosis_for_lack_of_time_is_not_kept(key, monkeypatch: pytest.MonkeyPatch) -> None:
    """A rule that runs out of time says nothing; that answer's result must not be handed to the next student."""
    from derivcheck.budget import Timeout
    from derivcheck.diagnoses import probe

    answer = _answer(key, SMALL / "submissions" / "sign.yaml", "q1")
    real_run = probe.Probe.run

    def out_of_time(self, rule):  # type: ignore[no-untyped-def]
        def slow(p):  # type: ignore[no-untyped-def]
            raise Timeout("rule budget")
        return real_run(self, slow)

    monkeypatch.setattr(probe.Probe, "run", out_of_time)
    cache = G.TransitionCache()
    result, _ = G.verify_answer_cached("q1", answer, cache)
    # by hand: -3*x**2 against 3*x**2 is invalid (at x = 1: -3 against 3); no diagnosis came in time
    assert result.chains[0].steps[1].status == "invalid" and result.chains[0].steps[1].diagnoses == []
    assert not [k for k in cache.entries if k.startswith(G.ANSWER_KEY)]
    monkeypatch.undo()
    result, _ = G.verify_answer_cached("q1", answer, cache)
    assert [d.kind for d in result.chains[0].steps[1].diagnoses]  # sign-error, given the time
    assert [k for k in cache.entries if k.startswith(G.ANSWER_KEY)]


def test_a_verdict_reached_while_a_limit_fired_is_not_shared(key, monkeypatch: pytest.MonkeyPatch) -> None:
    """A proof given up for lack of time gives a weaker verdict; the next student must get a fresh look."""
    from derivcheck.budget import Timeout
    from derivcheck.engine import Engine

    answer = _answer(key, SMALL / "submissions" / "good.yaml", "q1")
    real = Engine.compare

    def pressed(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        Timeout()  # as a time limit firing inside the comparison would (and being handled there)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Engine, "compare", pressed)
    cache = G.TransitionCache()
    result, _ = G.verify_answer_cached("q1", answer, cache)
    # by hand: d/dx x**3 = 3*x**2 (the power rule)
    assert [s.status for s in result.chains[0].steps][1] in ("proved", "tested")
    assert cache.entries == {}
    monkeypatch.undo()
    G.verify_answer_cached("q1", answer, cache)
    assert cache.entries
