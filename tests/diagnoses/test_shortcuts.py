"""Two shortcuts in the rules, each one's answer the same as the work it skips.

* missing-factor's monomial screen: where interval arithmetic certifies that
  previous/this step is no monomial of the symbols, the rule says nothing without
  simplifying the ratio (seconds on a tanh of a sum);
* special-case says nothing after another rule's diagnosis unless a symbol with a
  finite set of values is in play, so its trials are not run then.

Fixtures: ``tests/data/wrong_speed/`` (each with the algebra of its truth in its
header); values here by plain mpmath at 60 digits.
"""

from __future__ import annotations

from pathlib import Path

import mpmath
import pytest

from derivcheck.api import context_for, verify_text
from derivcheck.budget import Budget
from derivcheck.checker import DerivationChecker
from derivcheck.diagnoses import cases, factors
from derivcheck.diagnoses.probe import Probe
from derivcheck.diagnoses.terms import dropped_term
from derivcheck.loader import load_text
from derivcheck.results import INVALID, FileResult

from .helpers import SEEDS, mp_at, mp_equal

DATA = Path(__file__).resolve().parent.parent / "data" / "wrong_speed"


def probe_for(name: str, seed: int = 0) -> Probe:
    """The probe of the first invalid transition of a fixture, as diagnose_chain builds it."""
    deriv = load_text((DATA / name).read_text(encoding="utf-8"), str(DATA / name))
    checker = DerivationChecker(deriv, context_for(deriv), seed=seed)
    result = checker.run(FileResult(name))
    step = next(s for s in result.chains[0].steps if s.status == INVALID)
    return Probe(checker, 0, step.index, checker.transitions[(0, step.index)], Budget(checker.engine.timeout))


def kinds(name: str, seed: int) -> dict[str, str]:
    result = verify_text((DATA / name).read_text(encoding="utf-8"), name, seed=seed)
    step = next(s for s in result.chains[0].steps if s.status == INVALID)
    return {d.kind: d.message for d in step.diagnoses}


# -- the monomial screen never hides a missing monomial --------------------------------------

MONOMIALS = {
    # fixture: (the factor named, previous and this step as functions, a point)
    "missing_tau.yaml": ("1/tau", lambda y, t, x, tau: (y - t) * x / tau, lambda y, t, x, tau: (y - t) * x),
    "missing_two_x.yaml": ("2*x", lambda x, w: 2 * x * (x + w), lambda x, w: x + w),
    "missing_beta_squared.yaml": ("beta**2/3", lambda beta, w, z: beta**2 * mpmath.exp(w * z) / 3, lambda beta, w, z: mpmath.exp(w * z)),
}
POINTS = {
    "missing_tau.yaml": dict(y="2/3", t="1/7", x="-5/4", tau="9/2"),
    "missing_two_x.yaml": dict(x="-7/3", w="5/11"),
    "missing_beta_squared.yaml": dict(beta="-3/2", w="4/5", z="7/9"),
}
FACTORS = {
    "missing_tau.yaml": lambda tau, **_: 1 / tau,
    "missing_two_x.yaml": lambda x, **_: 2 * x,
    "missing_beta_squared.yaml": lambda beta, **_: beta**2 / 3,
}


@pytest.mark.parametrize("name", sorted(MONOMIALS))
def test_monomial_truth(name: str) -> None:
    # previous = factor * this step, at a point with every symbol nonzero (60 digits)
    _, prev, cur = MONOMIALS[name]
    point = POINTS[name]
    assert mp_equal(mp_at(prev, **point), mp_at(lambda **v: FACTORS[name](**v) * cur(**v), **point))
    # and the step is wrong there: the factor is not 1
    assert not mp_equal(mp_at(prev, **point), mp_at(cur, **point))


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("name", sorted(MONOMIALS))
def test_screen_lets_a_monomial_through(name: str, seed: int) -> None:
    assert factors._not_monomial(probe_for(name, seed)) is False
    factor = MONOMIALS[name][0]
    assert kinds(name, seed)["missing-factor"].startswith(f"a factor {factor} is missing")


# -- the screen certifies a ratio that is no monomial --------------------------------------


def test_tanh_ratio_truth() -> None:
    # previous/this = 1 + tanh(a) where tanh(a) != 1; a monomial c*a**e would give
    # r(3a)/r(a) = 3**e for an integer e; at a = 1/4 it is 1.3134..., no power of 3
    r = lambda a: 1 + mpmath.tanh(a)  # noqa: E731
    q = mp_at(lambda a: r(3 * a) / r(a), a="1/4")
    assert all(not mp_equal(q, mpmath.mpf(3) ** e) for e in range(-4, 5))
    prev = mp_at(lambda v, a, x: v * (1 - mpmath.tanh(a) ** 2) * x, v="2", a="1/4", x="3")
    cur = mp_at(lambda v, a, x: v * (1 - mpmath.tanh(a)) * x, v="2", a="1/4", x="3")
    assert mp_equal(prev / cur, r(mpmath.mpf(1) / 4))


def test_polynomial_ratio_truth() -> None:
    # previous/this = 1 + x**2: 2 at x = 1, 10 at x = 3, a ratio 5, no power of 3
    q = mp_at(lambda x: (1 + (3 * x) ** 2) / (1 + x**2), x="1")
    assert all(not mp_equal(q, mpmath.mpf(3) ** e) for e in range(-4, 5))


def test_numbers_only_truth() -> None:
    # sqrt(5 + 2*sqrt(6)) = sqrt(2) + sqrt(3): the steps differ by exactly 10**-6
    with mpmath.workdps(60):
        prev = mpmath.sqrt(2) + mpmath.sqrt(3)
        cur = mpmath.sqrt(5 + 2 * mpmath.sqrt(6)) + mpmath.mpf(10) ** -6
        assert mp_equal(cur - prev, mpmath.mpf(10) ** -6)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("name", ["not_monomial_tanh.yaml", "not_monomial_poly.yaml", "numbers_only.yaml"])
def test_screen_certifies_no_monomial(name: str, seed: int) -> None:
    assert factors._not_monomial(probe_for(name, seed)) is True
    assert "missing-factor" not in kinds(name, seed)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize(
    "name", ["missing_tau.yaml", "missing_two_x.yaml", "missing_beta_squared.yaml", "not_monomial_tanh.yaml",
             "not_monomial_poly.yaml", "numbers_only.yaml"],
)
def test_screen_changes_no_diagnosis(name: str, seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    # the rule with the screen says what the rule without it (simplifying the ratio) says
    with_screen = probe_for(name, seed).run(factors.missing_factor)
    monkeypatch.setattr(factors, "_not_monomial", lambda p: False)
    without = probe_for(name, seed).run(factors.missing_factor)
    assert [(n.kind, n.message, n.fix) for n in with_screen] == [(n.kind, n.message, n.fix) for n in without]


# -- special-case after another diagnosis --------------------------------------------------


def test_dropped_term_truths() -> None:
    # x*y + 2*w - 2*w = x*y: the term dropped; with t in {0, 1}: t*x*y + 2*w = 2*w iff t*x*y = 0
    assert mp_equal(mp_at(lambda x, y, w: x * y + 2 * w - 2 * w, x="3/2", y="-2/7", w="5"), mp_at(lambda x, y: x * y, x="3/2", y="-2/7"))
    step = lambda t, x, y, w: t * x * y + 2 * w  # noqa: E731
    assert mp_equal(mp_at(step, t="0", x="3/2", y="-2/7", w="5"), mp_at(lambda w: 2 * w, w="5"))
    assert not mp_equal(mp_at(step, t="1", x="3/2", y="-2/7", w="5"), mp_at(lambda w: 2 * w, w="5"))


@pytest.mark.parametrize("seed", SEEDS)
def test_special_case_skipped_only_when_it_would_say_nothing(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    # every symbol real, and dropped-term found first: special-case says nothing, with or without its trials
    probe = probe_for("found_no_finite.yaml", seed)
    probe.found = probe.run(dropped_term)
    assert [n.kind for n in probe.found] == ["dropped-term"]
    assert probe.run(cases.special_case) == []
    monkeypatch.setattr(cases, "_finite_leaves", lambda p, inst: [object()])  # force the trials
    assert probe.run(cases.special_case) == []


@pytest.mark.parametrize("seed", SEEDS)
def test_special_case_still_runs_with_a_finite_set_symbol(seed: int) -> None:
    # dropped-term first, and t in {0, 1} in play: special-case still names t = 0
    found = kinds("found_then_finite.yaml", seed)
    assert found["dropped-term"] == "the term t*x*y of the previous step was dropped: add it back"
    assert found["special-case"].startswith("holds when t = 0")
