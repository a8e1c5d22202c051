"""The sampler reaches (SPEC §6): thresholds, magnitudes, integers, regions, finite sets.

Every verdict here must hold for several seeds. Ground truth is stated in each
fixture's comment (a one-line proof of where the two steps differ), or
recomputed with mpmath at 60 digits.
"""

from __future__ import annotations

import itertools
import random
from fractions import Fraction
from pathlib import Path

import mpmath
import pytest
import sympy
from conftest import check, statuses

from derivcheck import engine as engine_mod
from derivcheck.api import context_for
from derivcheck.context import ContextError
from derivcheck.domains import parse_domain
from derivcheck.engine import Engine
from derivcheck.loader import load_text
from derivcheck.model import Text
from derivcheck.numeric import Compiled
from derivcheck.sampling import WIDE_POINTS, EmptyRegion, Plan, Range, draw

DATA = Path(__file__).parent / "data" / "soundness" / "numeric"
SEEDS = (0, 1, 2, 3)

EXPECTED = {
    # thresholds inside Max/Min/Abs and given bounds
    "min_40.yaml": "invalid",
    "abs_75.yaml": "invalid",
    "max_7_5.yaml": "invalid",
    "given_500.yaml": "invalid",
    "given_le_minus3.yaml": "invalid",
    "clip_valid.yaml": "valid",
    # integers beyond +-6
    "binomial_beyond_6.yaml": "invalid",
    "int_min_50.yaml": "invalid",
    # finite sets: every combination, irrational values
    "six_flags.yaml": "invalid",
    "sqrt2_invalid.yaml": "invalid",
    "sqrt2_valid.yaml": "valid",
    "pi_set_invalid.yaml": "invalid",
    "pi_set_valid.yaml": "valid",
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
@pytest.mark.parametrize("seed", SEEDS)
def test_verdicts_do_not_depend_on_the_seed(name: str, seed: int) -> None:
    r = check((DATA / name).read_text(), name, seed=seed)
    assert r.status == EXPECTED[name], (statuses(r), r.chains[0].steps[1].message)


def _x(cex_value: object) -> Fraction:
    return Fraction(str(cex_value))


@pytest.mark.parametrize("seed", SEEDS)
def test_threshold_counterexamples_lie_where_the_proof_says(seed: int) -> None:
    # Min(x, 40) = x exactly when x <= 40; Abs(x - 75) = x - 75 exactly when x >= 75.
    r = check((DATA / "min_40.yaml").read_text(), seed=seed)
    assert _x(r.chains[0].steps[1].counterexample.values["x"]) > 40
    r = check((DATA / "abs_75.yaml").read_text(), seed=seed)
    assert _x(r.chains[0].steps[1].counterexample.values["x"]) < 75
    # under x > 500, Min(x, 1000) = x exactly when x <= 1000
    r = check((DATA / "given_500.yaml").read_text(), seed=seed)
    assert _x(r.chains[0].steps[1].counterexample.values["x"]) > 1000


@pytest.mark.parametrize("seed", SEEDS)
def test_irrational_set_values_give_exact_counterexamples(seed: int) -> None:
    # at x = sqrt(2): x^2 = 2 while 2x - 1 = 2*sqrt(2) - 1 = 1.8284271247...
    r = check((DATA / "sqrt2_invalid.yaml").read_text(), seed=seed)
    cex = r.chains[0].steps[1].counterexample
    assert cex.values == {"x": "sqrt(2)"}
    with mpmath.workdps(60):
        assert abs(cex.left - 2) < 1e-12
        assert abs(cex.right - float(2 * mpmath.sqrt(2) - 1)) < 1e-12
    # at x = pi/4: sin(pi/4) = 0.70710678... and pi/4 = 0.78539816...; at pi/2: 1 and 1.5707963...
    r = check((DATA / "pi_set_invalid.yaml").read_text(), seed=seed)
    cex = r.chains[0].steps[1].counterexample
    assert cex.values["x"] in ("pi/4", "pi/2")
    with mpmath.workdps(60):
        angle = mpmath.pi / 4 if cex.values["x"] == "pi/4" else mpmath.pi / 2
        assert abs(cex.left - float(mpmath.sin(angle))) < 1e-12
        assert abs(cex.right - float(angle)) < 1e-12


def test_irrational_set_values_evaluate_exactly() -> None:
    d = parse_domain("{0, pi/4, pi/2, sqrt(2)}")
    assert d.values == (0, sympy.pi / 4, sympy.pi / 2, sympy.sqrt(2))
    x = sympy.Symbol("x")
    c = Compiled(sympy.tan(x) - sympy.sqrt(2) * x, (x,))
    with mpmath.workdps(60):
        truth = mpmath.tan(mpmath.pi / 4) - mpmath.sqrt(2) * mpmath.pi / 4
        assert abs(c([sympy.pi / 4], 50) - truth) < mpmath.mpf(10) ** -45
        lo, hi = (mpmath.mp.make_mpf(v) for v in c.interval.evaluate([sympy.pi / 4], 50)._mpi_)
        assert lo <= truth <= hi
    # tan(pi/2) is a pole: undefined there, not an internal error
    assert c([sympy.pi / 2], 30) is None or abs(c([sympy.pi / 2], 30)) > 10**20


@pytest.mark.parametrize("seed", SEEDS)
def test_irrational_sets_are_checked_rigorously_without_a_proof(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    # sin(2x) = 2 sin(x) cos(x) (double angle): with no proof, each of 0, pi/4, pi/2 is checked.
    monkeypatch.setattr(engine_mod, "prove_equal", lambda *a, **k: False)
    r = check((DATA / "pi_set_valid.yaml").read_text(), seed=seed)
    step = r.chains[0].steps[1]
    assert step.status == "tested", step.message
    assert step.points >= 3


# -- the plan itself -----------------------------------------------------------------------------


def _plan(symbols: str, exprs: list[str], given: tuple[str, ...] | list[str] = ()) -> tuple[Plan, list]:
    text = f"symbols: {{{symbols}}}\nsteps:\n  - x\n  - x\n"
    ctx = context_for(load_text(text, "t.yaml"))
    parsed = [ctx.parse(e, 1) for e in exprs]
    filters = []
    for g in given:
        rel = ctx.condition(Text(g, 1)).relation
        filters.append((rel.op, rel.left, rel.right))
    leaves = sorted(set().union(*(e.free_symbols for e in parsed), *(l.free_symbols | r.free_symbols for _, l, r in filters)), key=lambda s: s.name)
    plan = Plan(leaves, [ctx.domain_of(s) for s in leaves], parsed, filters, list(given))
    return plan, leaves


def _all_points(plan: Plan, seed: int) -> list[list[sympy.Expr]]:
    return list(plan.points(random.Random(seed), 24, lambda: False))


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize(
    "given,inside",
    [
        (["x > 500"], lambda v: v > 500),
        (["x <= -3"], lambda v: v <= -3),
        (["0 < x"], lambda v: v > 0),
        (["x > 2", "x < 5/2"], lambda v: 2 < v < Fraction(5, 2)),
    ],
)
def test_single_symbol_conditions_are_drawn_inside(seed: int, given: list[str], inside) -> None:  # type: ignore[no-untyped-def]
    plan, _ = _plan("x: real", ["x**2"], given)
    points = _all_points(plan, seed)
    assert len(points) >= 24
    assert all(inside(Fraction(str(p[0]))) for p in points)  # no rejection needed


def test_an_empty_region_is_reported() -> None:
    with pytest.raises(EmptyRegion):
        _plan('x: "(0, 1)"', ["x"], ["x > 1"])
    # the engine turns it into an error naming the condition, never a vacuous proof
    ctx = context_for(load_text('symbols: {x: "(0, 1)"}\nsteps:\n  - x\n  - x\n', "t.yaml"))
    cond = ctx.condition(Text("x > 1", 3))
    x = sympy.Symbol("x")
    with pytest.raises(ContextError, match="x > 1"):
        Engine(ctx).compare(x**2, x * x, [cond])


def test_no_index_combination_is_an_error_not_a_proof() -> None:
    text = "indices: {k: K}\nsizes: {K: [2, 3]}\nsymbols:\n  z[k]: real\nsteps:\n  - z[k]\n  - z[k]\n"
    ctx = context_for(load_text(text, "t.yaml"))
    cond = ctx.condition(Text("k == 0", 4))
    with pytest.raises(ContextError, match="k == 0"):
        Engine(ctx).compare(ctx.parse("z[k]", 5), ctx.parse("z[k]", 6), [cond])


def test_filters_that_leave_no_point_give_no_verdict_of_equality() -> None:
    # x > y and y > x together hold nowhere: nothing was checked, so neither proved nor tested.
    ctx = context_for(load_text("steps:\n  - x\n  - x\n", "t.yaml"))
    conds = [ctx.condition(Text("x > y", 1)), ctx.condition(Text("y > x", 1))]
    x = sympy.Symbol("x")
    v = Engine(ctx).compare(x, x + 0, conds)
    assert v.status not in ("proved", "tested")


@pytest.mark.parametrize("seed", SEEDS)
def test_thresholds_are_sampled_below_at_and_above(seed: int) -> None:
    plan, _ = _plan("x: real, g: real", ["Min(x, 40) + Abs(x - 75) + Max(g, 7.5)"])
    xs = {Fraction(str(p[1])) for p in _all_points(plan, seed)}
    gs = {Fraction(str(p[0])) for p in _all_points(plan, seed)}
    for t in (40, 75):
        assert t in xs
        assert any(t - 1 < v < t for v in xs) and any(t < v < t + 1 for v in xs)
        assert any(v < t - 100 for v in xs) and any(v > t + 100 for v in xs)
    assert Fraction(15, 2) in gs
    assert any(Fraction(15, 2) < v < 8 for v in gs) and any(7 < v < Fraction(15, 2) for v in gs)


@pytest.mark.parametrize("seed", SEEDS)
def test_magnitudes_span_many_orders_and_both_signs(seed: int) -> None:
    plan, _ = _plan("x: real", ["exp(x)"])
    values = [Fraction(str(p[0])) for p in _all_points(plan, seed)]
    nonzero = [abs(v) for v in values if v]
    assert min(nonzero) < Fraction(1, 10**15) and max(nonzero) > 10**15
    assert any(0 < v < Fraction(1, 10**15) for v in values) and any(-Fraction(1, 10**15) < v < 0 for v in values)
    assert any(v > 10**15 for v in values) and any(v < -(10**15) for v in values)
    assert sum(1 for v in values if Fraction(1, 10) <= abs(v) <= 10) >= 12  # ordinary values stay the bulk


@pytest.mark.parametrize("seed", SEEDS)
def test_integers_reach_far_beyond_six(seed: int) -> None:
    plan, _ = _plan("n: integer", ["n**2"])
    values = [int(p[0]) for p in _all_points(plan, seed)]
    assert max(values) >= 10**6 and min(values) <= -(10**6)
    assert any(7 <= abs(v) <= 99 for v in values) or any(100 <= abs(v) <= 10**5 for v in values)


def test_every_combination_of_finite_values_up_to_64() -> None:
    names = "abcdfg"
    plan, _ = _plan(", ".join(f'{n}: "{{0, 1}}"' for n in names), ["*".join(names)])
    seen = {tuple(p) for p in _all_points(plan, 0)}
    assert len(seen) == 64
    # more than 64: not all, but every value of every symbol at least once
    plan, _ = _plan('a: "{1, 2, 3, 4, 5}", b: "{1, 2, 3, 4, 5}", c: "{1, 2, 3, 4, 5}"', ["a*b*c"])
    points = _all_points(plan, 0)
    for i in range(3):
        assert {int(p[i]) for p in points} == {1, 2, 3, 4, 5}


@pytest.mark.parametrize("text", ["real", "positive", "integer", "(0, 1)", "[80, 90]", "(-oo, -3]", "(0, pi)"])
def test_every_draw_is_exact_and_inside(text: str) -> None:
    d = parse_domain(text)
    r = Range.of(d)
    rng = random.Random(text)
    for wide, stratum in itertools.product((False, True), (None, *range(WIDE_POINTS))):
        v = draw(r, rng, wide, stratum)
        assert v.is_Rational and d.contains(v)


@pytest.mark.parametrize("seed", SEEDS)
def test_a_kink_in_several_symbols_is_reached(seed: int) -> None:
    # The hinge Max(0, 1 - t*w) has its kink where t*w = 1; Max(0, 1 - t*w) vs 1 - t*w differs
    # exactly where t*w > 1, and "Max(0, 1 - t*w) + Max(0, t*w - 1)" = |1 - t*w|: check both.
    r = check("steps:\n  - Max(0, 1 - t*w)\n  - 1 - t*w\n", seed=seed)
    assert r.status == "invalid"
    r = check("steps:\n  - Max(0, 1 - t*w) + Max(0, t*w - 1)\n  - Abs(1 - t*w)\n", seed=seed)
    assert r.status == "valid"


@pytest.mark.parametrize("seed", SEEDS)
def test_singular_points_are_sampled(seed: int) -> None:
    # x**3 - 8 = (x - 2)*(x**2 + 2*x + 4): the quotient equals x**2 + 2*x + 4 except at x = 2,
    # where it is 0/0. The step is valid, and the point x = 2 must be found to say so in a note.
    r = check("steps:\n  - (x**3 - 8)/(x - 2)\n  - x**2 + 2*x + 4\n", seed=seed)
    step = r.chains[0].steps[1]
    assert step.status in ("proved", "tested")
    assert [n.kind for n in step.notes] == ["domain-change"]
    assert "x = 2 " in step.notes[0].message


@pytest.mark.parametrize("seed", SEEDS)
def test_a_bump_between_two_close_thresholds_is_found(seed: int) -> None:
    # Max(0, 10**-9 - (x - 1000)**2) > 0 exactly for |x - 1000| < sqrt(10**-9) = 3.16e-5;
    # a step of 1e-6 relative (1e-3 here) beside either root would jump over the bump.
    r = check("steps:\n  - Max(0, 10**-9 - (x - 1000)**2)\n  - 0\n", seed=seed)
    step = r.chains[0].steps[1]
    assert step.status == "invalid"
    x = _x(step.counterexample.values["x"])
    with mpmath.workdps(60):
        xv = mpmath.mpf(x.numerator) / x.denominator
        left = max(mpmath.mpf(0), mpmath.mpf(10) ** -9 - (xv - 1000) ** 2)
        assert left > 0
        assert abs(step.counterexample.left - float(left)) <= 1e-12 * float(left)
