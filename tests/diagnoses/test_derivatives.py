"""extra-derivative: the step, or one of its terms or factors, differentiated a second time."""

from __future__ import annotations

import mpmath
import pytest

from .helpers import ROOT, SEEDS, mp_equal, sigma, step_diagnoses

SOUNDNESS = "/work/shared/examples/soundness/extra_derivative.yaml"


@pytest.mark.parametrize("seed", SEEDS)
def test_shipped_update_rule(seed: int) -> None:
    # w_j - Sum((y[i] - t[i])*x[i]) differentiated again with respect to w_j
    found = step_diagnoses(str(ROOT / "examples" / "int305_q1_update_rule.yaml"), 3, seed)
    message, fix = found["extra-derivative"]
    assert "with respect to w_j" in message and "applied twice" in message
    assert "-Sum((y[i] - t[i])*x[i], (i, 1, N))" in message
    assert fix == "w_j - Sum((y[i] - t[i])*x[i], (i, 1, N))"


def test_shipped_update_rule_truth() -> None:
    # N = 2: d/dw sum_i (sigma(w*x_i + r_i) - t_i)*x_i = sum_i sigma'(.)*x_i**2 != sum_i (sigma - t_i)*x_i
    with mpmath.workdps(60):
        x, r, t = [mpmath.mpf(3) / 4, mpmath.mpf(-2)], [mpmath.mpf(1) / 3, mpmath.mpf(1)], [1, 0]
        w = mpmath.mpf(1) / 2

        def g(u):
            return sum((sigma(u * x[i] + r[i]) - t[i]) * x[i] for i in range(2))

        d = mpmath.diff(g, w)
        closed = sum(sigma(w * x[i] + r[i]) * (1 - sigma(w * x[i] + r[i])) * x[i] ** 2 for i in range(2))
        assert mp_equal(d, closed) and not mp_equal(d, g(w))


@pytest.mark.skipif(not __import__("os").path.exists(SOUNDNESS), reason="shared examples not present")
@pytest.mark.parametrize("seed", SEEDS)
def test_soundness_example(seed: int) -> None:
    message, fix = step_diagnoses(SOUNDNESS, 3, seed)["extra-derivative"]
    assert message.startswith("the term -eta*Derivative((w*x - t)*x, w) is the derivative with respect to w")
    assert fix == "w - eta*(w*x - t)*x"


@pytest.mark.parametrize("seed", SEEDS)
def test_whole_step(seed: int) -> None:
    # 3*x**2 -> 6*x = d/dx (3*x**2)
    found = step_diagnoses("extra_derivative_whole_step.yaml", 3, seed)
    message, fix = found["extra-derivative"]
    assert message.startswith("this step is the derivative of the previous step with respect to x")
    assert fix == "3*x**2"
    assert "missing-factor" not in found  # x/2 is true but restates the derivative applied twice


@pytest.mark.parametrize("seed", SEEDS)
def test_logistic_update(seed: int) -> None:
    message, fix = step_diagnoses("extra_derivative_logistic.yaml", 3, seed)["extra-derivative"]
    assert message.startswith("the term -eta*y*(1 - y)*x**2 is the derivative with respect to w")
    assert "term -eta*(y - t)*x" in message
    assert fix == "w - eta*(y - t)*x"


def test_logistic_update_truth() -> None:
    # d/dw [(sigma(w*x) - t)*x] = sigma*(1 - sigma)*x**2 at w = -2/3, x = 5/4, t = 1
    with mpmath.workdps(60):
        w, x, t = mpmath.mpf(-2) / 3, mpmath.mpf(5) / 4, 1
        d = mpmath.diff(lambda u: (sigma(u * x) - t) * x, w)
        assert mp_equal(d, sigma(w * x) * (1 - sigma(w * x)) * x**2)


@pytest.mark.parametrize("seed", SEEDS)
def test_one_term_other_term_kept(seed: int) -> None:
    message, fix = step_diagnoses("extra_derivative_one_term.yaml", 3, seed)["extra-derivative"]
    assert message.startswith("the term y*(1 - y)*x**2 is the derivative with respect to w of the previous step's term (y - t)*x")
    assert fix == "(y - t)*x + lam*w"


@pytest.mark.parametrize("seed", SEEDS)
def test_one_factor_other_factors_kept(seed: int) -> None:
    message, fix = step_diagnoses("extra_derivative_one_factor.yaml", 3, seed)["extra-derivative"]
    assert "derivative with respect to w of the previous step's factor (y - t) in place of that factor" in message
    assert fix == "w**2*(y - t)*x"


def test_one_factor_truth() -> None:
    # the factor's derivative, the other factors kept: w**2 * [d/dw (sigma(w*x) - t)] * x;
    # not the whole term's derivative, which adds 2*w*(sigma - t)*x
    with mpmath.workdps(60):
        w, x, t = mpmath.mpf(3) / 2, mpmath.mpf(-1) / 3, mpmath.mpf(2) / 7
        factor = mpmath.diff(lambda u: sigma(u * x) - t, w)
        assert mp_equal(w**2 * factor * x, w**2 * sigma(w * x) * (1 - sigma(w * x)) * x * x)
        whole = mpmath.diff(lambda u: u**2 * (sigma(u * x) - t) * x, w)
        assert not mp_equal(whole, w**2 * factor * x)


@pytest.mark.parametrize("seed", SEEDS)
def test_no_extra_derivative_for_a_symbol_never_differentiated(seed: int) -> None:
    # 2*t*x -> 2*x: 2*x = d/dt (2*t*x), but the chain differentiates by x only
    found = step_diagnoses("extra_derivative_not_differentiated.yaml", 3, seed)
    assert "extra-derivative" not in found
    assert "missing-factor" in found


@pytest.mark.parametrize("seed", SEEDS)
def test_no_extra_derivative_for_a_dropped_constant_term(seed: int) -> None:
    # (y - t)*x + c -> (y - t)*x: the derivative of c is 0, a dropped term, not a derivative
    from derivcheck.api import verify_text

    text = (
        "define:\n  y: sigma(w*x)\nsteps:\n  - Derivative(-t*log(y) - (1 - t)*log(1 - y), w) + c\n"
        "  - (y - t)*x + c\n  - (y - t)*x\n"
    )
    kinds = [d.kind for d in verify_text(text, "d.yaml", seed=seed).chains[0].steps[2].diagnoses]
    assert "dropped-term" in kinds and "extra-derivative" not in kinds


@pytest.mark.parametrize("seed", SEEDS)
def test_derivative_named_only_in_the_claim(seed: int) -> None:
    # d/dw (w*x*x - t*x) = x**2: the claim's derivative with respect to w, taken again
    message, fix = step_diagnoses("extra_derivative_claim_only.yaml", 2, seed)["extra-derivative"]
    assert message.startswith("this step is the derivative of the previous step with respect to w")
    assert fix == "w*x*x - t*x"
    with mpmath.workdps(60):
        w, x, t = mpmath.mpf(-5) / 3, mpmath.mpf(7) / 2, mpmath.mpf(1) / 9
        assert mp_equal(mpmath.diff(lambda u: u * x * x - t * x, w), x**2)
