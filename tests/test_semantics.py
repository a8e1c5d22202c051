"""Legitimate input is decided, and nothing is silent (SPEC §3, §4, §6, §11).

Every expected verdict here carries its own truth: a short proof in a comment, or
mpmath at 60 digits at a stated point.  Fixtures: ``tests/data/soundness/semantics/``.
"""

from __future__ import annotations

from pathlib import Path

import mpmath
import pytest

from conftest import check, statuses
from derivcheck.api import verify_file
from derivcheck.documents import verify_any

DATA = Path(__file__).resolve().parent / "data" / "soundness" / "semantics"
SHARED = Path("/work/shared/examples/soundness")
SEEDS = (0, 1, 7)

mpmath.mp.dps = 60


def step_messages(result) -> str:  # type: ignore[no-untyped-def]
    return " ".join(s.message or "" for c in result.chains for s in c.steps)


# -- 1. a name never introduced must not make a derivative a silent 0 -----------------------


def test_forgotten_definition_is_an_error_naming_it() -> None:
    # L is never defined: Derivative(L, z) would be 0 (L a constant), and so would the
    # right side, so "proved" would be a false verdict on 0 = 0.
    r = verify_file(DATA / "forgotten_loss.yaml")
    assert r.status == "error"
    assert "L is neither defined nor declared" in step_messages(r)
    assert "symbols" in step_messages(r)


def test_unknown_name_inside_a_constant_first_argument_is_an_error() -> None:
    # d(L*x)/dw with L, x never introduced: 0 only because they are unknown.
    r = check("steps:\n  - Derivative(L*x, w)\n  - 0\n")
    assert r.status == "error" and "L, x are neither defined nor declared" in step_messages(r)
    # Declared constants: d(L*x)/dw = 0 is true (neither depends on w) and proved.
    r = check("symbols: {L: real, x: real}\nsteps:\n  - Derivative(L*x, w)\n  - 0\n")
    assert statuses(r) == [["start", "proved"]]


@pytest.mark.parametrize("seed", SEEDS)
def test_unknown_constant_next_to_the_variable_stays_a_constant(seed: int) -> None:
    # d(x**2 + c)/dx = 2x whatever c is: the derivative depends on x, nothing silent.
    r = check("steps:\n  - Derivative(x**2 + c, x)\n  - 2*x\n", seed=seed)
    assert statuses(r) == [["start", "proved"]]
    # and d(x**2 + c)/dx = 2x + 1 is wrong: at x = 0 the sides are 0 and 1
    r = check("steps:\n  - Derivative(x**2 + c, x)\n  - 2*x + 1\n", seed=seed)
    assert statuses(r) == [["start", "invalid"]]


def test_markdown_answer_without_context_says_to_pass_it(tmp_path: Path) -> None:
    # Without a context nothing is defined: dL/dw = (dL/dy)(dy/dw) would be 0 = 0.
    md = tmp_path / "answer.md"
    md.write_text("# Answer\n\n$$\n\\frac{\\partial L}{\\partial w} = "
                  "\\frac{\\partial L}{\\partial y}\\frac{\\partial y}{\\partial w}\n$$\n")
    r = verify_any(md)
    assert r.status == "error"
    assert "--context" in step_messages(r) and "L is neither" in step_messages(r)


def test_shared_undefined_name_case() -> None:
    r = verify_file(SHARED / "undefined_name.yaml")
    assert r.status == "error" and "L" in step_messages(r)
