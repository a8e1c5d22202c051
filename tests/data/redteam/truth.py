"""Independent ground truth for the red-team corpus: mpmath at 60 digits, no derivcheck.

Run `python tests/data/redteam/truth.py` to reprint every value quoted in the files'
headers. Each entry is (file stem, point, left, right[, left - right at a higher precision]).
"""

from __future__ import annotations

from mpmath import (
    asin,
    atan,
    cos,
    cosh,
    diff,
    exp,
    fabs,
    floor,
    gamma,
    log,
    mp,
    mpf,
    nstr,
    pi,
    sin,
    sqrt,
    tanh,
)

mp.dps = 60


def sig(z):  # logistic function
    return 1 / (1 + exp(-z))


def rows():
    x = mpf(85)
    yield "mag_cosh_80_90", "x = 85", cosh(x) - 2, cosh(x)
    x = mpf(55)
    yield "mag_exp_50_60", "x = 55", exp(x), exp(x) + 1
    yield "mag_pow2_99", "(constants)", mpf(1) / mpf(2) ** 99, mpf(1) / mpf(2) ** 98
    x = mpf(3)
    yield "mag_pow2_relative", "x = 3", x + x / mpf(2) ** 99, x + x / mpf(2) ** 98
    x = mpf(1)
    yield "mag_dropped_1e25", "x = 1", sin(x) + mpf(10) ** -25, sin(x)
    yield "mag_dropped_1e25_scientific", "x = 1", sin(x) + mpf(10) ** -25, sin(x)
    nu = mpf(1)
    h = mpf("6.62607015e-34")
    yield "mag_rounded_hbar", "nu = 1", h * nu, mpf("1.054571817e-34") * 2 * pi * nu
    x = mpf(10) ** 15
    yield "mag_square_cancel_dropped", "x = 10**15", (x + 1) ** 2 - x ** 2, 2 * x
    yield "mag_square_cancel_valid", "x = 10**15", (x + 1) ** 2 - x ** 2, 2 * x + 1
    x = mpf(10) ** 20
    yield "mag_sqrt_asymptotic_wrong", "x = 10**20", sqrt(x + 1) - sqrt(x), 1 / (2 * sqrt(x))
    mp.dps = 120
    x = mpf(10) ** 30
    l, r = sqrt(x + 1) - sqrt(x), 1 / (sqrt(x + 1) + sqrt(x))
    d = l - r
    mp.dps = 60
    yield "mag_sqrt_rationalise (120 digits)", "x = 10**30", l, r, d
    mp.dps = 400
    z = mpf(600)
    l, r = log(1 + exp(z)) - z, log(1 + exp(-z))
    d = l - r
    mp.dps = 60
    yield "mag_softplus_sigma_cancel (400 digits)", "z = 600", l, r, d
    z = mpf(-700)
    yield "mag_softplus_sigma_cancel", "z = -700", log(sig(z)), -log(1 + exp(-z))
    x = mpf("1e-10")
    yield "mag_one_minus_cos_valid", "x = 1e-10", 1 - cos(x), 2 * sin(x / 2) ** 2
    yield "mag_one_minus_cos_taylor", "x = 1e-10", 1 - cos(x), x ** 2 / 2
    x = mpf(1)
    yield "mag_decimal_third", "x = 1", x / 3, mpf("0.3333333333333333") * x
    yield "mag_decimal_sum_valid", "x = 1", x * (mpf("0.1") + mpf("0.2")), mpf("0.3") * x
    z = mpf(45)
    yield "mag_sigmoid_tail", "z = 45", sig(z), mpf(1)
    yield "mag_log_sigmoid_tail", "z = 45", log(sig(z)), -exp(-z)
    x = mpf(-900)
    yield "mag_tanh_wide_valid", "x = -900", tanh(x), 1 - 2 / (exp(2 * x) + 1)
    x = mpf(41)
    yield "thr_min_40", "x = 41", min(x, 40), x
    x = mpf(76)
    yield "thr_abs_75", "x = 76", fabs(x - 75), 75 - x
    g = mpf(1)
    yield "thr_max_g_7_5_vs_g", "g = 1", max(g, mpf("7.5")), g
    g = mpf(8)
    yield "thr_max_g_7_5_vs_const", "g = 8", max(g, mpf("7.5")), mpf("7.5")
    x = mpf(1000)
    yield "thr_floor_1000", "x = 1000", floor(x / 1000), 0
    y, s = 1, mpf(2)
    yield "thr_hinge_margin", "y = 1, s = 2", max(0, 1 - y * s), 1 - y * s
    x = mpf(1001)
    yield "thr_given_500_min_1000", "x = 1001", min(x, 1000), x
    x = mpf("400.5")
    yield "thr_given_window", "x = 400.5", floor(2 * x), 800
    x = mpf(301)
    yield "thr_derivative_min_300", "x = 301 (d/dx Min(x, 300) = 0 for x > 300)", 0, 1
    yield "int_neg1_power", "n = 1", (-1) ** 1, 1
    n = 50
    yield "int_wrong_from_50", "n = 50", n + 7 * floor(mpf(n) ** 2 / 2500), n
    n = 49
    yield "int_wrong_from_50 (still equal)", "n = 49", n + 7 * floor(mpf(n) ** 2 / 2500), n
    n = mpf(10) ** 6 + 1
    yield "int_sin_pi_n", "n = 10**6 + 1", sin(pi * n), 0
    a, b, c, d, g, h = 1, 0, 1, 1, 0, 1
    yield "fin_six_binary_one_wrong", "(a,b,c,d,g,h) = (1,0,1,1,0,1)", a + b + c + d + g + h, a + b + c + d + g + h + a * (1 - b) * c * d * (1 - g) * h
    a, b, c = 3, 0, 2
    yield "fin_three_quaternary_one_wrong", "(a,b,c) = (3,0,2)", (a + b + c) ** 2, a * a + b * b + c * c + 2 * (a * b + b * c + a * c) + (a * (a - 1) * (a - 2) * (1 - b) * (2 - b) * (3 - b) * c * (c - 1) * (3 - c)) / 24
    a = sqrt(2)
    yield "fin_irrational_set", "a = sqrt(2)", a ** 4 - 3 * a ** 2 + 2, a - 1
    yield "kink_abs_vs_one", "x = -1 (d|x|/dx = -1 for x < 0)", -1, 1
    x = mpf(1)
    yield "rem_sin_over_x", "x = 1", sin(x) / x, 1
    x = mpf(2)
    yield "adv_asin_sin", "x = 2", asin(sin(x)), x
    yield "adv_e_plain_symbol", "e = 1, x = 1", mpf(1) ** 1, exp(1)
    yield "name_pow_6000", "x - a = 2", mpf(2) ** 6000, mpf(2) ** 5999
    v = mpf(10) ** ((sqrt(13) - 5) / 6)
    yield "name_irrational_exponent", "(constant)", v, exp((sqrt(13) - 5) * log(10) / 6)
    yield "name_irrational_exponent_rounded", "(constant)", v, mpf("0.5856")
    yield "idx_sum_k2_only", "K = 3, x = (1, 1, 1)", 3, 2
    yield "idx_right_at_listed_sizes", "K = 4, x = (1, 1, 1, 0)", 3, 1 + 1 + 2 * 0
    z = mpf(1) / 2
    yield "name_second_derivative_defined", "z = 1/2", diff(sig, z, 2), sig(z) * (1 - sig(z)) * (1 - 2 * sig(z))
    mp.dps = 100
    x = mpf(1)
    l, r = x * (mpf(10) ** 50 + 1) / mpf(10) ** 50, x
    d = l - r
    mp.dps = 60
    yield "mag_ratio_1e50 (100 digits)", "x = 1", l, r, d
    mp.dps = 700
    l, r = x * (1 + mpf(10) ** -600), x
    d = l - r
    mp.dps = 60
    yield "mag_beyond_500_digits (700 digits)", "x = 1", l, r, d
    yield "mag_sqrt2_double", "x = 1", sqrt(2), mpf("1.4142135623730951")
    yield "mag_pi_fraction", "r = 1", pi, mpf(355) / 113
    x = mpf(1000)
    yield "mag_hidden_high_power", "x = 1000", x ** 2, x ** 2 + x ** 50 / mpf(10) ** 100
    yield "thr_multi_symbol_given", "x = 200, y = 0", min(mpf(200), 100), mpf(200)
    yield "kink_abs75_derivative", "x = 76 (d/dx |x - 75| = 1 for x > 75)", 1, -1
    x = mpf(100)
    yield "claim_tiny_rhs", "x = 100", 2 * x, 2 * x + mpf(10) ** -30
    yield "claim_threshold_start", "x = 41", mpf(41), min(mpf(41), 40)
    yield "claim_finite_value_uncovered", "t = 0, y = 1/4", 0 * mpf(1) / 4 + (1 - 0) * (1 - mpf(1) / 4), mpf(1) / 4
    yield "claim_integer_gap", "n = 0", mpf(0) ** 0, 0
    yield "vac_undefined_bridge", "x = 41 (ends)", min(mpf(41), 40), mpf(41)
    x = mpf(30)
    yield "info_domain_narrowing_bridge (middle step)", "x = 30", x + log(40 - x) - log(80 - 2 * x) + log(2), x
    x = mpf(0)
    yield "info_floor_integers", "x = 0", floor(x) + floor(-x), -1
    yield "info_tiny_bump", "x = 0", max(0, mpf(10) ** -6 - fabs(x)), 0
    x = mpf(10) ** 20
    yield "mag_atan_sum_valid", "x = 10**20", atan(x) + atan(1 / x), pi / 2
    mp.dps = 120
    d = atan(x) - (pi / 2 - 1 / x)
    mp.dps = 60
    yield "mag_atan_asymptotic (120 digits)", "x = 10**20", atan(x), pi / 2 - 1 / x, d
    mp.dps = 400
    x = mpf(750)
    d = exp(-x) / (exp(-x) + exp(-2 * x)) - 1
    mp.dps = 60
    yield "mag_underflow_invalid (400 digits)", "x = 750", 1, 1, d
    mp.dps = 700
    z = mpf(1250)
    d = sig(z) - 1
    mp.dps = 60
    yield "info_sigmoid_beyond_500 (700 digits)", "z = 1250", 1, 1, d
    mp.dps = 80
    x = mpf(200)
    d = gamma(x + 1) / gamma(x) - (x + mpf(10) ** -40)
    mp.dps = 60
    yield "mag_gamma_tiny_shift (80 digits)", "x = 200", x, x, d
    yield "mag_gamma_overflow_valid", "x = 200", gamma(mpf(201)), 200 * gamma(mpf(200))
    x = mpf(4)
    yield "kink_abs_sin_derivative", "x = 4", diff(lambda s: fabs(sin(s)), x), cos(x)
    yield "latex_E_plain_symbol", "E = 1", mpf(1) ** 2, exp(2)
    yield "thr_narrow_quadratic_bump", "x = 1000", max(0, mpf(10) ** -9 - (mpf(1000) - 1000) ** 2), 0
    yield "name_log_wrong_base", "x = 10", log(10, 10), log(10) / log(2)


def main() -> None:
    for name, point, left, right, *high in rows():
        # A difference computed at a higher working precision is passed along as is.
        diff_ = high[0] if high else mpf(left) - mpf(right)
        print(f"{name}: at {point}: left = {nstr(mpf(left), 25)}, right = {nstr(mpf(right), 25)}, "
              f"left - right = {nstr(diff_, 25)}")


if __name__ == "__main__":
    main()
