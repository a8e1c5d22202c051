"""The expression language (SPEC §3): what it reads, and what it refuses."""

from __future__ import annotations

import pytest
import sympy
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from sympy import Derivative, Indexed, Rational, Sum

from derivcheck.functions import sigmoid, softplus
from derivcheck.parse import (
    ExpressionError,
    Names,
    make_base,
    make_index,
    make_symbol,
    parse_expression,
    parse_relation,
)

S = make_symbol
NAMES = Names(indexed=frozenset({"y", "z", "t"}), indices=frozenset({"k", "T", "m"}), sizes=frozenset({"K"}))


def p(text: str, names: Names = NAMES) -> sympy.Expr:
    return parse_expression(text, names)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("0.1", Rational(1, 10)),
        ("1/3", Rational(1, 3)),
        ("2.5e2", sympy.Integer(250)),
        ("x^2", S("x") ** 2),
        ("a*b^2", S("a") * S("b") ** 2),
        ("-x + +y", -S("x") + S("y")),
        ("exp(x) + log(x) + ln(x)", sympy.exp(S("x")) + 2 * sympy.log(S("x"))),
        ("log(x, 2)", sympy.log(S("x"), 2)),
        ("abs(x) + Abs(x)", 2 * sympy.Abs(S("x"))),
        ("max(x, 1)", sympy.Max(S("x"), 1)),
        ("delta(1, 2)", sympy.Integer(0)),
        ("pi + E", sympy.pi + sympy.E),
        ("sigma(z) + sigmoid(w)", sigmoid(S("z")) + sigmoid(S("w"))),
        ("softplus(x)", softplus(S("x"))),
    ],
)
def test_reads_numbers_operators_and_functions(text: str, expected: sympy.Expr) -> None:
    assert p(text) == expected


def test_sympy_names_are_plain_symbols() -> None:
    got = p("N + S + I + O + Q + e")
    assert got == sum(S(n) for n in "NSIOQe")
    assert all(isinstance(a, sympy.Symbol) for a in got.args)


def test_function_name_alone_is_a_symbol() -> None:
    assert p("sigma*gamma") == S("sigma") * S("gamma")
    assert p("sigma(z)") == sigmoid(S("z"))


def test_subscript_sugar_only_for_indexed_names_and_indices() -> None:
    assert p("y_k") == make_base("y")[make_index("k")]
    assert p("y_2") == make_base("y")[2]
    assert p("x_j") == S("x_j")  # x is not indexed
    assert p("y_j") == S("y_j")  # j is not an index
    assert p("L_CE") == S("L_CE")


def test_indexing_and_sums() -> None:
    got = p("Sum(exp(z[m]), (m, 1, K))")
    assert isinstance(got, Sum)
    assert got.limits[0][0] == make_index("m")
    # a bound variable that is not a declared index is still an index inside the sum
    got = p("Sum(x[i], (i, 1, 3))", Names())
    assert got.function == make_base("x")[make_index("i")]


def test_derivatives_stay_unevaluated() -> None:
    got = p("Derivative(L, y[T]) * diff(y[T], z[k])")
    derivs = got.atoms(Derivative)
    assert len(derivs) == 2
    assert Derivative(S("L"), make_base("y")[make_index("T")], evaluate=False) in derivs


def test_second_derivative() -> None:
    got = p("Derivative(f, x, x)")
    assert isinstance(got, Derivative) and got.derivative_count == 2


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("y(1 - y)", "y*(1 - y)"),
        ("2x", "2*x"),
        ("(a + b)(a - b)", "(a + b)*(a - b)"),
        ("foo(x, y)", "unknown function 'foo'"),
        ("__import__('os').system('touch x')", "not part of the expression language"),
        ("__import__('os')", "not allowed"),
        ("x.real", "attribute access"),
        ("(lambda: 1)()", "lambda"),
        ("[i for i in x]", "comprehension"),
        ("'text'", "strings"),
        ("f'{x}'", "string"),
        ("x if y else z", "if"),
        ("exp(x=1)", "keyword"),
        ("x < y", "comparison"),
        ("x @ y", "MatMult"),
        ("x // y", "FloorDiv"),
        ("exp(1, 2)", "takes 1"),
        ("Sum(x, i)", "Sum(f, (i, a, b))"),
        ("Derivative(x, 2*y)", "with respect to a name"),
        ("1/0", "division by zero"),
        ("", "empty"),
        ("x +", "cannot read"),
        ("2**2**2**2**2**2", "too large"),
        ("10**100000", "too large"),
        ("factorial(100000)", "too large"),
        ("9" * 300, "digits"),
        ("(" * 5000 + "x" + ")" * 5000, "characters long"),
        ("(" * 100 + "x" + ")" * 100, "nested"),
    ],
)
def test_refuses_with_a_helpful_message(text: str, fragment: str) -> None:
    with pytest.raises(ExpressionError) as err:
        p(text)
    assert fragment in str(err.value)


def test_error_column_points_at_the_problem() -> None:
    with pytest.raises(ExpressionError) as err:
        p("x + y + foo(x)")
    assert err.value.column == 9


def test_long_sums_do_not_recurse() -> None:
    got = p("+".join(f"x{i}" for i in range(900)))
    assert len(got.args) == 900


def test_relations() -> None:
    rel = parse_relation("T != k", NAMES)
    assert rel.op == "!=" and rel.left == make_index("T")
    rel = parse_relation("Derivative(L, w) = (y - t)*x", NAMES)
    assert rel.op == "=="
    assert parse_relation("y >= 0", NAMES).op == ">="
    with pytest.raises(ExpressionError):
        parse_relation("x + 1", NAMES)


# -- round trip: SymPy's own printing of an expression reads back as the same expression --

_leaf = st.sampled_from([S("x"), S("y"), S("w_j"), sympy.Integer(2), sympy.Integer(3), Rational(1, 2)])


def _combine(children: st.SearchStrategy[sympy.Expr]) -> st.SearchStrategy[sympy.Expr]:
    return st.one_of(
        st.tuples(children, children).map(lambda ab: ab[0] + ab[1]),
        st.tuples(children, children).map(lambda ab: ab[0] * ab[1]),
        st.tuples(children, children).map(lambda ab: ab[0] - ab[1]),
        st.tuples(children, st.sampled_from([2, 3, -1])).map(lambda ab: ab[0] ** ab[1]),
        children.map(sympy.exp),
        children.map(sympy.sin),
        children.map(sigmoid),
        children.map(lambda a: sympy.log(a) if a != 0 else a),
    )


expressions = st.recursive(_leaf, _combine, max_leaves=8)


@settings(max_examples=150, deadline=None)
@given(expressions)
def test_round_trip_through_sympy_printing(expr: sympy.Expr) -> None:
    assume(not expr.has(sympy.I, sympy.zoo, sympy.nan, sympy.oo))
    text = str(expr)
    assert parse_expression(text, Names()) == expr


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=60))
def test_arbitrary_text_only_raises_expression_error(text: str) -> None:
    try:
        parse_expression(text, NAMES)
    except ExpressionError:
        pass


def test_long_chains_are_built_at_once() -> None:
    # 900 terms or factors are read in one Add/Mul: sequential building was quadratic and
    # hit the reading time limit on a loaded machine.  Truth by counting: x0 - x1 - ... has
    # 900 terms; x0/x1/.../x899 = x0 * x1**-1 * ... has 900 factors.
    diff = p("-".join(f"x{i}" for i in range(900)))
    assert len(diff.args) == 900 and diff.coeff(sympy.Symbol("x5", real=True)) == -1
    quot = p("/".join(f"x{i}" for i in range(900)))
    assert len(quot.args) == 900 and quot.as_numer_denom()[0] == sympy.Symbol("x0", real=True)
    # mixed precedence is unchanged: a - b*c/d + e = a + e - b*c/d
    a, b, c, d, e = (sympy.Symbol(n, real=True) for n in "abcde")
    assert p("a - b*c/d + e") == a - b * c / d + e
    assert p("a/b/c*d - 2/4") == a * d / (b * c) - sympy.Rational(1, 2)


def test_short_chains_keep_sympys_binary_forms() -> None:
    # 2*(a - b)*x is built as (2*(a - b))*x, and SymPy's binary Mul distributes the 2:
    # the diagnoses read factors as written and compare with this form.
    a, b, x = (sympy.Symbol(n, real=True) for n in "abx")
    got = p("2*(a - b)*x")
    assert got == (2 * a - 2 * b) * x and got.args != (2, x, a - b)


@pytest.mark.parametrize(
    "text, suggestion",
    [("tahn(x)", "tanh"), ("sigm(z)", "sigma"), ("sqtr(x)", "sqrt"), ("expp(x)", "exp")],
)
def test_a_misspelt_function_gets_a_did_you_mean(text: str, suggestion: str) -> None:
    with pytest.raises(ExpressionError) as err:
        parse_expression(text, Names())
    assert f"did you mean {suggestion!r}" in err.value.message


def test_a_symbol_called_like_a_function_still_suggests_the_product() -> None:
    # y is not close to any function name: the implicit-multiplication reading stays
    with pytest.raises(ExpressionError) as err:
        parse_expression("y(1 - y)", Names())
    assert "y*(1 - y)" in err.value.message and "did you mean" not in err.value.message
