"""YAML -> typed model: shapes, line numbers and every loader error (SPEC §1)."""

from __future__ import annotations

import textwrap

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from derivcheck.loader import load_text
from derivcheck.yamltree import LoadError


def load(text: str):
    return load_text(textwrap.dedent(text), "f.yaml")


def test_steps_keep_their_lines_and_fields() -> None:
    d = load(
        """\
        title: t
        symbols:
          t: "{0, 1}"
          z[k]: real
        indices:
          k: K
        sizes:
          K: [2, 3, 3]
        define:
          y: sigma(z)
        claim: Derivative(y, z) = y*(1 - y)
        steps:
          - Derivative(y, z)
          - expr: sigma(z)*(1 - sigma(z))
            why: derivative of the sigmoid
            given: z > 0
          - latex: 'y(1-y)'
        """
    )
    assert d.title == "t"
    assert d.scope.symbols["t"].text == "{0, 1}"
    assert "z[k]" in d.scope.symbols
    assert d.scope.sizes["K"].values == (2, 3)
    assert d.claim is not None and d.claim.line == 11
    steps = d.chains[0].steps
    assert [s.line for s in steps] == [13, 14, 17]
    assert steps[1].why == "derivative of the sigmoid"
    assert steps[1].given[0].text == "z > 0"
    assert steps[2].latex


def test_numbers_are_kept_as_written() -> None:
    d = load("steps:\n  - 0.10\n  - 1/10\n")
    assert d.chains[0].steps[0].text == "0.10"


def test_cases_with_titles_and_given() -> None:
    d = load(
        """\
        cases:
          - given: [T == k]
            title: same
            steps: [x, x]
          - given: T != k
            steps: [x, x]
        """
    )
    assert d.has_cases and len(d.chains) == 2
    assert d.chains[0].title == "same"
    assert d.chains[1].given[0].text == "T != k"


@pytest.mark.parametrize(
    "text, line, fragment",
    [
        ("step:\n  - x\n", 1, "did you mean 'steps'"),
        ("title: x\n", 1, "needs 'steps'"),
        ("steps: x\n", 1, "must be a list"),
        ("steps: []\n", 1, "empty"),
        ("steps:\n  - x\n  - x\ncases: []\n", 4, "either 'steps' or 'cases'"),
        ("steps:\n  - {expr: x, wat: 1}\n", 2, "unknown key 'wat'"),
        ("steps:\n  - {why: x}\n", 2, "exactly one of"),
        ("steps:\n  - [x]\n", 2, "a step must be"),
        ("steps:\n  -\n", 2, "must be an expression"),
        ("steps:\n  - true\n", 2, "boolean"),
        ("symbols: [x]\nsteps: [x, x]\n", 1, "mapping"),
        ("symbols:\n  'x y': real\nsteps: [x, x]\n", 2, "is not a name"),
        ("symbols:\n  z[k]: real\nsteps: [x, x]\n", 2, "index 'k'"),
        ("indices:\n  k[j]: K\nsteps: [x, x]\n", 2, "not a name"),
        ("indices:\n  k: 3\nsteps: [x, x]\n", 2, "size name"),
        ("sizes:\n  K: [0]\nsteps: [x, x]\n", 2, "outside"),
        ("sizes:\n  K: [two]\nsteps: [x, x]\n", 2, "whole numbers"),
        ("steps: [x, x]\nsteps: [y, y]\n", 2, "duplicate key"),
        ("steps: [x\n", 2, "invalid YAML"),
        ("a: &x [1]\nb: *x\nsteps: [x, x]\n", 2, "aliases"),
        ("steps: !!python/object/apply:os.system ['touch pwned']\n", 1, "tag"),
        ("steps: [x, x]\n---\nsteps: [y, y]\n", 2, "one YAML document"),
        ("- x\n- y\n", 1, "mapping"),
        ("cases:\n  - given: T == k\n", 2, "needs 'steps'"),
        ("cases:\n  - x\n", 2, "a case must be"),
        ("given: {a: b}\nsteps: [x, x]\n", 1, "condition"),
    ],
)
def test_errors_name_the_line(text: str, line: int, fragment: str) -> None:
    with pytest.raises(LoadError) as err:
        load_text(text, "f.yaml")
    assert fragment in err.value.message
    assert err.value.line == line


def test_empty_file() -> None:
    with pytest.raises(LoadError, match="empty"):
        load_text("", "f.yaml")


def test_deep_nesting_is_refused() -> None:
    with pytest.raises(LoadError, match="nested"):
        load_text("steps: " + "[" * 50 + "]" * 50, "f.yaml")


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=200))
def test_arbitrary_text_only_raises_load_error(text: str) -> None:
    try:
        load_text(text, "f.yaml")
    except LoadError:
        pass


# -- a chain of one step checks nothing (often a mis-indented list) ----------------------


def test_one_step_from_a_misindented_list_names_the_cause() -> None:
    # The second '- ' is one column deeper: YAML folds it into the first item, so the
    # list holds the single string "x*(1 - x) - x - x**2".
    with pytest.raises(LoadError) as err:
        load("steps:\n  - x*(1 - x)\n   - x - x**2\n")
    assert err.value.line == 2
    assert "one step" in err.value.message and "lines 2-3" in err.value.message
    assert "indent" in err.value.message


def test_one_step_in_a_case_is_an_error_with_its_line() -> None:
    text = "cases:\n  - given: x > 0\n    steps: [x, x]\n  - given: x <= 0\n    steps:\n      - x\n"
    with pytest.raises(LoadError) as err:
        load(text)
    assert err.value.line == 6 and "one step" in err.value.message


def test_two_steps_and_a_flow_list_of_one() -> None:
    assert len(load("steps: [x, x]\n").chains[0].steps) == 2
    with pytest.raises(LoadError) as err:
        load("steps: [x*(1 - x)]\n")
    assert err.value.line == 1 and "at least two steps" in err.value.message


def test_a_tab_in_the_indentation_gets_a_plain_message() -> None:
    with pytest.raises(LoadError) as err:
        load_text("steps:\n\t- x\n  - x\n")
    assert "tab" in err.value.message and "spaces" in err.value.message
    assert err.value.line == 2
