"""`derivcheck grade --executor dask` (SPEC §9, issue 17): the same bytes as a local run, faults, no Dask when not asked for.

Ground truth: the local executor's outputs (every file, byte for byte), and the scores of
tests/data/grading/small/key.yaml worked out by hand in its header comment.
"""

from __future__ import annotations

import importlib.util
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from derivcheck.grading import batch as G
from derivcheck.grading.key import discover, load_key

ROOT = Path(__file__).resolve().parents[1]
SMALL = ROOT / "tests" / "data" / "grading" / "small"
INT305 = ROOT / "examples" / "int305"

#: the scores of tests/data/grading/small by hand (its key's header comment)
BY_HAND = (
    "student,q1,q2,q3,total\n"
    "broken,0,0,,0\n"
    "good,10,6,,16\n"
    "good_copy,10,6,,16\n"
    "md,10,0,,10\n"
    "sign,2.5,6,,8.5\n"
    "slip,10,5.4,,15.4\n"
    "élève-7,10,1.5,,11.5\n"
)


def grade_cli(*args: str, cwd: Path = ROOT, timeout: float = 900) -> subprocess.CompletedProcess:
    env = {**os.environ, "NO_COLOR": "1"}
    return subprocess.run([sys.executable, "-m", "derivcheck", "grade", *args], cwd=cwd, check=False, capture_output=True, text=True,
                          timeout=timeout, env=env)


def files_of(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def assert_same_outputs(a: Path, b: Path) -> None:
    fa, fb = files_of(a), files_of(b)
    assert sorted(fa) == sorted(fb)
    different = [name for name in fa if fa[name] != fb[name]]
    assert not different, f"differ: {different[:5]}"
    assert not [n for n in fa if n.endswith(".tmp")], "a temporary file was left behind"


@pytest.fixture(scope="module")
def local_small(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("local") / "out"
    proc = grade_cli(str(SMALL / "key.yaml"), str(SMALL / "submissions"), "--out", str(out), "--jobs", "2")
    assert proc.returncode == 0, proc.stderr
    assert (out / "grades.csv").read_text(encoding="utf-8") == BY_HAND
    return out


# -- without Dask -------------------------------------------------------------------------


def test_local_executor_never_imports_dask(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "from pathlib import Path\n"
        "from derivcheck.grading.outputs import run_grade\n"
        f"rc = run_grade(Path({str(SMALL / 'key.yaml')!r}), Path({str(SMALL / 'submissions')!r}), Path({str(tmp_path / 'out')!r}), jobs=1, progress=False)\n"
        "assert rc == 0, rc\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('dask', 'distributed'))\n"
        "assert not bad, bad\n"
        "print('ok')\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], check=False, capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert proc.returncode == 0 and proc.stdout.strip() == "ok", proc.stderr[-2000:]
    assert (tmp_path / "out" / "grades.csv").read_text(encoding="utf-8") == BY_HAND


def test_missing_dask_says_what_to_install(tmp_path: Path) -> None:
    # a Python in which `import distributed` fails, as it does without the extra
    blocker = tmp_path / "block"
    blocker.mkdir()
    (blocker / "distributed.py").write_text("raise ImportError('No module named distributed', name='distributed')\n")
    env = {**os.environ, "PYTHONPATH": str(blocker) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    proc = subprocess.run(
        [sys.executable, "-m", "derivcheck", "grade", str(SMALL / "key.yaml"), str(SMALL / "submissions"), "--out", str(tmp_path / "out"),
         "--executor", "dask"], check=False, capture_output=True, text=True, timeout=300, env=env, cwd=ROOT)
    assert proc.returncode == 2
    assert "install derivcheck-cli[dask]" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "out" / "grades.csv").exists()


def test_scheduler_without_dask_executor_is_a_usage_error(tmp_path: Path) -> None:
    proc = grade_cli(str(SMALL / "key.yaml"), str(SMALL / "submissions"), "--out", str(tmp_path / "o"), "--scheduler", "tcp://127.0.0.1:1")
    assert proc.returncode == 2 and "--executor dask" in proc.stderr


def test_batch_size() -> None:
    from derivcheck.grading.dask import MAX_BATCH, batch_size

    assert batch_size(2000, 2) == MAX_BATCH
    assert batch_size(40, 2) == 3
    assert batch_size(1, 8) == 1
    assert all(1 <= batch_size(n, w) <= MAX_BATCH for n in range(1, 300, 7) for w in (1, 2, 5, 64))


# -- with Dask ----------------------------------------------------------------------------

HAS_DASK = importlib.util.find_spec("distributed") is not None
#: skipped only where Dask's distributed cannot be imported (the test extra installs it)
needs_dask = pytest.mark.skipif(not HAS_DASK, reason="dask[distributed] is not installed")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Pair:
    """A real `dask scheduler` and `dask worker` on 127.0.0.1, as subprocesses; always stopped."""

    def __init__(self, tmp: Path, nworkers: int = 1) -> None:
        self.port = free_port()
        self.address = f"tcp://127.0.0.1:{self.port}"
        self.procs: list[subprocess.Popen] = []
        dask_cmd = [sys.executable, "-m", "distributed.cli.dask_scheduler"]
        self.scheduler = self._start([*dask_cmd, "--host", "127.0.0.1", "--port", str(self.port), "--no-dashboard"], tmp / "scheduler.log")
        self.worker = self._start(
            [sys.executable, "-m", "distributed.cli.dask_worker", self.address, "--nworkers", str(nworkers), "--nthreads", "1",
             "--no-dashboard", "--host", "127.0.0.1", "--local-directory", str(tmp / "dask-worker")],
            tmp / "worker.log",
        )
        import distributed

        with distributed.Client(self.address, timeout=60) as client:
            client.wait_for_workers(nworkers, timeout=120)

    def _start(self, cmd: list[str], log: Path) -> subprocess.Popen:
        proc = subprocess.Popen(cmd, stdout=log.open("w"), stderr=subprocess.STDOUT, start_new_session=True, cwd=ROOT)
        self.procs.append(proc)
        return proc

    def stop_scheduler(self) -> None:
        self._kill(self.scheduler)

    @staticmethod
    def _kill(proc: subprocess.Popen) -> None:
        if proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        proc.wait(timeout=30)

    def close(self) -> None:
        for proc in reversed(self.procs):
            self._kill(proc)


@pytest.fixture
def pair(tmp_path: Path):
    p = Pair(tmp_path)
    try:
        yield p
    finally:
        p.close()


@needs_dask
@pytest.mark.slow
def test_local_cluster_same_bytes_as_local(local_small: Path, tmp_path: Path) -> None:
    out = tmp_path / "dask"
    proc = grade_cli(str(SMALL / "key.yaml"), str(SMALL / "submissions"), "--out", str(out), "--jobs", "2", "--executor", "dask")
    assert proc.returncode == 0, proc.stderr
    assert_same_outputs(local_small, out)


@needs_dask
@pytest.mark.slow
def test_scheduler_worker_pair_same_bytes_as_local(pair: Pair, local_small: Path, tmp_path: Path) -> None:
    out = tmp_path / "dask"
    proc = grade_cli(str(SMALL / "key.yaml"), str(SMALL / "submissions"), "--out", str(out), "--executor", "dask", "--scheduler", pair.address)
    assert proc.returncode == 0, proc.stderr
    assert_same_outputs(local_small, out)


@needs_dask
@pytest.mark.slow
def test_int305_on_a_pair_same_bytes_as_local(pair: Pair, tmp_path: Path) -> None:
    """The repository's own grading example (Markdown and YAML submissions, an unreadable one), other seed."""
    local, dask = tmp_path / "local", tmp_path / "dask"
    common = [str(INT305 / "key.yaml"), str(INT305 / "submissions"), "--seed", "7"]
    a = grade_cli(*common, "--out", str(local), "--jobs", "1")
    b = grade_cli(*common, "--out", str(dask), "--executor", "dask", "--scheduler", pair.address)
    assert a.returncode == 0 and b.returncode == 0, (a.stderr, b.stderr)
    assert_same_outputs(local, dask)


@needs_dask
@pytest.mark.slow
def test_killed_worker_costs_a_retry_never_a_submission() -> None:
    """Kill a worker process mid-batch: every submission is still graded exactly once, with the local grades."""
    key = load_key(SMALL / "key.yaml")
    subs, _ = discover(SMALL / "submissions")
    from derivcheck.grading.dask import grade_batch_dask

    local, _ = G.grade_batch(key, subs, G.BatchOptions(jobs=1))
    seen: list[str] = []
    killed: list[int] = []
    holder: dict[str, object] = {}

    def started(client: object) -> None:
        holder["client"] = client

    def done(g: G.SubmissionGrade) -> None:
        seen.append(g.student)
        if not killed:
            client = holder["client"]
            pids = client.run(os.getpid)  # type: ignore[attr-defined]
            busy = [addr for addr, tasks in client.processing().items() if tasks]  # type: ignore[attr-defined]
            victim = pids[busy[0]] if busy else next(iter(pids.values()))
            os.kill(victim, signal.SIGKILL)
            killed.append(victim)

    grades, _ = grade_batch_dask(key, subs, G.BatchOptions(jobs=2), done, batch=1, on_started=started)
    assert killed
    assert sorted(seen) == sorted(s for s, _ in subs) and len(seen) == len(set(seen))
    assert [g.student for g in grades] == [g.student for g in local]
    assert [(g.total, g.error is None) for g in grades] == [(g.total, g.error is None) for g in local]


@needs_dask
@pytest.mark.slow
def test_lost_scheduler_is_a_clear_error_and_leaves_complete_files(pair: Pair, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    from derivcheck.grading import outputs as gradeout

    out = tmp_path / "out"
    real = gradeout.FeedbackWriter.__call__

    def write_then_lose(self: gradeout.FeedbackWriter, g: G.SubmissionGrade) -> None:
        real(self, g)
        if len(self.written) == 1:
            pair.stop_scheduler()

    monkeypatch.setattr(gradeout.FeedbackWriter, "__call__", write_then_lose)
    # one submission per batch, so that work is still out when the scheduler goes
    monkeypatch.setattr("derivcheck.grading.dask.MAX_BATCH", 1)
    started = time.monotonic()
    rc = gradeout.run_grade(SMALL / "key.yaml", SMALL / "submissions", out, executor="dask", scheduler=pair.address, progress=False)
    err = capsys.readouterr().err
    assert rc == 2
    assert "lost the connection to the Dask scheduler at " + pair.address in err
    assert "Traceback" not in err
    assert time.monotonic() - started < 600
    assert not (out / "grades.csv").exists()
    written = sorted(p.name for p in (out / "feedback").iterdir())
    assert written and not [n for n in written if n.startswith(".") or n.endswith(".tmp")]
    local, _ = G.grade_batch(load_key(SMALL / "key.yaml"), discover(SMALL / "submissions")[0], G.BatchOptions(jobs=1))
    by_name = {f"{g.student}.md": gradeout.feedback_md(load_key(SMALL / "key.yaml"), g) for g in local}
    for name in written:
        if name.endswith(".md"):
            assert (out / "feedback" / name).read_text(encoding="utf-8") == by_name[name]


def test_a_worker_that_cannot_see_the_files_says_so(tmp_path: Path) -> None:
    from derivcheck.grading.dask import grade_chunk

    key = load_key(SMALL / "key.yaml")
    with pytest.raises(FileNotFoundError, match="cannot be read on this Dask worker"):
        grade_chunk(key, [("ghost", "ghost.yaml")], G.BatchOptions(workdir=str(tmp_path)), "token")
    with pytest.raises(FileNotFoundError, match="does not exist on this Dask worker"):
        grade_chunk(key, [("ghost", "ghost.yaml")], G.BatchOptions(workdir=str(tmp_path / "nowhere")), "token")


@needs_dask
@pytest.mark.slow
def test_unreachable_scheduler_is_a_clear_error(tmp_path: Path) -> None:
    port = free_port()  # nothing listens there
    proc = grade_cli(str(SMALL / "key.yaml"), str(SMALL / "submissions"), "--out", str(tmp_path / "o"), "--executor", "dask",
                     "--scheduler", f"tcp://127.0.0.1:{port}")
    assert proc.returncode == 2
    assert f"cannot connect to the Dask scheduler at tcp://127.0.0.1:{port}" in proc.stderr
    assert "Traceback" not in proc.stderr and not (tmp_path / "o" / "grades.csv").exists()


def test_batches_cover_every_submission_once() -> None:
    from derivcheck.grading.dask import _chunks

    for n in (1, 7, 100, 2000):
        todo = [(f"s{i}", f"s{i}.yaml") for i in range(n)]
        for size, first in ((50, 4), (1, 4), (3, 0), (16, 100)):
            chunks = _chunks(todo, size, first)
            assert [x for c in chunks for x in c] == todo
            assert all(1 <= len(c) <= size for c in chunks)
