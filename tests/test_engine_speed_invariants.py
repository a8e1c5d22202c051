"""The speed-ups of the engine must not change what it concludes.

No timing here: these tests pin down that the caches give the verdicts an
uncached run gives, that the float screen never makes a verdict on its own
(``invalid`` needs the high-precision check, catastrophic cancellation is not a
counterexample), and that the fast sampler draws exactly what Domain.sample draws.
"""

from __future__ import annotations

import random

import pytest
import sympy

from derivcheck import engine as engine_mod
from derivcheck.api import verify_text
from derivcheck.domains import parse_domain
from derivcheck.engine import Engine
from derivcheck.loader import load_text
from derivcheck.api import context_for
from derivcheck.numeric import Compiled

SOFTMAX = """
title: softmax gradient
indices: {k: K, T: K, m: K}
sizes: {K: [2, 3]}
symbols:
  z[k]: real
define:
  y[k]: exp(z[k]) / Sum(exp(z[m]), (m, 1, K))
  t[k]: KroneckerDelta(k, T)
  L: -Sum(t[m]*log(y[m]), (m, 1, K))
claim: Derivative(L, z[k]) = y[k] - t[k]
cases:
  - given: T == k
    steps:
      - Derivative(L, z[k])
      - Derivative(L, y[T]) * Derivative(y[T], z[k])
      - -1/y_T * y_k*(1 - y_k)
      - y_k - 1
      - y_k - t_k
  - given: T != k
    steps:
      - Derivative(L, z[k])
      - Derivative(L, y[T]) * Derivative(y[T], z[k])
      - -1/y_T * (-y_T*y_k)
      - y_k + 1/1000
      - y_k - t_k
"""

LOGISTIC = """
symbols:
  t: "{0, 1}"
define:
  z: w*x + r
  y: sigma(z)
  L: -t*log(y) - (1 - t)*log(1 - y)
steps:
  - Derivative(L, w)
  - Derivative(L, y) * Derivative(y, z) * Derivative(z, w)
  - (-t/y + (1 - t)/(1 - y)) * y*(1 - y) * x
  - (-1/y + (1 - t)/(1 - y)) * y*(1 - y) * x
  - (y - t)*x
"""


def statuses(result):
    return [[(s.status, s.counterexample.values if s.counterexample else None) for s in c.steps] for c in result.chains]


def uncached_engine(monkeypatch):
    """Make every cache of the engine and the context forget everything at once."""

    class Forgetful(dict):
        """Never admits to holding a key, so every lookup recomputes (and overwrites)."""

        def __contains__(self, key):
            return False

    original_init = Engine.__init__

    def init(self, *args, **kwargs):
        original_init(self, *args, **kwargs)
        self._concrete = Forgetful()
        self._compiled = Forgetful()
        self._resolvers = Forgetful()
        self.ctx._shared_memo = Forgetful()

    monkeypatch.setattr(Engine, "__init__", init)


@pytest.mark.parametrize("text", [SOFTMAX, LOGISTIC], ids=["softmax", "logistic"])
def test_caches_do_not_change_verdicts(text, monkeypatch):
    cached = verify_text(text, "cached.yaml")
    with monkeypatch.context() as m:
        uncached_engine(m)
        uncached = verify_text(text, "uncached.yaml")
    assert cached.status == uncached.status
    assert statuses(cached) == statuses(uncached)
    assert (cached.claim and cached.claim.status) == (uncached.claim and uncached.claim.status)


def test_softmax_verdicts_expected():
    result = verify_text(SOFTMAX, "s.yaml")
    first, second = statuses(result)
    assert [s for s, _ in first] == ["start", "proved", "proved", "proved", "proved"]
    assert [s for s, _ in second][:4] == ["start", "proved", "proved", "invalid"]


def compare(text_left: str, text_right: str, symbols: str = "x: real"):
    deriv = load_text(f"symbols: {{{symbols}}}\nsteps:\n  - {text_left}\n  - {text_right}\n", "t.yaml")
    ctx = context_for(deriv)
    eng = Engine(ctx)
    return eng.compare(ctx.parse(text_left, 1), ctx.parse(text_right, 1), label="t")


@pytest.mark.parametrize(
    "left,right",
    [
        ("exp(40) + 1 - exp(40)", "1"),  # floats give 0 vs 1
        ("exp(40*x) + 1 - exp(40*x)", "1"),
        ("(exp(x) + 10**20) - 10**20", "exp(x)"),
        ("(1 + exp(-40))*x - x*exp(-40)", "x"),
        ("log(1 + exp(50*x)) - log(exp(50*x))", "log(1 + exp(-50*x))"),
    ],
)
def test_catastrophic_cancellation_is_never_invalid(left, right):
    v = compare(left, right)
    assert v.status in ("proved", "tested"), v.message


@pytest.mark.parametrize(
    "left,right",
    [
        ("x + exp(-30)", "x"),  # differs by 9e-14: below the float screen's tolerance
        ("x*(1 + 10**(-12))", "x"),
        ("exp(x)", "exp(x) + x*10**(-15)"),
    ],
)
def test_differences_below_float_resolution_are_still_found(left, right):
    """The float screen misses them; the precise re-check of an unproved pair must not."""
    v = compare(left, right)
    assert v.status == "invalid", v.message
    assert v.counterexample is not None


def test_float_candidates_need_high_precision_confirmation(monkeypatch):
    """Even when the float screen is wrong about every point, nothing is invalid without verify()."""
    monkeypatch.setattr(Compiled, "fast", lambda self, fpoint: float(len(self.leaves) + random.random()))
    v = compare("x*(x + 1)", "x**2 + x")
    assert v.status == "proved"
    v = compare("sin(x)**2", "1 - cos(x)**2")
    assert v.status in ("proved", "tested")


def test_float_failures_fall_back_to_mpmath():
    # exp(800) overflows a float but is a fine real number: must not be "undefined"
    v = compare("log(exp(800*x*x + 800))", "800*x**2 + 800")
    assert v.status in ("proved", "tested")
    assert v.points > 0
    v = compare("log(exp(800*x*x + 800))", "800*x**2 + 801")
    assert v.status == "invalid"


def test_compiled_fast_matches_mpmath():
    x, y = sympy.symbols("x y")
    for expr in (sympy.exp(x) / (1 + y**2), sympy.sqrt(x), sympy.log(x - y), sympy.Heaviside(x), sympy.Abs(x) * y):
        c = Compiled(expr, (x, y))
        for point in ([sympy.Rational(3, 2), sympy.Rational(-1, 3)], [sympy.Rational(-2), sympy.Rational(5)]):
            exact = c(point, 30)
            fast = c.fast([float(p) for p in point])
            if fast is None:
                continue  # floats could not tell: mpmath decides
            assert exact is not None
            assert abs(float(exact) - fast) <= 1e-12 * max(1.0, abs(fast))


@pytest.mark.parametrize(
    "text",
    ["real", "positive", "negative", "nonnegative", "(0, 1)", "[0, 1)", "(-oo, 2]", "(1/3, 7/2]", "integer", "{0, 1}", "(0, pi)", "[-5, -1]"],
)
def test_sampling_is_exact_inside_and_repeatable(text):
    d = parse_domain(text)
    r1, r2 = random.Random(text), random.Random(text)
    first = [d.sample(r1) for _ in range(300)]
    assert first == [d.sample(r2) for _ in range(300)]
    assert all(v.is_Rational and d.contains(v) for v in first)


def test_proof_order_hint_is_only_an_order():
    ctx = context_for(load_text("steps:\n  - x\n  - x\n", "t.yaml"))
    from derivcheck.budget import Budget

    x = sympy.Symbol("x")
    order = list(range(len(engine_mod._ATTEMPTS)))
    assert engine_mod.prove_equal((x + 1) ** 2, x**2 + 2 * x + 1, ctx, Budget(10), order)
    assert order[0] != 0  # the attempt that worked moved to the front
    assert not engine_mod.prove_equal((x + 1) ** 2, x**2 + 2 * x, ctx, Budget(10), order)
