"""Grading on a Dask cluster (``derivcheck grade --executor dask``, SPEC §9).

The cluster is Dask's own (a ``LocalCluster`` here, or ``dask scheduler`` plus
``dask worker`` processes, SLURM through dask-jobqueue...); derivcheck only ships work
to it. How:

- Submissions go out in batches (:func:`batch_size`), one task per batch: a task per
  transition would drown the scheduler, one per submission would still cost about a
  millisecond of scheduler time each, and a batch is also what a lost worker costs.
- The key goes to the cluster once, as a task of its own that every batch depends on
  (the scheduler can recompute it if the worker holding it dies, which scattered data
  it could not).
- On a worker, a batch is graded by :func:`derivcheck.grading.batch.grade_batch` with one
  grading process: the same process, deadline and memory limit as a local run. A
  runaway submission is stopped there by killing that child process, never the Dask
  worker; the grading process and the cache of verdicts stay with the Dask worker
  from one batch to the next.
- Results come back batch by batch as they complete (``as_completed``): the progress
  bar and the feedback pages advance as in a local run, and since sampling is seeded
  by content the outputs are the same bytes.
- A worker that dies costs a retry of its batch (the scheduler's). A batch that lost
  its worker twice (``allowed-failures``) is split into one task per submission, and a
  submission that again stops workers is graded 0 with the reason. A lost scheduler
  raises :class:`DaskLost`, with a message that says what to do.

Dask is imported only here, and only when this executor is chosen
(``pip install 'derivcheck-cli[dask]'``).
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import math
import os
import pickle
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from .batch import (
    BatchOptions,
    BatchStats,
    SubmissionGrade,
    failed_submission,
    grade_batch,
)
from .key import Key

#: Batches per worker the work is cut into, at most (enough to keep every worker busy to
#: the end and to make a lost worker cost little), and the bounds of a batch's size.
BATCHES_PER_WORKER = 8
MAX_BATCH = 50
#: Batches queued per worker at once: one running, one waiting, so that a worker never
#: waits for the command to hand it the next.
IN_FLIGHT = 2
#: Seconds to wait for a scheduler given by address.
CONNECT_TIMEOUT = 20

#: Task names (a batch; a submission of a batch that stopped workers, alone), for the dashboard.
BATCH_TASK = "derivcheck-batch"
SINGLE_TASK = "derivcheck-alone"

INSTALL_HINT = "install derivcheck-cli[dask] (pip install 'derivcheck-cli[dask]')"


class DaskUnavailable(RuntimeError):
    """``--executor dask`` without Dask installed, or a scheduler that cannot be reached."""


class DaskLost(RuntimeError):
    """The connection to the scheduler was lost mid-batch."""


def batch_size(submissions: int, workers: int) -> int:
    """Submissions per task: about BATCHES_PER_WORKER batches per worker, between 1 and MAX_BATCH.

    2,000 submissions on 2 workers: batches of 50 (40 tasks); 40 on 2 workers: 3.
    """
    return max(1, min(MAX_BATCH, math.ceil(submissions / (max(1, workers) * BATCHES_PER_WORKER))))


def _distributed() -> Any:
    try:
        import distributed
    except ImportError as e:
        raise DaskUnavailable(f"--executor dask needs Dask's distributed scheduler, which is not installed: {INSTALL_HINT}") from e
    return distributed


# -- the worker side ----------------------------------------------------------------------

#: per Dask worker process: the batch token -> (grading processes kept idle, cache entries)
_STATE: dict[str, tuple[list[Any], list[tuple[str, bytes]], set[str]]] = {}
_STATE_LOCK = threading.Lock()


@contextmanager
def _children_allowed() -> Iterator[None]:
    """Let this process start grading processes, though Dask runs it as a daemon.

    multiprocessing refuses children to a daemon process because it may be ended
    without a chance to stop them; :func:`grade_batch` stops or keeps track of every
    child it starts, and its children die with their parent's pipe.
    """
    import multiprocessing.process as mpp

    config = mpp.current_process()._config  # no public switch exists
    was = config.get("daemon")
    config["daemon"] = False
    try:
        yield
    finally:
        if was is not None:
            config["daemon"] = was


def _identity(value: Any) -> Any:
    return value


def grade_chunk(
    key: Key, chunk: list[tuple[str, str]], options: BatchOptions, token: str, entries: Sequence[tuple[str, bytes]] = ()
) -> tuple[list[SubmissionGrade], BatchStats, list[tuple[str, bytes]], str]:
    """A task: grade one batch on this worker, in a grading process kept from batch to batch.

    ``entries``: cache entries other workers computed, which this one may not have yet.
    Returns the grades, the statistics, the entries this batch computed (for the other
    workers) and this worker's address.
    """
    from .batch import _mp_context

    if options.workdir and not os.path.isdir(options.workdir):
        raise FileNotFoundError(f"the folder {options.workdir} does not exist on this Dask worker")
    missing = [p for _, p in chunk if not os.path.exists(os.path.join(options.workdir or "", p))]
    if missing:
        raise FileNotFoundError(f"{missing[0]} cannot be read on this Dask worker")
    method = "forkserver"
    ctx = _mp_context(method)
    if ctx.get_start_method() == "forkserver":
        ctx.set_forkserver_preload(["derivcheck.grading.batch", "derivcheck.checker", "derivcheck.grading.outputs", "derivcheck.formats.html",
                                    "derivcheck.formats.mathml", "latex2mathml.converter"])
    with _STATE_LOCK:
        for other in [t for t in _STATE if t != token]:  # another grading run: its processes go
            for w in _STATE.pop(other)[0]:
                w.stop()
        pool, shared, known = _STATE.setdefault(token, ([], [], set()))
        mine = [pool.pop()] if pool else []  # one grading process per running task
        for entry in entries:
            if entry[0] not in known:
                known.add(entry[0])
                shared.append(entry)
    opts = dataclasses.replace(options, jobs=1, start_method=ctx.get_start_method())
    start = len(shared)
    with _children_allowed():
        grades, stats = grade_batch(key, [(s, Path(p)) for s, p in chunk], opts, shared=shared, pool=mine)
    with _STATE_LOCK:
        pool.extend(mine)
        new = [e for e in shared[start:] if e[0] not in known]
        known.update(k for k, _ in new)
    return grades, stats, new, _worker_address()


def _worker_address() -> str:
    try:
        from distributed import get_worker

        return str(get_worker().address)
    except (ImportError, ValueError):  # called outside a Dask worker (tests)
        return ""


# -- the driver ---------------------------------------------------------------------------


def _chunks(todo: list[tuple[str, str]], size: int, first: int) -> list[list[tuple[str, str]]]:
    """Batches of ``size``, except the ``first`` ones, an eighth as large.

    The first batches run before any worker has heard of the others' results; small,
    they make the workers share their cache soon (a class repeats itself most at first).
    """
    out: list[list[tuple[str, str]]] = []
    i = 0
    while i < len(todo):
        n = max(1, size // 8) if len(out) < first else size
        out.append(todo[i:i + n])
        i += n
    return out



def _token(key: Key, options: BatchOptions) -> str:
    """Which grading processes and cache entries a batch may reuse: same key, same options."""
    blob = pickle.dumps((key, dataclasses.replace(options, render=None, setup=None)), protocol=pickle.HIGHEST_PROTOCOL)
    names = (getattr(options.render, "__qualname__", ""), getattr(options.setup, "__qualname__", ""))
    return hashlib.sha256(blob + repr(names).encode()).hexdigest()[:24]


def _is_lost(err: BaseException) -> bool:
    """A lost scheduler connection, as distributed reports it (the names vary by version)."""
    names = {t.__name__ for t in type(err).__mro__}
    return bool(names & {"CommClosedError", "CancelledError", "FutureCancelledError", "TimeoutError", "OSError", "StreamClosedError"})


def grade_batch_dask(
    key: Key,
    submissions: list[tuple[str, Path]],
    options: BatchOptions,
    on_done: Callable[[SubmissionGrade], None] | None = None,
    scheduler: str | None = None,
    batch: int | None = None,
    check_only: bool = False,
    cluster_options: dict[str, Any] | None = None,
    on_started: Callable[[Any], None] | None = None,
) -> tuple[list[SubmissionGrade], BatchStats]:
    """Grade every submission on a Dask cluster; the same results, in the same order, as :func:`grade_batch`.

    ``scheduler``: an address (``tcp://host:8786``); None starts a ``LocalCluster`` of
    ``options.jobs`` worker processes for the run. ``check_only``: only check that Dask
    can be imported. ``on_started``: called with the client once work is submitted
    (tests use it to kill a worker mid-batch).
    """
    distributed = _distributed()
    if check_only:
        return [], BatchStats()
    import dask

    started = time.monotonic()
    stats = BatchStats()
    if not submissions:
        return [], stats
    options = dataclasses.replace(options, workdir=options.workdir or os.getcwd())
    cluster = None
    # a batch that stopped two workers is split up (a local cluster's scheduler reads this);
    # the workers of a local cluster skip Dask's sampling profiler (a few % of a core each)
    with dask.config.set({"distributed.scheduler.allowed-failures": 1, "distributed.worker.profile.enabled": False}):
        try:
            if scheduler is None:
                jobs = max(1, options.jobs or os.cpu_count() or 1)
                cluster = distributed.LocalCluster(
                    n_workers=jobs, threads_per_worker=1, processes=True, dashboard_address=None,
                    silence_logs=logging.CRITICAL, **(cluster_options or {}),
                )
                client = distributed.Client(cluster)
            else:
                client = distributed.Client(scheduler, timeout=CONNECT_TIMEOUT)
        except (OSError, TimeoutError, RuntimeError) as e:  # RuntimeError: a local cluster's worker did not start
            if cluster is not None:
                cluster.close()
            where = f"the Dask scheduler at {scheduler}" if scheduler else "a local Dask cluster"
            raise DaskUnavailable(f"cannot connect to {where}: {e}") from e
        try:
            return _run(distributed, client, key, submissions, options, on_done, batch, stats, started, scheduler, on_started)
        finally:
            _close(client, cluster)


def _close(client: Any, cluster: Any) -> None:
    for thing in (client, cluster):
        if thing is None:
            continue
        try:
            thing.close(timeout=10) if thing is client else thing.close()
        except Exception:  # noqa: BLE001, S110 - closing after a lost scheduler may fail; nothing is left to save
            pass


def _run(
    distributed: Any, client: Any, key: Key, submissions: list[tuple[str, Path]], options: BatchOptions,
    on_done: Callable[[SubmissionGrade], None] | None, batch: int | None, stats: BatchStats, started: float,
    scheduler: str | None, on_started: Callable[[Any], None] | None,
) -> tuple[list[SubmissionGrade], BatchStats]:
    where = f"the Dask scheduler at {scheduler}" if scheduler else "the local Dask cluster"
    try:
        workers = len(client.scheduler_info().get("workers", {})) or max(1, options.jobs or 1)
        size = batch or batch_size(len(submissions), workers)
        token = _token(key, options)
        run = uuid.uuid4().hex[:8]
        key_future = client.submit(_identity, key, key=f"derivcheck-key-{run}")  # the key, sent once
        chunks = deque(_chunks([(s, str(p)) for s, p in submissions], size, IN_FLIGHT * workers))
        pending: dict[Any, tuple[list[tuple[str, str]], bool]] = {}
        # Batches go out a few at a time, each to the worker that just finished one, with
        # the cache entries the other workers computed since that worker last heard: the
        # workers share one cache, as the local executor's processes do.
        shared: list[tuple[str, bytes]] = []
        heard: dict[str, int] = {}  # worker address -> how much of ``shared`` it has
        numbered = iter(range(10**9))

        def send(worker: str | None) -> None:
            if not chunks:
                return
            chunk = chunks.popleft()
            since = heard.get(worker, 0) if worker else len(shared)
            extra = {"workers": [worker], "allow_other_workers": True} if worker else {}
            f = client.submit(grade_chunk, key_future, chunk, options, token, shared[since:] if worker else [],
                              key=f"{BATCH_TASK}-{run}-{next(numbered)}", **extra)
            if worker:
                heard[worker] = len(shared)
            pending[f] = (chunk, False)
            queue.add(f)

        queue = distributed.as_completed([])
        for _ in range(IN_FLIGHT * workers):
            send(None)
        if on_started is not None:
            on_started(client)
    except Exception as e:
        if _is_lost(e):
            raise DaskLost(f"lost the connection to {where} ({type(e).__name__}: {e})") from e
        raise
    results: dict[str, SubmissionGrade] = {}

    def finish(g: SubmissionGrade) -> None:
        if g.student in results:  # a retried batch: each submission is graded once
            return
        results[g.student] = g
        if on_done:
            on_done(g)

    for fut in queue:
        chunk, single = pending.pop(fut)
        try:
            grades, st, new, worker = fut.result()
        except distributed.KilledWorker:
            stats.crashed += 1
            if single:
                student, path = chunk[0]
                finish(failed_submission(student, path, key, f"{path}: grading this submission stopped Dask workers twice "
                                                              "(killed, or out of memory); graded 0"))
                continue
            send(None)  # keep the others busy
            for j, sub in enumerate(chunk):  # which submission was it? each alone
                f = client.submit(grade_chunk, key_future, [sub], options, token, key=f"{SINGLE_TASK}-{run}-{fut.key}-{j}")
                pending[f] = ([sub], True)
                queue.add(f)
            continue
        except FileNotFoundError as e:
            raise DaskUnavailable(f"the Dask workers cannot read the submissions ({e}): they must see this machine's "
                                  f"files at the same paths (a shared filesystem; see docs/grading.md)") from e
        except ImportError as e:  # the task could not be unpickled: derivcheck missing on the worker
            raise DaskUnavailable(f"the Dask workers cannot run derivcheck's grading ({type(e).__name__}: {e}): "
                                  "install the same derivcheck-cli version on every worker") from e
        except Exception as e:
            if _is_lost(e):
                raise DaskLost(f"lost the connection to {where} ({type(e).__name__}: {e})") from e
            raise DaskUnavailable(f"a grading batch failed on a Dask worker ({type(e).__name__}: {e})") from e
        if not single:
            up_to_date = worker and heard.get(worker, 0) == len(shared)
            shared.extend(new)
            if up_to_date:  # what it computed itself it has
                heard[worker] = len(shared)
            try:
                send(worker or None)
            except Exception as e:
                if _is_lost(e):
                    raise DaskLost(f"lost the connection to {where} ({type(e).__name__}: {e})") from e
                raise
        for name in ("cache_hits", "cache_misses", "timed_out", "crashed", "workers_started"):
            setattr(stats, name, getattr(stats, name) + getattr(st, name))
        for g in grades:
            finish(g)
    if len(results) != len(submissions):  # pragma: no cover - as_completed returned early: the scheduler went away
        raise DaskLost(f"lost the connection to {where}: {len(results)} of {len(submissions)} submissions came back")
    stats.seconds = time.monotonic() - started
    return [results[s] for s, _ in sorted(submissions)], stats
