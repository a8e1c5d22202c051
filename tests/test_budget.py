"""Budgets count CPU time (derivcheck.budget): a busy machine must not change a verdict.

Waiting (what a process does when other work has the cores) costs no budget;
computing does, and is interrupted wherever it is.
"""

from __future__ import annotations

import time

import pytest

from derivcheck.budget import Budget, Timeout, clock, time_limit


def burn(seconds: float) -> None:
    started = time.process_time()
    while time.process_time() - started < seconds:
        sum(range(1000))


def test_waiting_costs_no_budget() -> None:
    budget = Budget(0.3)
    time.sleep(0.4)  # the process is descheduled, as on a loaded machine
    assert budget.remaining() > 0
    budget.check()


def test_a_limit_is_not_reached_by_waiting() -> None:
    with time_limit(0.2):
        time.sleep(0.4)


def test_a_limit_interrupts_computation() -> None:
    started = clock()
    with pytest.raises(Timeout):
        with time_limit(0.1):
            burn(5)
    assert clock() - started < 2


def test_nested_limits_keep_the_earliest() -> None:
    with pytest.raises(Timeout):
        with time_limit(5):
            with time_limit(0.1):
                burn(3)
    # the outer limit is restored after the inner one ends
    with time_limit(0.2):
        burn(0.05)
