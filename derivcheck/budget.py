"""Time budgets that interrupt SymPy wherever it is.

Budgets count the process's CPU time, not the wall clock: on a machine busy with
other work a transition gets the same computation as on an idle one, so its
verdict does not depend on the load (a wall-clock budget turned correct steps
into timeouts under a load of 8 on 2 cores). A profiling timer (SIGPROF, which
counts user and system CPU time) raises :class:`Timeout` inside whatever
computation is running.
Signals are delivered only to the main thread, so derivcheck runs every check in
a main thread: the CLI's own, or the main thread of a worker *process* when
grading in parallel.  Elsewhere (a thread of someone else's program) the budget
is checked cooperatively between phases instead.
"""

from __future__ import annotations

import signal
import threading
import time

#: The clock budgets are counted in: CPU seconds of this process.
clock = time.process_time
from collections.abc import Iterator
from contextlib import contextmanager


class Timeout(Exception):
    """The time budget of a transition ran out."""

    #: how many were raised in this process: a result checked while one fired depends
    #: on the machine's load, and the result cache does not keep it
    raised = 0

    def __init__(self, *args: object) -> None:
        Timeout.raised += 1
        super().__init__(*args)


def _can_alarm() -> bool:
    return hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()


class Budget:
    """A deadline; ``check()`` raises :class:`Timeout` once it has passed."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.deadline = clock() + seconds

    def remaining(self) -> float:
        return self.deadline - clock()

    def check(self) -> None:
        if self.remaining() <= 0:
            raise Timeout()

    @contextmanager
    def enforce(self, fraction: float = 1.0) -> Iterator[None]:
        """Run the body with a hard limit of ``fraction`` of what remains."""
        seconds = self.remaining() * fraction
        if seconds <= 0:
            raise Timeout()
        with time_limit(seconds):
            yield


@contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Raise :class:`Timeout` in the body after ``seconds`` of CPU time (nested limits keep the earliest)."""
    if not _can_alarm():
        start = clock()
        yield
        if clock() - start > seconds:
            raise Timeout()
        return

    def _raise(signum: int, frame: object) -> None:
        raise Timeout()

    previous_handler = signal.getsignal(signal.SIGPROF)
    previous_delay, _ = signal.getitimer(signal.ITIMER_PROF)
    started = clock()
    if previous_delay and previous_delay < seconds:
        seconds = previous_delay
    signal.signal(signal.SIGPROF, _raise)
    signal.setitimer(signal.ITIMER_PROF, max(seconds, 0.001))
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)
        signal.signal(signal.SIGPROF, previous_handler)
        if previous_delay:
            left = previous_delay - (clock() - started)
            signal.setitimer(signal.ITIMER_PROF, max(left, 0.001))
