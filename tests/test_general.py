"""Proofs for every size (derivcheck.general): what is proved for every K, and what must not be.

Each case states its truth in a comment: a short proof for the true ones, a size
and point where the false ones fail (checked here with mpmath at 60 digits where
it is a number). A statement proved "for every K" carries ``general: true``; one
shown only at the listed sizes carries ``general: false``.
"""

from __future__ import annotations

import mpmath
import pytest
import sympy

from conftest import check

mpmath.mp.dps = 60

SOFTMAX = """
indices: {k: K, T: K, m: K, j: K}
sizes: {K: [2, 3, 4]}
symbols:
  z[k]: real
define:
  S: Sum(exp(z[m]), (m, 1, K))
  y[k]: exp(z[k]) / S
  t[k]: KroneckerDelta(k, T)
  L: -Sum(t[m]*log(y[m]), (m, 1, K))
"""


def steps_of(result):  # type: ignore[no-untyped-def]
    return [s for chain in result.chains for s in chain.steps if s.status != "start"]


def general_of(yaml_text: str) -> list[tuple[str, bool | None]]:
    r = check(yaml_text)
    return [(s.status, s.general) for s in steps_of(r)]


# -- index calculus for every K (true: each must be proved for every K) -------------------

EVERY_K = [
    # d y_T / d z_k with T = k: e^{z_k}/S - e^{2 z_k}/S^2 = y_k (1 - y_k)
    ("given: T == k\nsteps:\n  - Derivative(y[T], z[k])\n  - y[k]*(1 - y[k])", "softmax Jacobian, diagonal"),
    # T != k: d (e^{z_T}/S)/d z_k = -e^{z_T} e^{z_k}/S^2 = -y_T y_k
    ("given: T != k\nsteps:\n  - Derivative(y[T], z[k])\n  - -y[T]*y[k]", "softmax Jacobian, off the diagonal"),
    # both cases at once: d y_T/d z_k = y_T (delta_Tk - y_k)
    ("steps:\n  - Derivative(y[T], z[k])\n  - y[T]*(KroneckerDelta(T, k) - y[k])", "softmax Jacobian with a delta"),
    # L = -log y_T = log S - z_T, so dL/dz_k = y_k - delta_kT = y_k - t_k
    ("steps:\n  - Derivative(L, z[k])\n  - y[k] - t[k]", "one-hot cross-entropy gradient"),
    # the same through the chain rule: -1/y_T * y_T (delta - y_k)
    ("steps:\n  - Derivative(L, z[k])\n  - Derivative(L, y[T]) * Derivative(y[T], z[k])\n  - y[k] - t[k]", "chain rule through y_T"),
    # d/dz_k log S = e^{z_k}/S = y_k
    ("steps:\n  - Derivative(log(S), z[k])\n  - y[k]", "log-sum-exp gradient"),
    # the softmax sums to 1: sum_m e^{z_m}/S = S/S
    ("steps:\n  - Sum(y[m], (m, 1, K))\n  - 1", "softmax sums to one"),
    # sum_m t_m = 1 for a one-hot t (the delta collapses at m = T)
    ("steps:\n  - Sum(t[m], (m, 1, K))\n  - 1", "one-hot sums to one"),
    # log y_k = z_k - log S
    ("steps:\n  - log(y[k])\n  - z[k] - log(S)", "log-softmax"),
    # the gradient sums to zero: sum_m (y_m - t_m) = 1 - 1
    ("steps:\n  - Sum(Derivative(L, z[m]), (m, 1, K))\n  - 0", "the gradient sums to zero"),
    # linearity of a sum: sum_m (y_m - t_m) z_m = sum y_m z_m - z_T
    ("steps:\n  - Sum((y[m] - t[m])*z[m], (m, 1, K))\n  - Sum(y[m]*z[m], (m, 1, K)) - z[T]", "a sum split and a delta collapsed"),
]


@pytest.mark.parametrize("body, name", EVERY_K, ids=[n for _, n in EVERY_K])
def test_index_calculus_is_proved_for_every_K(body: str, name: str) -> None:
    got = general_of(SOFTMAX + body)
    assert got and all(g == ("proved", True) for g in got), got


ATTENTION = """
indices: {i: N, j: N, l: N, p: D}
sizes: {N: [2, 3], D: [1, 2]}
symbols:
  q[p]: real
  x[i, p]: real
define:
  s[j]: Sum(q[p]*x[j, p], (p, 1, D))
  a[j]: exp(s[j]) / Sum(exp(s[l]), (l, 1, N))
"""


def test_attention_weights_over_a_second_index_are_proved_for_every_size() -> None:
    # a_j = exp(s_j)/sum_l exp(s_l), s_j = sum_p q_p x_jp; sum_j a_j = 1 for every N and D
    got = general_of(ATTENTION + "steps:\n  - Sum(a[j], (j, 1, N))\n  - 1")
    assert got == [("proved", True)]


def test_attention_gradient_in_the_query_is_proved_for_every_size() -> None:
    # d a_j / d q_p = a_j (x_jp - sum_l a_l x_lp): d s_j/d q_p = x_jp, and the softmax Jacobian
    got = general_of(
        ATTENTION
        + "steps:\n  - Derivative(a[j], q[p])\n  - a[j]*(x[j, p] - Sum(a[l]*x[l, p], (l, 1, N)))"
    )
    assert got == [("proved", True)], got


# -- what must never be "for every K" ---------------------------------------------------------


def test_a_sum_written_out_for_small_K_is_not_general() -> None:
    # x1 + x2 + (K - 2) x_K equals the sum at K = 2 and 3 only: at K = 4 with
    # x = (1, 1, 1, 0) the sum is 3 and the right side 2.  Listed sizes {2, 3}: it holds
    # there, and must never be said to hold for every K.
    got = general_of("indices: {m: K}\nsteps:\n  - Sum(x[m], (m, 1, K))\n  - x[1] + x[2] + (K - 2)*x[K]\n")
    assert got == [("proved", False)] or got == [("tested", False)], got
    got = general_of(
        "indices: {m: K}\nsizes: {K: [2, 3, 4]}\nsteps:\n  - Sum(x[m], (m, 1, K))\n  - x[1] + x[2] + (K - 2)*x[K]\n"
    )
    assert got[0][0] == "invalid" and got[0][1] is False


def test_a_delta_of_the_wrong_index_is_refuted() -> None:
    # the diagonal formula y_T (1 - y_k) used off the diagonal too: at K = 2, T = 1, k = 2
    # the true derivative is -y_1 y_2 < 0, while y_1 (1 - y_2) > 0
    got = general_of(SOFTMAX + "steps:\n  - Derivative(y[T], z[k])\n  - y[T]*(1 - y[k])")
    assert got[0] == ("invalid", False)


def test_cross_entropy_without_the_one_hot_term_is_refuted() -> None:
    # dL/dz_k = y_k - t_k; dropping t_k is wrong where k = T (y_k - 1 != y_k)
    got = general_of(SOFTMAX + "steps:\n  - Derivative(L, z[k])\n  - y[k]")
    assert got[0] == ("invalid", False)


def test_a_sum_over_a_shorter_range_does_not_collapse() -> None:
    # Sum over m = 2..K of delta(m, k) z_m is z_k only when k >= 2: at k = 1 it is 0.
    got = general_of("indices: {m: K, k: K}\nsteps:\n  - Sum(KroneckerDelta(m, k)*z[m], (m, 2, K))\n  - z[k]\n")
    assert got[0][0] == "invalid" and got[0][1] is False


def test_a_statement_true_at_the_listed_sizes_only_through_a_product_is_not_general() -> None:
    # (K - 2)*(K - 3)*(K - 4) = 0 at K = 2, 3, 4 and 6 at K = 5: the extra term vanishes only there
    got = general_of("indices: {m: K}\nsizes: {K: [2, 3, 4]}\nsteps:\n  - Sum(x[m], (m, 1, K))\n"
                     "  - Sum(x[m], (m, 1, K)) + (K - 2)*(K - 3)*(K - 4)*x[1]\n")
    assert got[0][1] is False and got[0][0] in ("proved", "tested")


# -- closed-form sums with a symbolic bound ----------------------------------------------------

BOUND = "symbols:\n  n: positive integer\n  x: \"(0, 1)\"\nsteps:\n"

CLOSED_FORMS = [
    # (left, right, true?)  -- the truth
    ("Sum(k, (k, 1, n))", "n*(n + 1)/2", True),  # Gauss
    ("Sum(k**2, (k, 1, n))", "n*(n + 1)*(2*n + 1)/6", True),  # induction: add (n+1)^2
    ("Sum(k**3, (k, 1, n))", "(n*(n + 1)/2)**2", True),  # Nicomachus
    ("Sum(1/(k*(k + 1)), (k, 1, n))", "1 - 1/(n + 1)", True),  # telescoping 1/k - 1/(k+1)
    ("Sum(x**k, (k, 0, n))", "(1 - x**(n + 1))/(1 - x)", True),  # geometric, x != 1
    ("Sum(2*k - 1, (k, 1, n))", "n**2", True),  # odd numbers
    ("Product(1 + 1/k, (k, 1, n))", "n + 1", True),  # telescoping product (k+1)/k
    ("Sum(k, (k, 1, n))", "n*(n + 1)/2 + (n - 1)*(n - 2)*(n - 3)", False),  # n = 4: 10 vs 16
    ("Sum(k**2, (k, 1, n))", "n*(n + 1)*(2*n + 1)/6 + (n - 1)*(n - 2)*(n - 3)*(n - 4)", False),  # n = 5: 55 vs 79
    ("Sum(2**k, (k, 0, n))", "2**(n + 1) - 1 + (n - 1)*(n - 2)", False),  # n = 3: 15 vs 17
    ("Sum(1/(k*(k + 1)), (k, 1, n))", "1 - 1/(n + 1) + (n - 1)*(n - 2)/100", False),  # n = 3: 3/4 vs 3/4 + 2/100
    ("Sum(k, (k, 1, n))", "n**2/2", False),  # n = 1: 1 vs 1/2
]


@pytest.mark.parametrize("left, right, true", CLOSED_FORMS, ids=[f"{l} = {r}" for l, r, _ in CLOSED_FORMS])
def test_closed_form_sums(left: str, right: str, true: bool) -> None:
    n = sympy.Symbol("n", integer=True, positive=True)
    k = sympy.Symbol("k", integer=True)
    if not true:  # the truth, outside derivcheck: the two sides differ at some n in 1..13
        from derivcheck.parse import Names, parse_expression

        names = Names().with_bound("k")
        differs = False
        for value in range(1, 14):
            a = parse_expression(left, names).xreplace({sympy.Symbol("n", real=True): value})
            b = parse_expression(right, names).xreplace({sympy.Symbol("n", real=True): value})
            a = a.doit().xreplace({sympy.Symbol("x", real=True): sympy.Rational(1, 3)})
            b = b.xreplace({sympy.Symbol("x", real=True): sympy.Rational(1, 3)})
            differs |= mpmath.mpf(sympy.N(a - b, 60)) != 0
        assert differs
    got = general_of(BOUND + f"  - {left}\n  - {right}\n")
    if true:
        assert got == [("proved", True)], got
    else:
        assert got[0] == ("invalid", False), got
    del n, k


# -- coverage for every size ------------------------------------------------------------------


def test_coverage_of_the_two_softmax_cases_holds_for_every_K() -> None:
    r = check(
        SOFTMAX
        + """
claim: Derivative(L, z[k]) = y[k] - t[k]
cases:
  - given: T == k
    steps:
      - Derivative(L, z[k])
      - y[k] - 1
      - y[k] - t[k]
  - given: T != k
    steps:
      - Derivative(L, z[k])
      - y[k]
      - y[k] - t[k]
"""
    )
    assert r.status == "valid" and r.coverage is not None and r.coverage.complete
    assert r.coverage.general is True
    assert r.to_json()["coverage"]["general"] is True


def test_three_indices_with_one_pattern_left_out_is_incomplete() -> None:
    # cases: k == T; k != T and j == k; the pattern k != T, j != k (e.g. K = 3: k=1, T=2, j=3) is uncovered
    r = check(
        "indices: {k: K, T: K, j: K}\nsizes: {K: [2, 3]}\nclaim: x[k] + x[j] = x[k] + x[j]\ncases:\n"
        "  - given: k == T\n    steps:\n      - x[k] + x[j]\n      - x[k] + x[j]\n"
        "  - given: [k != T, j == k]\n    steps:\n      - x[k] + x[j]\n      - x[k] + x[j]\n"
    )
    assert r.coverage is not None and not r.coverage.complete


def test_coverage_at_sizes_too_small_for_every_pattern_is_not_general() -> None:
    # k, T, j all different needs K >= 3; listed K = 2 only: complete there, unknown beyond
    r = check(
        "indices: {k: K, T: K, j: K}\nsizes: {K: [2]}\nclaim: x[k] = x[k]\ncases:\n"
        "  - given: k == T\n    steps:\n      - x[k]\n      - x[k]\n"
        "  - given: [k != T, j == k]\n    steps:\n      - x[k]\n      - x[k]\n"
        "  - given: [k != T, j == T]\n    steps:\n      - x[k]\n      - x[k]\n"
    )
    assert r.coverage is not None and r.coverage.complete and r.coverage.general is False
