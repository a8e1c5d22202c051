"""Benchmark `derivcheck grade`: a class of N submissions, jobs 1 vs 2, transition cache on vs off.

    python bench/grade_bench.py [--n 200] [--jobs 1 2] [--keep DIR]

Generates N submissions into a temporary folder from a dozen answer variants
(correct ones written differently, a slip, a wrong result, a sign error, a
missing case, a step in error, an unreadable file) against examples/int305/key.yaml,
then times the command for every (jobs, cache) pair and checks that every run
gives the same grades.csv.  Real classes repeat themselves in the same way:
most students write the same few chains.
"""

from __future__ import annotations

import argparse
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
KEY = ROOT / "examples" / "int305" / "key.yaml"

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
        if rng.random() < 0.02:
            path.write_text("answers: [not yaml\n")
            continue
        # most students are right; the rest spread over the mistakes
        a = "correct" if rng.random() < 0.5 else rng.choice(q1_names)
        b = "correct" if rng.random() < 0.5 else rng.choice(q2_names)
        path.write_text("answers:\n" + q1_yaml(Q1[a]) + (q2_yaml(Q2[b]) if rng.random() < 0.95 else ""))


def run(folder: Path, out: Path, jobs: int, cache: bool) -> float:
    cmd = [sys.executable, "-m", "derivcheck", "grade", str(KEY), str(folder), "--out", str(out), "--jobs", str(jobs)]
    if not cache:
        cmd.append("--no-cache")
    started = time.monotonic()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    took = time.monotonic() - started
    if proc.returncode != 0:
        raise SystemExit(f"grade failed ({proc.returncode}): {proc.stderr[-2000:]}")
    return took


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=200)
    ap.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--keep", type=Path, help="generate the class into this folder and keep it")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        base = args.keep or Path(tmp)
        folder = base / "submissions"
        folder.mkdir(parents=True, exist_ok=True)
        make_class(folder, args.n)
        rows, csvs = [], {}
        for cache in (True, False):
            for jobs in args.jobs:
                out = base / f"out-j{jobs}-{'cache' if cache else 'nocache'}"
                took = run(folder, out, jobs, cache)
                csvs[(jobs, cache)] = (out / "grades.csv").read_text()
                rows.append((jobs, cache, took))
                print(f"jobs {jobs}, cache {'on ' if cache else 'off'}: {took:7.1f} s  ({args.n / took:5.1f} submissions/s)", flush=True)
        same = len(set(csvs.values())) == 1
        print(f"{args.n} submissions; every run gives the same grades.csv: {same}")
        if not same:
            raise SystemExit(1)


if __name__ == "__main__":
    main()
