"""Benchmark `derivcheck grade`: a generated class, --jobs 1 vs 2, the local executor vs a Dask cluster.

    python bench/grade_bench.py                  # 2,000 submissions: jobs 2 and 1, cache on; Dask (2 workers)
    python bench/grade_bench.py --quick          # 200 submissions, the same runs
    python bench/grade_bench.py --n 500 --no-cache-runs --json out.json --keep DIR

Generates N submissions from a dozen answer variants against examples/int305/key.yaml
(correct ones written differently, a slip, a wrong result, a sign error, a missing case,
a step in error, an unreadable file). Real classes repeat themselves like this: most
students write the same few chains. No two files are the same bytes (each names its
student in a comment) and a fifth of the students leave a blank line after `answers:`,
so identical answers sit at different lines too.

Targets (issue 15, target 4; issue 17):
- 2,000 submissions graded with --jobs 2 (cache on) in at most 60 s, with the same
  grades.csv as --jobs 1;
- the same class on a 2-worker local Dask cluster (--executor dask --jobs 2): at most
  25 % slower than the local executor, and the same outputs, byte for byte.

Besides wall time, each run reports the CPU seconds of the command and its processes:
on a shared machine (other work running) wall time varies with the load, CPU time much
less; ``--json OUT`` writes every number (bench/bench.py prints them in its table).
"""

from __future__ import annotations

import argparse
import filecmp
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
KEY = ROOT / "examples" / "int305" / "key.yaml"
TARGET_SECONDS = 60.0
TARGET_DASK_OVERHEAD = 0.25

CHAIN_RULE = "Derivative(L, y) * Derivative(y, z) * Derivative(z, w_j)"
Q1 = {
    "correct": [CHAIN_RULE, "(-t/y + (1 - t)/(1 - y)) * y*(1 - y) * x_j", "(y - t)*x_j"],
    "correct_long": [CHAIN_RULE, "(-t/y + (1 - t)/(1 - y)) * y*(1 - y) * x_j", "(-t*(1 - y) + y*(1 - t)) * x_j", "(y - t)*x_j"],
    "correct_short": ["(y - t)*x_j"],
    "slip": [CHAIN_RULE, "(-1/y + (1 - t)/(1 - y)) * y*(1 - y) * x_j", "(-t*(1 - y) + y*(1 - t)) * x_j", "(y - t)*x_j"],
    "wrong_result": [CHAIN_RULE, "(-t/y + (1 - t)/(1 - y)) * y*(1 - y) * x_j", "(y - t)"],
    "sign": [CHAIN_RULE, "(-t/y + (1 - t)/(1 - y)) * y*(1 - y) * x_j", "(t - y)*x_j"],
    "error": [CHAIN_RULE, "y(1 - y) * x_j"],
}
CASE_EQ = ["Derivative(L, y[T]) * Derivative(y[T], z[k])", "-1/y_T * y_k*(1 - y_k)", "y_k - t_k"]
CASE_NE = ["Derivative(L, y[T]) * Derivative(y[T], z[k])", "-1/y_T * (-y_T*y_k)", "y_k - t_k"]
Q2 = {
    "correct": [("T == k", CASE_EQ), ("T != k", CASE_NE)],
    "missing_case": [("T == k", CASE_EQ)],
    "direct": [("T == k", ["y_k - t_k"]), ("T != k", ["y_k - t_k"])],
    "sign": [("T == k", CASE_EQ), ("T != k", CASE_NE[:2] + ["-y_k"])],
}


def q1_yaml(steps: list[str]) -> str:
    return "  q1:\n    steps:\n" + "".join(f"      - {s}\n" for s in ["Derivative(L, w_j)", *steps])


def q2_yaml(cases: list[tuple[str, list[str]]]) -> str:
    out = "  q2:\n    cases:\n"
    for given, steps in cases:
        out += f"      - given: {given}\n        steps:\n" + "".join(f"          - {s}\n" for s in ["Derivative(L, z[k])", *steps])
    return out


def make_class(folder: Path, n: int, seed: int = 1) -> None:
    rng = random.Random(seed)
    q1_names, q2_names = list(Q1), list(Q2)
    for i in range(n):
        path = folder / f"s{i:04d}.yaml"
        head = f"# s{i:04d}\n"
        if rng.random() < 0.02:
            path.write_text(head + "answers: [not yaml\n")
            continue
        # most students are right; the rest spread over the mistakes
        a = "correct" if rng.random() < 0.5 else rng.choice(q1_names)
        b = "correct" if rng.random() < 0.5 else rng.choice(q2_names)
        blank = "\n" if rng.random() < 0.2 else ""
        path.write_text(head + "answers:\n" + blank + q1_yaml(Q1[a]) + (q2_yaml(Q2[b]) if rng.random() < 0.95 else ""))


def run(folder: Path, out: Path, jobs: int, cache: bool = True, executor: str = "local") -> dict:
    cmd = [sys.executable, "-m", "derivcheck", "grade", str(KEY), str(folder), "--out", str(out), "--jobs", str(jobs), "--executor", executor]
    if not cache:
        cmd.append("--no-cache")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    child = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**os.environ, "NO_COLOR": "1"})
    tree = TreeCPU(child.pid)
    tree.start()
    _, stderr = child.communicate()
    took = time.monotonic() - started
    tree.stop()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if child.returncode != 0:
        raise SystemExit(f"grade failed ({child.returncode}): {stderr[-2000:]}")
    # the larger of the two: rusage misses processes nobody waited for (a Dask worker's fork
    # server), the sampler the last half second of each process
    cpu = max((after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), tree.total())
    return {"executor": executor, "jobs": jobs, "cache": cache, "seconds": round(took, 2), "cpu_seconds": round(cpu, 2),
            "load_before": round(os.getloadavg()[0], 2)}


class TreeCPU:
    """CPU seconds of a process and all its descendants, sampled every half second (psutil)."""

    def __init__(self, pid: int) -> None:
        import threading

        self.pid, self.seen, self.done = pid, {}, threading.Event()
        self.thread = threading.Thread(target=self._loop, daemon=True)

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.done.set()
        self.thread.join()

    def _loop(self) -> None:
        try:
            import psutil
        except ImportError:
            return
        while not self.done.is_set():
            try:
                root = psutil.Process(self.pid)
                procs = [root, *root.children(recursive=True)]
            except psutil.Error:
                procs = []
            for p in procs:
                try:
                    t = p.cpu_times()
                    self.seen[(p.pid, p.create_time())] = t.user + t.system
                except psutil.Error:
                    pass
            self.done.wait(0.5)

    def total(self) -> float:
        return sum(self.seen.values())


def same_outputs(a: Path, b: Path) -> bool:
    names_a = sorted(p.relative_to(a) for p in a.rglob("*") if p.is_file())
    names_b = sorted(p.relative_to(b) for p in b.rglob("*") if p.is_file())
    return names_a == names_b and all(filecmp.cmp(a / n, b / n, shallow=False) for n in names_a)


def scheduler_rate(tasks: int = 2000) -> float | None:
    """Trivial tasks per second through a 2-worker local cluster's scheduler (what a task costs it)."""
    try:
        import distributed
    except ImportError:
        return None
    import logging

    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=None, silence_logs=logging.CRITICAL) as cluster, \
            distributed.Client(cluster) as client:
        client.gather(client.map(abs, range(-50, 0)))  # warm up
        started = time.monotonic()
        client.gather(client.map(abs, range(tasks)))
        return tasks / (time.monotonic() - started)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=None, help="submissions (default 2000; 200 with --quick)")
    ap.add_argument("--quick", action="store_true", help="200 submissions")
    ap.add_argument("--no-dask", action="store_true", help="skip the Dask run")
    ap.add_argument("--no-cache-runs", action="store_true", help="also time --no-cache (jobs 1 and 2)")
    ap.add_argument("--json", type=Path, help="write every number to this file")
    ap.add_argument("--keep", type=Path, help="generate the class and the outputs into this folder and keep them")
    args = ap.parse_args()
    n = args.n or (200 if args.quick else 2000)
    with tempfile.TemporaryDirectory() as tmp:
        base = args.keep or Path(tmp)
        folder = base / "submissions"
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.glob("*.yaml"):
            old.unlink()
        make_class(folder, n)
        plan = [("local", 2, True), ("local", 1, True)]
        if not args.no_dask:
            try:
                import distributed  # noqa: F401

                plan.append(("dask", 2, True))
            except ImportError:
                print("Dask not installed (pip install 'derivcheck-cli[dask]'): no Dask run", flush=True)
        if args.no_cache_runs:
            plan += [("local", 2, False), ("local", 1, False)]
        runs, outs = [], {}
        for executor, jobs, cache in plan:
            out = base / f"out-{executor}-j{jobs}-{'cache' if cache else 'nocache'}"
            r = run(folder, out, jobs, cache, executor)
            outs[(executor, jobs, cache)] = out
            runs.append(r)
            print(f"{executor:5} jobs {jobs}, cache {'on ' if cache else 'off'}: {r['seconds']:7.1f} s wall, {r['cpu_seconds']:7.1f} s CPU"
                  f"  ({n / r['seconds']:5.1f} submissions/s; load {r['load_before']})", flush=True)
        csvs = {k: (o / "grades.csv").read_bytes() for k, o in outs.items()}
        same_csv = len(set(csvs.values())) == 1
        local2 = next(r for r in runs if r["executor"] == "local" and r["jobs"] == 2 and r["cache"])
        result: dict = {
            "n": n, "runs": runs, "same_grades_csv": same_csv,
            "target_grade": {"value": local2["seconds"], "limit": TARGET_SECONDS, "met": local2["seconds"] <= TARGET_SECONDS and same_csv,
                             "cpu_seconds": local2["cpu_seconds"], "n": n},
        }
        print(f"{n} submissions; every run gives the same grades.csv: {same_csv}")
        print(f"target: jobs 2 in <= {TARGET_SECONDS:g} s: {local2['seconds']:.1f} s -> {'met' if result['target_grade']['met'] else 'missed'}"
              + ("" if n == 2000 else f" (measured on {n}, the target is for 2000)"))
        dask = next((r for r in runs if r["executor"] == "dask"), None)
        if dask is not None:
            from derivcheck.grading.dask import batch_size

            overhead = dask["seconds"] / local2["seconds"] - 1
            same = same_outputs(outs[("local", 2, True)], outs[("dask", 2, True)])
            rate = scheduler_rate()
            size = batch_size(n, 2)
            result["target_dask"] = {"value": round(overhead, 3), "limit": TARGET_DASK_OVERHEAD, "met": overhead <= TARGET_DASK_OVERHEAD and same,
                                     "same_outputs": same, "batch_size": size, "tasks": -(-n // size),
                                     "scheduler_tasks_per_s": None if rate is None else round(rate)}
            print(f"target: Dask overhead <= {TARGET_DASK_OVERHEAD:.0%}: {overhead:+.1%} -> {'met' if result['target_dask']['met'] else 'missed'};"
                  f" every output file the same bytes as the local run's: {same}")
            if rate is not None:
                print(f"scheduler: {rate:.0f} trivial tasks/s on this machine; batches of {size} -> {-(-n // size)} tasks for {n} submissions,"
                      f" {(-(-n // size)) / rate * 1000:.0f} ms of scheduler time in all")
        if args.json:
            args.json.write_text(json.dumps(result, indent=2) + "\n")
        if not same_csv:
            raise SystemExit(1)


if __name__ == "__main__":
    main()
