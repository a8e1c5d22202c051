"""special-case is true of the whole step: every size, every value tried of every symbol."""

from __future__ import annotations

import pytest

from .helpers import SEEDS, mp_at, mp_equal, sigma, step_diagnoses


@pytest.mark.parametrize("seed", SEEDS)
def test_no_only_when_false_at_another_size(seed: int) -> None:
    # proof in the fixture: at K = 3 and t = 1 the difference is x[3], not 0
    found = step_diagnoses("special_false_at_other_size.yaml", 2, seed)
    assert "special-case" not in found


def test_false_at_another_size_truth() -> None:
    # t = 1, K = 3: previous = x1 + x2 + x3, this = x1 + x2, differ by x3 = 2/9 at this point
    prev = mp_at(lambda x1, x2, x3: x1 + x2 + x3, x1="1/3", x2="-4/5", x3="2/9")
    cur = mp_at(lambda x1, x2: x1 + x2, x1="1/3", x2="-4/5")
    assert not mp_equal(prev, cur)


@pytest.mark.parametrize("seed", SEEDS)
def test_two_values_listed_without_only(seed: int) -> None:
    # previous - this = -x*(1 - t)*(1 - u): 0 when t = 1 or u = 1; x = 0 makes both steps 0
    message, _ = step_diagnoses("special_two_values.yaml", 2, seed)["special-case"]
    assert message == "holds when t = 1 or u = 1 (apart from x = 0, where both steps are 0), and not in general"
    assert "only" not in message


def test_two_values_truth() -> None:
    step = lambda x, t, u: x * (t + u - t * u)
    for t, u, holds in (("1", "0", True), ("0", "1", True), ("0", "0", False)):
        prev = mp_at(step, x="7/3", t=t, u=u)
        assert mp_equal(prev, mp_at(lambda x: x, x="7/3")) is holds


@pytest.mark.parametrize("seed", SEEDS)
def test_indexed_symbol_named_by_its_free_index(seed: int) -> None:
    # previous - this = (t[k] - 1)*w*x[k] at every K, k: named t[k], never t[1] or t[2]
    message, _ = step_diagnoses("special_indexed_general.yaml", 2, seed)["special-case"]
    assert message.startswith("holds only when t[k] = 1 (apart from ")
    assert message.endswith("— a factor t[k] is likely missing")
    assert "t[1]" not in message and "t[2]" not in message


@pytest.mark.parametrize("seed", SEEDS)
def test_student_message_names_the_value_that_zeroes_both_steps(seed: int) -> None:
    # the seed's student step: (-1/y + (1 - t)/(1 - y))*y*(1 - y)*x_j against the correct
    # (-t/y + (1 - t)/(1 - y))*y*(1 - y)*x_j; at x_j = 0 both are 0, at t = 1 they agree
    message, _ = step_diagnoses("student_chain_rule.yaml", 3, seed)["special-case"]
    assert message == "holds only when t = 1 (apart from x_j = 0, where both steps are 0) — a factor t is likely missing"


def test_student_truth() -> None:
    def right(t, xj, z):
        y = sigma(z)
        return (-t / y + (1 - t) / (1 - y)) * y * (1 - y) * xj

    def wrong(t, xj, z):
        y = sigma(z)
        return (-1 / y + (1 - t) / (1 - y)) * y * (1 - y) * xj

    assert mp_equal(mp_at(right, t="1", xj="3/2", z="1/3"), mp_at(wrong, t="1", xj="3/2", z="1/3"))
    assert not mp_equal(mp_at(right, t="0", xj="3/2", z="1/3"), mp_at(wrong, t="0", xj="3/2", z="1/3"))
    assert mp_at(right, t="0", xj="0", z="1/3") == 0 == mp_at(wrong, t="0", xj="0", z="1/3")
