"""Definitions, derivative semantics, indices and conditions (SPEC §4, §5)."""

from __future__ import annotations

import pytest
import sympy

from derivcheck.context import Context, ContextError
from derivcheck.functions import to_elementary
from derivcheck.model import Scope, Size, Text
from derivcheck.parse import make_index, make_size, make_symbol

S = make_symbol


def ctx(define: dict[str, str] | None = None, symbols: dict[str, str] | None = None, indices=None, sizes=None) -> Context:
    scope = Scope(
        symbols={k: Text(v, 1) for k, v in (symbols or {}).items()},
        indices={k: Text(v, 1) for k, v in (indices or {}).items()},
        sizes={k: Size(tuple(v), 1) for k, v in (sizes or {}).items()},
        define={k: Text(v, i + 2) for i, (k, v) in enumerate((define or {}).items())},
    )
    return Context(scope)


def full(c: Context, text: str, **inst: int) -> sympy.Expr:
    instance = {make_index(k) if k.islower() or k == "T" else make_size(k): sympy.Integer(v) for k, v in inst.items()}
    instance = {(make_size(k.name) if k.name in c.sizes else k): v for k, v in instance.items()}
    return c.resolver(instance).full(c.parse(text, 1))


LOGISTIC = {"z": "w*x + r", "y": "sigma(z)", "L": "-t*log(y) - (1 - t)*log(1 - y)"}


def test_definitions_expand_recursively() -> None:
    c = ctx(LOGISTIC)
    got = to_elementary(full(c, "y"))
    assert sympy.simplify(got - 1 / (1 + sympy.exp(-(S("w") * S("x") + S("r"))))) == 0


def test_chain_rule_factors() -> None:
    c = ctx(LOGISTIC)
    y = full(c, "y")
    assert sympy.simplify(full(c, "Derivative(L, y)") - (-S("t") / y + (1 - S("t")) / (1 - y))) == 0
    assert sympy.simplify(full(c, "Derivative(y, z)") - y * (1 - y)) == 0
    assert full(c, "Derivative(z, w)") == S("x")
    whole = full(c, "Derivative(L, w)")
    assert sympy.simplify(whole - (y - S("t")) * S("x")) == 0


def test_partial_derivative_holds_other_names_fixed() -> None:
    # L depends on w directly and through y: the partial holds w fixed (the ridge example)
    c = ctx({"y": "w*x + b", "L": "(y - t)**2/2 + lam*w**2/2"})
    assert sympy.expand(full(c, "Derivative(L, y)") - (S("w") * S("x") + S("b") - S("t"))) == 0


def test_ambiguous_derivative_names_the_symbol() -> None:
    c = ctx({"y": "sigma(z)", "L": "-log(sigma(z))"})
    with pytest.raises(ContextError, match="ambiguous.*z"):
        full(c, "Derivative(L, y)")


def test_indexed_definitions_and_sums() -> None:
    c = ctx(
        {"y[k]": "exp(z[k]) / Sum(exp(z[m]), (m, 1, K))"},
        symbols={"z[k]": "real"},
        indices={"k": "K", "m": "K", "T": "K"},
        sizes={"K": [2]},
    )
    got = full(c, "y_k", k=1, K=2)
    z1, z2 = S("z[1]"), S("z[2]")
    assert sympy.simplify(got - sympy.exp(z1) / (sympy.exp(z1) + sympy.exp(z2))) == 0
    d = full(c, "Derivative(y[T], z[k])", T=1, k=2, K=2)
    assert sympy.simplify(d + got * full(c, "y_k", k=2, K=2)) == 0


def test_derivative_with_respect_to_an_indexed_defined_name() -> None:
    c = ctx(
        {"y[k]": "exp(z[k]) / Sum(exp(z[m]), (m, 1, K))", "t[k]": "KroneckerDelta(k, T)", "L": "-Sum(t[m]*log(y[m]), (m, 1, K))"},
        symbols={"z[k]": "real"},
        indices={"k": "K", "m": "K", "T": "K"},
    )
    got = full(c, "Derivative(L, y[T])", T=2, K=3)
    assert sympy.simplify(got + 1 / full(c, "y[T]", T=2, K=3)) == 0


def test_free_indices_come_through_definitions() -> None:
    c = ctx({"t[k]": "KroneckerDelta(k, T)", "L": "-Sum(t[m]*z[m], (m, 1, K))"}, indices={"k": "K", "m": "K", "T": "K"})
    assert c.free_indices(c.parse("L", 1)) == {make_index("T")}


def test_instances_cover_sizes_and_respect_index_relations() -> None:
    c = ctx(indices={"k": "K", "T": "K"}, sizes={"K": [2, 3]})
    e = c.parse("z[k] + z[T]", 1)
    assert len(c.instances([e])) == 4 + 9
    same = c.condition(Text("T == k", 1))
    assert len(c.instances([e], [same])) == 2 + 3
    differ = c.condition(Text("T != k", 1))
    assert len(c.instances([e], [differ])) == 2 + 6


def test_conditions_are_classified() -> None:
    c = ctx(indices={"k": "K", "T": "K"}, symbols={"t": "{0, 1}"})
    assert c.condition(Text("T == k", 1)).kind == "index"
    assert c.condition(Text("t == 1", 1)).kind == "subst"
    assert c.condition(Text("y > 0", 1)).kind == "filter"
    with pytest.raises(ContextError, match="'=='"):
        c.condition(Text("x + y == 1", 3))


@pytest.mark.parametrize(
    "define, fragment",
    [
        ({"a": "b + 1", "b": "2*a"}, "cycle: a -> b -> a"),
        ({"a": "a + 1"}, "cycle"),
        ({"a": "foo(x)"}, "unknown function"),
    ],
)
def test_definition_errors(define: dict[str, str], fragment: str) -> None:
    with pytest.raises(ContextError) as err:
        ctx(define)
    assert fragment in err.value.message
    assert err.value.line is not None


def test_bad_domain_is_an_error_with_line() -> None:
    with pytest.raises(ContextError, match="domain of 'x'"):
        ctx(symbols={"x": "complex"})


def test_too_many_instances() -> None:
    c = ctx(indices={"a": "K", "b": "K", "c": "K", "d": "K"}, sizes={"K": [12]})
    with pytest.raises(ContextError, match="index combinations"):
        c.instances([c.parse("x[a] + x[b] + x[c] + x[d]", 1)])
