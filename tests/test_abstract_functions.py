"""Abstract functions (``functions: [f, g]``): proofs keep them abstract, numbers instantiate them.

Every transition below carries its ground truth outside derivcheck: a short proof in
a comment for the true ones, and for the false ones a concrete smooth f (and g) under
which the two sides differ, checked with mpmath at 60 digits (numerical
differentiation of the composed function, independent of SymPy and derivcheck).
False steps are checked at several seeds: the instantiations change with the seed,
the verdict must not.
"""

from __future__ import annotations

import json
import pickle
import random

import mpmath
import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

from derivcheck.abstract import (
    ARGUMENTS,
    FAMILIES,
    instantiate,
    instantiate_sides,
    instantiation,
)
from derivcheck.functions import abstract_function
from tests.conftest import ROOT, check, statuses

DATA = ROOT / "tests" / "data" / "abstract"
SEEDS = (0, 1, 2)


def _steps(result):  # type: ignore[no-untyped-def]
    return result.chains[0].steps


def _two_steps(first: str, second: str, header: str = "functions: [f, g]") -> str:
    return f"{header}\nsteps:\n  - {first}\n  - {second}\n"


def _differ_60(left, right, x: str) -> None:  # type: ignore[no-untyped-def]
    """Ground truth: ``left(x) != right(x)`` at 60 digits, clearly (not by rounding)."""
    with mpmath.workdps(60):
        a, b = left(mpmath.mpf(x)), right(mpmath.mpf(x))
        assert abs(a - b) > mpmath.mpf(10) ** -20 * max(1, abs(a), abs(b)), (a, b)


def _agree_60(left, right, x: str) -> None:  # type: ignore[no-untyped-def]
    with mpmath.workdps(60):
        a, b = left(mpmath.mpf(x)), right(mpmath.mpf(x))
        assert abs(a - b) <= mpmath.mpf(10) ** -40 * max(1, abs(a), abs(b)), (a, b)


def d(fn, x, n: int = 1):  # type: ignore[no-untyped-def]
    """The n-th derivative by mpmath's numerical differentiation (at the working precision)."""
    return mpmath.diff(fn, x, n)


# --- true transitions: proved -------------------------------------------------------------

PROVED = [
    # chain rule: (f o g)'(x) = f'(g(x)) g'(x)
    ("Derivative(f(g(x)), x)", "f'(g(x))*g'(x)"),
    # the three spellings of f'(g(x)) are one object
    ("f'(g(x))*g'(x)", "Subs(Derivative(f(u), u), u, g(x))*D(g)(x)"),
    # product rule: (f g)' = f' g + f g'
    ("Derivative(f(x)*g(x), x)", "f'(x)*g(x) + f(x)*g'(x)"),
    # second derivative of f(g(x)): differentiate f'(g) g' by the product and chain rules:
    # f''(g) g' g' + f'(g) g''
    ("Derivative(f(g(x)), x, x)", "f''(g(x))*g'(x)**2 + f'(g(x))*g''(x)"),
    # inverse-function rule: log is the inverse of exp, log'(x) = 1/exp'(log(x)) = 1/x
    ("Derivative(f(log(x)), x)", "f'(log(x))/exp(log(x))"),
    # quotient rule: (f/g)' = (f' g - f g')/g**2 where g != 0
    ("Derivative(f(x)/g(x), x)", "(f'(x)*g(x) - f(x)*g'(x))/g(x)**2"),
]


@pytest.mark.parametrize("left, right", PROVED)
def test_true_transitions_are_proved(left: str, right: str) -> None:
    header = "functions: [f, g]\nsymbols: {x: positive}"
    result = check(_two_steps(left, right, header))
    assert statuses(result) == [["start", "proved"]], _steps(result)[1].message


def test_ground_truth_of_the_proved_rules() -> None:
    """The rules above, with f = sin and g = exp (any smooth pair), at 60 digits."""
    f, g = mpmath.sin, mpmath.exp
    _agree_60(lambda x: d(lambda t: f(g(t)), x), lambda x: mpmath.cos(g(x)) * g(x), "0.7")
    _agree_60(lambda x: d(lambda t: f(t) * g(t), x), lambda x: mpmath.cos(x) * g(x) + f(x) * g(x), "0.7")
    _agree_60(
        lambda x: d(lambda t: f(g(t)), x, 2),
        lambda x: -mpmath.sin(g(x)) * g(x) ** 2 + mpmath.cos(g(x)) * g(x),
        "0.7",
    )
    _agree_60(lambda x: d(lambda t: f(mpmath.log(t)), x), lambda x: mpmath.cos(mpmath.log(x)) / x, "1.3")


def test_second_derivative_of_a_composition_in_the_file() -> None:
    result = check((DATA / "second_derivative.yaml").read_text(), "second_derivative.yaml")
    assert statuses(result) == [["start", "proved", "proved"]]


def test_two_argument_chain_rule_is_proved() -> None:
    # d/dx h(x*y, x + y) = y*h_1(x*y, x + y) + h_2(x*y, x + y)  (chain rule in two variables)
    src = "functions: {h: 2}\nsteps:\n  - Derivative(h(x*y, x + y), x)\n  - y*D(h, 1)(x*y, x + y) + D(h, 2)(x*y, x + y)\n"
    assert statuses(check(src)) == [["start", "proved"]]
    # Schwarz: mixed partials of a smooth function do not depend on the order
    src = "functions: {h: 2}\nsteps:\n  - Derivative(h(x, y), x, y)\n  - D(h, 2, 1)(x, y)\n"
    assert statuses(check(src)) == [["start", "proved"]]


def test_sum_of_a_function_of_an_indexed_variable() -> None:
    # d/dz[k] sum_m f(z[m]) = f'(z[k]): only the m = k term depends on z[k]
    src = """
        functions: [f]
        indices: {k: K, m: K}
        sizes: {K: [2, 3]}
        steps:
          - Derivative(Sum(f(z[m]), (m, 1, K)), z[k])
          - f'(z[k])
    """
    assert statuses(check(src)) == [["start", "proved"]]


# --- false transitions: invalid at every seed, with the instantiation named --------------

INVALID = [
    # inner derivative forgotten.  f = u**2, g = 3u: 18x against 6x, differ at x = 1
    ("Derivative(f(g(x)), x)", "f'(g(x))", "1", lambda x: 18 * x, lambda x: 6 * x),
    # f'(x) for f'(g(x)).  f = u**3, g = 2u: 24x**2 against 6x**2, differ at x = 1
    ("Derivative(f(g(x)), x)", "f'(x)*g'(x)", "1", lambda x: 24 * x**2, lambda x: 6 * x**2),
    # product rule with a sign error.  f = u, g = u**2: 3x**2 against -x**2 at x = 1
    ("Derivative(f(x)*g(x), x)", "f'(x)*g(x) - f(x)*g'(x)", "1", lambda x: 3 * x**2, lambda x: -(x**2)),
    # f(g(x)) against g(f(x)).  f = u**2, g = u + 1: (x + 1)**2 against x**2 + 1 at x = 1
    ("f(g(x))", "g(f(x))", "1", lambda x: (x + 1) ** 2, lambda x: x**2 + 1),
    # second derivative with the f'(g) g'' term dropped.  f = u**2, g = u**3:
    # (x**6)'' = 30x**4 against f''(g) g'**2 = 2*9x**4 = 18x**4 at x = 1
    ("Derivative(f(g(x)), x, x)", "f''(g(x))*g'(x)**2", "1", lambda x: 30 * x**4, lambda x: 18 * x**4),
    # inverse-function rule misapplied: 1/exp'(x) instead of 1/exp'(log(x)).
    # f = u**2: (log(x)**2)' = 2 log(x)/x against 2 log(x)/exp(x), differ at x = 2
    ("Derivative(f(log(x)), x)", "f'(log(x))/exp(x)", "2", lambda x: 2 * mpmath.log(x) / x, lambda x: 2 * mpmath.log(x) / mpmath.exp(x)),
]


@pytest.mark.parametrize("left, right, x, truth_left, truth_right", INVALID)
@pytest.mark.parametrize("seed", SEEDS)
def test_false_transitions_are_refuted(left: str, right: str, x: str, truth_left, truth_right, seed: int) -> None:  # type: ignore[no-untyped-def]
    _differ_60(truth_left, truth_right, x)
    result = check(_two_steps(left, right, "functions: [f, g]\nsymbols: {x: positive}"), seed=seed)
    step = _steps(result)[1]
    assert step.status == "invalid", step.message
    assert step.counterexample is not None
    # the report names the instantiation that refutes the step
    assert "with f(u) = " in step.message or "with g(u) = " in step.message
    assert step.counterexample.to_json()["instantiation"] in step.message


def test_ground_truths_of_the_refuted_rules_are_the_stated_derivatives() -> None:
    """The closed forms used above are the derivatives of the stated f and g (mpmath, 60 digits)."""
    _agree_60(lambda x: d(lambda t: (3 * t) ** 2, x), lambda x: 18 * x, "1")
    _agree_60(lambda x: d(lambda t: (2 * t) ** 3, x), lambda x: 24 * x**2, "1")
    _agree_60(lambda x: d(lambda t: t * t**2, x), lambda x: 3 * x**2, "1")
    _agree_60(lambda x: d(lambda t: (t**3) ** 2, x, 2), lambda x: 30 * x**4, "1")
    _agree_60(lambda x: d(lambda t: mpmath.log(t) ** 2, x), lambda x: 2 * mpmath.log(x) / x, "2")


@pytest.mark.parametrize("seed", SEEDS)
def test_two_argument_function_with_swapped_arguments(seed: int) -> None:
    # h(x, y) against h(y, x): false for h = u + 2v (x + 2y against y + 2x differ at x = 0, y = 1)
    _differ_60(lambda y: 0 + 2 * y, lambda y: y + 2 * 0, "1")
    src = "functions: {h: 2}\nsteps:\n  - h(x, y)\n  - h(y, x)\n"
    step = _steps(check(src, seed=seed))[1]
    assert step.status == "invalid"
    assert "h(u, v) = " in step.message


@pytest.mark.parametrize("seed", SEEDS)
def test_identities_of_special_functions_only_are_refuted(seed: int) -> None:
    """Steps true for linear, even, odd or exponential f only: the families are richer than that.

    f = u**3 + u**2 (neither linear, even, odd nor its own derivative) refutes each at x = 1:
    f''(1) = 8 != 0; f(-1) = 0 != f(1) = 2; -f(1) = -2 != f(-1) = 0; f'(1) = 5 != f(1) = 2.
    """
    def f(t):  # type: ignore[no-untyped-def]
        return t**3 + t**2

    _differ_60(lambda x: d(f, x, 2), lambda x: 0, "1")
    _differ_60(lambda x: f(-x), f, "1")
    _differ_60(lambda x: f(-x), lambda x: -f(x), "1")
    _differ_60(lambda x: d(f, x), f, "1")
    for left, right in (("f''(x)", "0"), ("f(-x)", "f(x)"), ("f(-x)", "-f(x)"), ("f'(x)", "f(x)")):
        step = _steps(check(_two_steps(left, right, "functions: [f]"), seed=seed))[1]
        assert step.status == "invalid", (left, right, step.message)


def test_json_report_names_the_instantiation() -> None:
    result = check((DATA / "chain_rule_forgot_inner.yaml").read_text(), "chain_rule_forgot_inner.yaml")
    doc = json.loads(json.dumps(result.to_json()))
    cex = doc["chains"][0]["steps"][1]["counterexample"]
    assert cex["instantiation"].startswith("f(u) = ")
    assert "g(u) = " in cex["instantiation"]
    assert result.status == "invalid"


# --- the loader: declarations, clashes, arities ------------------------------------------


@pytest.mark.parametrize(
    "source, line, words",
    [
        ("functions: [f, x]\nsymbols: {x: real}\nsteps: [f(x), f(x)]\n", 1, "clashes with 'x', which is a symbol"),
        ("define:\n  y: 2*x\nfunctions:\n  - f\n  - y\nsteps: [f(x), f(x)]\n", 5, "which is defined"),
        ("indices: {k: K}\nfunctions: [k]\nsteps: [x, x]\n", 2, "which is an index"),
        ("functions:\n  - exp\nsteps: [x, x]\n", 2, "built-in function"),
        ("functions: [D]\nsteps: [x, x]\n", 1, "part of the expression language"),
        ("functions: [pi]\nsteps: [x, x]\n", 1, "constant"),
        ("functions: {h: 9}\nsteps: [x, x]\n", 1, "number of arguments"),
        ("functions: [f, f]\nsteps: [x, x]\n", 1, "given twice"),
    ],
)
def test_declaration_errors_name_their_line(source: str, line: int, words: str) -> None:
    result = check(source)
    assert result.status == "error"
    assert result.error is not None and result.error.line == line, result.error
    assert words in result.error.message


@pytest.mark.parametrize(
    "step, words",
    [
        ("f(x, y)", "f is declared with 1 argument, called with 2"),
        ("h(x)", "h is declared with 2 arguments, called with 1"),
        ("D(h)(x, y)", "say which one"),
        ("k(x)", "unknown function 'k'"),
        ("q'(x)", "q is not a declared function"),
        ("f + 1", "f is a declared function: apply it"),
        ("D(f, 2)(x)", "a whole number from 1 to 1"),
        ("Subs(Derivative(f(2*u), u), u, x)", "plain name"),
        ("f[1] + x", "call it, as f(x), rather than index it"),
        ("f' * 2", "a prime (') is written only after a declared function applied to its argument"),
    ],
)
def test_bad_calls_are_step_errors_with_their_line(step: str, words: str) -> None:
    result = check(f"functions: {{f: 1, h: 2}}\nsteps:\n  - x\n  - {step}\n")
    s = _steps(result)[1]
    assert s.status == "error" and s.line == 4
    assert words in (s.message or ""), s.message


def test_a_question_cannot_reuse_a_keys_function_name() -> None:
    """The clash check runs on the merged scope too (a grading key's functions, a question's symbols)."""
    from derivcheck.context import Context, ContextError
    from derivcheck.model import FunctionDecl, Scope, Text

    key = Scope(functions={"f": FunctionDecl("f", 1, 3)})
    question = Scope(symbols={"f": Text("real", 9)})
    with pytest.raises(ContextError) as err:
        Context(key.merged(question))
    assert err.value.line == 3


# --- instantiations -------------------------------------------------------------------


def test_instantiations_are_deterministic_and_separate_functions() -> None:
    functions = {"f": 1, "g": 1, "h": 2}
    for number in range(4):
        one, two = instantiation(functions, 5, number), instantiation(functions, 5, number)
        assert one == two
        bodies = [body for _, _, body in one.templates]
        assert len(set(bodies)) == 3
        for _, arity, body in one.templates:
            u = ARGUMENTS[0]
            # never linear: some second derivative is not 0
            assert any(sympy.diff(body, a, 2) != 0 for a in ARGUMENTS[:arity])
            # neither even nor odd in u: f(u) - f(-u) and f(u) + f(-u) are not 0 at one of
            # u = 1/3, 2/7 (other arguments 1/5), evaluated at 30 digits
            point = {a: sympy.Rational(1, 5) for a in ARGUMENTS[1:arity]}
            tries = (sympy.Rational(1, 3), sympy.Rational(2, 7))
            values = [(body.xreplace({u: t, **point}), body.xreplace({u: -t, **point})) for t in tries]
            assert any(abs(sympy.N(p - m, 30)) > 1e-20 for p, m in values)
            assert any(abs(sympy.N(p + m, 30)) > 1e-20 for p, m in values)
    assert instantiation(functions, 5, 0) != instantiation(functions, 6, 0)
    assert len(FAMILIES) == 4


def test_no_abstract_function_means_one_plain_pair() -> None:
    x = sympy.Symbol("x", real=True)
    assert instantiate_sides(x, x + 1, [], 0) == [(x, x + 1, [], "")]


def test_abstract_applications_pickle() -> None:
    x = sympy.Symbol("x", real=True)
    f, g = abstract_function("f", 1), abstract_function("g", 1)
    e = sympy.diff(f(g(x)), x, 2)
    assert pickle.loads(pickle.dumps(e)) == e


_f = abstract_function("f", 1)
_g = abstract_function("g", 1)
_x = sympy.Symbol("x", real=True)


@st.composite
def _compositions(draw):  # type: ignore[no-untyped-def]
    """Small expressions in x built of f, g, sums, products and powers."""
    depth = draw(st.integers(1, 3))
    e: sympy.Expr = _x
    for _ in range(depth):
        op = draw(st.sampled_from(["f", "g", "mul", "add", "pow"]))
        if op == "f":
            e = _f(e)
        elif op == "g":
            e = _g(e)
        elif op == "mul":
            e = e * draw(st.sampled_from([_f(_x), _g(_x), _x, sympy.Integer(3)]))
        elif op == "add":
            e = e + draw(st.sampled_from([_f(_x), _g(_x**2), _x]))
        else:
            e = e ** 2
    return e


@settings(max_examples=25, deadline=None)
@given(_compositions(), st.integers(0, 1000), st.integers(0, 3), st.integers(1, 2))
def test_instantiation_commutes_with_differentiation(expr, seed: int, number: int, order: int) -> None:  # type: ignore[no-untyped-def]
    """Differentiate then instantiate == instantiate then differentiate (SymPy's own diff of the
    concrete functions is the ground truth), checked exactly at x = 2/7 with 50 digits."""
    inst = instantiation({"f": 1, "g": 1}, seed, number)
    left = instantiate(sympy.diff(expr, _x, order), inst)
    right = sympy.diff(instantiate(expr, inst), _x, order)
    value = sympy.N((left - right).xreplace({_x: sympy.Rational(2, 7)}), 50)
    scale = sympy.N(right.xreplace({_x: sympy.Rational(2, 7)}), 50)
    assert abs(value) <= sympy.Float(10) ** -35 * max(1, abs(scale))


@pytest.mark.parametrize("seed", SEEDS)
def test_shipped_derivation_and_mistake(seed: int) -> None:
    """The one-hidden-layer network: proved; with g' taken at x[i]: refuted with its instantiation.

    Ground truth of the mistake: with g = tanh, N = H = 1, W = 1/2, x = 2, v = 3, t = 0:
    a = 1, y = 3 tanh(1); dL/dW = y*v*tanh'(1)*x against y*v*tanh'(2)*x, and
    tanh'(1) = 0.41997 != tanh'(2) = 0.07065.
    """
    with mpmath.workdps(60):
        assert abs(d(mpmath.tanh, 1) - d(mpmath.tanh, 2)) > mpmath.mpf("0.3")
    good = check((ROOT / "derivations" / "one_hidden_layer.yaml").read_text(), "one_hidden_layer.yaml", seed=seed)
    assert good.status == "valid"
    assert all(s.status in ("start", "proved") for s in _steps(good))
    bad = check(
        (ROOT / "examples" / "mistakes" / "abstract_activation.yaml").read_text(), "abstract_activation.yaml", seed=seed
    )
    step = _steps(bad)[2]
    assert step.status == "invalid" and "with g(u) = " in step.message


def test_instantiation_picks_a_different_function_per_seed() -> None:
    rng_seeds = random.Random(1).sample(range(10_000), 3)
    texts = {instantiation({"f": 1}, s, 0).describe() for s in rng_seeds}
    assert len(texts) == 3


def test_latex_steps_call_declared_functions() -> None:
    # chain rule, as in PROVED; then g(f(x)), which is not that derivative: with f = u**2,
    # g = u + 1 at x = 1, f'(g(1))*g'(1) = 2*2*1 = 4 against g(f(1)) = 2
    src = r"""
        functions: [f, g]
        steps:
          - latex: '\frac{d}{dx} f(g(x))'
          - latex: "f'(g(x)) \\cdot g'(x)"
          - expr: g(f(x))*1
    """
    result = check(src)
    assert statuses(result) == [["start", "proved", "invalid"]]
    assert "with f(u) = " in (_steps(result)[2].message or "")


@pytest.mark.parametrize("seed", (0, 3))
def test_a_claim_refuted_names_the_instantiation(seed: int) -> None:
    # d/dw g(w*x) = x*g'(w*x) by the chain rule; the chain ends at g'(w*x), which differs from it
    # wherever x != 1 and g'(w*x) != 0: g = u**2 at w = 1, x = 2 gives 2*2*2 = 8 against 4
    _differ_60(lambda x: x * 2 * (1 * x), lambda x: 2 * (1 * x), "2")
    src = """
        functions: [g]
        claim: Derivative(g(w*x), w) = x*g'(w*x)
        steps:
          - Derivative(g(w*x), w)
          - g'(w*x)
    """
    result = check(src, seed=seed)
    assert result.claim is not None and result.claim.status == "invalid"
    assert "right side: with g(u) = " in result.claim.message


def test_a_domain_change_note_names_the_instantiation() -> None:
    # (f**2 - f)/(f - 1) = f wherever f(x) != 1 (factor f*(f - 1)); the left side is undefined
    # where f(x) = 1, which is a point of the instantiation, so the note must say which one
    src = "functions: [f]\nsteps:\n  - (f(x)**2 - f(x))/(f(x) - 1)\n  - f(x)\n"
    step = _steps(check(src))[1]
    assert step.status == "proved"
    for note in step.notes:
        assert note.message.startswith("with f(u) = ")


def test_the_same_deep_composition_is_proved_without_sampling() -> None:
    # a step written again (times 1) is the same expression: proved whatever f is; its
    # instantiations (a cubic of a cubic ... 8 deep) would be costly to sample
    deep = "x"
    for _ in range(8):
        deep = f"f({deep})"
    src = f"functions: [f]\nsteps:\n  - Derivative({deep}, x)\n  - Derivative({deep}, x)*1\n"
    assert statuses(check(src)) == [["start", "proved"]]


def test_a_markdown_answer_over_a_context_with_functions(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """d/dx f(g(x)) = f'(g(x)) g'(x) (the chain rule) written in LaTeX; the imported draft
    carries the context's functions, so it verifies on its own."""
    from derivcheck.api import verify_text
    from derivcheck.documents import import_to_yaml

    draft = import_to_yaml(DATA / "chain_rule.md", str(DATA / "context.yaml"))
    assert 'functions: {"f": 1, "g": 1}' in draft
    result = verify_text(draft, "draft.yaml")
    assert statuses(result) == [["start", "proved"]]


def test_functions_named_like_sympy_classes() -> None:
    # the chain rule again (true), with names SymPy uses for classes of its own; then a false
    # step: P(x) + Q(x) against P(x) is false for Q = u**2 + 1 (Q(x) > 0 everywhere)
    _differ_60(lambda x: x + (x**2 + 1), lambda x: x, "0")
    src = """
        functions: [Piecewise, Integer, Symbol]
        steps:
          - Derivative(Piecewise(Integer(x)), x)
          - Piecewise'(Integer(x))*Integer'(x)
          - Piecewise'(Integer(x))*Integer'(x) + Symbol(x)
    """
    result = check(src)
    assert statuses(result) == [["start", "proved", "invalid"]]
    assert "Symbol(u) = " in (_steps(result)[2].message or "")


@pytest.mark.parametrize(
    "functions, loads",
    [(["f", "g"], True), ({"f": 1, "h": 2}, True), ("f", True), ({"h": 7}, False), ({"h": 0}, False), ([1], False)],
)
def test_schema_and_loader_agree_on_functions(functions, loads: bool) -> None:  # type: ignore[no-untyped-def]
    jsonschema = pytest.importorskip("jsonschema")
    from derivcheck.loader import load_text
    from derivcheck.schema import derivation_schema
    from derivcheck.yamltree import LoadError

    doc = {"functions": functions, "steps": ["x", "x"]}
    valid = jsonschema.Draft202012Validator(derivation_schema()).is_valid(doc)
    try:
        load_text(json.dumps(doc))
        loaded = True
    except LoadError:
        loaded = False
    assert valid == loaded == loads
