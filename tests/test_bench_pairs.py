"""The benchmark's equivalence pairs (bench/pairs/pairs.yaml) carry the right truth.

Each pair's truth is checked here with mpmath alone (no derivcheck, no SymPy): an
equal pair agrees to 80 digits (computed with 160) at several points of its domain (its proof is
the ``why`` in the data file); an unequal pair differs at a stated or listed point
where both sides are defined, by the same amount at twice the precision.
"""

from __future__ import annotations

import random
import sys
from fractions import Fraction
from pathlib import Path

import mpmath
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))

import pairs as P

PAIRS = P.load()

#: Candidate values for a symbol when an unequal pair names no point.
CANDIDATES = ["1", "-1", "2", "1/3", "-7/5", "5/2", "0", "3", "-2", "1/10", "7"]


def _bounds(domain: str) -> tuple[Fraction | None, Fraction | None]:
    if domain == "positive":
        return Fraction(0), None
    if domain in ("real", "integer"):
        return None, None
    lo, hi = domain.strip("[]()").split(",")
    parse = lambda s: None if "oo" in s else Fraction(s.strip())
    return parse(lo), parse(hi)


def _draw(domain: str, rng: random.Random) -> Fraction:
    if domain == "integer":
        return Fraction(rng.randint(-9, 9))
    lo, hi = _bounds(domain)
    if lo is not None and hi is not None:
        return lo + (hi - lo) * Fraction(rng.randint(1, 999), 1000)
    x = Fraction(rng.randint(1, 4000), 1000) * rng.choice([1, 1, 1, 7, Fraction(1, 9)])
    if lo is not None:
        return lo + x
    return x * rng.choice([-1, 1])


def _values(pair: P.Pair, point: dict[str, Fraction]) -> tuple[object, object]:
    vals = {k: mpmath.mpf(v.numerator) / v.denominator for k, v in point.items()}
    return P.mp_value(pair.a, vals, mpmath.mp), P.mp_value(pair.b, vals, mpmath.mp)


def _relative_gap(a: object, b: object) -> object:
    scale = max(abs(a), abs(b))  # type: ignore[call-overload]
    return abs(a - b) / scale if scale else mpmath.mpf(0)  # type: ignore[operator]


def test_enough_pairs_of_each_kind() -> None:
    assert len(PAIRS) >= 100
    assert sum(p.equal for p in PAIRS) >= 40 and sum(not p.equal for p in PAIRS) >= 40
    assert len({p.id for p in PAIRS}) == len(PAIRS)


@pytest.mark.parametrize("pair", [p for p in PAIRS if p.equal], ids=lambda p: p.id)
def test_equal_pair_agrees_to_many_digits(pair: P.Pair) -> None:
    rng = random.Random(pair.id)
    defined = 0
    with mpmath.workdps(2 * pair.dps):  # half the digits may cancel (1 - tanh(x)**2 at x = 26)
        for _ in range(40):
            point = {k: _draw(d, rng) for k, d in pair.symbols.items()}
            a, b = _values(pair, point)
            if a is None or b is None:
                continue
            defined += 1
            assert _relative_gap(a, b) < mpmath.mpf(10) ** -pair.dps, (pair.id, point, a, b)
            if defined == 6:
                break
    assert defined >= 3, f"{pair.id}: too few points where both sides are defined"


def _witnesses(pair: P.Pair):  # type: ignore[no-untyped-def]
    if pair.at is not None:
        yield {k: Fraction(v) for k, v in pair.at.items()}
        return
    names = sorted(pair.symbols)
    for i in range(len(CANDIDATES) ** min(len(names), 2)):
        point = {}
        for j, name in enumerate(names):
            point[name] = Fraction(CANDIDATES[(i // len(CANDIDATES) ** (j % 2) + j) % len(CANDIDATES)])
        if all(_inside(pair.symbols[n], v) for n, v in point.items()):
            yield point


def _inside(domain: str, v: Fraction) -> bool:
    if domain == "integer":
        return v.denominator == 1
    lo, hi = _bounds(domain)
    if domain == "positive":
        return v > 0
    return (lo is None or v >= lo) and (hi is None or v <= hi)


@pytest.mark.parametrize("pair", [p for p in PAIRS if not p.equal], ids=lambda p: p.id)
def test_unequal_pair_differs_at_a_point(pair: P.Pair) -> None:
    for point in _witnesses(pair):
        with mpmath.workdps(pair.dps):
            a, b = _values(pair, point)
            if a is None or b is None:
                continue
            gap = _relative_gap(a, b)
        if gap < mpmath.mpf(10) ** (20 - pair.dps):
            continue
        with mpmath.workdps(2 * pair.dps):  # the same gap at twice the digits: not rounding
            a2, b2 = _values(pair, point)
            assert a2 is not None and b2 is not None
            assert abs(_relative_gap(a2, b2) - gap) <= gap * mpmath.mpf(10) ** -10, (pair.id, point)
        return
    pytest.fail(f"{pair.id}: no point where both sides are defined and differ")


@pytest.mark.parametrize("text, values, expected", [
    ("sqrt(x)", {"x": -1}, None),          # undefined on the reals
    ("log(x)", {"x": 0}, None),
    ("1/(x - 1)", {"x": 1}, None),
    ("Max(x, 15/2)", {"x": 7}, "7.5"),
    ("floor(x) + 1", {"x": 2}, "3"),
    ("x*Heaviside(x)", {"x": 0}, "0"),
])
def test_the_mpmath_reader_itself(text: str, values: dict, expected: str | None) -> None:
    vals = {k: mpmath.mpf(v) for k, v in values.items()}
    got = P.mp_value(text, vals, mpmath.mp)
    assert (got is None) if expected is None else (got == mpmath.mpf(expected))


def test_latex_of_a_few_forms() -> None:
    assert P.to_latex("(x + 1)**2") == r"\left(x + 1\right)^{2}"
    assert P.to_latex("exp(-x)/2") == r"\frac{e^{-x}}{2}"
    assert P.to_latex("x - (y - z)") == r"x - \left(y - z\right)"
