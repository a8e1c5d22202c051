"""Symbol domains (SPEC §2): reading, membership, sampling and assumptions."""

from __future__ import annotations

import random

import pytest
import sympy

from derivcheck.domains import DomainError, parse_domain


@pytest.mark.parametrize(
    "text, inside, outside",
    [
        ("real", [-5, 0, 7], []),
        ("positive", [sympy.Rational(1, 10), 3], [0, -1]),
        ("negative", [-2], [0, 1]),
        ("nonnegative", [0, 2], [-1]),
        ("integer", [-3, 0, 4], [sympy.Rational(1, 2)]),
        ("(0, 1)", [sympy.Rational(1, 2)], [0, 1]),
        ("[0, 1]", [0, 1], [-1, 2]),
        ("(0, 1]", [1], [0]),
        ("[0, 1)", [0], [1]),
        ("(-oo, 2]", [-100, 2], [3]),
        ("[1/2, oo)", [sympy.Rational(1, 2), 10], [0]),
        ("{0, 1}", [0, 1], [sympy.Rational(1, 2), 2]),
        ("{-1, 1/2, 3}", [-1, sympy.Rational(1, 2)], [0]),
    ],
)
def test_membership_and_samples(text: str, inside: list, outside: list) -> None:
    d = parse_domain(text)
    for v in inside:
        assert d.contains(sympy.sympify(v)), (text, v)
    for v in outside:
        assert not d.contains(sympy.sympify(v)), (text, v)
    rng = random.Random(1)
    for _ in range(200):
        assert d.contains(d.sample(rng))


def test_finite_sets_are_sampled_in_full() -> None:
    d = parse_domain("{0, 1}")
    rng = random.Random(0)
    assert {d.sample(rng) for _ in range(50)} == {0, 1}


def test_assumptions() -> None:
    assert parse_domain("positive").assumptions() == {"positive": True}
    assert parse_domain("(0, 1)").assumptions() == {"positive": True}
    assert parse_domain("[0, 1]").assumptions() == {"nonnegative": True}
    assert parse_domain("{0, 1}").assumptions()["integer"] is True
    assert parse_domain("real").assumptions() == {"real": True}


@pytest.mark.parametrize("text", ["complex", "(1, 0)", "{}", "(a, b)", "{x}", "[0, 1"])
def test_bad_domains(text: str) -> None:
    with pytest.raises(DomainError):
        parse_domain(text)
