"""Hostile steps: the diagnoses of an invalid step never break the check, whatever the input."""

from __future__ import annotations

import pytest

from derivcheck.api import verify_text
from derivcheck.rules import KINDS

MANY = "\n".join(f"  s{i}: \"{{0, 1, 2}}\"" for i in range(12))

CASES = {
    "many finite symbols": (
        f"symbols:\n{MANY}\nsteps:\n  - " + " + ".join(f"s{i}*x" for i in range(12)) + "\n  - " + " + ".join(f"s{i}" for i in range(12)) + "\n"
    ),
    "large power": "steps:\n  - (x + 1)**60\n  - (x + 1)**60 + x\n",
    "huge monomial ratio": "steps:\n  - x**40*y**40*Derivative(exp(x), x)\n  - exp(x)\n",
    "nested derivatives": "steps:\n  - Derivative(Derivative(Derivative(sin(x*y)**3, x), x), y)\n  - cos(x)\n  - sin(x)\n",
    "sum of many terms": "indices: {m: K}\nsizes: {K: [2, 3, 4, 5]}\nsymbols:\n  z[m]: real\nsteps:\n  - Sum(z[m]**m, (m, 1, K))\n  - Sum(z[m], (m, 1, K))\n",
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_diagnoses_never_break_the_check(name: str) -> None:
    result = verify_text(CASES[name], "h.yaml", timeout=2.0)
    assert result.error is None, result.error
    steps = [s for c in result.chains for s in c.steps]
    assert any(s.status == "invalid" for s in steps)
    for s in steps:
        assert all(d.kind in KINDS and d.message for d in s.diagnoses)
        if s.status != "invalid":
            assert not s.diagnoses


def test_huge_monomial_is_not_a_simple_factor() -> None:
    # previous / this = x**40*y**40: a monomial, but not a simple factor (powers above 4)
    result = verify_text(CASES["huge monomial ratio"], "h.yaml", timeout=5.0)
    assert "missing-factor" not in {d.kind for d in result.chains[0].steps[1].diagnoses}
