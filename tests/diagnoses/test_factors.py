"""missing-factor (a simple factor of declared symbols left out) and wrong-factor's values."""

from __future__ import annotations

import mpmath
import pytest

from .helpers import SEEDS, mp_at, mp_equal, sigma, step_diagnoses


@pytest.mark.parametrize("seed", SEEDS)
def test_missing_one_over_beta(seed: int) -> None:
    found = step_diagnoses("missing_factor_beta.yaml", 2, seed)
    message, fix = found["missing-factor"]
    assert message.startswith("a factor 1/beta is missing")
    assert fix == "(y - t)*x/beta"


def test_missing_one_over_beta_truth() -> None:
    # previous / this = 1/beta at beta = 7/3, w = 1/2, x = -3/4, t = 2/5
    def prev(beta, w, x, t):
        return (sigma(w * x) - t) * x / beta

    def cur(w, x, t):
        return (sigma(w * x) - t) * x

    point = dict(beta="7/3", w="1/2", x="-3/4", t="2/5")
    assert mp_equal(mp_at(lambda beta, w, x, t: beta * prev(beta, w, x, t), **point), mp_at(lambda beta, **v: cur(**v), **point))
    assert not mp_equal(mp_at(prev, **point), mp_at(lambda beta, **v: cur(**v), **point))


@pytest.mark.parametrize("seed", SEEDS)
def test_missing_one_over_tau_chain_rule(seed: int) -> None:
    message, fix = step_diagnoses("missing_factor_tau.yaml", 2, seed)["missing-factor"]
    assert message.startswith("a factor 1/tau is missing")
    assert fix == "exp(x/tau)/tau"


def test_missing_one_over_tau_truth() -> None:
    # d/dx exp(x/tau) at x = 2/3, tau = 5/2, by mpmath's numerical differentiation at 60 digits
    with mpmath.workdps(60):
        tau, x = mpmath.mpf(5) / 2, mpmath.mpf(2) / 3
        d = mpmath.diff(lambda u: mpmath.exp(u / tau), x)
        assert mp_equal(d, mpmath.exp(x / tau) / tau)
        assert not mp_equal(d, mpmath.exp(x / tau))


@pytest.mark.parametrize("seed", SEEDS)
def test_missing_two_x(seed: int) -> None:
    # Derivative(x**2, x) * x = 2*x**2 = (2*x) * x
    message, fix = step_diagnoses("missing_factor_two_x.yaml", 2, seed)["missing-factor"]
    assert message.startswith("a factor 2*x is missing")
    assert fix == "x*2*x"


@pytest.mark.parametrize("seed", SEEDS)
def test_missing_beta_squared(seed: int) -> None:
    # d/dx (beta*x)**3/3 = beta**3*x**2 = beta**2 * (beta*x**2)
    message, fix = step_diagnoses("missing_factor_beta_squared.yaml", 2, seed)["missing-factor"]
    assert message.startswith("a factor beta**2 is missing")
    assert fix == "beta*x**2*beta**2"
    with mpmath.workdps(60):
        beta, x = mpmath.mpf(-7) / 4, mpmath.mpf(3) / 5
        d = mpmath.diff(lambda u: (beta * u) ** 3 / 3, x)
        assert mp_equal(d, beta**2 * (beta * x**2))


@pytest.mark.parametrize("seed", SEEDS)
def test_missing_indexed_factor_in_general_form(seed: int) -> None:
    # d/dw (w*x[k]*t[k]) = x[k]*t[k] at every K and k: the factor is x[k], never x[1]
    message, fix = step_diagnoses("missing_factor_indexed.yaml", 2, seed)["missing-factor"]
    assert message.startswith("a factor x[k] is missing")
    assert fix == "t[k]*x[k]"


@pytest.mark.parametrize(
    "name",
    [
        "missing_factor_not_monomial.yaml",  # the missing factor is 1 - sigma(w*x)
        "missing_factor_summed_element.yaml",  # x[2] at K = 2, x[2]*x[3] at K = 3
        "dropped_two_terms_at_k3.yaml",  # a sum, not a product
        "missing_factor_replaced.yaml",  # x/w: the factor x replaced by w
    ],
)
def test_no_missing_factor_when_none_is_simple(name: str) -> None:
    for seed in SEEDS:
        assert "missing-factor" not in step_diagnoses(name, 2, seed)


def test_not_monomial_truth() -> None:
    # d/dw sigma(w*x) = sigma*(1 - sigma)*x, and (sigma*(1 - sigma)*x) / (sigma*x) = 1 - sigma(w*x)
    with mpmath.workdps(60):
        w, x = mpmath.mpf(1) / 3, mpmath.mpf(-2)
        d = mpmath.diff(lambda u: sigma(u * x), w)
        assert mp_equal(d / (sigma(w * x) * x), 1 - sigma(w * x))


@pytest.mark.parametrize("seed", SEEDS)
def test_constant_ratio_is_constant_factor_not_missing_factor(seed: int) -> None:
    from derivcheck.api import verify_text

    text = "define:\n  L: (w*x - t)**2 / 2\nsteps:\n  - Derivative(L, w)\n  - 2*(w*x - t)*x\n"
    kinds = [d.kind for d in verify_text(text, "c.yaml", seed=seed).chains[0].steps[1].diagnoses]
    assert "constant-factor" in kinds and "missing-factor" not in kinds


@pytest.mark.parametrize("seed", SEEDS)
def test_wrong_factor_value_only_when_true_at_every_size(seed: int) -> None:
    # the factor is z[1] + z[2] at K = 2 and z[1] + z[2] + z[3] at K = 3 (fixture's proof)
    message, fix = step_diagnoses("wrong_factor_value_per_size.yaml", 2, seed)["wrong-factor"]
    assert "z[3]" not in message and "should be" not in message
    assert message == (
        "the factor z[1] + z[2] is wrong: it is not Derivative(u*Sum(z[m], (m, 1, K)), u) at every size and index value"
    )
    assert fix is None


def test_wrong_factor_value_per_size_truth() -> None:
    z = dict(z1="2/3", z2="-9/4", z3="5/7")
    two = mp_at(lambda z1, z2: z1 + z2, z1=z["z1"], z2=z["z2"])
    three = mp_at(lambda z1, z2, z3: z1 + z2 + z3, **z)
    assert not mp_equal(two, three)


@pytest.mark.parametrize("seed", SEEDS)
def test_extra_written_factor_is_named_as_such(seed: int) -> None:
    message, fix = step_diagnoses("missing_factor_extra.yaml", 2, seed)["missing-factor"]
    assert message == "the factor x does not come from the previous step (a factor 1/x is missing): remove it"
    assert fix == "exp(x)"
    with mpmath.workdps(60):
        x = mpmath.mpf(3) / 7
        d = mpmath.diff(mpmath.exp, x)
        assert mp_equal(d, mpmath.exp(x)) and mp_equal(d, (1 / x) * (x * mpmath.exp(x)))
