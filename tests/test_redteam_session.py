"""Red team on the shortcuts added to verdict paths in one session: each must change no answer.

* ``certify.compare_at``: the right side reuses the left side's intervals (and certain
  failures) of shared subexpressions at the same point and precision;
* ``certify.point_interval``: a rational coordinate's interval built from mpmath's parts;
* ``diagnoses.factors``: missing-factor's monomial screen;
* ``diagnoses.cases``: special-case returns early after another rule when no finite-set
  symbol is in play;
* ``context``: ``_references`` / ``free_indices`` / ``free_sizes`` memoised per expression;
* ``cli.run``: the console script ends ``verify`` with ``os._exit`` after flushing.

Ground truth is established outside derivcheck: exact ``fractions.Fraction`` arithmetic on
the interval endpoints, mpmath at 60 digits at stated points, proofs in comments or in the
fixtures' headers (``tests/data/redteam/session/``), and counts known by construction.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from fractions import Fraction
from pathlib import Path
from unittest import mock

import mpmath
import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st
from sympy import Rational, Symbol

from derivcheck import certify
from derivcheck.api import verify_text
from derivcheck.certify import (
    AGREE,
    DIFFER,
    UNDEFINED,
    IntervalProgram,
    compare_at,
    point_interval,
)
from derivcheck.diagnoses import cases, factors
from derivcheck.numeric import prepare
from tests.conftest import ROOT

DATA = ROOT / "tests" / "data" / "redteam" / "session"
SEEDS = (0, 1, 7)
X, Y, Z = (Symbol(n, real=True) for n in "xyz")
LEAVES = (X, Y, Z)


def _exact(t: tuple) -> Fraction:
    """The exact value of an mpmath mpf tuple (sign, man, exp, bc)."""
    sign, man, exp, _ = t
    v = Fraction(man) * Fraction(2) ** exp
    return -v if sign else v


def _holds(interval: object, value: Fraction) -> bool:
    lo, hi = interval._mpi_  # type: ignore[attr-defined]
    return _exact(lo) <= value <= _exact(hi)


# -- point_interval: every interval holds its rational exactly -------------------------------

EDGES = [
    (0, 1), (1, 1), (-1, 1), (1, 3), (-1, 3), (3, 1024), (-3, 1024), (2**100 - 1, 2**100),
    (2**200 + 1, 1), (-(2**200 + 1), 1), (1, 2**200 + 1), (10**600, 7), (-7, 10**600), (1, 10**30),
]


@pytest.mark.parametrize("p,q", EDGES)
def test_point_interval_holds_edge_rationals(p: int, q: int) -> None:
    # truth: Fraction compares the exact binary endpoints with p/q, no rounding anywhere
    r = Rational(p, q)
    for dps in certify.PRECISIONS:
        assert _holds(point_interval(r, dps), Fraction(p, q)), (p, q, dps)


@settings(max_examples=300, deadline=None)
@given(
    st.integers(min_value=-(10**400), max_value=10**400),
    st.integers(min_value=1, max_value=10**400),
    st.sampled_from(certify.PRECISIONS),
)
def test_point_interval_holds_any_rational(p: int, q: int, dps: int) -> None:
    r = Rational(p, q)
    assert _holds(point_interval(r, dps), Fraction(p, q))


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=-(10**300), max_value=10**300), st.integers(min_value=1, max_value=10**300))
def test_point_interval_is_tight(p: int, q: int) -> None:
    # truth: at 30 digits the interval is no wider than a few units in the last place of p/q
    # (|hi - lo| <= 2**-90 * |p/q| for p != 0, exactly 0 wide for p == 0), by Fraction
    r = Rational(p, q)
    v = point_interval(r, 30)
    lo, hi = (_exact(t) for t in v._mpi_)
    exact = Fraction(int(r.p), int(r.q))
    assert hi - lo <= abs(exact) * Fraction(1, 2**90)


# -- compare_at with shared parts: same verdicts, true intervals --------------------------------

def _alone(left: IntervalProgram, right: IntervalProgram, point: list) -> tuple:
    """compare_at's rule with each side evaluated on its own (the code before the sharing)."""
    return _as_tuple(compare_at(left, right, point, share=False))


def _shared(left: IntervalProgram, right: IntervalProgram, point: list) -> tuple:
    return _as_tuple(compare_at(left, right, point))


def _as_tuple(o: certify.Outcome) -> tuple:
    """What the tests compare: the status, the undefined side, or the intervals as text and the precision."""
    if o.status == UNDEFINED:
        return (UNDEFINED, o.undefined_side)
    if o.status in (DIFFER, AGREE):
        return (o.status, str(o.left), str(o.right), o.dps)
    return (o.status, o.dps)


# Pairs that share subexpressions whose evaluation differs by path: poles, kinks, Piecewise
# conditions, exact-value fallbacks, junctions that swallow an uncertain kid, a tiny offset.
# Each with a point and the truth at 60 digits (mpmath on the formula written out by hand).
PAIRS = [
    # tan(x) shared; 2*tan(x) == tan(x) + tan(x) (identity): agree at x = 1/3
    ("agree", 2 * sympy.tan(X), sympy.tan(X) + sympy.tan(X), [Rational(1, 3), 0, 0],
     lambda x, y, z: (2 * mpmath.tan(x), mpmath.tan(x) + mpmath.tan(x))),
    # sqrt(x) + exp(x)*sin(y) against the same plus 10**-25: differ by exactly 1e-25
    ("differ", sympy.sqrt(X) + sympy.exp(X) * sympy.sin(Y),
     sympy.sqrt(X) + sympy.exp(X) * sympy.sin(Y) + Rational(1, 10**25), [Rational(1, 3), Rational(2, 7), 0],
     lambda x, y, z: (mpmath.sqrt(x) + mpmath.exp(x) * mpmath.sin(y), mpmath.sqrt(x) + mpmath.exp(x) * mpmath.sin(y) + mpmath.mpf(10) ** -25)),
    # log(x) shared, undefined at x = -1/2 on the right only: the left's Piecewise never reads it
    ("undefined-right", sympy.Piecewise((sympy.log(X), X > 0), (X, True)), sympy.log(X) + 1, [Rational(-1, 2), 0, 0], None),
    # Abs kink shared: Abs(x - y) * 2 vs Abs(x - y) + Abs(y - x) at x = y = 2/3: both 0, agree
    ("agree", 2 * sympy.Abs(X - Y), sympy.Abs(X - Y) + sympy.Abs(Y - X), [Rational(2, 3), Rational(2, 3), 0],
     lambda x, y, z: (2 * abs(x - y), abs(x - y) + abs(y - x))),
    # floor(x*y) shared, its exact value needed at an integer product: x*y = 3 exactly
    ("differ", sympy.floor(X * Y) + Z, sympy.floor(X * Y) + Z + Rational(1, 10**40), [Rational(3, 2), 2, Rational(1, 9)],
     lambda x, y, z: (mpmath.floor(x * y) + z, mpmath.floor(x * y) + z + mpmath.mpf(10) ** -40)),
    # sign(x - 1/3) shared at x = 1/3: 0 exactly on both sides, then + z vs + 2z at z = 1/5 differ
    ("differ", sympy.sign(X - Rational(1, 3)) + Z, sympy.sign(X - Rational(1, 3)) + 2 * Z, [Rational(1, 3), 0, Rational(1, 5)],
     lambda x, y, z: (mpmath.sign(x - mpmath.mpf(1) / 3) + z, mpmath.sign(x - mpmath.mpf(1) / 3) + 2 * z)),
    # deep cancellation shared: log(1 + exp(x)) - x at x = 600 on both sides, + 10**-30 on the right
    ("differ", sympy.log(1 + sympy.exp(X)) - X, sympy.log(1 + sympy.exp(X)) - X + Rational(1, 10**300), [600, 0, 0],
     lambda x, y, z: (mpmath.log(1 + mpmath.exp(x)) - x, mpmath.log(1 + mpmath.exp(x)) - x + mpmath.mpf(10) ** -300)),
]


@pytest.mark.parametrize("i", range(len(PAIRS)))
def test_compare_at_shared_matches_alone_and_truth(i: int) -> None:
    expect, a, b, point, truth = PAIRS[i]
    left, right = IntervalProgram(prepare(a), LEAVES), IntervalProgram(prepare(b), LEAVES)
    point = [sympy.Integer(v) if isinstance(v, int) else v for v in point]
    got = _shared(left, right, point)
    assert got == _alone(IntervalProgram(prepare(a), LEAVES), IntervalProgram(prepare(b), LEAVES), point)
    if expect == "undefined-right":
        assert got == (UNDEFINED, "right")  # truth: log(-1/2) is not real
        return
    assert got[0] == (DIFFER if expect == "differ" else AGREE)
    with mpmath.workdps(60 if point[0] != 600 else 1500):  # 1500: the 500-digit interval is 1e-498 wide
        va, vb = truth(*(mpmath.mpf(int(v.p)) / int(v.q) for v in point))
        o = compare_at(left, right, point)
        for box, value in ((o.left, va), (o.right, vb)):
            lo, hi = (mpmath.mpf(t) for t in box._mpi_)
            assert lo <= value <= hi
        assert (va != vb) == (expect == "differ")


_atoms = st.sampled_from([X, Y, Z, Rational(1, 3), sympy.Integer(2), sympy.pi])
_unary = st.sampled_from([sympy.log, sympy.exp, sympy.sqrt, sympy.Abs, sympy.tan, sympy.atanh, sympy.floor, sympy.sign,
                          sympy.Heaviside, lambda a: 1 / a, lambda a: a ** Rational(1, 3), sympy.acosh])
_binary = st.sampled_from([lambda a, b: a + b, lambda a, b: a * b, lambda a, b: a / b, sympy.Max,
                           lambda a, b: sympy.Piecewise((a, X > Y), (b, True))])
def _safe(f, *args):  # type: ignore[no-untyped-def]
    try:
        return f(*args)
    except (TypeError, ValueError):  # SymPy refuses a constant such as atanh(2) in a comparison
        return X


_exprs = st.recursive(_atoms, lambda kids: st.one_of(st.builds(_safe, _unary, kids),
                                                    st.builds(_safe, _binary, kids, kids)), max_leaves=6)
_coord = st.builds(lambda s, p, q: Rational(s * p, q), st.sampled_from([-1, 1]), st.integers(0, 300), st.sampled_from([1, 2, 3, 7, 64]))


@settings(max_examples=150, deadline=None)
@given(_exprs, _exprs, _exprs, st.lists(_coord, min_size=3, max_size=3), st.sampled_from([0, 1, 2]))
def test_compare_at_shared_is_transparent(s: sympy.Expr, u: sympy.Expr, v: sympy.Expr, point: list, shape: int) -> None:
    # both sides built around the shared s; the outcome must be the one each side gives alone
    try:
        a = prepare([s + u, s * u, s - v][shape])
        b = prepare([s + v, s * v + u, s - u][shape])
    except (TypeError, ValueError):
        return  # SymPy refuses the combination (a comparison of a non-real constant)
    got = _shared(IntervalProgram(a, LEAVES), IntervalProgram(b, LEAVES), point)
    assert got == _alone(IntervalProgram(a, LEAVES), IntervalProgram(b, LEAVES), point)


# -- missing-factor's monomial screen: the names must not change ------------------------------

MF_FIXTURES = sorted(p.name for p in DATA.glob("mf_*.yaml"))


def _diagnoses(text: str, seed: int) -> list[tuple[str, str]]:
    r = verify_text(text, "f.yaml", seed=seed)
    step = r.chains[0].steps[1]
    assert step.status == "invalid", step.message  # truth in each fixture's header: M != 1 somewhere
    return sorted((d.kind, d.message) for d in step.diagnoses)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("name", MF_FIXTURES)
def test_monomial_screen_changes_no_diagnosis(name: str, seed: int) -> None:
    text = (DATA / name).read_text(encoding="utf-8")
    with_screen = _diagnoses(text, seed)
    with mock.patch.object(factors, "_not_monomial", lambda p: False):
        without = _diagnoses(text, seed)
    assert with_screen == without


# Fixtures whose factor M is a monomial of declared symbols that missing-factor can name:
# previous/this = M at a stated point, at 60 digits (mpmath on the formulas as written).
NAMED = {
    "mf_log_positive.yaml": ("x", lambda x, y: (x * mpmath.log(x) * y, mpmath.log(x) * y), dict(x="5/3", y="2/7")),
    "mf_negative.yaml": ("x", lambda x, y: (x * mpmath.sqrt(-x) * y, mpmath.sqrt(-x) * y), dict(x="-5/3", y="2/7")),
    "mf_acosh.yaml": ("x", lambda x, y: (x * mpmath.acosh(x) * y, mpmath.acosh(x) * y), dict(x="7/3", y="2/7")),
    "mf_expsum.yaml": ("x**2", lambda x, y: (mpmath.exp(2 * mpmath.log(x)) * y, y), dict(x="5/3", y="2/7")),
    "mf_softplus.yaml": ("2*x", lambda x: (2 * x * mpmath.log(1 + mpmath.exp(x)), mpmath.log(1 + mpmath.exp(x))), dict(x="5/3")),
}


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("name", sorted(NAMED))
def test_monomial_screen_lets_true_monomials_through(name: str, seed: int) -> None:
    factor, f, point = NAMED[name]
    with mpmath.workdps(60):
        values = {k: mpmath.mpf(Fraction(v).numerator) / Fraction(v).denominator for k, v in point.items()}
        prev, cur = f(**values)
        m = sympy.lambdify(sorted(values), sympy.sympify(factor), "mpmath")(*[values[k] for k in sorted(values)])
        assert abs(prev - m * cur) <= mpmath.mpf(10) ** -50 * abs(prev) and abs(m - 1) > mpmath.mpf("0.1")
    kinds = dict(_diagnoses((DATA / name).read_text(encoding="utf-8"), seed))
    assert kinds.get("missing-factor", "").startswith(f"a factor {factor} is missing"), kinds


# -- special-case's early return: the same diagnoses as running the rule in full -------------

SPECIAL = [
    # t*x + y -> x + y with t in {0, 1}: differ by (t - 1)*x, zero for every x only when t = 1
    'symbols:\n  t: "{0, 1}"\nsteps:\n  - t*x + y + exp(x)\n  - x + y + exp(x)\n',
    # a dropped term, no finite set: previous - this = x**2, which is 0 only at x = 0
    "steps:\n  - x**2 + 2*x + y\n  - 2*x + y\n",
    # a sign flipped, a finite set in play: -(t*x) against t*x differs unless t*x = 0
    'symbols:\n  t: "{0, 1}"\n  y: positive\nsteps:\n  - t*x + log(y)\n  - -(t*x) + log(y)\n',
]


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("i", range(len(SPECIAL)))
def test_special_case_early_return_changes_nothing(i: int, seed: int) -> None:
    text = SPECIAL[i]
    early = _diagnoses(text, seed)
    with mock.patch.object(cases, "_finite_leaves", lambda p, inst: [True]):  # never return early
        full = _diagnoses(text, seed)
    assert early == full
    if i == 0:
        assert any(k == "special-case" and "t = 1" in m for k, m in early), early


# -- context memo: queries answer the same on the first and every later call ------------------

def test_context_memo_answers_as_a_fresh_context() -> None:
    # truth (by the format): j is free in Derivative(L, w[j]) (a derivative's variable), k is
    # free in y[k] through y's definition, and both range over 1..K, so K is their size
    from derivcheck.api import context_for
    from derivcheck.loader import load_text

    text = "indices:\n  k: K\n  j: K\ndefine:\n  y[k]: exp(z[k])\n  L: Sum(w[m]*y[m], (m, 1, K))\nsteps:\n  - Derivative(L, w[j])\n  - y[j]\n"
    deriv = load_text(text, "m.yaml")
    ctx = context_for(deriv)
    e1 = ctx.parse("Derivative(L, w[j])", 0)
    e2 = ctx.parse("y[k] + 1", 0)
    first = [(ctx.free_indices(e), ctx.free_sizes(e)) for e in (e1, e2)]
    again = [(ctx.free_indices(e), ctx.free_sizes(e)) for e in (e1, e2)]
    fresh_ctx = context_for(load_text(text, "m.yaml"))
    fresh = [(fresh_ctx.free_indices(e), fresh_ctx.free_sizes(e)) for e in (e1, e2)]
    assert first == again == fresh
    assert {s.name for s in first[0][0]} == {"j"} and {s.name for s in first[1][0]} == {"k"}
    assert {s.name for s in first[0][1]} == {"K"} == {s.name for s in first[1][1]}


# -- the console script: every byte written, the right status ---------------------------------

def _corpus(tmp: Path) -> Path:
    """Two files of 150 steps each, equal in pairs but for the constant that grows at steps
    61 and 121 (index 60 and 120): 2 invalid transitions per file, 147 proved, by construction."""
    for f in range(2):
        lines = [f"title: long {f}", "steps:"]
        for i in range(150):
            c = i // 60
            lines.append(f"  - x**2 + exp(y) + {c}" if i % 2 == 0 else f"  - x*x + exp(y) + {c}")
        (tmp / f"long{f}.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return tmp


def _console(args: list[str], cwd: Path, script: bool) -> subprocess.CompletedProcess:
    code = "from derivcheck.cli import run; run()" if script else "from derivcheck.cli import main; main()"
    env = dict(os.environ, NO_COLOR="1")
    return subprocess.run([sys.executable, "-c", code, *args], cwd=cwd, capture_output=True, env=env, timeout=300)


@pytest.mark.parametrize("fmt", ["json", "sarif"])
def test_console_script_writes_every_byte(tmp_path: Path, fmt: str) -> None:
    folder = _corpus(tmp_path)
    fast = _console(["verify", "--no-cache", "--format", fmt, "."], folder, script=True)
    slow = _console(["verify", "--no-cache", "--format", fmt, "."], folder, script=False)
    assert fast.returncode == slow.returncode == 1  # truth: 4 invalid transitions
    assert fast.stdout == slow.stdout and fast.stderr == slow.stderr
    doc = json.loads(fast.stdout)
    if fmt == "json":
        assert doc["summary"]["invalid"] == 4 and doc["summary"]["proved"] == 294


def test_console_script_output_file(tmp_path: Path) -> None:
    folder = _corpus(tmp_path)
    fast = _console(["verify", "--no-cache", "--format", "concise", "-o", "a.txt", "."], folder, script=True)
    slow = _console(["verify", "--no-cache", "--format", "concise", "-o", "b.txt", "."], folder, script=False)
    assert fast.returncode == slow.returncode == 1
    a, b = (folder / "a.txt").read_text(encoding="utf-8"), (folder / "b.txt").read_text(encoding="utf-8")
    assert a == b
    # truth: one concise line per invalid transition (lines 63 and 123 of each file: step 61 and 121)
    assert sum(line.startswith("long") for line in a.splitlines()) >= 4
