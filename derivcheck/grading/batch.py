"""Grading (SPEC §9): verify every answer of every submission against a key and score it.

The pieces, from the bottom up:

- :class:`TransitionCache` and :class:`CachingEngine`: identical transitions across
  students (same question, same answer-level names, same previous and current step,
  same conditions) are compared once.  Sampling is seeded by the transition's
  content rather than its position, so a result does not depend on which student
  happened to be graded first: serial, parallel, cached and uncached runs agree.
- :func:`verify_answer`: one answer -> :class:`~derivcheck.results.FileResult`, plus
  which side of the claim failed (the engine's claim check reports both at once).
- :func:`score_answer`: a FileResult -> a :class:`QuestionGrade` with its deductions.
- :func:`grade_submission`: one submission file -> :class:`SubmissionGrade`.
- :func:`grade_batch`: every submission, each in a worker process under a wall-clock
  and a memory bound; a submission that hangs or crashes its worker is graded 0
  and the worker replaced.

Outputs are written by :mod:`derivcheck.grading.outputs`.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import pickle
import signal
import time
import traceback
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

from .. import limits
from ..budget import Timeout
from ..checker import ClaimSide, DerivationChecker
from .key import Answer, Key, Question, discover, read_submission
from ..results import ERROR, INVALID, TIMEOUT, FileResult, file_status
from .sandbox import limit_memory

#: Default wall-clock limit per submission (seconds) and address-space limit per worker (MB).
DEFAULT_SUBMISSION_TIMEOUT = 120.0
DEFAULT_MEMORY_MB = 3072


# -- the transition cache -----------------------------------------------------------------


class TransitionCache:
    """Verdicts by transition content; ``new`` holds what this process computed since the last drain."""

    def __init__(self, enabled: bool = True) -> None:
        self.enabled = enabled
        self.entries: dict[str, Any] = {}
        self.new: list[tuple[str, bytes]] = []
        self.hits = 0
        self.misses = 0
        self.answer_hits = 0

    def get(self, key: str) -> Any:
        if not self.enabled:
            return None
        v = self.entries.get(key)
        if v is None:
            self.misses += 1
        else:
            self.hits += 1
        return v

    def put(self, key: str, verdict: Any) -> None:
        if not self.enabled:
            return
        self.entries[key] = verdict
        try:
            self.new.append((key, pickle.dumps(verdict, protocol=pickle.HIGHEST_PROTOCOL)))
        except Exception:  # noqa: BLE001, S110 - an unpicklable verdict is simply not shared
            pass

    def get_blob(self, key: str) -> Any:
        """An entry kept pickled (a whole answer's result), unpickled afresh: every caller gets its own copy.

        Counted apart (``answer_hits``): ``hits``/``misses`` count transitions.
        """
        if not self.enabled:
            return None
        blob = self.entries.get(key)
        if blob is not None:
            try:
                value = pickle.loads(blob)
            except Exception:  # noqa: BLE001 - a bad entry is recomputed, never trusted
                del self.entries[key]
            else:
                self.answer_hits += 1
                return value
        return None

    def put_blob(self, key: str, value: Any) -> None:
        if not self.enabled:
            return
        try:
            blob = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
        except Exception:  # noqa: BLE001 - an unpicklable result is simply not shared
            return
        self.entries[key] = blob
        self.new.append((key, blob))

    def drain(self) -> list[tuple[str, bytes]]:
        out, self.new = self.new, []
        return out

    def merge(self, entries: Sequence[tuple[str, bytes]]) -> None:
        if not self.enabled:
            return
        for key, blob in entries:
            if key.startswith(ANSWER_KEY):
                self.entries.setdefault(key, blob)  # kept pickled: see get_blob
            elif key not in self.entries:
                try:
                    self.entries[key] = pickle.loads(blob)
                except Exception:  # noqa: BLE001, S112
                    continue


#: The prefix of an answer-level cache key (a whole answer's result, kept pickled).
ANSWER_KEY = "answer:"


def _canon(expr: Any) -> str:
    from sympy import srepr

    return srepr(expr)


def _make_caching_engine(ctx: Any, seed: int, timeout: float, cache: TransitionCache, prefix: str) -> Any:
    from ..engine import Engine

    class CachingEngine(Engine):
        def compare(self, left, right, conditions=(), label="", prove=True, budget=None):  # type: ignore[no-untyped-def]
            conds = sorted(
                f"{c.kind}:{_canon(c.relation.left)}{c.relation.op}{_canon(c.relation.right)}" for c in conditions
            )
            text = "\x1f".join([prefix, _canon(left), _canon(right), *conds, str(prove)])
            key = hashlib.sha256(text.encode()).hexdigest()
            hit = cache.get(key)
            if hit is not None:
                return dataclasses.replace(hit, notes=list(hit.notes))
            fired = Timeout.raised
            verdict = super().compare(left, right, conditions, label=key[:16], prove=prove, budget=budget)
            # a verdict reached while a time limit fired inside (a proof given up, a rule cut
            # short) depends on the machine's load: kept for this student only
            degraded = Timeout.raised != fired and verdict.status != TIMEOUT
            if not degraded and (budget is None or verdict.status != TIMEOUT):
                cache.put(key, verdict)
            return verdict

    return CachingEngine(ctx, seed=seed, timeout=timeout)


# -- verifying one answer -----------------------------------------------------------------


def verify_answer(
    deriv: Any, cache: TransitionCache, cache_prefix: str, seed: int = 0, timeout: float = limits.DEFAULT_TIMEOUT
) -> tuple[FileResult, list[ClaimSide]]:
    """Like :func:`derivcheck.api.verify_derivation`, with the transition cache and claim sides."""
    from ..api import context_for, errors_as_result
    from ..diagnose import diagnose_chain

    started = time.monotonic()
    result = FileResult(deriv.path, title=deriv.title)
    sides: list[ClaimSide] = []
    with errors_as_result(result, "answer"):
        ctx = context_for(deriv)
        checker = DerivationChecker(deriv, ctx, seed=seed, timeout=timeout)
        checker.engine = _make_caching_engine(ctx, seed, timeout, cache, cache_prefix)
        checker.run(result)
        sides = checker.claim_sides
        for ci, chain in enumerate(result.chains):
            diagnose_chain(checker, ci, chain)
    result.status = file_status(result)
    result.seconds = time.monotonic() - started
    return result, sides


def answer_cache_key(qid: str, answer: Answer, seed: int, timeout: float) -> str:
    """The key of a whole answer's result: everything the checker reads from the answer, except its file's path.

    The derivation's repr holds every step's text and line, every condition, the merged
    scope and the claim, so two answers share an entry only when they are written
    identically (to the line); the key's context is the same for a whole batch.
    """
    assert answer.derivation is not None
    deriv = dataclasses.replace(answer.derivation, path="")
    text = "\x1f".join([answer_prefix(qid, answer), str(seed), repr(float(timeout)), repr(deriv)])
    return ANSWER_KEY + hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def _decided(result: FileResult, sides: list[ClaimSide]) -> bool:
    """Whether a result is free of anything the machine's load can change (a timeout, a budget that fired)."""
    if result.error is not None:
        return False
    if any(s.status == TIMEOUT for c in result.chains for s in c.steps):
        return False
    if result.claim is not None and result.claim.status == TIMEOUT:
        return False
    return not any(sd.status == TIMEOUT for sd in sides)


def verify_answer_cached(
    qid: str, answer: Answer, cache: TransitionCache, seed: int = 0, timeout: float = limits.DEFAULT_TIMEOUT
) -> tuple[FileResult, list[ClaimSide]]:
    """:func:`verify_answer`, reusing the result of an answer written identically by another student.

    Only results that no time budget decided are kept (no timeout, and no diagnosis rule
    that ran out of its time), so a cached answer gets the verdicts, diagnoses and
    messages it would get checked anew on an unloaded machine.
    """
    assert answer.derivation is not None
    key = answer_cache_key(qid, answer, seed, timeout)
    hit = cache.get_blob(key)
    if hit is not None:
        result, sides = hit
        result.path = answer.derivation.path
        return result, sides
    fired = Timeout.raised
    result, sides = verify_answer(answer.derivation, cache, answer_prefix(qid, answer), seed=seed, timeout=timeout)
    if _decided(result, sides) and Timeout.raised == fired:  # no time limit fired anywhere (a diagnosis rule's either)
        result.path = ""
        cache.put_blob(key, (result, sides))
        result.path = answer.derivation.path
    return result, sides


# -- scoring ------------------------------------------------------------------------------


@dataclass
class Deduction:
    kind: str  # invalid_step | slip | after_slip | wrong_start | wrong_result | missing_case
    points: Fraction
    message: str
    chain: int | None = None  # 0-based
    step: int | None = None  # 1-based within the chain
    line: int | None = None
    diagnosis: str | None = None  # the diagnosis kind behind it, if any

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "points": fmt_score(self.points),
            "message": self.message,
            "case": None if self.chain is None else self.chain + 1,
            "step": self.step,
            "line": self.line,
            "diagnosis": self.diagnosis,
        }


GRADED, MANUAL, MISSING, FAILED = "graded", "manual", "missing", "error"


@dataclass
class QuestionGrade:
    question: str
    points: Fraction
    score: Fraction | None  # None: manual
    status: str  # graded | manual | missing | error
    reason: str | None = None
    deductions: list[Deduction] = field(default_factory=list)
    #: remarks without a deduction (a step that timed out: worth a look by hand)
    review: list[str] = field(default_factory=list)
    result: FileResult | None = None
    cases: list[str] = field(default_factory=list)


@dataclass
class SubmissionGrade:
    student: str
    path: str
    questions: dict[str, QuestionGrade]
    error: str | None = None
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0
    #: the student's feedback files (name under feedback/ -> text), rendered by the worker that
    #: graded the submission when the batch has a renderer; the writer empties it
    rendered: dict[str, str] = field(default_factory=dict, repr=False, compare=False)

    @property
    def total(self) -> Fraction:
        return sum((q.score for q in self.questions.values() if q.score is not None), Fraction(0))


def fmt_score(x: Fraction | None) -> str:
    """27, 7.5, 3.33: plain decimals for spreadsheets."""
    if x is None:
        return ""
    if x.denominator == 1:
        return str(x.numerator)
    text = f"{float(x):.2f}".rstrip("0").rstrip(".")
    return text


def _where(chain: int, step: Any, n_chains: int, cases: list[str]) -> str:
    case = f"case {chain + 1} ({cases[chain]}), " if n_chains > 1 and cases[chain] else (f"case {chain + 1}, " if n_chains > 1 else "")
    return f"{case}step {step.index} (line {step.line})"


def score_answer(q: Question, answer: Answer | None, result: FileResult | None, sides: list[ClaimSide]) -> QuestionGrade:
    """A question's score from its verification, by SPEC §9."""
    if q.manual:
        return QuestionGrade(q.id, q.points, None, MANUAL, "graded by hand")
    if answer is None:
        return QuestionGrade(q.id, q.points, Fraction(0), MISSING, "no answer to this question")
    if answer.error is not None:
        return QuestionGrade(q.id, q.points, Fraction(0), FAILED, answer.error)
    assert result is not None
    deriv = answer.derivation
    cases = [", ".join(t.text for t in c.given) for c in deriv.chains] if deriv else []
    g = QuestionGrade(q.id, q.points, Fraction(0), FAILED, result=result, cases=cases)
    path = result.path
    if result.error is not None:
        g.reason = f"{path}:{result.error.line}: {result.error.message}" if result.error.line else f"{path}: {result.error.message}"
        return g
    errors = [(ci, s) for ci, c in enumerate(result.chains) for s in c.steps if s.status == ERROR]
    if errors:
        ci, s = errors[0]
        more = f" (and {len(errors) - 1} more step(s) in error)" if len(errors) > 1 else ""
        g.reason = f"{_where(ci, s, len(result.chains), cases)} cannot be read: {s.message}{more}"
        return g
    if result.claim is not None and result.claim.status == ERROR:
        g.reason = f"the claim cannot be checked: {result.claim.message}"
        return g
    ded = q.deductions
    n = len(result.chains)
    for ci, chain in enumerate(result.chains):
        for s in chain.steps:
            where = _where(ci, s, n, cases)
            if s.status == INVALID:
                kinds = [d.kind for d in s.diagnoses]
                detail = "; ".join(d.message for d in s.diagnoses) or (s.message or "")
                if "after-slip" in kinds:
                    g.deductions.append(Deduction("after_slip", Fraction(0), f"{where}: follows from the slip before it, no deduction", ci, s.index, s.line, "after-slip"))
                elif "slip" in kinds:
                    g.deductions.append(Deduction("slip", ded["slip"] * q.points, f"{where}: a copying slip: {detail}", ci, s.index, s.line, "slip"))
                else:
                    g.deductions.append(Deduction("invalid_step", ded["invalid_step"] * q.points, f"{where}: {detail}", ci, s.index, s.line, kinds[0] if kinds else None))
            elif s.status == TIMEOUT:
                g.review.append(f"{where} could not be decided in time ({s.message}); no deduction, worth a look by hand")
    for what, kind in (("start", "wrong_start"), ("end", "wrong_result")):
        bad = [sd for sd in sides if sd.what == what and sd.status == INVALID]
        if bad:
            sd = bad[0]
            chain = result.chains[sd.chain]
            step = chain.steps[0] if what == "start" else chain.steps[-1]
            side = "begin with the claim's left side" if what == "start" else "end with the claim's right side"
            where = _where(sd.chain, step, n, cases)
            g.deductions.append(Deduction(kind, ded[kind] * q.points, f"{where}: the derivation does not {side}: {sd.message}", sd.chain, step.index, step.line))
        for sd in sides:
            if sd.what == what and sd.status == TIMEOUT:
                g.review.append(f"the claim's {'left' if what == 'start' else 'right'} side could not be checked in time; no deduction")
    if result.coverage is not None and not result.coverage.complete and not result.coverage.decided:
        # neither shown nor refuted (conditions relating several symbols): no deduction on a guess
        g.review.append("whether the cases cover the claim could not be decided; no deduction, worth a look by hand")
    elif result.coverage is not None and not result.coverage.complete:
        # also a chain narrowed by a step-level given: it shows the claim only under that given
        example = result.coverage.uncovered[0] if result.coverage.uncovered else ""
        g.deductions.append(Deduction("missing_case", ded["missing_case"] * q.points, f"the cases do not cover the claim: {example} is not covered by any case"))
    total = sum((d.points for d in g.deductions), Fraction(0))
    g.score = max(Fraction(0), q.points - total)
    g.status = GRADED
    g.reason = None
    return g


# -- one submission -----------------------------------------------------------------------


def answer_prefix(qid: str, answer: Answer) -> str:
    """The part of a cache key that fixes a transition's meaning besides its expressions."""
    own = answer.own_scope
    parts = [qid]
    if own is not None:
        parts += [f"s:{k}={v.text}" for k, v in sorted(own.symbols.items())]
        parts += [f"d:{k}={v.text}" for k, v in sorted(own.define.items())]
    return "\x1e".join(parts)


def grade_submission(
    student: str,
    path: str | Path,
    key: Key,
    cache: TransitionCache | None = None,
    seed: int = 0,
    timeout: float = limits.DEFAULT_TIMEOUT,
) -> SubmissionGrade:
    """Read and grade one submission file (in this process, without the wall-clock bound)."""
    started = time.monotonic()
    cache = cache if cache is not None else TransitionCache()
    sub = read_submission(path, key, student)
    out = SubmissionGrade(student, sub.path, {}, error=sub.error, warnings=list(sub.warnings))
    for q in key.questions.values():
        if sub.error is not None:
            out.questions[q.id] = (
                QuestionGrade(q.id, q.points, None, MANUAL, "graded by hand")
                if q.manual
                else QuestionGrade(q.id, q.points, Fraction(0), FAILED, sub.error)
            )
            continue
        answer = sub.answers.get(q.id)
        result, sides = None, []
        if answer is not None and answer.derivation is not None and not q.manual:
            result, sides = verify_answer_cached(q.id, answer, cache, seed=seed, timeout=timeout)
            result.path = sub.path
        out.questions[q.id] = score_answer(q, answer, result, sides)
    out.seconds = time.monotonic() - started
    return out


def failed_submission(student: str, path: str, key: Key, reason: str) -> SubmissionGrade:
    """Every question 0 with ``reason`` (manual ones still pending)."""
    qs = {
        q.id: QuestionGrade(q.id, q.points, None, MANUAL, "graded by hand")
        if q.manual
        else QuestionGrade(q.id, q.points, Fraction(0), FAILED, reason)
        for q in key.questions.values()
    }
    return SubmissionGrade(student, path, qs, error=reason)


# -- the batch: worker processes ----------------------------------------------------------


@dataclass
class BatchOptions:
    jobs: int = 0  # 0: os.cpu_count()
    seed: int = 0
    timeout: float = limits.DEFAULT_TIMEOUT
    submission_timeout: float = DEFAULT_SUBMISSION_TIMEOUT
    memory_mb: int = DEFAULT_MEMORY_MB
    cache: bool = True
    #: renders a grade's feedback files in the worker (``derivcheck.grading.outputs.render_feedback_files``):
    #: a module-level function, so that it can be sent to another process or machine
    render: Callable[[Key, SubmissionGrade], dict[str, str]] | None = None
    #: how worker processes are started: "fork" (the default on POSIX; cheap, for a
    #: single-threaded parent) or "forkserver" (from a threaded parent such as a Dask worker)
    start_method: str | None = None
    #: run in each worker process before it grades (registers the Markdown reader for
    #: workers started afresh rather than forked from the command)
    setup: Callable[[], None] | None = None
    #: the folder relative submission paths are read from (the command's, on a Dask worker)
    workdir: str | None = None


@dataclass
class BatchStats:
    seconds: float = 0.0
    cache_hits: int = 0
    cache_misses: int = 0
    timed_out: int = 0
    crashed: int = 0
    workers_started: int = 0


def _worker_main(conn: Any, key: Key, options: BatchOptions) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if options.workdir:
        os.chdir(options.workdir)
    if options.setup is not None:
        options.setup()
    # A process started by a fork server does not inherit the parent's readers:
    # STUDENT.md submissions need the Markdown one here too.
    from ..documents import register_markdown_reader

    register_markdown_reader()
    limit_memory(options.memory_mb * 1024 * 1024)
    cache = TransitionCache(options.cache)
    while True:
        try:
            msg = conn.recv()
        except (EOFError, OSError):
            return
        if msg is None:
            return
        student, path, entries = msg
        cache.merge(entries)
        hits0, misses0 = cache.hits, cache.misses
        try:
            grade = grade_submission(student, path, key, cache, seed=options.seed, timeout=options.timeout)
        except MemoryError:
            grade = failed_submission(student, str(path), key, f"{path}: grading ran out of memory (limit {options.memory_mb} MB)")
        except RecursionError:
            grade = failed_submission(student, str(path), key, f"{path}: the submission is too deeply nested to grade")
        except Exception as err:  # noqa: BLE001 - one submission never stops the batch
            detail = traceback.format_exc(limit=-3)
            grade = failed_submission(student, str(path), key, f"{path}: internal error while grading ({type(err).__name__}: {err})")
            grade.warnings.append(detail)
        if options.render is not None:
            try:
                grade.rendered = options.render(key, grade)
            except Exception as err:  # noqa: BLE001 - the writer renders it again and reports the problem
                grade.warnings.append(f"feedback could not be rendered in the worker ({type(err).__name__}: {err})")
                grade.rendered = {}
        stats = (cache.hits - hits0, cache.misses - misses0)
        try:
            conn.send((grade, cache.drain(), stats))
        except Exception as err:  # noqa: BLE001 - e.g. an unpicklable result
            conn.send((failed_submission(student, str(path), key, f"{path}: the result could not be returned ({err})"), [], stats))


class _Worker:
    def __init__(self, mp: Any, key: Key, options: BatchOptions) -> None:
        self.conn, child = mp.Pipe()
        self.proc = mp.Process(target=_worker_main, args=(child, key, options), daemon=True)
        self.proc.start()
        child.close()
        self.task: tuple[str, Path] | None = None
        self.deadline = 0.0
        self.sent_upto = 0

    def stop(self, kill: bool = False) -> None:
        try:
            if kill:
                self.proc.kill()
            else:
                self.conn.send(None)
        except (OSError, ValueError):
            pass
        self.proc.join(timeout=5 if not kill else 10)
        if self.proc.is_alive():
            self.proc.kill()
            self.proc.join(timeout=5)
        self.conn.close()


def _mp_context(method: str | None = None) -> Any:
    import multiprocessing

    for name in (method or "fork", "fork", "spawn"):
        try:
            return multiprocessing.get_context(name)
        except ValueError:  # pragma: no cover - Windows has spawn only
            continue
    return multiprocessing.get_context()  # pragma: no cover


def grade_batch(
    key: Key,
    submissions: list[tuple[str, Path]],
    options: BatchOptions,
    on_done: Callable[[SubmissionGrade], None] | None = None,
    shared: list[tuple[str, bytes]] | None = None,
    pool: list[_Worker] | None = None,
) -> tuple[list[SubmissionGrade], BatchStats]:
    """Grade every submission in worker processes; results sorted by student id.

    ``shared``: cache entries known before the batch (a Dask worker's from its earlier
    batches); the entries this batch computes are appended to it. ``pool``: idle worker
    processes started for the same key and options by an earlier batch, used first; the
    healthy ones are put back at the end instead of being stopped (a Dask worker keeps
    its grading process, and that process's warm caches, from one batch to the next).
    """
    from multiprocessing.connection import wait

    started = time.monotonic()
    stats = BatchStats()
    jobs = max(1, min(options.jobs or os.cpu_count() or 1, len(submissions) or 1))
    mp = _mp_context(options.start_method)
    pending: deque[tuple[str, Path]] = deque(submissions)
    shared = shared if shared is not None else []  # every cache entry any worker computed, in order
    results: dict[str, SubmissionGrade] = {}
    workers: list[_Worker] = []

    def spawn() -> _Worker:
        if pool:
            w = pool.pop()
            if w.proc.is_alive():
                return w
            w.stop(kill=True)
        stats.workers_started += 1
        return _Worker(mp, key, options)

    def finish(grade: SubmissionGrade) -> None:
        results[grade.student] = grade
        if on_done:
            on_done(grade)

    try:
        workers = [spawn() for _ in range(jobs)]
        while pending or any(w.task for w in workers):
            for i, w in enumerate(workers):
                if w.task is None and pending:
                    task = pending.popleft()
                    entries = shared[w.sent_upto:] if options.cache else []
                    try:
                        w.conn.send((task[0], str(task[1]), entries))
                    except (OSError, ValueError):
                        w.stop(kill=True)
                        workers[i] = w = spawn()
                        w.conn.send((task[0], str(task[1]), shared if options.cache else []))
                    w.sent_upto = len(shared)
                    w.task = task
                    w.deadline = time.monotonic() + options.submission_timeout
            busy = [w for w in workers if w.task]
            if not busy:
                continue
            wait_for = max(0.0, min(w.deadline for w in busy) - time.monotonic())
            ready = wait([w.conn for w in busy], timeout=wait_for + 0.05)
            now = time.monotonic()
            for i, w in enumerate(workers):
                if w.task is None:
                    continue
                student, path = w.task
                if w.conn in ready:
                    try:
                        grade, entries, (hits, misses) = w.conn.recv()
                    except (EOFError, OSError, pickle.UnpicklingError):
                        stats.crashed += 1
                        code = w.proc.exitcode
                        why = "ran out of memory or crashed" if code is None or code != 0 else "stopped"
                        finish(failed_submission(student, str(path), key, f"{path}: grading {why}; graded 0"))
                        w.stop(kill=True)
                        workers[i] = spawn()
                        continue
                    stats.cache_hits += hits
                    stats.cache_misses += misses
                    shared.extend(entries)
                    w.task = None
                    finish(grade)
                elif now >= w.deadline:
                    stats.timed_out += 1
                    finish(
                        failed_submission(
                            student, str(path), key,
                            f"{path}: timed out: grading took longer than {options.submission_timeout:g} s; graded 0",
                        )
                    )
                    w.stop(kill=True)
                    workers[i] = spawn()
    finally:
        for w in workers:
            if pool is not None and w.task is None and w.proc.is_alive():
                pool.append(w)
            else:
                w.stop(kill=w.task is not None)
    stats.seconds = time.monotonic() - started
    return [results[s] for s, _ in sorted(submissions)], stats


def grade_folder(key: Key, folder: str | Path, options: BatchOptions, on_done: Callable[[SubmissionGrade], None] | None = None) -> tuple[list[SubmissionGrade], BatchStats, list[str]]:
    subs, warnings = discover(folder)
    grades, stats = grade_batch(key, subs, options, on_done)
    return grades, stats, warnings
