"""Run benchmark commands side by side, each timed on its own (wall and CPU seconds).

The two sides of a comparison (derivcheck and the naive baseline, derivcheck and
Math-Verify) are independent single-threaded processes, so on a two-core machine
they can run at the same time, one core each, and the benchmark takes the longer
of the two instead of their sum.  Running them together needs per-process CPU
accounting: ``getrusage(RUSAGE_CHILDREN)`` sums every child reaped so far, and
would mix the two sides; each process here is reaped with ``os.wait4``, which
returns that process's own user + system seconds (with its reaped children's).

A *lane* is a list of jobs run one after another; the lanes run at the same time.
Results come back in the order the jobs were given, and a side that fails (non-zero
exit, stopped at its timeout, or could not start) is reported in its :class:`Side`,
never dropped or raised past the other side's result.
"""

from __future__ import annotations

import os
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Job:
    """One command to time."""

    label: str
    cmd: list[str]
    env: dict[str, str] | None = None
    timeout: float = 600.0
    cwd: Path | None = None  # default: the temporary directory, so a checkout in cwd never shadows the installed package


@dataclass
class Side:
    """What one job did: its wall and CPU seconds, exit code and output."""

    label: str
    cmd: list[str]
    wall: float = 0.0
    cpu: float = 0.0  # user + system seconds of the process and its reaped children
    returncode: int | None = None  # None: stopped at the timeout, or never started
    stdout: str = ""
    stderr: str = ""
    timed_out: bool = False
    error: str = ""  # why it could not start
    started: float = 0.0  # time.perf_counter() at its start and end, to tell what ran beside it
    ended: float = 0.0
    stray: int = 0  # processes of its group still running after it exited (stopped by the runner)

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and not self.timed_out and not self.error and not self.stray

    def failure(self) -> str:
        """A short reason this side failed ('' when it did not)."""
        if self.error:
            return f"{self.label}: could not start: {self.error}"
        if self.timed_out:
            return f"{self.label}: stopped after {self.wall:.0f} s (timeout)"
        if self.stray:
            return (f"{self.label}: left {self.stray} process(es) running after it exited (stopped; their CPU "
                    "seconds are not in its count)")
        if self.returncode != 0:
            tail = self.stderr.strip().splitlines()[-3:]
            return f"{self.label}: exit {self.returncode}" + (f": {' | '.join(tail)}" if tail else "")
        return ""


@dataclass
class _Running:
    """The processes started and not yet reaped, so an interrupted run can stop them."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    pids: set[int] = field(default_factory=set)

    def stop_all(self) -> None:
        with self.lock:
            for pid in self.pids:
                _kill_group(pid)


def _kill_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)  # its own session: the job's children go too
    except (ProcessLookupError, PermissionError):
        pass


def group_members(pgid: int) -> list[int]:
    """Live (not zombie) processes of process group ``pgid``, read from ``/proc``."""
    found = []
    try:
        entries = os.listdir("/proc")
    except OSError:
        return found
    for name in entries:
        if not name.isdigit():
            continue
        try:
            stat = Path(f"/proc/{name}/stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rfind(")") + 2:].split()  # after "pid (comm) ": state, ppid, pgrp, ...
        if len(fields) > 2 and fields[0] != "Z" and fields[2] == str(pgid):
            found.append(int(name))
    return found


def _strays(pgid: int, grace: float = 1.0) -> int:
    """How many of the group outlived its leader, after ``grace`` seconds to finish; those are stopped.

    A side's CPU seconds (from ``wait4``) include only the children it waited for: one
    that leaves workers running would look cheaper than it is, so that is a failure.
    """
    end = time.monotonic() + grace
    while True:
        members = group_members(pgid)
        if not members or time.monotonic() >= end:
            break
        time.sleep(0.05)
    if members:
        _kill_group(pgid)
    return len(members)


def run_one(job: Job, running: _Running | None = None) -> Side:
    """Run one job to its end (or its timeout) and time it."""
    running = running or _Running()
    side = Side(job.label, list(job.cmd))
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        try:
            proc = subprocess.Popen(job.cmd, stdout=out, stderr=err, stdin=subprocess.DEVNULL, env=job.env,
                                    cwd=job.cwd or tempfile.gettempdir(), start_new_session=True)
        except OSError as exc:
            side.error = str(exc)
            return side
        with running.lock:
            running.pids.add(proc.pid)
        done = threading.Event()
        timed_out = threading.Event()

        def stop() -> None:
            with running.lock:
                if not done.is_set():  # not yet reaped: the pid is still this job's
                    timed_out.set()
                    _kill_group(proc.pid)

        timer = threading.Timer(job.timeout, stop)
        timer.daemon = True
        timer.start()
        try:
            # wait for the exit without reaping, mark it done, then reap: the timer can
            # never signal a pid that has been reaped and reused
            os.waitid(os.P_PID, proc.pid, os.WEXITED | os.WNOWAIT)
            with running.lock:
                done.set()
                running.pids.discard(proc.pid)
            _, status, usage = os.wait4(proc.pid, 0)
        except BaseException:
            stop()  # interrupted while waiting: stop the job and reap it, then go on raising
            proc.wait()
            raise
        finally:
            timer.cancel()
        side.started, side.ended = start, time.perf_counter()
        side.wall = side.ended - start
        side.cpu = usage.ru_utime + usage.ru_stime
        proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here: Popen must not wait again
        side.timed_out = timed_out.is_set()
        side.returncode = None if side.timed_out else proc.returncode
        side.stray = 0 if side.timed_out else _strays(proc.pid)  # a timed-out group was killed whole
        out.seek(0)
        err.seek(0)
        side.stdout = out.read().decode("utf-8", "replace")
        side.stderr = err.read().decode("utf-8", "replace")
    return side


def run_lanes(lanes: Sequence[Sequence[Job]]) -> list[list[Side]]:
    """Run each lane's jobs in order, all lanes at once; the sides in the order given."""
    running = _Running()
    results: list[list[Side]] = [[] for _ in lanes]

    def lane(i: int) -> None:
        for job in lanes[i]:
            try:
                results[i].append(run_one(job, running))
            except Exception as exc:  # noqa: BLE001 - reported in the side, the other lanes go on
                results[i].append(Side(job.label, list(job.cmd), error=f"{type(exc).__name__}: {exc}"))

    threads = [threading.Thread(target=lane, args=(i,), daemon=True) for i in range(len(lanes))]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    except BaseException:
        running.stop_all()  # interrupted: leave no benchmark process behind
        raise
    return results


def run_pair(a: Job, b: Job) -> tuple[Side, Side]:
    """The two sides of one comparison at the same time, one process each."""
    (sa,), (sb,) = run_lanes([[a], [b]])
    return sa, sb


def beside(side: Side, others: Sequence[Side]) -> float:
    """The fraction of ``side``'s wall time during which at least one of ``others`` ran."""
    spans = sorted((max(o.started, side.started), min(o.ended, side.ended)) for o in others if o is not side)
    covered, reach = 0.0, side.started
    for lo, hi in spans:
        lo = max(lo, reach)
        if hi > lo:
            covered += hi - lo
            reach = hi
    return covered / side.wall if side.wall > 0 else 0.0
