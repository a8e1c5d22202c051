"""Measure every performance target and print them with met / missed.

    python bench/bench.py            # every target, full sizes (<= 3 minutes)
    python bench/bench.py --quick    # smaller sizes, extrapolated where labelled (<= 1 minute)

Targets:
1. result cache: an unchanged file <= 0.15 s, ``derivations/`` <= 0.3 s, cached/cold <= 0.15;
2. cold start: ``verify`` of a one-step file <= 0.8 s wall (bytecode compiled first; the
   SymPy import floor printed beside it);
3. compute: median CPU seconds per file (imports excluded, same process) on generated
   larger derivations at least 5x below the naive baseline's; growth with K and N;
4. grading: 2,000 generated submissions in <= 60 s with ``--jobs 2``;
5. Math-Verify: ``derivcheck verify`` of the pair folder in one process no more CPU
   seconds than Math-Verify's ``verify`` of the same pairs in one process, and at least
   as correct;
6. this benchmark: <= 3 minutes wall (``--quick`` <= 1 minute).

Targets 1, 2 and 4 run alone; 3 and 5 run in two lanes of single-threaded processes,
one core each (:func:`compute_and_mathverify`), and are judged on CPU seconds.
"""

from __future__ import annotations

import json
import math
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

import lanes  # bench/ is not a package: found on the path set above
from lanes import Job, Side

ROOT = BENCH.parent
MV_VENV = Path(os.environ.get("DERIVCHECK_BENCH_VENV", "/work/bench-venv"))
MV_PYTHON = MV_VENV / "bin" / "python"


@dataclass
class Target:
    number: int
    name: str
    measured: str
    goal: str
    met: bool | None  # None: not measured
    note: str = ""


@dataclass
class Run:
    quick: bool
    cmd: list[str]
    work: Path
    env: dict[str, str]
    has_cache: bool = True  # the derivcheck measured knows --no-cache
    targets: list[Target] = field(default_factory=list)
    details: dict = field(default_factory=dict)

    def add(self, t: Target) -> None:
        self.targets.append(t)
        mark = {True: "met", False: "MISSED", None: "not measured"}[t.met]
        print(f"  [{t.number}] {t.name}: {t.measured} (goal {t.goal}) {mark}" + (f" - {t.note}" if t.note else ""), flush=True)


def wall(cmd: list[str], env: dict[str, str], timeout: float = 600, cwd: Path | None = None) -> Side:
    """Run one command alone and time it (wall and its own CPU seconds)."""
    return lanes.run_one(Job(cmd[0], cmd, env, timeout, cwd))


def timed_median(cmd: list[str], env: dict[str, str], repeats: int) -> tuple[float, float]:
    """Median wall and median CPU seconds of ``repeats`` runs."""
    sides = [wall(cmd, env) for _ in range(repeats)]
    return statistics.median(s.wall for s in sides), statistics.median(s.cpu for s in sides)


def supports(run: Run, flag: str) -> bool:
    side = wall(run.cmd + ["verify", "--help"], run.env, 60)
    return side.ok and flag in side.stdout


# -- 1 and 2: cache and cold start ----------------------------------------------------------


#: The import floor: what every fresh process that checks anything pays before derivcheck's own
#: work (the first Add of two expressions imports SymPy's tensor module, which every run does).
FLOOR_CODE = "import sympy; sympy.Symbol('x') + 1"


def interpreter_of(cmd: list[str]) -> str:
    """The Python that runs ``cmd``: itself, or the interpreter named by its script's ``#!`` line."""
    exe = shutil.which(cmd[0]) or cmd[0]
    if Path(exe).name.startswith("python"):
        return exe
    try:
        with open(exe, "rb") as f:
            first = f.readline(300).decode("utf-8", "replace")
    except OSError:
        return sys.executable
    if first.startswith("#!"):
        words = first[2:].split()
        if words and Path(words[0]).name == "env" and len(words) > 1:
            words = [shutil.which(words[1]) or words[1]]
        if words and Path(words[0]).name.startswith("python"):
            return words[0]
    return sys.executable


def compile_bytecode(run: Run) -> str:
    """Compile the imported derivcheck package's modules once, as an installed package has them.

    This machine sets ``PYTHONDONTWRITEBYTECODE=1``, so an editable checkout compiles every
    derivcheck module from source in every fresh process; pip compiles a wheel's modules at
    install.  The ``.pyc`` files go to the package's ``__pycache__`` (ignored by git).
    """
    python = interpreter_of(run.cmd)
    where = wall([python, "-c", "import derivcheck, os; print(os.path.dirname(derivcheck.__file__))"], run.env, 120)
    if not where.ok or not where.stdout.strip():
        return f"bytecode: not compiled (could not import derivcheck with {python})"
    package = where.stdout.strip().splitlines()[-1]
    done = wall([python, "-m", "compileall", "-q", package], run.env, 300)
    if not done.ok:
        return f"bytecode: compileall failed for {package}: {done.failure()}"
    run.details["bytecode"] = {"python": python, "package": package, "compile_s": done.wall}
    return f"bytecode: compiled {package} once ({python} -m compileall -q), as pip does at install"


def cache_and_start(run: Run) -> None:
    """Targets 1 and 2, run alone: fresh processes, nothing else running beside them."""
    repeats = 3 if run.quick else 5
    print("  " + compile_bytecode(run), flush=True)
    nocache = ["--no-cache"] if run.has_cache else []
    one = run.work / "one_step.yaml"
    one.write_text("steps:\n  - x*(x + 1)\n  - x**2 + x\n")
    cold, floor = [], []
    floor_cmd = [interpreter_of(run.cmd), "-c", FLOOR_CODE]
    for _ in range(repeats):  # interleaved, so a change in the machine's load touches both alike
        floor.append(wall(floor_cmd, run.env, 120))
        cold.append(wall(run.cmd + ["verify", *nocache, str(one)], run.env, 120))
    bad = [x.failure() for x in floor + cold if not x.ok]
    if bad:
        run.add(Target(2, "cold start: verify a one-step file", "failed", "<= 0.8 s", False, bad[0]))
    else:
        cold_one = statistics.median(x.wall for x in cold)
        cold_cpu = statistics.median(x.cpu for x in cold)
        floor_s = statistics.median(x.wall for x in floor)
        floor_cpu = statistics.median(x.cpu for x in floor)
        over = statistics.median(c.wall - f.wall for c, f in zip(cold, floor))
        over_cpu = statistics.median(c.cpu - f.cpu for c, f in zip(cold, floor))
        run.details["start"] = {"repeats": repeats, "cold_s": cold_one, "cold_cpu_s": cold_cpu, "floor_s": floor_s,
                                "floor_cpu_s": floor_cpu, "overhead_s": over, "overhead_cpu_s": over_cpu,
                                "floor_code": FLOOR_CODE}
        run.add(Target(2, "cold start: verify a one-step file", f"{cold_one:.2f} s (cpu {cold_cpu:.2f} s)", "<= 0.8 s",
                       cold_one <= 0.8, f"wall, median of {repeats}, no cache, bytecode compiled"))
        print(f"      import floor (python -c \"{FLOOR_CODE}\"): {floor_s:.2f} s (cpu {floor_cpu:.2f} s), median of {repeats}; "
              f"derivcheck above it: {over:+.2f} s (cpu {over_cpu:+.2f} s), median of the {repeats} interleaved differences "
              "(context: the goal stays 0.8 s absolute)", flush=True)
    folder = ROOT / "derivations"
    if not run.has_cache:
        for label in ("cached unchanged file", "cached derivations/", "cached / cold, derivations/"):
            run.add(Target(1, label, "-", "-", None, "this derivcheck has no result cache (--no-cache unknown)"))
        return
    env = dict(run.env, DERIVCHECK_CACHE_DIR=str(run.work / "cache"))
    file = min(folder.glob("*.yaml"))
    wall(run.cmd + ["verify", str(folder)], env)  # fills the cache for the folder, and so for each of its files
    cached_one, cached_one_cpu = timed_median(run.cmd + ["verify", str(file)], env, repeats)
    cached_dir, cached_dir_cpu = timed_median(run.cmd + ["verify", str(folder)], env, repeats)
    cold_run = wall(run.cmd + ["verify", "--no-cache", str(folder)], env)
    cold_dir, cold_dir_cpu = cold_run.wall, cold_run.cpu
    run.details["cache"] = {"file": file.name, "cached_file_s": cached_one, "cached_file_cpu_s": cached_one_cpu,
                            "cold_dir_s": cold_dir, "cold_dir_cpu_s": cold_dir_cpu, "cached_dir_s": cached_dir,
                            "cached_dir_cpu_s": cached_dir_cpu}
    n = len(list(folder.glob("*.yaml")))
    run.add(Target(1, f"cached unchanged file ({file.name})", f"{cached_one:.3f} s (cpu {cached_one_cpu:.3f} s)",
                   "<= 0.15 s", cached_one <= 0.15, f"wall, median of {repeats}"))
    run.add(Target(1, f"cached derivations/ ({n} files)", f"{cached_dir:.3f} s (cpu {cached_dir_cpu:.3f} s)", "<= 0.3 s",
                   cached_dir <= 0.3, f"wall, median of {repeats}"))
    ratio = cached_dir / cold_dir
    run.add(Target(1, "cached / cold, derivations/", f"{ratio:.3f} ({cached_dir:.2f} / {cold_dir:.1f} s)", "<= 0.15",
                   ratio <= 0.15, f"wall; cpu: {cached_dir_cpu:.2f} / {cold_dir_cpu:.1f} s"))


# -- 3: compute that scales ----------------------------------------------------------------


@dataclass
class Planned:
    """A target's jobs, ready to run, and what its report needs afterwards."""

    jobs: list[Job]
    report: Callable[[list[Side], list[Side]], None]  # (its own sides, every side of the run)


def plan_compute(run: Run) -> Planned:
    """Target 3: derivcheck's side and the baseline's side, one process each."""
    import scaling

    specs = scaling.grid(run.quick)
    files = scaling.write(run.work / "scaling", specs)
    cap = 4.0 if run.quick else 10.0
    out = run.work / "compute.json"
    me = [sys.executable, str(BENCH / "bench.py")]
    jobs = [Job(which, me + ["--compute", which, str(cap), str(out.with_suffix(f".{which}.json")), *map(str, files)],
                run.env, 900) for which in ("derivcheck", "baseline")]

    def report(sides: list[Side], everything: list[Side]) -> None:
        run.details["compute_sides"] = {s.label: {"wall_s": s.wall, "cpu_s": s.cpu, "beside": lanes.beside(s, everything)}
                                        for s in sides}
        failed = [s.failure() for s in sides if not s.ok]
        if failed:
            run.add(Target(3, "compute", "failed", ">= 5x", False, "; ".join(f[-300:] for f in failed)))
            return
        dc = json.loads(out.with_suffix(".derivcheck.json").read_text())
        bl = json.loads(out.with_suffix(".baseline.json").read_text())
        rows = []
        for spec, f in zip(specs, files):
            d, b = dc[f.name], bl[f.name]
            rows.append({**asdict(spec), "dc_s": d["seconds"], "dc_cpu": d["cpu"], "dc_status": d["status"],
                         "interval_s": d.get("interval_s", 0.0), "base_s": b["seconds"], "base_cpu": b["cpu"],
                         "base_capped": b["capped"], "base_status": b["status"]})
        run.details["compute"] = {"cap_s": cap, "cap_clock": "cpu", "rows": rows}
        print_compute_table(rows, cap)
        print("  " + concurrency_line(sides, everything))
        run.add(judge_compute(rows, cap))

    return Planned(jobs, report)


def concurrency_line(sides: list[Side], everything: list[Side]) -> str:
    """Each side's wall and CPU seconds, and how much of its time another benchmark process ran beside it."""
    parts = [f"{s.label} {s.wall:.0f} s wall / {s.cpu:.0f} s cpu, another process beside it {lanes.beside(s, everything):.0%} "
             "of that time" for s in sides]
    return "(one process (one core) each, imports included: " + "; ".join(parts) + ")"


def down(x: float) -> str:
    """``x`` with two decimals, rounded down: a ratio just under its goal never prints as the goal."""
    return f"{math.floor(x * 100) / 100:.2f}"


def judge_compute(rows: list[dict], cap: float) -> Target:
    """Target 3 from the per-file rows, judged on CPU seconds (the sides ran concurrently).

    A capped baseline file counts as ``cap`` CPU seconds, so the ratio is then a lower
    bound (``>=``); the wall ratio is printed beside it.
    """
    capped = sum(bool(r["base_capped"]) for r in rows)
    ge = ">=" if capped else ""
    med_dc = statistics.median(r["dc_cpu"] for r in rows)
    med_bl = statistics.median(r["base_cpu"] for r in rows)
    ratio = med_bl / max(med_dc, 1e-9)
    wall_ratio = statistics.median(r["base_s"] for r in rows) / max(statistics.median(r["dc_s"] for r in rows), 1e-9)
    share = sum(r["interval_s"] for r in rows) / max(sum(r["dc_s"] for r in rows), 1e-9)
    return Target(3, f"compute, median CPU per file over {len(rows)} generated files",
                  f"{ge}{down(ratio)}x (derivcheck {med_dc:.2f} s, baseline {ge}{med_bl:.2f} s, cpu)", ">= 5x", ratio >= 5,
                  f"judged on CPU seconds: the sides ran beside other benchmark processes, one core each; "
                  f"wall ratio {ge}{wall_ratio:.1f}x; {capped} baseline run(s) stopped at {cap:g} CPU-s count as {cap:g} s; "
                  f"interval arithmetic {share:.0%} of derivcheck's wall time")


def slope(points: list[tuple[float, float]]) -> float | None:
    """Least-squares slope of log t against log x."""
    pts = [(math.log(x), math.log(t)) for x, t in points if t > 0]
    if len(pts) < 2:
        return None
    mx = statistics.fmean(p[0] for p in pts)
    my = statistics.fmean(p[1] for p in pts)
    den = sum((p[0] - mx) ** 2 for p in pts)
    return sum((p[0] - mx) * (p[1] - my) for p in pts) / den if den else None


def print_compute_table(rows: list[dict], cap: float) -> None:
    print(f"\n  {'file':24s} {'dc cpu':>7s} {'base cpu':>9s} {'ratio':>7s} {'dc s':>7s} {'base s':>8s}  derivcheck / baseline")
    for r in rows:
        name = f"{r['family']} K={r['K']} N={r['N']}{' wrong' if r['wrong'] else ''}"
        gt = ">" if r["base_capped"] else ""
        print(f"  {name:24s} {r['dc_cpu']:7.2f} {gt + format(r['base_cpu'], '.2f'):>9s} "
              f"{r['base_cpu'] / max(r['dc_cpu'], 1e-3):7.1f} {r['dc_s']:7.2f} {gt + format(r['base_s'], '.2f'):>8s}  "
              f"{r['dc_status']} / {r['base_status']}")
    print("\n  growth (log-log slope of CPU seconds against K at N = 10, and against N at fixed K):")
    for fam in sorted({r["family"] for r in rows}):
        for who, key in (("derivcheck", "dc_cpu"), ("baseline", "base_cpu")):
            by_k = sorted((r["K"], r[key]) for r in rows if r["family"] == fam and r["N"] == 10 and not r["wrong"])
            k_n = 2 if any(r["N"] == 14 for r in rows) else 4  # the quick grid grows N at K = 2
            by_n = sorted((r["N"], r[key]) for r in rows if r["family"] == fam and r["K"] == k_n and not r["wrong"])
            sk, sn = slope(by_k), slope(by_n)
            ks = "  ".join(f"K={k}: {t:.2f}" for k, t in by_k)
            ns = "  ".join(f"N={n}: {t:.2f}" for n, t in by_n)
            fmt = lambda s: "-" if s is None else f"{s:.2f}"
            print(f"  {fam:4s} {who:10s} slope K {fmt(sk):>5s} ({ks});  slope N {fmt(sn):>5s} ({ns})")
    print()


# -- 4: grading ----------------------------------------------------------------------------


def last_full_grading(folder: Path = BENCH / "results") -> tuple[Target, str] | None:
    """Target 4 as measured by the latest saved full run in ``folder``, and the file's name.

    Latest by the ``finished`` time the run saved in its JSON (a checkout gives every file
    the same modification time); a file saved without one is dated by its modification time.
    """
    found = []
    for path in folder.glob("*.json"):
        try:
            doc = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        if not isinstance(doc, dict) or doc.get("quick") is not False:
            continue
        when = doc.get("finished")
        if not isinstance(when, (int, float)):
            when = path.stat().st_mtime
        for t in doc.get("targets", []):
            if isinstance(t, dict) and t.get("number") == 4 and t.get("met") is not None:
                try:
                    found.append((when, path.name, Target(**t)))
                except TypeError:
                    continue
    if not found:
        return None
    _, name, target = max(found, key=lambda f: f[0])
    return target, name


def grading(run: Run) -> None:
    sys.path.insert(0, str(BENCH))
    import grade_bench

    if run.quick:
        last = last_full_grading()
        if last is not None:
            target, name = last
            target.measured += " (last full run)"
            target.note = f"not run: read from the last full run, bench/results/{name}"
            run.add(target)
            return

    n = 200 if run.quick else 2000
    folder = run.work / "class"
    folder.mkdir()
    grade_bench.make_class(folder, n)
    env = dict(run.env, DERIVCHECK_CACHE_DIR=str(run.work / "grade-cache"))
    cmd = run.cmd + ["grade", str(grade_bench.KEY), str(folder), "--out", str(run.work / "grade-out"), "--jobs", "2"]
    side = wall(cmd, env, 300)  # alone: it uses both cores
    t, cpu = side.wall, side.cpu
    run.details["grading"] = {"submissions": n, "jobs": 2, "seconds": t, "cpu_s": cpu}
    if not side.ok:
        run.add(Target(4, f"grading {n} submissions, --jobs 2", "failed", "<= 60 s", False, side.failure()[-200:]))
        return
    if run.quick:
        est = t * 2000 / n
        run.add(Target(4, "grading 2,000 submissions, --jobs 2", f"~{est:.0f} s (extrapolated from N = {n}: {t:.1f} s, cpu {cpu:.0f} s)",
                       "<= 60 s", est <= 60, "estimate: quick run"))
    else:
        run.add(Target(4, "grading 2,000 submissions, --jobs 2", f"{t:.1f} s (cpu {cpu:.0f} s)", "<= 60 s", t <= 60,
                       "wall, run alone (two worker processes); same grades.csv as --jobs 1: see bench/grade_bench.py"))


# -- 5: Math-Verify ------------------------------------------------------------------------


def setup_mathverify() -> bool:
    """Make the benchmark's own venv with Math-Verify (never a derivcheck dependency)."""
    if MV_PYTHON.exists():
        return True
    subprocess.run([sys.executable, "-m", "venv", str(MV_VENV)], check=True)
    proc = subprocess.run([str(MV_PYTHON), "-m", "pip", "install", "-q", "math-verify[antlr4_13_2]"], check=False)
    return proc.returncode == 0


def plan_mathverify(run: Run) -> Planned | None:
    """Target 5: ``derivcheck verify`` of the pair folder and Math-Verify on the same pairs, one process each."""
    import pairs as P

    pairs = P.load()
    if run.quick:
        pairs = pairs[::4]
    label = f"{len(pairs)} pairs" + (" (every fourth: quick run)" if run.quick else "")
    if not MV_PYTHON.exists():
        run.add(Target(5, f"Math-Verify, {label}", "-", "-", None,
                       f"no {MV_PYTHON}: python bench/bench.py --setup-mathverify"))
        return None
    folder = run.work / "pairs"
    paths = P.write_derivations(folder, pairs)
    latex = run.work / "pairs.json"
    latex.write_text(json.dumps([[P.to_latex(p.a), P.to_latex(p.b)] for p in pairs]))
    nocache = ["--no-cache"] if run.has_cache else []
    jobs = [Job("derivcheck", run.cmd + ["verify", "--format", "json", *nocache, str(folder)], run.env, 600),
            Job("Math-Verify", [str(MV_PYTHON), str(BENCH / "mathverify_run.py"), str(latex)], run.env, 600)]

    def report(sides: list[Side], everything: list[Side]) -> None:
        dc_side, mv_side = sides
        t_dc, c_dc, t_mv, c_mv = dc_side.wall, dc_side.cpu, mv_side.wall, mv_side.cpu
        try:
            doc, mv = pair_outputs(dc_side, mv_side)
        except ValueError as exc:
            run.add(Target(5, f"Math-Verify, {label}", "failed", "-", False, str(exc)[-400:]))
            return
        by_path = {Path(f["path"]).name: f for f in doc["files"]}
        dc_ok = mv_ok = 0
        wrong: dict[str, list[str]] = {"derivcheck": [], "math-verify": []}
        for i, (p, path) in enumerate(zip(pairs, paths)):
            f = by_path.get(path.name)
            if f is None:  # not in derivcheck's report: counted wrong, never skipped
                status = "missing"
            else:
                steps = [s for c in f.get("chains", []) for s in c.get("steps", [])]
                status = steps[1]["status"] if len(steps) > 1 else f.get("status", "missing")
            verdict = True if status in ("proved", "tested") else False if status == "invalid" else None
            if verdict == p.equal:
                dc_ok += 1
            else:
                wrong["derivcheck"].append(f"{p.id} ({status})")
            if mv["verdicts"][i] == p.equal:
                mv_ok += 1
            else:
                wrong["math-verify"].append(p.id + ("" if mv["parsed"][i] else " (unparsed)"))
        free = [i for i, p in enumerate(pairs) if p.domain_free]
        near = [pairs[i].id for i, t in enumerate(mv.get("slowest_call_s", [])) if t >= MV_NEAR_LIMIT_S]
        run.details["mathverify"] = {"pairs": len(pairs), "dc_s": t_dc, "mv_s": t_mv, "dc_cpu_s": c_dc, "mv_cpu_s": c_mv,
                                     "mv_import_s": mv["import_s"], "mv_pairs_s": mv["pairs_s"], "dc_correct": dc_ok,
                                     "mv_correct": mv_ok, "wrong": wrong, "unparsed": sum(not x for x in mv["parsed"]),
                                     "dc_beside": lanes.beside(dc_side, everything),
                                     "mv_beside": lanes.beside(mv_side, everything), "mv_near_wall_limit": near}
        print(f"  derivcheck wrong or undecided: {', '.join(wrong['derivcheck']) or 'none'}")
        print(f"  Math-Verify wrong: {', '.join(wrong['math-verify']) or 'none'}")
        print(f"  Math-Verify calls near its own 5 s wall-clock limit (>= {MV_NEAR_LIMIT_S:g} s): {', '.join(near) or 'none'}")
        print("  " + concurrency_line(sides, everything))
        mv_free = sum(mv["verdicts"][i] == pairs[i].equal for i in free)
        dc_free = sum(pairs[i].id not in {w.split(' ')[0] for w in wrong["derivcheck"]} for i in free)
        run.add(judge_mathverify_time(label, t_dc, c_dc, t_mv, c_mv, mv["import_s"],
                                      (lanes.beside(dc_side, everything), lanes.beside(mv_side, everything))))
        run.add(Target(5, f"Math-Verify, {label}: correct", f"derivcheck {dc_ok}/{len(pairs)} vs Math-Verify {mv_ok}/{len(pairs)}",
                       "derivcheck >= Math-Verify", dc_ok >= mv_ok,
                       f"on the {len(free)} pairs with no domain: {dc_free} vs {mv_free}"))

    return Planned(jobs, report)


def compute_and_mathverify(run: Run, which: set[int]) -> None:
    """Targets 3 and 5 in two lanes of single-threaded processes, one core each.

    Lane one: derivcheck's compute side, then derivcheck on the pairs, then Math-Verify;
    lane two: the baseline's compute side, the longest job.  Every process has a core to
    itself (on an otherwise quiet two-core machine), and the two targets take about as long
    as the baseline alone.  The targets are judged on CPU seconds; each report says how
    much of each side's time another benchmark process ran beside it.
    """
    compute = plan_compute(run) if 3 in which else None
    verify = plan_mathverify(run) if 5 in which else None
    if compute and verify:
        dc, base = compute.jobs
        plan = [[dc, *verify.jobs], [base]]
    else:
        only = compute or verify
        if only is None:
            return
        plan = [[job] for job in only.jobs]
    sides = {id(job): s for lane, done in zip(plan, lanes.run_lanes(plan)) for job, s in zip(lane, done)}
    everything = list(sides.values())
    for planned in (compute, verify):
        if planned is not None:
            planned.report([sides[id(job)] for job in planned.jobs], everything)


def pair_outputs(dc: Side, mv: Side) -> tuple[dict, dict]:
    """Both sides' JSON documents, or ValueError naming every side that failed.

    ``derivcheck verify`` exits 1 when a file is not valid (the unequal pairs), so its exit
    code is not a failure; no JSON on its standard output is.
    """
    problems, docs = [], []
    for side, any_exit in ((dc, True), (mv, False)):
        if side.error or side.timed_out or (not any_exit and side.returncode != 0):
            problems.append(side.failure())
            continue
        try:
            docs.append(json.loads(side.stdout))
        except ValueError:
            problems.append(f"{side.label}: no JSON on standard output (exit {side.returncode}): {side.stderr.strip()[-200:]}")
    if problems:
        raise ValueError("; ".join(problems))
    return docs[0], docs[1]


#: A Math-Verify call (parse or verify) this long came near its 5 s ``signal.alarm`` limit,
#: after which it answers False: its verdict on that pair may depend on the machine's load.
MV_NEAR_LIMIT_S = 4.0


def judge_mathverify_time(label: str, t_dc: float, c_dc: float, t_mv: float, c_mv: float, mv_import: float,
                          beside: tuple[float, float] = (1.0, 1.0)) -> Target:
    """Target 5's time, judged on CPU seconds (each process may share the machine with another, one core each).

    ``beside``: the fraction of each side's wall time another benchmark process ran too.
    """
    return Target(5, f"Math-Verify, {label}: time", f"derivcheck {c_dc:.1f} s vs Math-Verify {c_mv:.1f} s cpu "
                  f"(ratio {c_dc / max(c_mv, 1e-9):.2f})", "derivcheck <= Math-Verify", c_dc <= c_mv,
                  f"judged on CPU seconds, one process each, imports included (Math-Verify import {mv_import:.1f} s); "
                  f"one core each, another benchmark process beside derivcheck {beside[0]:.0%} and beside Math-Verify "
                  f"{beside[1]:.0%} of the time: wall {t_dc:.1f} s vs {t_mv:.1f} s")


# -- the whole run -------------------------------------------------------------------------


def run_targets(cmd: list[str], quick: bool, save: Path | None, only: set[int] | None = None) -> int:
    started = time.perf_counter()
    work = Path(tempfile.mkdtemp(prefix="derivcheck-targets-"))
    env = dict(os.environ, NO_COLOR="1", DERIVCHECK_CACHE_DIR=str(work / "cache-unused"))
    run = Run(quick, cmd, work, env)
    load_start = os.getloadavg()[0]
    print(f"derivcheck targets ({'quick' if quick else 'full'} run): {' '.join(cmd)}; load {load_start:.2f}", flush=True)
    print("  targets 1, 2 and 4 run alone; 3 and 5 run in two lanes of single-threaded processes, one core each, "
          "and are judged on CPU seconds", flush=True)
    run.has_cache = supports(run, "--no-cache")
    wanted = only if only is not None else {1, 2, 3, 4, 5}
    steps = (({1, 2}, cache_and_start), ({3, 5}, lambda run: compute_and_mathverify(run, wanted)), ({4}, grading))
    try:
        for numbers, step in steps:
            if numbers & wanted:
                began = time.perf_counter()
                step(run)
                took = time.perf_counter() - began
                name = "targets " + " and ".join(map(str, sorted(numbers & wanted)))
                run.details.setdefault("step_wall_s", {})[name] = took
                print(f"  ({name}: {took:.0f} s)", flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    total = time.perf_counter() - started
    cpu = sum(getattr(resource.getrusage(who), f) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
              for f in ("ru_utime", "ru_stime"))
    run.details["benchmark"] = {"wall_s": total, "cpu_s": cpu, "load_start": load_start, "load_end": os.getloadavg()[0]}
    limit = 60 if quick else 180
    if only is None:
        run.add(Target(6, f"this benchmark ({'--quick' if quick else 'default'})", f"{total:.0f} s (cpu {cpu:.0f} s)",
                       f"<= {limit} s", total <= limit,
                       f"wall; load {load_start:.2f} at the start, {os.getloadavg()[0]:.2f} at the end"))
    else:
        run.add(Target(6, "this benchmark", f"{total:.0f} s for targets {sorted(only)} only", f"<= {limit} s", None,
                       "a partial run says nothing about the whole"))
    print_table(run)
    if save is not None:
        save.write_text(json.dumps({"quick": quick, "cmd": cmd, "finished": time.time(),
                                    "targets": [asdict(t) for t in run.targets],
                                    "details": run.details, "load": os.getloadavg()}, indent=1, default=str))
    return 0


def print_table(run: Run) -> None:
    print("\n" + f"{'#':>2s}  {'target':58s} {'measured':58s} {'goal':26s} result")
    for t in sorted(run.targets, key=lambda t: t.number):
        mark = {True: "met", False: "MISSED", None: "not measured"}[t.met]
        print(f"{t.number:>2d}  {t.name[:58]:58s} {t.measured[:58]:58s} {t.goal[:26]:26s} {mark}")
