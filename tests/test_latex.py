"""The LaTeX reader (SPEC §11): every reading, the pitfalls of other parsers, limits."""

from __future__ import annotations

import sympy
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from derivcheck.functions import sigmoid, softplus
from derivcheck.latex import LatexError, parse_latex, parse_latex_relation, tokenize
from derivcheck.parse import ExpressionError, Names, make_base, make_index, make_size, make_symbol, parse_expression

PLAIN = Names()
SOFTMAX = Names(
    indexed=frozenset({"z", "y", "t", "p", "q"}),
    indices=frozenset({"k", "T", "m"}),
    sizes=frozenset({"K"}),
    ranges=(("k", "K"), ("T", "K"), ("m", "K")),
)
BATCH = Names(
    indexed=frozenset({"x", "y", "t", "w", "p", "L"}),
    indices=frozenset({"i", "j"}),
    sizes=frozenset({"N", "D"}),
    ranges=(("i", "N"), ("j", "D")),
)
NAMES = {"plain": PLAIN, "softmax": SOFTMAX, "batch": BATCH}

x, y, z, t, w = (make_symbol(n) for n in "xyztw")


def same(latex: str, text: str, names: Names = PLAIN) -> None:
    assert parse_latex(latex, names) == parse_expression(text, names)


# --- the readings of §11, each against the expression language ----------------------------

READINGS = [
    # fractions, TeX one-token arguments, division
    (r"\frac{a}{b}", "a/b", "plain"),
    (r"\dfrac{a}{b}", "a/b", "plain"),
    (r"\tfrac{a}{b}", "a/b", "plain"),
    (r"\frac13", "1/3", "plain"),
    (r"\frac{1}2", "1/2", "plain"),
    (r"\frac12 x", "x/2", "plain"),
    (r"\frac\alpha2", "alpha/2", "plain"),
    (r"\sqrt3", "sqrt(3)", "plain"),
    (r"\sqrt{x}", "sqrt(x)", "plain"),
    (r"\sqrt[3]{x}", "x**(1/3)", "plain"),
    (r"a / b", "a/b", "plain"),
    (r"x^23", "x**2*3", "plain"),
    # multiplication
    (r"a \cdot b", "a*b", "plain"),
    (r"a \times b", "a*b", "plain"),
    (r"a b", "a*b", "plain"),
    (r"ty", "t*y", "plain"),
    (r"2x", "2*x", "plain"),
    (r"y(1-y)", "y*(1-y)", "plain"),
    (r"p(1-p)", "p*(1-p)", "plain"),
    (r"a \cdot -b", "a*(-b)", "plain"),
    # grouping
    (r"\left( a + b \right) c", "(a+b)*c", "plain"),
    (r"[a + b] c", "(a+b)*c", "plain"),
    (r"\{a + b\} c", "(a+b)*c", "plain"),
    (r"\left[ a + b \right] c", "(a+b)*c", "plain"),
    (r"\left\{ a + b \right\} c", "(a+b)*c", "plain"),
    (r"\bigl( a + b \bigr) c", "(a+b)*c", "plain"),
    (r"\Big[ a + b \Big] c", "(a+b)*c", "plain"),
    (r"{a + b} c", "(a+b)*c", "plain"),
    (r"\left. a \right.", "a", "plain"),
    (r"|a - b|", "Abs(a - b)", "plain"),
    # derivatives
    (r"\frac{\partial L}{\partial w_j}", "Derivative(L, w_j)", "plain"),
    (r"\frac{\partial L}{\partial w_j}", "Derivative(L, w_j)", "batch"),
    (r"\frac{dL}{dw}", "Derivative(L, w)", "plain"),
    (r"\frac{d L}{d w}", "Derivative(L, w)", "plain"),
    (r"\frac{d}{dx} x^2", "Derivative(x**2, x)", "plain"),
    (r"\frac{\partial}{\partial z_k} \left( \frac{e^{z_k}}{\sum_k e^{z_k}} \right)",
     "Derivative(exp(z[k])/Sum(exp(z[k]), (k, 1, K)), z[k])", "softmax"),
    (r"\frac{d}{dx} x y + 1", "Derivative(x*y, x) + 1", "plain"),
    (r"\frac{\partial^2 L}{\partial w^2}", "Derivative(L, w, w)", "plain"),
    (r"\frac{d^2 L}{dw^2}", "Derivative(L, w, w)", "plain"),
    (r"\frac{\partial^2 f}{\partial x \partial y}", "Derivative(f, y, x)", "plain"),
    (r"\frac{\partial y_T}{\partial z_k}", "Derivative(y[T], z[k])", "softmax"),
    (r"\frac{\partial \sigma(z)}{\partial z}", "Derivative(sigma(z), z)", "plain"),
    (r"\frac{d_1}{d_2}", "d_1/d_2", "plain"),
    (r"\frac{d}{2}", "d/2", "plain"),
    # sums and products
    (r"\sum_{i=1}^{N} x_i", "Sum(x[i], (i, 1, N))", "batch"),
    (r"\sum_{i=1}^N x_i", "Sum(x[i], (i, 1, N))", "batch"),
    (r"\sum_k e^{z_k}", "Sum(exp(z[k]), (k, 1, K))", "softmax"),
    (r"\sum_{k} e^{z_k}", "Sum(exp(z[k]), (k, 1, K))", "softmax"),
    (r"\sum\limits_{k=1}^{K} t_k", "Sum(t[k], (k, 1, K))", "softmax"),
    (r"\prod_{i=1}^{N} p_i", "Product(p[i], (i, 1, N))", "batch"),
    (r"\prod_k p_k", "Product(p[k], (k, 1, K))", "softmax"),
    (r"\sum_{i=1}^{N} x_i y_i + 1", "Sum(x[i]*y[i], (i, 1, N)) + 1", "batch"),
    (r"\sum_{i=1}^{N} x_i \cdot y_i - t_1", "Sum(x[i]*y[i], (i, 1, N)) - t[1]", "batch"),
    (r"2 \sum_{i=1}^{N} x_i", "2*Sum(x[i], (i, 1, N))", "batch"),
    (r"\sum_{i=1}^{N} -\log p_i", "Sum(-log(p[i]), (i, 1, N))", "batch"),
    (r"\sum_{i=1}^{N} \sum_{j=1}^{D} w_j x_i", "Sum(Sum(w[j]*x[i], (j, 1, D)), (i, 1, N))", "batch"),
    (r"\sum_{i=1}^{n} i", "Sum(i, (i, 1, n))", "plain"),
    # exp, log, sqrt
    (r"e^{x}", "exp(x)", "plain"),
    (r"e^{-z}", "exp(-z)", "plain"),
    (r"e^x", "exp(x)", "plain"),
    (r"\mathrm{e}^{x}", "exp(x)", "plain"),
    (r"\exp(x)", "exp(x)", "plain"),
    (r"\exp x", "exp(x)", "plain"),
    (r"\exp\left(-\frac{x^2}{2}\right)", "exp(-x**2/2)", "plain"),
    (r"e", "e", "plain"),
    (r"e x", "e*x", "plain"),
    (r"\log x", "log(x)", "plain"),
    (r"\ln x", "log(x)", "plain"),
    (r"\log(1-y)", "log(1-y)", "plain"),
    (r"\log_2 x", "log(x, 2)", "plain"),
    (r"\log_{b} x", "log(x, b)", "plain"),
    (r"\log_e x", "log(x)", "plain"),
    (r"\log[1 - y]", "log(1 - y)", "plain"),
    # functions: parenthesis or next factor
    (r"\sigma(z)", "sigma(z)", "plain"),
    (r"\sigma\left(z\right)", "sigma(z)", "plain"),
    (r"\sigma", "sigma", "plain"),
    (r"\sigma^2", "sigma**2", "plain"),
    (r"\sigma z", "sigma*z", "plain"),
    (r"\log y", "log(y)", "plain"),
    (r"\log y_k", "log(y[k])", "softmax"),
    (r"\log x y", "log(x)*y", "plain"),
    (r"\log x^2", "log(x**2)", "plain"),
    (r"\sin b \cos a", "sin(b)*cos(a)", "plain"),
    (r"\sin^2(x)", "sin(x)**2", "plain"),
    (r"\sin^2 x", "sin(x)**2", "plain"),
    (r"\log(x)^2", "log(x)**2", "plain"),
    (r"\tanh(z)", "tanh(z)", "plain"),
    (r"\max(0, z)", "Max(0, z)", "plain"),
    (r"\min(a, b, c)", "Min(a, b, c)", "plain"),
    (r"\operatorname{softplus}(z)", "softplus(z)", "plain"),
    (r"\mathrm{softplus}(z)", "softplus(z)", "plain"),
    (r"\operatorname{sigmoid}(z)", "sigma(z)", "plain"),
    (r"\arctan x", "atan(x)", "plain"),
    (r"\binom{n}{2}", "binomial(n, 2)", "plain"),
    (r"\gamma", "gamma", "plain"),
    # Greek letters, constants
    (r"\alpha", "alpha", "plain"),
    (r"\beta_1", "beta_1", "plain"),
    (r"\varepsilon", "epsilon", "plain"),
    (r"\pi r^2", "pi*r**2", "plain"),
    (r"\mu + \theta", "mu + theta", "plain"),
    # subscripts and superscripts
    (r"w_j", "w_j", "plain"),
    (r"w_j", "w[j]", "batch"),
    (r"L_{CE}", "L_CE", "plain"),
    (r"L_{\text{CE}}", "L_CE", "plain"),
    (r"L_{\mathrm{CE}}", "L_CE", "plain"),
    (r"y_{T}", "y_T", "plain"),
    (r"y_T", "y[T]", "softmax"),
    (r"x_{ij}", "x_ij", "plain"),
    (r"x_1", "x_1", "plain"),
    (r"x_1", "x[1]", "batch"),
    (r"x_{i+1}", "x[i + 1]", "batch"),
    (r"A_{i,j}", "A[i, j]", "batch"),
    (r"x_j^{(i)}", "x_j[i]", "plain"),
    (r"x^{(i)}_j", "x_j[i]", "plain"),
    (r"y^{(i)}", "y[i]", "plain"),
    (r"z_{k}^2", "z_k**2", "plain"),
    (r"z_{k}^2", "z[k]**2", "softmax"),
    (r"\hat{y}", "y_hat", "plain"),
    (r"\hat y - \bar{x}", "y_hat - x_bar", "plain"),
    (r"\mathbf{w}", "w", "plain"),
    # ignored text, labels, spacing and punctuation
    (r"\textcircled{1} a + b", "a + b", "plain"),
    (r"a + b \quad \text{(by the chain rule)}", "a + b", "plain"),
    (r"a \qquad + \, b \; - \! c", "a + b - c", "plain"),
    (r"&= a + b", None, "plain"),
    (r"a + b.", "a + b", "plain"),
    (r"a + b,", "a + b", "plain"),
    (r"a + b;", "a + b", "plain"),
    (r"\displaystyle \frac{a}{b}", "a/b", "plain"),
    # numbers and constants
    (r"0.5", "1/2", "plain"),
    (r"0.5 x", "x/2", "plain"),
    (r"1.25", "5/4", "plain"),
    (r"\pi", "pi", "plain"),
]


@pytest.mark.parametrize("latex, text, names", READINGS, ids=[r[0] for r in READINGS])
def test_reading(latex: str, text: str | None, names: str) -> None:
    if text is None:  # '&=' continues a chain: the '&' is ignored, the '=' is a relation
        rel = parse_latex_relation(r"0 " + latex, NAMES[names])
        assert rel.right == parse_expression("a + b")
        return
    same(latex, text, NAMES[names])


# --- what other parsers get wrong ----------------------------------------------------------


def test_partial_derivative_is_a_derivative_of_the_names() -> None:
    got = parse_latex(r"\frac{\partial L}{\partial w_j}")
    assert isinstance(got, sympy.Derivative)
    assert got == sympy.Derivative(make_symbol("L"), make_symbol("w_j"), evaluate=False)


def test_partial_derivative_of_an_indexed_name() -> None:
    got = parse_latex(r"\frac{\partial L}{\partial w_j}", BATCH)
    assert got == sympy.Derivative(make_symbol("L"), make_base("w")[make_index("j")], evaluate=False)


def test_derivative_stays_unevaluated() -> None:
    got = parse_latex(r"\frac{d}{dx} x^2")
    assert isinstance(got, sympy.Derivative)
    assert got.doit() == 2 * x


def test_log_is_natural() -> None:
    got = parse_latex(r"\log x")
    assert got == sympy.log(x)
    assert got != sympy.log(x, 10)
    assert parse_latex(r"\log e^{2}") == 2


def test_e_to_a_power_is_exp_and_e_alone_a_symbol() -> None:
    got = parse_latex(r"e^{-z}")
    assert got == sympy.exp(-z)
    assert make_symbol("e") not in got.free_symbols
    assert parse_latex("e") == make_symbol("e")


def test_names_keep_their_case() -> None:
    assert parse_latex(r"L_{CE}") == make_symbol("L_CE")
    assert parse_latex("T") == make_symbol("T")
    assert parse_latex("T") != parse_latex("t")
    assert parse_latex(r"\Sigma") == make_symbol("Sigma")


def test_capital_e_is_a_plain_symbol() -> None:
    assert parse_latex("E") == make_symbol("E")


def test_parenthesised_superscript_is_an_index_never_a_power() -> None:
    got = parse_latex(r"x_j^{(i)}")
    assert isinstance(got, sympy.Indexed)
    assert got == make_base("x_j")[make_symbol("i")]
    assert not isinstance(got, sympy.Pow)


def test_juxtaposition_with_a_parenthesis_is_a_product() -> None:
    p = make_symbol("p")
    assert parse_latex("p(1-p)") == p * (1 - p)


def test_sigma_is_the_sigmoid_only_when_called() -> None:
    assert parse_latex(r"\sigma(z)") == sigmoid(z)
    assert parse_latex(r"\sigma") == make_symbol("sigma")
    assert parse_latex(r"\operatorname{softplus}(z)") == softplus(z)


def test_greek_names_are_symbols_by_name() -> None:
    assert parse_latex(r"\lambda") == make_symbol("lambda")
    assert parse_latex(r"\alpha \beta") == make_symbol("alpha") * make_symbol("beta")


def test_index_names_inside_sums_are_bound_indices() -> None:
    got = parse_latex(r"\sum_{i=1}^{N} y^{(i)}")
    i = make_index("i")
    assert got == sympy.Sum(make_base("y")[i], (i, 1, make_symbol("N")))


def test_sum_over_a_declared_range_uses_the_size() -> None:
    got = parse_latex(r"\sum_k e^{z_k}", SOFTMAX)
    k = make_index("k")
    assert got == sympy.Sum(sympy.exp(make_base("z")[k]), (k, 1, make_size("K")))


def test_sum_binds_a_product_up_to_the_next_plus_or_minus() -> None:
    same(
        r"\sum_{i=1}^{N} t_i \log p + (1-t_i)\log(1-p)",
        "Sum(t[i]*log(p), (i, 1, N)) + (1 - t[i])*log(1 - p)",
        BATCH,
    )


def test_sympy_printed_forms_read_back() -> None:
    assert parse_latex(r"\log{\left(x \right)}^{2}") == sympy.log(x) ** 2
    assert parse_latex(r"\sin^{2}{\left(x \right)}") == sympy.sin(x) ** 2
    assert parse_latex(r"\frac{\sqrt{2} \cos{\left(x + y \right)}}{2}") == sympy.sqrt(2) * sympy.cos(x + y) / 2


def test_infinity() -> None:
    i = make_index("i")
    assert parse_latex(r"\infty") == sympy.oo
    assert parse_latex(r"\sum_{i=1}^{\infty} x^i") == sympy.Sum(x**i, (i, 1, sympy.oo))


def test_numbers_are_exact() -> None:
    assert parse_latex("0.1") == sympy.Rational(1, 10)
    assert parse_latex(r"\frac{1}{3}") == sympy.Rational(1, 3)


# --- relations -------------------------------------------------------------------------------

RELATIONS = [
    (r"T = k", "==", "T", "k"),
    (r"T \neq k", "!=", "T", "k"),
    (r"T \ne k", "!=", "T", "k"),
    (r"y < 1", "<", "y", "1"),
    (r"y \leq 1", "<=", "y", "1"),
    (r"y \le 1", "<=", "y", "1"),
    (r"y \geq 0", ">=", "y", "0"),
    (r"y > 0", ">", "y", "0"),
    (r"\frac{\partial L}{\partial w} = (y - t) x", "==", "Derivative(L, w)", "(y - t)*x"),
]


@pytest.mark.parametrize("latex, op, left, right", RELATIONS)
def test_relation(latex: str, op: str, left: str, right: str) -> None:
    rel = parse_latex_relation(latex, SOFTMAX)
    assert rel.op == op
    assert rel.left == parse_expression(left, SOFTMAX)
    assert rel.right == parse_expression(right, SOFTMAX)


def test_relation_needs_a_relation() -> None:
    with pytest.raises(LatexError, match="relation"):
        parse_latex_relation("a + b")


# --- errors quote the LaTeX and give its column -----------------------------------------------

ERRORS = [
    (r"\nabla f", r"\nabla", 1),
    (r"a + \foo{b}", r"\foo", 5),
    (r"w^T x", "transpose", 2),
    (r"w^\top x", "transpose", 2),
    (r"\frac{1}{0}", r"\frac{1}{0}", 1),
    (r"x + \frac{1}{", "{", 13),
    (r"(a + b", "expected ')'", 7),
    (r"a + b)", "')'", 6),
    (r"a = b", "= b", 3),
    (r"f'(x)", "'(x)", 2),
    (r"\sum_j x_j", r"\sum_j x_j", 1),
    (r"\sum_{j \neq k} x_j", r"\sum_{j \neq k}", 1),
    (r"\sum_{i=1} x_i", r"\sum_{i=1}", 1),
    (r"\operatorname{softmax}(z)", "softmax", 1),
    (r"\operatorname{ReLU}(z)", r"\max(0, z)", 1),
    (r"\partial L", r"\partial L", 1),
    (r"\frac{\partial L}{w}", r"\frac{\partial L}{w}", 1),
    (r"\frac{\partial L}{\partial (a+b)}", "(a+b)", 28),
    (r"\frac{\partial^2 L}{\partial w}", "order", 1),
    (r"x^2^3", "double superscript", 4),
    (r"\sin^{-1} x", "ambiguous", 1),
    (r"a \\ b", "line break", 3),
    (r"a + ", "ends too early", 4),
    (r"\sigma(a, b)", "sigma takes 1", 1),
    (r"x ☃ y", "☃", 3),
    (r"\ldots", r"\ldots", 1),
]


@pytest.mark.parametrize("latex, quoted, column", ERRORS, ids=[e[0] for e in ERRORS])
def test_error_quotes_the_latex_and_gives_the_column(latex: str, quoted: str, column: int) -> None:
    with pytest.raises(LatexError) as info:
        parse_latex(latex, SOFTMAX)
    assert quoted in str(info.value)
    assert info.value.column == column
    assert isinstance(info.value, ExpressionError)


def test_error_message_does_not_double_backslashes() -> None:
    with pytest.raises(LatexError) as info:
        parse_latex(r"\nabla f")
    assert "\\\\" not in str(info.value)


def test_empty_formula() -> None:
    with pytest.raises(LatexError):
        parse_latex(r"\text{Therefore}")
    with pytest.raises(LatexError):
        parse_latex("   ")


def test_not_a_string() -> None:
    with pytest.raises(LatexError):
        parse_latex(42)  # type: ignore[arg-type]


# --- limits: hostile formulas give an error, quickly -------------------------------------------

HOSTILE = [
    r"2^{2^{2^{2^{2^{2}}}}}",
    r"x^{100000}",
    r"10^{5000}",
    "9" * 300,
    "(" * 100 + "x" + ")" * 100,
    "{" * 100 + "x" + "}" * 100,
    r"\log " * 500 + "x",
    r"\frac{d}{dx}" * 200 + "x",
    r"\sqrt" * 400 + "{x}",
    "x + " * 2000 + "x",
    r"\binom{5000}{2}",
]


@pytest.mark.parametrize("latex", HOSTILE, ids=[h[:20] for h in HOSTILE])
def test_hostile_formula_is_an_error(latex: str) -> None:
    with pytest.raises(LatexError):
        parse_latex(latex)


def test_many_signs_do_not_recurse() -> None:
    assert parse_latex("-" * 3001 + "x") == -x


def test_long_flat_sum_is_fine() -> None:
    assert parse_latex(" + ".join(["x"] * 500)) == 500 * x


def test_tokens_carry_positions() -> None:
    toks = tokenize(r"\frac{a}{b}")
    assert [t.pos for t in toks] == [0, 5, 6, 7, 8, 9, 10]


# --- formulas from ML derivations, against the expression language -----------------------------

ML = [
    (r"\frac{1}{1+e^{-z}}", "1/(1 + exp(-z))", "plain"),
    (r"\sigma(z)(1-\sigma(z))", "sigma(z)*(1 - sigma(z))", "plain"),
    (r"\frac{e^{-z}}{(1+e^{-z})^2}", "exp(-z)/(1 + exp(-z))**2", "plain"),
    (r"\frac{d\sigma(z)}{dz}", "Derivative(sigma(z), z)", "plain"),
    (r"-t \log y - (1-t) \log(1-y)", "-t*log(y) - (1 - t)*log(1 - y)", "plain"),
    (r"-\left[t \ln y + (1-t) \ln(1-y)\right]", "-(t*ln(y) + (1 - t)*ln(1 - y))", "plain"),
    (r"-t\log\sigma(z) - (1-t)\log(1-\sigma(z))", "-t*log(sigma(z)) - (1 - t)*log(1 - sigma(z))", "plain"),
    (r"\left(-\frac{t}{y} + \frac{1-t}{1-y}\right) \cdot y(1-y) \cdot x_j",
     "(-t/y + (1 - t)/(1 - y))*y*(1 - y)*x_j", "plain"),
    (r"[-t(1-y) + y(1-t)] \cdot x_j", "(-t*(1 - y) + y*(1 - t))*x_j", "plain"),
    (r"(y - t) x_j", "(y - t)*x_j", "plain"),
    (r"\frac{\partial L}{\partial y}\frac{\partial y}{\partial z}\frac{\partial z}{\partial w_j}",
     "Derivative(L, y)*Derivative(y, z)*Derivative(z, w_j)", "plain"),
    (r"\frac{e^{z_k}}{\sum_{m=1}^{K} e^{z_m}}", "exp(z[k])/Sum(exp(z[m]), (m, 1, K))", "softmax"),
    (r"\frac{\exp(z_k)}{\sum_m \exp(z_m)}", "exp(z[k])/Sum(exp(z[m]), (m, 1, K))", "softmax"),
    (r"\frac{e^{z_k/\tau}}{\sum_{m=1}^{K} e^{z_m/\tau}}", "exp(z[k]/tau)/Sum(exp(z[m]/tau), (m, 1, K))", "softmax"),
    (r"-\sum_{k=1}^{K} t_k \log y_k", "-Sum(t[k]*log(y[k]), (k, 1, K))", "softmax"),
    (r"y_k - t_k", "y[k] - t[k]", "softmax"),
    (r"y_T(1 - y_k)", "y[T]*(1 - y[k])", "softmax"),
    (r"-y_T \cdot y_k", "-y[T]*y[k]", "softmax"),
    (r"-\frac{1}{y_T} \cdot y_k (1 - y_k)", "-1/y[T]*y[k]*(1 - y[k])", "softmax"),
    (r"\log \sum_{k=1}^{K} e^{z_k}", "log(Sum(exp(z[k]), (k, 1, K)))", "softmax"),
    (r"\frac{\partial}{\partial z_k} \log\sum_{m=1}^{K} e^{z_m}",
     "Derivative(log(Sum(exp(z[m]), (m, 1, K))), z[k])", "softmax"),
    (r"\sum_{k=1}^{K} p_k \log\frac{p_k}{q_k}", "Sum(p[k]*log(p[k]/q[k]), (k, 1, K))", "softmax"),
    (r"-\sum_k p_k \ln p_k", "-Sum(p[k]*ln(p[k]), (k, 1, K))", "softmax"),
    (r"\frac{1}{N}\sum_{i=1}^{N}(y_i - t_i)^2", "1/N*Sum((y[i] - t[i])**2, (i, 1, N))", "batch"),
    (r"\frac{1}{2}(y-t)^2", "(y - t)**2/2", "plain"),
    (r"\frac{\partial}{\partial w}\frac12 (wx - t)^2", "Derivative((w*x - t)**2/2, w)", "plain"),
    (r"(wx - t)x", "(w*x - t)*x", "plain"),
    (r"\frac{1}{2}\sum_{i=1}^{N}(w x_i - t_i)^2 + \frac{\alpha}{2} w^2",
     "Sum((w*x[i] - t[i])**2, (i, 1, N))/2 + alpha*w**2/2", "batch"),
    (r"\frac{\alpha}{2} \sum_{j=1}^{D} w_j^2", "alpha/2*Sum(w[j]**2, (j, 1, D))", "batch"),
    (r"\frac{\partial}{\partial w_j} \frac{\alpha}{2} w_j^2", "Derivative(alpha/2*w_j**2, w_j)", "plain"),
    (r"\alpha w_j", "alpha*w_j", "plain"),
    (r"\tanh(z)", "tanh(z)", "plain"),
    (r"1 - \tanh^2(z)", "1 - tanh(z)**2", "plain"),
    (r"\frac{e^{z} - e^{-z}}{e^{z} + e^{-z}}", "(exp(z) - exp(-z))/(exp(z) + exp(-z))", "plain"),
    (r"\max(0, z)", "Max(0, z)", "plain"),
    (r"\max(\alpha z, z)", "Max(alpha*z, z)", "plain"),
    (r"\max(0, 1 - t y)", "Max(0, 1 - t*y)", "plain"),
    (r"\log(1 + e^{z})", "log(1 + exp(z))", "plain"),
    (r"\log\frac{p}{1-p}", "log(p/(1 - p))", "plain"),
    (r"-\frac{1}{2}\log(2\pi\sigma^2) - \frac{(x-\mu)^2}{2\sigma^2}",
     "-log(2*pi*sigma**2)/2 - (x - mu)**2/(2*sigma**2)", "plain"),
    (r"\frac{1}{\sqrt{2\pi}\sigma} e^{-\frac{(x-\mu)^2}{2\sigma^2}}",
     "1/(sqrt(2*pi)*sigma)*exp(-(x - mu)**2/(2*sigma**2))", "plain"),
    (r"\frac{\partial}{\partial \mu}\left(-\frac{(x-\mu)^2}{2\sigma^2}\right)",
     "Derivative(-(x - mu)**2/(2*sigma**2), mu)", "plain"),
    (r"\frac{x-\mu}{\sigma^2}", "(x - mu)/sigma**2", "plain"),
    (r"\sum_{i=1}^{N} \left(-\frac{1}{2}\log(2\pi\sigma^2) - \frac{(x_i-\mu)^2}{2\sigma^2}\right)",
     "Sum(-log(2*pi*sigma**2)/2 - (x[i] - mu)**2/(2*sigma**2), (i, 1, N))", "batch"),
    (r"\frac{q_i k_j}{\sqrt{d}}", "q_i*k_j/sqrt(d)", "plain"),
    (r"\frac{e^{s_j}}{\sum_{m=1}^{K} e^{s_m}}", "exp(s_j)/Sum(exp(s_m), (m, 1, K))", "plain"),
    (r"\sum_{j=1}^{D} \frac{e^{s_j}}{\sum_{m=1}^{K} e^{s_m}} v_j",
     "Sum(exp(s_j)/Sum(exp(s_m), (m, 1, K))*v_j, (j, 1, D))", "plain"),
    (r"\frac{1}{N}\sum_{i=1}^{N} L^{(i)}", "Sum(L[i], (i, 1, N))/N", "plain"),
    (r"\sum_{i=1}^{N} (y^{(i)} - t^{(i)}) x_j^{(i)}", "Sum((y[i] - t[i])*x_j[i], (i, 1, N))", "plain"),
    (r"w_j - \frac{\partial}{\partial w_j} \sum_{i=1}^N (y^{(i)} - t^{(i)}) x_j^{(i)}",
     "w_j - Derivative(Sum((y[i] - t[i])*x_j[i], (i, 1, N)), w_j)", "plain"),
    (r"w_j - \alpha \frac{\partial J}{\partial w_j}", "w_j - alpha*Derivative(J, w_j)", "plain"),
    (r"\frac{dL}{dw}", "Derivative(L, w)", "plain"),
    (r"\frac{d^2 L}{dw^2}", "Derivative(L, w, w)", "plain"),
    (r"\operatorname{softplus}(z)", "softplus(z)", "plain"),
    (r"\mu - y\log\mu", "mu - y*log(mu)", "plain"),
    (r"\exp\left(\theta x - A\right)", "exp(theta*x - A)", "plain"),
    (r"\frac{1}{2} x \left(1 + \tanh\left(\sqrt{\frac{2}{\pi}}\left(x + 0.044715 x^3\right)\right)\right)",
     "x/2*(1 + tanh(sqrt(2/pi)*(x + 0.044715*x**3)))", "plain"),
    (r"x \sigma(\beta x)", "x*sigma(beta*x)", "plain"),
    (r"\frac{\alpha \hat{m}}{\sqrt{\hat{v}} + \epsilon}", "alpha*m_hat/(sqrt(v_hat) + epsilon)", "plain"),
    (r"\beta v + (1-\beta) g", "beta*v + (1 - beta)*g", "plain"),
    (r"\frac{x_i - \mu}{\sqrt{\sigma^2 + \epsilon}}", "(x_i - mu)/sqrt(sigma**2 + epsilon)", "plain"),
    (r"\gamma \hat{x}_i + \beta", "gamma*x_hat_i + beta", "plain"),
    (r"\prod_{i=1}^{N} p^{t_i}(1-p)^{1-t_i}", "Product(p**t[i]*(1 - p)**(1 - t[i]), (i, 1, N))", "batch"),
    (r"\log_2 (1 + x)", "log(1 + x, 2)", "plain"),
    (r"e^{-\frac{1}{N}\sum_{i=1}^{N} \log p_i}", "exp(-Sum(log(p[i]), (i, 1, N))/N)", "batch"),
    (r"\sqrt{\frac{1}{N}\sum_{i=1}^{N} (x_i - \mu)^2}", "sqrt(Sum((x[i] - mu)**2, (i, 1, N))/N)", "batch"),
    (r"\frac{\partial L_{CE}}{\partial z_k}", "Derivative(L_CE, z[k])", "softmax"),
    (r"\frac{e^{z_k} \cdot \sum_k e^{z_k} - e^{z_k} \cdot e^{z_k}}{(\sum_k e^{z_k})^2}",
     "(exp(z[k])*Sum(exp(z[k]), (k, 1, K)) - exp(z[k])*exp(z[k]))/Sum(exp(z[k]), (k, 1, K))**2", "softmax"),
    (r"\frac{e^{z_k} (\sum_k e^{z_k} - e^{z_k})}{\sum_k e^{z_k} \cdot \sum_k e^{z_k}}",
     "exp(z[k])*(Sum(exp(z[k]), (k, 1, K)) - exp(z[k]))/Sum(exp(z[k])*Sum(exp(z[k]), (k, 1, K)), (k, 1, K))",
     "softmax"),
    (r"\cos\theta", "cos(theta)", "plain"),
    (r"\frac{1}{1-p} x", "x/(1 - p)", "plain"),
]


@pytest.mark.parametrize("latex, text, names", ML, ids=[m[0][:50] for m in ML])
def test_ml_formula(latex: str, text: str, names: str) -> None:
    same(latex, text, NAMES[names])


def test_there_are_enough_ml_formulas() -> None:
    assert len(ML) >= 50


# --- round trip through sympy.latex ---------------------------------------------------------

_SYMBOLS = [make_symbol(n) for n in ("x", "y", "z", "a", "b")]


def _expressions() -> st.SearchStrategy[sympy.Expr]:
    leaves = st.one_of(st.sampled_from(_SYMBOLS), st.integers(1, 9).map(sympy.Integer))

    def grow(children: st.SearchStrategy[sympy.Expr]) -> st.SearchStrategy[sympy.Expr]:
        pair = st.tuples(children, children)
        return st.one_of(
            pair.map(lambda p: p[0] + p[1]),
            pair.map(lambda p: p[0] - p[1]),
            pair.map(lambda p: p[0] * p[1]),
            pair.map(lambda p: p[0] / p[1]),
            st.tuples(children, st.sampled_from([-3, -2, -1, 2, 3])).map(lambda p: p[0] ** p[1]),
            children.map(sympy.exp),
            children.map(sympy.log),
            children.map(sympy.sin),
            children.map(sympy.cos),
            children.map(sympy.sqrt),
        )

    return st.recursive(leaves, grow, max_leaves=8)


def _acceptable(expr: sympy.Expr) -> bool:
    """Leave out what sympy.latex prints outside the language: i, zoo, and a bare e (exp(-1) is 1/e)."""
    bad = (sympy.zoo, sympy.nan, sympy.oo, -sympy.oo, sympy.I, sympy.E)
    constant_exp = any(not a.free_symbols for a in expr.atoms(sympy.exp))
    return (
        expr.is_finite is not False
        and not any(expr.has(b) for b in bad)
        and not constant_exp
        and sympy.count_ops(expr) < 60
    )


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(_expressions())
def test_round_trip_through_sympy_latex(expr: sympy.Expr) -> None:
    assume(_acceptable(expr))
    text = sympy.latex(expr)
    back = parse_latex(text)
    assert back == expr or sympy.expand(back - expr) == 0 or sympy.simplify(back - expr) == 0, text


_PIECES = [
    r"\frac", r"\partial", "d", "x", "y", "z", "k", "e", "T", "2", "13", "0.5", "{", "}", "(", ")", "[", "]",
    "^", "_", "+", "-", r"\cdot", "/", r"\sum", r"\prod", r"\log", r"\sigma", r"\sqrt", r"\left(", r"\right)",
    "|", ",", "=", r"\text{a}", r"\left.", r"\hat", r"\mathrm{KL}", r"\infty", r"\exp", "^{(", r"\max", " ",
    r"\{", r"\}", "&", "'", r"\\",
]  # fmt: skip


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(_PIECES), max_size=14))
def test_any_text_reads_or_is_a_latex_error(parts: list[str]) -> None:
    """Garbage never escapes as another exception (a crash in `derivcheck import`)."""
    try:
        assert isinstance(parse_latex("".join(parts), SOFTMAX), sympy.Basic)
    except LatexError as err:
        assert err.message
