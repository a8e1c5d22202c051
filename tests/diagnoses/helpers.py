"""Shared by the diagnosis tests: the fixtures of ``tests/data/soundness/diagnoses/`` and an
independent evaluator.

The ground truth of every test is established outside derivcheck: a short proof
in the fixture's header comment, and/or values computed here with plain mpmath
at 60 digits from formulas written out by hand in the test.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from pathlib import Path

import mpmath

from derivcheck.api import verify_text
from derivcheck.results import FileResult
from derivcheck.rules import KINDS

DATA = Path(__file__).resolve().parent.parent / "data" / "soundness" / "diagnoses"
ROOT = Path(__file__).resolve().parent.parent.parent
#: Sampling seeds every diagnosis is checked under: a diagnosis must not depend on the seed.
SEEDS = (0, 1, 7)


@cache
def run_file(path: str, seed: int = 0) -> FileResult:
    p = Path(path)
    if not p.is_absolute():
        p = DATA / path
    return verify_text(p.read_text(encoding="utf-8"), str(p), seed=seed)


def step_diagnoses(path: str, index: int, seed: int = 0, chain: int = 0) -> dict[str, tuple[str, str | None]]:
    """kind -> (message, fix) of the diagnoses of one invalid step."""
    result = run_file(path, seed)
    assert result.error is None, result.error
    step = result.chains[chain].steps[index - 1]
    assert step.status == "invalid", (step.status, step.message)
    out = {}
    for d in step.diagnoses:
        assert d.kind in KINDS, d.kind
        assert d.kind not in out or d.kind == "special-case", (d.kind, step.diagnoses)
        out[d.kind] = (d.message, d.fix)
    return out


def mp_at(f: Callable[..., object], **point: str) -> mpmath.mpf:
    """``f`` evaluated by mpmath at 60 digits at an exact point given as strings ("3/7")."""
    with mpmath.workdps(60):
        values = {}
        for k, v in point.items():
            num, _, den = v.partition("/")
            values[k] = mpmath.mpf(num) / mpmath.mpf(den or 1)
        return f(**values)


def mp_equal(x: mpmath.mpf, y: mpmath.mpf) -> bool:
    with mpmath.workdps(60):
        return abs(x - y) <= mpmath.mpf(10) ** -50 * max(1, abs(x), abs(y))


def sigma(z: mpmath.mpf) -> mpmath.mpf:
    return 1 / (1 + mpmath.exp(-z))
