"""Coverage by exact set reasoning (SPEC §5): every kind of condition, the declared domains.

Ground truth here never comes from derivcheck: each fixture says in a comment why
its cases do or do not cover the claim (a short proof on the real line), and the
property test decides coverage of random half-lines and points with Python's
exact ``Fraction`` arithmetic, independently of SymPy.
"""

from __future__ import annotations

import itertools
import json
import textwrap
from fractions import Fraction
from pathlib import Path

import mpmath
import pytest
from conftest import check
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from derivcheck.api import verify_file
from derivcheck.context import Context
from derivcheck.coverage import Reasoner, number
from derivcheck.loader import load_text

DATA = Path(__file__).parent / "data" / "soundness" / "claims"
SEEDS = (0, 1, 7)


def run(name: str, seed: int = 0):  # type: ignore[no-untyped-def]
    return verify_file(DATA / name, seed=seed)


# -- positive measure uncovered: invalid, with an example in the uncovered set ---------------


@pytest.mark.parametrize("seed", SEEDS)
def test_interval_left_between_two_cases_is_uncovered(seed: int) -> None:
    # x > 1 and x < 0 leave [0, 1]: the example must lie in it
    r = run("cover_interval_gap.yaml", seed)
    assert r.status == "invalid" and r.coverage is not None and not r.coverage.complete
    example = r.coverage.uncovered[0]
    x = Fraction(example.split("=")[1].split("(")[0].strip())
    assert 0 <= x <= 1
    assert "0 <= x <= 1" in example  # the closed interval, end points included
    assert r.claim is not None and r.claim.status == "invalid" and r.claim.cause == "coverage"


def test_integer_value_between_strict_cases_counts() -> None:
    # n > 0 and n < 0 over the integers miss n = 0, a value like a finite-set value
    r = run("cover_integer.yaml")
    assert r.status == "invalid" and r.coverage is not None and r.coverage.uncovered == ["n = 0"]


def test_finite_set_value_left_out() -> None:
    # t in {0, 1, 2}, case t < 2: t = 2 is never derived (although 2*1*0 = 0 holds there)
    r = run("cover_finite.yaml")
    assert r.status == "invalid" and r.coverage is not None and r.coverage.uncovered == ["t = 2"]


def test_index_relations_of_every_kind() -> None:
    # k < T, k == T, k > T: trichotomy covers every pair; without k == T the diagonal is left
    assert run("cover_index_order.yaml").status == "valid"
    gap = run("cover_index_order_gap.yaml")
    assert gap.status == "invalid" and gap.coverage is not None
    assert gap.coverage.uncovered[0].startswith("T == k: K = 2, T = 1, k = 1")


# -- isolated points only: complete, with a coverage-gap note --------------------------------


@pytest.mark.parametrize("seed", SEEDS)
def test_point_left_out_is_a_gap_note(seed: int) -> None:
    # x != 3 misses only the point 3 (measure zero)
    r = run("cover_point_gap.yaml", seed)
    assert r.status == "valid" and r.coverage is not None and r.coverage.complete
    notes = [n for n in r.coverage.notes if n.kind == "coverage-gap"]
    assert len(notes) == 1 and "x = 3" in notes[0].message


def test_solved_inequalities_leave_two_points() -> None:
    # x**2 > 1 <=> |x| > 1 and x**2 < 1 <=> |x| < 1: only x = -1 and x = 1 remain
    r = run("cover_square.yaml")
    assert r.status == "valid" and r.coverage is not None and r.coverage.complete
    (note,) = r.coverage.notes
    assert note.kind == "coverage-gap" and "x = -1" in note.message and "x = 1" in note.message


def test_declared_domain_limits_what_must_be_covered() -> None:
    # x positive: x >= 1 and x < 1 cover (0, oo) with nothing left, not even x = 0
    r = run("cover_positive.yaml")
    assert r.status == "valid" and r.coverage is not None and r.coverage.complete and r.coverage.notes == []


# -- conditions over several symbols: shown, a gap, or not established -------------------------


def test_complementary_two_symbol_cases_cover() -> None:
    # for every (x, y) exactly one of x > y, x <= y holds
    r = run("cover_two_symbols.yaml")
    assert r.status == "valid" and r.coverage is not None and r.coverage.complete


def test_two_symbol_strict_cases_leave_a_line() -> None:
    # x > y, x < y miss the line x = y, a null set of the plane
    r = run("cover_two_symbols_line.yaml")
    assert r.status == "valid" and r.coverage is not None and r.coverage.complete
    assert [n.kind for n in r.coverage.notes] == ["coverage-gap"]


def test_half_plane_is_never_called_covered() -> None:
    # x > y alone leaves the half-plane x < y (e.g. x = 0, y = 1, where 0 > 1 is false)
    r = run("cover_two_symbols_half.yaml")
    assert r.status != "valid" and r.coverage is not None and not r.coverage.complete
    # the example is certified: x - y is a polynomial, nonzero there, so a whole
    # neighbourhood of the point is uncovered too (positive measure)
    assert r.status == "invalid" and r.coverage.uncovered
    values = dict(part.split(" = ") for part in r.coverage.uncovered[0].split(", "))
    x, y = Fraction(values["x"]), Fraction(values["y"])
    assert not x > y


def test_two_symbols_with_a_discontinuous_condition_is_not_established() -> None:
    # floor(x) > y alone: uncovered where floor(x) <= y (e.g. x = 0, y = 1), but floor
    # jumps, so no point is certified to have an uncovered neighbourhood: never "covered"
    r = check(
        """\
        claim: x + y = y + x
        cases:
          - given: floor(x) > y
            steps: [x + y, y + x]
        """
    )
    assert r.coverage is not None and not r.coverage.complete and r.status != "valid"
    assert r.status == "unknown" and not r.coverage.decided
    assert [n.kind for n in r.coverage.notes] == ["coverage-undecided"]


def test_two_symbols_with_a_continuous_condition_gets_an_example() -> None:
    # sin(x) > y alone: at x = 0, y = 1, sin(0) = 0 is not above 1, and sin(x) - y is
    # continuous and nonzero there, so a whole neighbourhood is uncovered
    r = check(
        """\
        claim: x + y = y + x
        cases:
          - given: sin(x) > y
            steps: [x + y, y + x]
        """
    )
    assert r.status == "invalid" and r.coverage is not None and r.coverage.uncovered
    values = dict(part.split(" = ") for part in r.coverage.uncovered[0].split(", "))
    x, y = mpmath.mpf(Fraction(values["x"]).numerator) / Fraction(values["x"]).denominator, Fraction(values["y"])
    assert not mpmath.sin(x) > mpmath.mpf(y.numerator) / y.denominator


def test_periodic_conditions_are_not_solved_over_one_period() -> None:
    # sin(x) > 1/2 and sin(x) <= 1/2 are complementary on the whole line (SymPy's
    # solveset answers the first with one period only, which would leave x = 10 out)
    r = check(
        """\
        claim: x = x
        cases:
          - given: sin(x) > 1/2
            steps: [x, 2*x - x]
          - given: sin(x) <= 1/2
            steps: [x, 3*x - 2*x]
        """
    )
    assert r.status == "valid" and r.coverage is not None and r.coverage.complete


# -- the JSON shape ------------------------------------------------------------------------


def test_json_coverage_keys() -> None:
    doc = run("cover_point_gap.yaml").to_json()
    cov = doc["coverage"]
    assert set(cov) == {"complete", "uncovered", "notes"}
    assert cov["complete"] is True and cov["uncovered"] == []
    assert cov["notes"][0]["kind"] == "coverage-gap" and "x = 3" in cov["notes"][0]["message"]
    json.dumps(doc)


def test_decimal_examples() -> None:
    from sympy import Rational

    assert number(Rational(-1, 2)) == "-0.5" and number(Rational(1, 3)) == "1/3" and number(Rational(4)) == "4"


# -- the real line, decided against exact rational arithmetic ----------------------------------

OPS = ("<", "<=", ">", ">=", "==", "!=")


def _holds(op: str, x: Fraction, c: int) -> bool:
    return {"<": x < c, "<=": x <= c, ">": x > c, ">=": x >= c, "==": x == c, "!=": x != c}[op]


def _truth(cases: list[list[tuple[str, int]]], lo: int | None) -> tuple[bool, bool]:
    """(some open interval uncovered, some point uncovered), by exact evaluation.

    Every condition is constant on each open interval between consecutive
    constants, so the constants and one point inside each interval (and one beyond
    either end) decide coverage.  ``lo``: the domain is (lo, oo), else the real line.
    """
    consts = sorted({c for case in cases for _, c in case} | ({lo} if lo is not None else set()))
    inner = [Fraction(a + b, 2) for a, b in itertools.pairwise(consts)] + [Fraction(consts[0] - 1), Fraction(consts[-1] + 1)]
    points = [Fraction(c) for c in consts]

    def covered(x: Fraction) -> bool:
        return any(all(_holds(op, x, c) for op, c in case) for case in cases)

    def inside(x: Fraction) -> bool:
        return lo is None or x > lo

    interval_gap = any(inside(x) and not covered(x) for x in inner)
    point_gap = any(inside(x) and not covered(x) for x in points)
    return interval_gap, point_gap


condition = st.tuples(st.sampled_from(OPS), st.integers(-3, 3))
case_list = st.lists(st.lists(condition, min_size=1, max_size=2), min_size=1, max_size=4)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases=case_list, positive=st.booleans())
def test_real_line_coverage_matches_exact_arithmetic(cases: list[list[tuple[str, int]]], positive: bool) -> None:
    domain = "positive" if positive else "real"
    text = f"symbols: {{x: {domain}}}\nsteps: [x, x]\n"
    ctx = Context(load_text(text, "p.yaml").scope)
    from derivcheck.model import Text

    regions = [[ctx.condition(Text(f"x {op} {c}", 1)) for op, c in case] for case in cases]
    found = Reasoner(ctx).uncovered([], regions)
    interval_gap, point_gap = _truth(cases, 0 if positive else None)
    assert found.reason is None and not found.undecided
    assert bool(found.significant) == interval_gap
    if not interval_gap:
        assert bool(found.gaps) == point_gap


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(conds=st.lists(condition, min_size=1, max_size=3))
def test_satisfiable_matches_exact_arithmetic(conds: list[tuple[str, int]]) -> None:
    ctx = Context(load_text("steps: [x, x]\n", "p.yaml").scope)
    from derivcheck.model import Text

    regions = [ctx.condition(Text(f"x {op} {c}", 1)) for op, c in conds]
    consts = sorted({c for _, c in conds})
    candidates = [Fraction(c) for c in consts] + [Fraction(a + b, 2) for a, b in itertools.pairwise(consts)]
    candidates += [Fraction(consts[0] - 1), Fraction(consts[-1] + 1)]
    truth = any(all(_holds(op, x, c) for op, c in conds) for x in candidates)
    assert Reasoner(ctx).satisfiable(regions) == truth


def test_conditions_through_definitions() -> None:
    # y = sigma(z) = 1/(1 + exp(-z)) lies in (0, 1) for every real z: y > 0 covers everything
    r = check(
        """\
        define: {y: sigma(z)}
        claim: y = y
        cases:
          - given: y > 0
            steps: [y, 1/(1 + exp(-z))]
        """
    )
    assert r.coverage is not None and r.coverage.complete


def test_many_finite_symbols_decided_quickly() -> None:
    # six 30-value symbols, each case fixes one of them to 0: a = ... = f = 1 is uncovered
    text = textwrap.dedent(
        """\
        symbols: {a: "{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29}"}
        claim: x = x
        cases:
        """
    )
    for name in "abcdef":
        text = text.replace("symbols: {", f"symbols: {{{name}: \"{{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29}}\", ", 1) if name != "a" else text
        text += f"  - given: {name} == 0\n    steps: [x, x]\n"
    r = check(text)
    assert r.status == "invalid" and r.coverage is not None
    assert r.coverage.uncovered[0] == "a = 1, b = 1, c = 1, d = 1, e = 1, f = 1"


def test_declared_signs_decide_a_two_symbol_condition() -> None:
    # x > 0 > y, so x > y holds everywhere: one case covers; x/y > 1 holds nowhere
    # (x/y < 0 < 1), so it is a condition that can never hold; x > -y leaves the
    # points with x + y <= 0 (an open set below the line), e.g. x = 1, y = -2
    head = "symbols: {x: positive, y: negative}\nclaim: x = x\ncases:\n  - given: GIVEN\n    steps: [x, 2*x - x]\n"
    covered = check(head.replace("GIVEN", "x > y"))
    assert covered.status == "valid" and covered.coverage is not None and covered.coverage.complete
    never = check(head.replace("GIVEN", "x/y > 1"))
    assert never.status == "error" and "'x/y > 1' can never hold" in (never.chains[0].steps[0].message or "")
    left = check(head.replace("GIVEN", "x > -y"))
    assert left.status == "invalid" and left.coverage is not None
    values = {k: Fraction(v) for k, v in (p.split(" = ") for p in left.coverage.uncovered[0].split(", "))}
    assert values["x"] > 0 > values["y"] and not values["x"] > -values["y"]


def test_rational_condition_boundary_is_a_null_set() -> None:
    # x/y > 1 and x/y < 1 (y != 0 implied) leave only x = y and y = 0: lines of the plane
    r = check(
        """\
        symbols: {y: positive}
        claim: x = x
        cases:
          - given: x/y > 1
            steps: [x, 2*x - x]
          - given: x/y < 1
            steps: [x, 3*x - 2*x]
        """
    )
    assert r.status == "valid" and r.coverage is not None and r.coverage.complete
    assert [n.kind for n in r.coverage.notes] == ["coverage-gap"]


# -- index relations and finite sets, decided against brute-force enumeration ------------------

INDEX_OPS = ("==", "!=", "<", "<=", ">", ">=")


def _int_holds(op: str, a: int, b: int) -> bool:
    return {"==": a == b, "!=": a != b, "<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[op]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases=st.lists(st.lists(st.sampled_from(INDEX_OPS), min_size=1, max_size=2), min_size=1, max_size=3))
def test_index_coverage_matches_enumeration(cases: list[list[str]]) -> None:
    # every case relates k and T (k op T); covered iff each (K, k, T), K in {2, 3}, meets a case
    ctx = Context(load_text("indices: {k: K, T: K}\nsteps: ['x[k]', 'x[k]']\n", "p.yaml").scope)
    from derivcheck.model import Text

    regions = [[ctx.condition(Text(f"k {op} T", 1)) for op in case] for case in cases]
    found = Reasoner(ctx).uncovered([], regions)
    truth = [
        (size, k, t)
        for size in (2, 3)
        for k in range(1, size + 1)
        for t in range(1, size + 1)
        if not any(all(_int_holds(op, k, t) for op in case) for case in cases)
    ]
    assert found.reason is None and not found.gaps and not found.undecided
    assert bool(found.significant) == bool(truth)
    for box in found.significant:  # every example is really uncovered
        values = {s.name: int(v) for s, v in box.instance.items()}
        assert (values["K"], values["k"], values["T"]) in truth


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases=case_list)
def test_finite_set_coverage_matches_enumeration(cases: list[list[tuple[str, int]]]) -> None:
    # t in {-2, 0, 1, 3}: covered iff every value meets some case
    values = (-2, 0, 1, 3)
    ctx = Context(load_text('symbols: {t: "{-2, 0, 1, 3}"}\nsteps: [t, t]\n', "p.yaml").scope)
    from derivcheck.model import Text

    regions = [[ctx.condition(Text(f"t {op} {c}", 1)) for op, c in case] for case in cases]
    found = Reasoner(ctx).uncovered([], regions)
    truth = [v for v in values if not any(all(_holds(op, Fraction(v), c) for op, c in case) for case in cases)]
    assert found.reason is None and not found.gaps and not found.undecided
    shown = sorted(int(c.rep) for b in found.significant for c in b.cells.values())
    assert shown == truth


def test_scaled_two_symbol_conditions_are_the_same_condition() -> None:
    # 2*x <= 2*y is x <= y (divide by 2 > 0): with x > y every (x, y) is covered
    r = check(
        """\
        claim: Max(x, y) = Max(y, x)
        cases:
          - given: x > y
            steps: ['Max(x, y)', 'Max(y, x)']
          - given: 2*x <= 2*y
            steps: ['Max(x, y)', 'Max(y, x)']
        """
    )
    assert r.status == "valid" and r.coverage is not None and r.coverage.complete


def test_file_level_given_is_the_universe() -> None:
    # under the file's x > 0, the cases x > 1 and x < 1 leave only x = 1 (not x <= 0);
    # and a step given x > 0 repeats the file's condition: it narrows nothing
    r = check(
        """\
        given: x > 0
        claim: Abs(x) = x
        cases:
          - given: x > 1
            steps:
              - Abs(x)
              - expr: x
                given: x > 0
          - given: x < 1
            steps: [Abs(x), x]
        """
    )
    assert r.status == "valid" and r.coverage is not None and r.coverage.complete
    assert [n.kind for n in r.coverage.notes] == ["coverage-gap"] and "x = 1" in r.coverage.notes[0].message
