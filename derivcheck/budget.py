"""Time budgets that interrupt SymPy wherever it is.

A SIGALRM timer raises :class:`Timeout` inside whatever computation is running.
Signals are delivered only to the main thread, so derivcheck runs every check in
a main thread: the CLI's own, or the main thread of a worker *process* when
grading in parallel.  Elsewhere (a thread of someone else's program) the budget
is checked cooperatively between phases instead.
"""

from __future__ import annotations

import signal
import threading
import time
from contextlib import contextmanager
from typing import Iterator


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
        self.deadline = time.monotonic() + seconds

    def remaining(self) -> float:
        return self.deadline - time.monotonic()

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
    """Raise :class:`Timeout` in the body after ``seconds`` (nested limits keep the earliest)."""
    if not _can_alarm():
        start = time.monotonic()
        yield
        if time.monotonic() - start > seconds:
            raise Timeout()
        return

    def _raise(signum: int, frame: object) -> None:
        raise Timeout()

    previous_handler = signal.getsignal(signal.SIGALRM)
    previous_delay, _ = signal.getitimer(signal.ITIMER_REAL)
    started = time.monotonic()
    if previous_delay and previous_delay < seconds:
        seconds = previous_delay
    signal.signal(signal.SIGALRM, _raise)
    signal.setitimer(signal.ITIMER_REAL, max(seconds, 0.001))
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous_handler)
        if previous_delay:
            left = previous_delay - (time.monotonic() - started)
            signal.setitimer(signal.ITIMER_REAL, max(left, 0.001))
