"""The benchmark's concurrent runner (bench/lanes.py) and the judgements built on it.

The runner's truth comes from outside it: each child reports what the kernel says
about itself (``resource.getrusage(RUSAGE_SELF)``, a lower bound on the CPU seconds
``wait4`` must return for it), files that a child can only find if another ran before
it or beside it, and exit codes chosen by the test.  No test asserts a duration.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))

import lanes
import targets
from lanes import Job, Side

PY = sys.executable

#: burns CPU until the kernel counts ``float(argv[1])`` seconds for this process, then prints that count
BURN = (
    "import resource, sys\n"
    "want = float(sys.argv[1])\n"
    "cpu = lambda: (lambda u: u.ru_utime + u.ru_stime)(resource.getrusage(resource.RUSAGE_SELF))\n"
    "x = 0\n"
    "while cpu() < want:\n"
    "    for i in range(20000): x += i * i\n"
    "print(cpu())\n"
)

#: creates argv[1], then waits (up to 60 s) for argv[2]: only succeeds if the other side runs at the same time
MEET = (
    "import pathlib, sys, time\n"
    "pathlib.Path(sys.argv[1]).write_text('here')\n"
    "end = time.monotonic() + 60\n"
    "while not pathlib.Path(sys.argv[2]).exists():\n"
    "    if time.monotonic() > end: sys.exit(7)\n"
    "    time.sleep(0.01)\n"
)


def job(label: str, code: str, *args: str, timeout: float = 120) -> Job:
    return Job(label, [PY, "-c", code, *args], dict(os.environ), timeout)


# -- order and concurrency -----------------------------------------------------------------


def test_sides_come_back_in_the_order_given(tmp_path: Path) -> None:
    first = tmp_path / "first"
    lanes_out = lanes.run_lanes([
        [job("a1", f"import pathlib; pathlib.Path({str(first)!r}).write_text('1'); print('a1')"),
         # a lane is sequential: a2 sees the file a1 wrote, or exits 5
         job("a2", f"import pathlib, sys; sys.exit(0 if pathlib.Path({str(first)!r}).exists() else 5); ")],
        [job("b1", "print('b1')"), job("b2", "print('b2')"), job("b3", "print('b3')")],
    ])
    assert [[s.label for s in lane] for lane in lanes_out] == [["a1", "a2"], ["b1", "b2", "b3"]]
    assert lanes_out[0][0].stdout.strip() == "a1"
    assert lanes_out[0][1].ok, lanes_out[0][1].failure()
    assert [s.stdout.strip() for s in lanes_out[1]] == ["b1", "b2", "b3"]


def test_the_two_sides_of_a_pair_run_at_the_same_time(tmp_path: Path) -> None:
    # each side waits for the file the other writes: run one after the other, the first
    # would give up after 60 s and exit 7
    a, b = tmp_path / "a", tmp_path / "b"
    sa, sb = lanes.run_pair(job("left", MEET, str(a), str(b)), job("right", MEET, str(b), str(a)))
    assert (sa.label, sb.label) == ("left", "right")
    assert sa.ok and sb.ok, (sa.failure(), sb.failure())


def test_jobs_in_one_lane_do_not_overlap(tmp_path: Path) -> None:
    # the same rendezvous inside one lane cannot meet: the first job gives up (exit 7) on
    # its own, and only then does the second start (it finds the first's file at once)
    a, b = tmp_path / "a", tmp_path / "b"
    code = MEET.replace("+ 60", "+ 1.5")
    (s1, s2), = lanes.run_lanes([[job("first", code, str(a), str(b)), job("second", code, str(b), str(a))]])
    assert s1.returncode == 7 and s2.ok


# -- CPU seconds belong to the side that spent them ---------------------------------------


@pytest.mark.parametrize("burn", ["0.4", "0.8"])
def test_cpu_is_counted_per_side_not_summed(burn: str) -> None:
    # with getrusage(RUSAGE_CHILDREN) both sides would read the sum of both; wait4
    # gives each its own.  Truth: each child's own kernel count just before it exits.
    busy, idle = lanes.run_pair(job("busy", BURN, burn), job("idle", "import time; time.sleep(0.5)"))
    assert busy.ok and idle.ok
    own = float(busy.stdout)
    assert own >= float(burn)
    assert busy.cpu >= own  # wait4 counts at least what the child saw of itself
    assert idle.cpu < float(burn) <= busy.cpu  # the sleeper is not charged with the burner's seconds


def test_cpu_of_a_side_includes_its_children() -> None:
    # a Math-Verify or grading side may work in child processes: their seconds are the side's
    code = (
        "import subprocess, sys\n"
        f"out = subprocess.run([sys.executable, '-c', {BURN!r}, '0.5'], capture_output=True, text=True, check=True)\n"
        "print(out.stdout.strip())\n"
    )
    parent, other = lanes.run_pair(job("parent", code), job("other", "pass"))
    assert parent.ok, parent.failure()
    child_own = float(parent.stdout)
    assert child_own >= 0.5
    assert parent.cpu >= child_own
    assert other.cpu < child_own


def test_run_one_alone_matches_the_childs_own_count() -> None:
    side = lanes.run_one(job("alone", BURN, "0.3"))
    assert side.ok and side.cpu >= float(side.stdout) >= 0.3
    assert side.wall > 0


# -- a side that fails is reported, never hidden -------------------------------------------


def test_a_failing_side_is_reported_and_the_other_kept() -> None:
    bad, good = lanes.run_pair(job("bad", "import sys; print('partial'); sys.stderr.write('boom: no such pair\\n'); sys.exit(3)"),
                               job("good", "print('{\"v\": 1}')"))
    assert not bad.ok and bad.returncode == 3
    assert "exit 3" in bad.failure() and "boom: no such pair" in bad.failure()
    assert bad.stdout.strip() == "partial"
    assert good.ok and good.failure() == "" and json.loads(good.stdout) == {"v": 1}


def test_a_side_past_its_timeout_is_stopped_with_its_children(tmp_path: Path) -> None:
    pid_file = tmp_path / "grandchild.pid"
    code = (
        "import subprocess, sys, time, pathlib\n"
        "p = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(120)'])\n"
        f"pathlib.Path({str(pid_file)!r}).write_text(str(p.pid))\n"
        "time.sleep(120)\n"
    )
    slow, quick = lanes.run_pair(Job("slow", [PY, "-c", code], None, timeout=3), job("quick", "print('done')"))
    assert slow.timed_out and slow.returncode is None and not slow.ok
    assert "timeout" in slow.failure()
    assert quick.ok and quick.stdout.strip() == "done"
    grandchild = int(pid_file.read_text())
    for _ in range(200):  # killed with its process group; reaped by whoever adopted it
        try:
            os.kill(grandchild, 0)
        except ProcessLookupError:
            break
        if _is_zombie(grandchild):
            break
        time.sleep(0.05)
    else:
        pytest.fail(f"the timed-out side's child {grandchild} is still running")


def _is_zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] == "Z"
    except OSError:
        return True


def test_a_side_that_leaves_a_process_running_fails_and_the_process_is_stopped(tmp_path: Path) -> None:
    # the left-behind worker's CPU seconds would be missing from the side's count (wait4
    # counts waited-for children only), so the side must not pass as a cheap success
    pid_file = tmp_path / "worker.pid"
    code = (
        "import subprocess, sys, pathlib\n"
        "p = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(120)'])\n"
        f"pathlib.Path({str(pid_file)!r}).write_text(str(p.pid))\n"
        "print('{}')\n"  # exits at once with status 0, its worker still running
    )
    leaky, tidy = lanes.run_pair(job("leaky", code), job("tidy", "import subprocess, sys; subprocess.run([sys.executable, '-c', 'pass'])"))
    assert leaky.returncode == 0 and leaky.stray == 1 and not leaky.ok
    assert "left 1 process" in leaky.failure()
    assert tidy.ok and tidy.stray == 0  # a child that was waited for is no stray
    worker = int(pid_file.read_text())
    for _ in range(200):
        if _gone_or_zombie(worker):
            break
        time.sleep(0.05)
    else:
        pytest.fail(f"the left-behind worker {worker} is still running")


def _gone_or_zombie(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return _is_zombie(pid)


def test_a_side_that_cannot_start_is_reported(tmp_path: Path) -> None:
    missing, fine = lanes.run_pair(Job("missing", [str(tmp_path / "no-such-command")]), job("fine", "print(1)"))
    assert missing.error and not missing.ok and "could not start" in missing.failure()
    assert fine.ok


def test_large_output_does_not_block() -> None:
    # more than a pipe holds (64 KiB), on both streams of both sides
    code = "import sys; sys.stdout.write('x' * 3_000_000); sys.stderr.write('y' * 3_000_000)"
    a, b = lanes.run_pair(job("a", code), job("b", code))
    assert a.ok and b.ok
    assert len(a.stdout) == len(b.stdout) == 3_000_000 and len(a.stderr) == 3_000_000


# -- the judgements ------------------------------------------------------------------------


def row(dc_cpu: float, base_cpu: float, capped: bool = False, dc_s: float | None = None, base_s: float | None = None) -> dict:
    return {"dc_cpu": dc_cpu, "base_cpu": base_cpu, "base_capped": capped, "interval_s": 0.0,
            "dc_s": dc_cpu if dc_s is None else dc_s, "base_s": base_cpu if base_s is None else base_s}


def test_compute_is_judged_on_cpu_medians() -> None:
    # medians by hand: derivcheck cpu {1, 2, 3} -> 2; baseline {9, 10, 12} -> 10; 10/2 = 5.0 >= 5
    # (the wall seconds, doubled by a busy machine on the derivcheck side, must not decide)
    rows = [row(1, 9, dc_s=2), row(2, 10, dc_s=4), row(3, 12, dc_s=6)]
    t = targets.judge_compute(rows, 10.0)
    assert t.met is True and t.measured.startswith("5.00x") and "judged on CPU" in t.note
    assert "wall ratio 2.5x" in t.note  # 10 / 4
    rows[1] = row(2.001, 10)  # 10 / 2.001 = 4.9975 < 5: printed rounded down, never as "5.00x"
    t = targets.judge_compute(rows, 10.0)
    assert t.met is False and t.measured.startswith("4.99x")


def test_a_capped_baseline_makes_the_ratio_a_lower_bound() -> None:
    rows = [row(1, 10, capped=True), row(1, 10, capped=True), row(2, 1)]
    t = targets.judge_compute(rows, 10.0)
    assert t.measured.startswith(">=10.00x") and "2 baseline run(s) stopped at 10 CPU-s" in t.note


def test_mathverify_time_is_judged_on_cpu_and_says_so() -> None:
    # wall favours Math-Verify (a busy core on derivcheck's side), CPU favours derivcheck
    t = targets.judge_mathverify_time("9 pairs", t_dc=30.0, c_dc=10.0, t_mv=20.0, c_mv=15.0, mv_import=1.0, beside=(1.0, 0.5))
    assert t.met is True and "judged on CPU" in t.note and "wall 30.0 s vs 20.0 s" in t.note
    assert "beside derivcheck 100%" in t.note and "beside Math-Verify 50%" in t.note
    assert targets.judge_mathverify_time("9 pairs", 5.0, 16.0, 20.0, 15.0, 1.0).met is False


def side(label: str, stdout: str = "", returncode: int | None = 0, **kw: object) -> Side:
    return Side(label, [label], stdout=stdout, returncode=returncode, **kw)  # type: ignore[arg-type]


def test_pair_outputs_accepts_derivcheck_exit_1_with_json() -> None:
    # an invalid pair makes `derivcheck verify` exit 1: its JSON is the result, not a failure
    doc, mv = targets.pair_outputs(side("derivcheck", '{"files": []}', 1), side("Math-Verify", '{"verdicts": []}'))
    assert doc == {"files": []} and mv == {"verdicts": []}


@pytest.mark.parametrize("dc, mv, says", [
    (side("derivcheck", "", 2, stderr="Traceback"), side("Math-Verify", "{}"), "derivcheck: no JSON"),
    (side("derivcheck", "{}"), side("Math-Verify", "{}", 1, stderr="ImportError"), "Math-Verify: exit 1"),
    (side("derivcheck", "", None, timed_out=True), side("Math-Verify", "", None, error="No such file"), "could not start"),
])
def test_pair_outputs_names_every_failed_side(dc: Side, mv: Side, says: str) -> None:
    with pytest.raises(ValueError, match=says):
        targets.pair_outputs(dc, mv)


def test_both_failed_sides_are_named() -> None:
    with pytest.raises(ValueError) as err:
        targets.pair_outputs(side("derivcheck", "", None, timed_out=True), side("Math-Verify", "", 1))
    assert "derivcheck" in str(err.value) and "Math-Verify" in str(err.value)


# -- which interpreter and package the bytecode is compiled for ----------------------------


def test_interpreter_of_a_console_script(tmp_path: Path) -> None:
    script = tmp_path / "dc"
    script.write_text(f"#!{PY}\nprint('hi')\n")
    assert targets.interpreter_of([str(script), "verify"]) == PY
    env_script = tmp_path / "dc-env"
    env_script.write_text("#!/usr/bin/env python3\n")
    assert Path(targets.interpreter_of([str(env_script)])).name.startswith("python")
    assert targets.interpreter_of([PY, "-m", "derivcheck"]) == PY
    shell = tmp_path / "dc-sh"
    shell.write_text("#!/bin/sh\nexec python -m derivcheck \"$@\"\n")
    assert targets.interpreter_of([str(shell)]) == sys.executable


# -- targets 3 and 5 share two lanes -------------------------------------------------------


def test_targets_3_and_5_run_in_two_lanes_and_each_report_gets_its_own_sides(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # lane one: derivcheck's compute side, derivcheck on the pairs, Math-Verify (in that order);
    # lane two: the baseline.  Truth: the baseline meets derivcheck's compute side (a
    # rendezvous, so they ran at the same time), and each job of lane one finds the file
    # the job before it wrote (so they ran one after the other).
    seen: dict[str, list[Side]] = {}
    d, b = tmp_path / "dc", tmp_path / "base"

    def step(name: str, after: str | None) -> str:
        need = f"assert pathlib.Path({str(tmp_path / after)!r}).exists(); " if after else ""
        return f"import pathlib; {need}pathlib.Path({str(tmp_path / name)!r}).write_text('1'); print({name!r})"

    def planned(number: int, jobs: list[Job]) -> targets.Planned:
        return targets.Planned(jobs, lambda sides, everything: seen.setdefault(str(number), sides))

    monkeypatch.setattr(targets, "plan_compute", lambda run: planned(3, [job("derivcheck", MEET, str(d), str(b)),
                                                                       job("baseline", MEET, str(b), str(d))]))
    monkeypatch.setattr(targets, "plan_mathverify", lambda run: planned(5, [job("dc pairs", step("pairs", "dc")),
                                                                          job("mv", step("mv", "pairs"))]))
    targets.compute_and_mathverify(None, {3, 5})  # type: ignore[arg-type]
    assert [s.label for s in seen["3"]] == ["derivcheck", "baseline"]
    assert [s.label for s in seen["5"]] == ["dc pairs", "mv"]
    assert all(s.ok for sides in seen.values() for s in sides), [s.failure() for v in seen.values() for s in v]
    dc_side, base_side = seen["3"]
    # the baseline outlived nothing it should not have: derivcheck's side ran beside it
    assert lanes.beside(dc_side, [base_side]) > 0


def test_beside_measures_overlap_from_the_stamps() -> None:
    # spans by hand: a = [0, 10]; b = [2, 4], c = [3, 6], d = [8, 20] -> covered [2, 6] + [8, 10] = 6 of 10
    def span(label: str, lo: float, hi: float) -> Side:
        return Side(label, [], wall=hi - lo, started=lo, ended=hi)

    a = span("a", 0, 10)
    assert lanes.beside(a, [a, span("b", 2, 4), span("c", 3, 6), span("d", 8, 20)]) == pytest.approx(0.6)
    assert lanes.beside(a, [span("e", 11, 12)]) == 0.0
    assert lanes.beside(a, [span("f", -5, 50)]) == pytest.approx(1.0)


# -- the baseline's cap is on the CPU clock and cannot be swallowed -------------------------


def _bench_main():  # type: ignore[no-untyped-def]
    import importlib.util

    spec = importlib.util.spec_from_file_location("bench_main", Path(__file__).resolve().parent.parent / "bench" / "bench.py")
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


def _spin(limit: float) -> None:
    end = time.process_time() + limit
    x = 0
    while time.process_time() < end:
        x += 1


def _capped_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fake, cap: float = 0.3) -> dict:  # type: ignore[no-untyped-def]
    b = _bench_main()
    monkeypatch.setattr(b, "baseline", lambda path: {"proved": 1} if "warm_up" in path else fake())
    f = tmp_path / "one.yaml"
    f.write_text("steps:\n  - x\n  - x\n")
    out = tmp_path / "out.json"
    b.compute_many("baseline", cap, str(out), [str(f)])
    return json.loads(out.read_text())["one.yaml"]


def test_a_cpu_bound_baseline_is_stopped_and_counts_as_the_cap(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    r = _capped_run(tmp_path, monkeypatch, lambda: _spin(30))
    assert r["capped"] is True and r["cpu"] == 0.3 and r["status"] == ">0.3 s"


def test_a_baseline_that_swallows_the_first_stop_is_still_capped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def swallowing() -> dict:
        try:
            _spin(30)
        except Exception:  # noqa: BLE001, S110 - what a broad except in SymPy would do
            pass
        _spin(30)  # the stop comes again (with a one-shot timer this would run its full 30 s)
        return {"proved": 1}

    r = _capped_run(tmp_path, monkeypatch, swallowing)
    assert r["capped"] is True and r["cpu"] == 0.3


def test_the_cap_counts_cpu_not_wall_seconds(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # sleeping spends wall time but no CPU: a cap on the CPU clock lets it finish (a busy
    # machine, which stretches wall time, cannot stop the baseline sooner)
    r = _capped_run(tmp_path, monkeypatch, lambda: (time.sleep(0.8), {"proved": 2})[1])
    assert r["capped"] is False and r["status"] == "2p" and r["cpu"] < 0.3


# -- --quick reads target 4 from the latest full run ---------------------------------------


def _saved(folder: Path, name: str, quick: bool, seconds: float, finished: float | None) -> None:
    doc = {"quick": quick, "targets": [{"number": 4, "name": "grading", "measured": f"{seconds} s", "goal": "<= 60 s",
                                        "met": seconds <= 60, "note": ""}]}
    if finished is not None:
        doc["finished"] = finished
    (folder / name).write_text(json.dumps(doc))


def test_quick_takes_grading_from_the_latest_full_run_by_its_saved_time(tmp_path: Path) -> None:
    # written in this order, so modification times say the opposite of the saved times
    _saved(tmp_path, "new.json", False, 21.0, finished=2_000_000_000.0)
    _saved(tmp_path, "old.json", False, 90.0, finished=1_000_000_000.0)
    _saved(tmp_path, "quick.json", True, 5.0, finished=3_000_000_000.0)  # a quick run never counts
    (tmp_path / "broken.json").write_text("{not json")
    target, name = targets.last_full_grading(tmp_path)
    assert name == "new.json" and target.measured == "21.0 s" and target.met is True


def test_quick_without_a_full_run_finds_none(tmp_path: Path) -> None:
    _saved(tmp_path, "quick.json", True, 5.0, finished=None)
    (tmp_path / "odd.json").write_text(json.dumps({"quick": False, "targets": [{"number": 4, "met": True, "bogus": 1}]}))
    assert targets.last_full_grading(tmp_path) is None


def test_a_full_run_saved_without_a_time_is_dated_by_its_file(tmp_path: Path) -> None:
    _saved(tmp_path, "a.json", False, 30.0, finished=None)
    os.utime(tmp_path / "a.json", (1_500_000_000, 1_500_000_000))
    _saved(tmp_path, "b.json", False, 40.0, finished=1_600_000_000.0)
    assert targets.last_full_grading(tmp_path)[1] == "b.json"
    os.utime(tmp_path / "a.json", (1_700_000_000, 1_700_000_000))
    assert targets.last_full_grading(tmp_path)[1] == "a.json"


# -- the bytecode is compiled for the package the command imports --------------------------


def test_bytecode_is_compiled_for_the_imported_package(tmp_path: Path) -> None:
    import importlib.util

    pkg = tmp_path / "site" / "derivcheck"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text("X = 1\n")
    (pkg / "sub.py").write_text("Y = 2\n")
    env = dict(os.environ, PYTHONPATH=str(tmp_path / "site"), PYTHONDONTWRITEBYTECODE="1")
    run = targets.Run(False, [PY, "-m", "derivcheck"], tmp_path, env)
    said = targets.compile_bytecode(run)
    assert str(pkg) in said and run.details["bytecode"]["package"] == str(pkg)
    for source in ("__init__.py", "sub.py"):  # where the interpreter itself looks for them
        assert Path(importlib.util.cache_from_source(str(pkg / source))).is_file()


def test_no_package_means_no_bytecode_and_says_so(tmp_path: Path) -> None:
    fake = tmp_path / "python3"  # an interpreter that cannot import derivcheck
    fake.write_text("#!/bin/sh\necho 'No module named derivcheck' >&2\nexit 1\n")
    fake.chmod(0o755)
    run = targets.Run(False, [str(fake), "-m", "derivcheck"], tmp_path, dict(os.environ))
    said = targets.compile_bytecode(run)
    assert "not compiled" in said and "bytecode" not in run.details
