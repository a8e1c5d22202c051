"""Measure every target of the performance issue and print them with met / missed.

    python bench/bench.py            # every target, full sizes (<= 3 minutes)
    python bench/bench.py --quick    # smaller sizes, extrapolated where labelled (<= 1 minute)

Targets (issue 15):
1. result cache: an unchanged file <= 0.15 s, ``derivations/`` <= 0.3 s, cached/cold <= 0.15;
2. cold start: ``verify`` of a one-step file <= 0.8 s wall;
3. compute: median compute per file (imports excluded, same process) on generated
   larger derivations at least 5x below the naive baseline's; growth with K and N;
4. grading: 2,000 generated submissions in <= 60 s with ``--jobs 2``;
5. Math-Verify: ``derivcheck verify`` of the pair folder in one process no slower
   than Math-Verify's ``verify`` of the same pairs in one process, and at least as correct;
6. this benchmark: <= 3 minutes (``--quick`` <= 1 minute).
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
from dataclasses import asdict, dataclass, field
from pathlib import Path

BENCH = Path(__file__).resolve().parent
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
    targets: list[Target] = field(default_factory=list)
    details: dict = field(default_factory=dict)

    def add(self, t: Target) -> None:
        self.targets.append(t)
        mark = {True: "met", False: "MISSED", None: "not measured"}[t.met]
        print(f"  [{t.number}] {t.name}: {t.measured} (goal {t.goal}) {mark}" + (f" - {t.note}" if t.note else ""), flush=True)


#: CPU seconds of the children run by :func:`wall`, last call (steadier than wall on a busy machine).
LAST_CPU = [0.0]


def wall(cmd: list[str], env: dict[str, str], timeout: float = 600, cwd: Path | None = None) -> tuple[float, subprocess.CompletedProcess | None]:
    """Wall seconds of one command (its CPU seconds in ``LAST_CPU[0]``), and its result (None: timed out)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    try:
        proc: subprocess.CompletedProcess | None = subprocess.run(
            cmd, capture_output=True, text=True, timeout=timeout, env=env, cwd=cwd or tempfile.gettempdir(), check=False)
    except subprocess.TimeoutExpired:
        proc = None
    took = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    LAST_CPU[0] = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return took, proc


def timed_median(cmd: list[str], env: dict[str, str], repeats: int) -> tuple[float, float]:
    """Median wall and median CPU seconds of ``repeats`` runs."""
    walls, cpus = [], []
    for _ in range(repeats):
        walls.append(wall(cmd, env)[0])
        cpus.append(LAST_CPU[0])
    return statistics.median(walls), statistics.median(cpus)


def supports(run: Run, flag: str) -> bool:
    _, proc = wall(run.cmd + ["verify", "--help"], run.env, 60)
    return proc is not None and flag in proc.stdout


# -- 1 and 2: cache and cold start ----------------------------------------------------------


def cache_and_start(run: Run) -> None:
    repeats = 3 if run.quick else 5
    has_cache = supports(run, "--no-cache")
    nocache = ["--no-cache"] if has_cache else []
    one = run.work / "one_step.yaml"
    one.write_text("steps:\n  - x*(x + 1)\n  - x**2 + x\n")
    cold_one, cold_cpu = timed_median(run.cmd + ["verify", *nocache, str(one)], run.env, repeats)
    run.add(Target(2, "cold start: verify a one-step file", f"{cold_one:.2f} s (cpu {cold_cpu:.2f} s)", "<= 0.8 s",
                   cold_one <= 0.8, f"median of {repeats}, no cache"))
    folder = ROOT / "derivations"
    if not has_cache:
        for label in ("cached unchanged file", "cached derivations/", "cached / cold, derivations/"):
            run.add(Target(1, label, "-", "-", None, "this derivcheck has no result cache (--no-cache unknown)"))
        return
    env = dict(run.env, DERIVCHECK_CACHE_DIR=str(run.work / "cache"))
    file = min(folder.glob("*.yaml"))
    wall(run.cmd + ["verify", str(file)], env)  # fills the cache for this file
    cached_one, cached_one_cpu = timed_median(run.cmd + ["verify", str(file)], env, repeats)
    cold_dir, _ = wall(run.cmd + ["verify", "--no-cache", str(folder)], env)
    cold_dir_cpu = LAST_CPU[0]
    wall(run.cmd + ["verify", str(folder)], env)  # fills the cache for the folder
    cached_dir, cached_dir_cpu = timed_median(run.cmd + ["verify", str(folder)], env, repeats)
    run.details["cache"] = {"file": file.name, "cached_file_s": cached_one, "cached_file_cpu_s": cached_one_cpu,
                            "cold_dir_s": cold_dir, "cold_dir_cpu_s": cold_dir_cpu, "cached_dir_s": cached_dir,
                            "cached_dir_cpu_s": cached_dir_cpu}
    n = len(list(folder.glob("*.yaml")))
    run.add(Target(1, f"cached unchanged file ({file.name})", f"{cached_one:.3f} s (cpu {cached_one_cpu:.3f} s)",
                   "<= 0.15 s", cached_one <= 0.15, f"median of {repeats}"))
    run.add(Target(1, f"cached derivations/ ({n} files)", f"{cached_dir:.3f} s (cpu {cached_dir_cpu:.3f} s)", "<= 0.3 s",
                   cached_dir <= 0.3, f"median of {repeats}"))
    ratio = cached_dir / cold_dir
    run.add(Target(1, "cached / cold, derivations/", f"{ratio:.3f} ({cached_dir:.2f} / {cold_dir:.1f} s)", "<= 0.15",
                   ratio <= 0.15, f"cpu: {cached_dir_cpu:.2f} / {cold_dir_cpu:.1f} s"))


# -- 3: compute that scales ----------------------------------------------------------------


def compute(run: Run) -> None:
    sys.path.insert(0, str(BENCH))
    import scaling

    specs = scaling.grid(run.quick)
    files = scaling.write(run.work / "scaling", specs)
    cap = 4.0 if run.quick else 10.0
    out = run.work / "compute.json"
    me = [sys.executable, str(BENCH / "bench.py")]
    for which in ("derivcheck", "baseline"):
        _, proc = wall(me + ["--compute", which, str(cap), str(out.with_suffix(f".{which}.json")), *map(str, files)],
                       run.env, 900)
        if proc is None or proc.returncode != 0:
            run.add(Target(3, f"compute ({which})", "failed", "-", False, (proc.stderr[-300:] if proc else "timed out")))
            return
    dc = json.loads(out.with_suffix(".derivcheck.json").read_text())
    bl = json.loads(out.with_suffix(".baseline.json").read_text())
    rows = []
    for spec, f in zip(specs, files):
        d, b = dc[f.name], bl[f.name]
        rows.append({**asdict(spec), "dc_s": d["seconds"], "dc_cpu": d["cpu"], "dc_status": d["status"],
                     "interval_s": d.get("interval_s", 0.0), "base_s": b["seconds"], "base_cpu": b["cpu"],
                     "base_capped": b["capped"], "base_status": b["status"]})
    run.details["compute"] = {"cap_s": cap, "rows": rows}
    med_dc = statistics.median(r["dc_s"] for r in rows)
    med_bl = statistics.median(r["base_s"] for r in rows)
    capped = sum(r["base_capped"] for r in rows)
    ratio = med_bl / med_dc
    cpu_ratio = statistics.median(r["base_cpu"] for r in rows) / statistics.median(r["dc_cpu"] for r in rows)
    share = sum(r["interval_s"] for r in rows) / max(sum(r["dc_s"] for r in rows), 1e-9)
    print_compute_table(rows, cap)
    run.add(Target(3, f"compute, median per file over {len(rows)} generated files",
                   f"{'>=' if capped else ''}{ratio:.1f}x (derivcheck {med_dc:.2f} s, baseline {'>=' if capped else ''}{med_bl:.2f} s)",
                   ">= 5x", ratio >= 5,
                   f"cpu ratio {'>=' if capped else ''}{cpu_ratio:.1f}x; {capped} baseline run(s) stopped at {cap:g} s count as {cap:g} s; "
                   f"interval arithmetic {share:.0%} of derivcheck's time"))


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
    print(f"\n  {'file':24s} {'dc s':>7s} {'base s':>8s} {'ratio':>7s}  derivcheck / baseline")
    for r in rows:
        name = f"{r['family']} K={r['K']} N={r['N']}{' wrong' if r['wrong'] else ''}"
        b = f"{'>' if r['base_capped'] else ''}{r['base_s']:.2f}"
        print(f"  {name:24s} {r['dc_s']:7.2f} {b:>8s} {r['base_s'] / max(r['dc_s'], 1e-3):7.1f}  {r['dc_status']} / {r['base_status']}")
    print("\n  growth (log-log slope of seconds against K at N = 10, and against N at fixed K):")
    for fam in sorted({r["family"] for r in rows}):
        for who, key in (("derivcheck", "dc_s"), ("baseline", "base_s")):
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


def last_full_grading() -> tuple[Target, str] | None:
    """Target 4 as measured by the latest saved full run under ``bench/results/``, and the file's name."""
    found = []
    for path in (BENCH / "results").glob("*.json"):
        try:
            doc = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        if not isinstance(doc, dict) or doc.get("quick") is not False:
            continue
        for t in doc.get("targets", []):
            if t.get("number") == 4 and t.get("met") is not None:
                found.append((path.stat().st_mtime, path.name, Target(**t)))
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
    t, proc = wall(cmd, env, 300)
    cpu = LAST_CPU[0]
    run.details["grading"] = {"submissions": n, "jobs": 2, "seconds": t, "cpu_s": cpu}
    if proc is None or proc.returncode != 0:
        run.add(Target(4, f"grading {n} submissions, --jobs 2", "failed", "<= 60 s", False,
                       (proc.stderr[-200:] if proc else "over 300 s")))
        return
    if run.quick:
        est = t * 2000 / n
        run.add(Target(4, "grading 2,000 submissions, --jobs 2", f"~{est:.0f} s (extrapolated from N = {n}: {t:.1f} s, cpu {cpu:.0f} s)",
                       "<= 60 s", est <= 60, "estimate: quick run"))
    else:
        run.add(Target(4, "grading 2,000 submissions, --jobs 2", f"{t:.1f} s (cpu {cpu:.0f} s)", "<= 60 s", t <= 60,
                       "same grades.csv as --jobs 1: see bench/grade_bench.py"))


# -- 5: Math-Verify ------------------------------------------------------------------------


def setup_mathverify() -> bool:
    """Make the benchmark's own venv with Math-Verify (never a derivcheck dependency)."""
    if MV_PYTHON.exists():
        return True
    subprocess.run([sys.executable, "-m", "venv", str(MV_VENV)], check=True)
    proc = subprocess.run([str(MV_PYTHON), "-m", "pip", "install", "-q", "math-verify[antlr4_13_2]"], check=False)
    return proc.returncode == 0


def mathverify(run: Run) -> None:
    sys.path.insert(0, str(BENCH))
    import pairs as P

    pairs = P.load()
    if run.quick:
        pairs = pairs[::4]
    label = f"{len(pairs)} pairs" + (" (every fourth: quick run)" if run.quick else "")
    if not MV_PYTHON.exists():
        run.add(Target(5, f"Math-Verify, {label}", "-", "-", None,
                       f"no {MV_PYTHON}: python bench/bench.py --setup-mathverify"))
        return
    folder = run.work / "pairs"
    paths = P.write_derivations(folder, pairs)
    latex = run.work / "pairs.json"
    latex.write_text(json.dumps([[P.to_latex(p.a), P.to_latex(p.b)] for p in pairs]))
    nocache = ["--no-cache"] if supports(run, "--no-cache") else []
    t_dc, proc = wall(run.cmd + ["verify", "--format", "json", *nocache, str(folder)], run.env, 600)
    c_dc = LAST_CPU[0]
    t_mv, mproc = wall([str(MV_PYTHON), str(BENCH / "mathverify_run.py"), str(latex)], run.env, 600)
    c_mv = LAST_CPU[0]
    if proc is None or mproc is None or mproc.returncode != 0:
        run.add(Target(5, f"Math-Verify, {label}", "failed", "-", False))
        return
    doc = json.loads(proc.stdout)
    mv = json.loads(mproc.stdout)
    by_path = {Path(f["path"]).name: f for f in doc["files"]}
    dc_ok = mv_ok = 0
    wrong: dict[str, list[str]] = {"derivcheck": [], "math-verify": []}
    for i, (p, path) in enumerate(zip(pairs, paths)):
        f = by_path[path.name]
        steps = [s for c in f["chains"] for s in c["steps"]]
        status = steps[1]["status"] if len(steps) > 1 else f["status"]
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
    run.details["mathverify"] = {"pairs": len(pairs), "dc_s": t_dc, "mv_s": t_mv, "dc_cpu_s": c_dc, "mv_cpu_s": c_mv, "mv_import_s": mv["import_s"],
                                 "mv_pairs_s": mv["pairs_s"], "dc_correct": dc_ok, "mv_correct": mv_ok, "wrong": wrong,
                                 "unparsed": sum(not x for x in mv["parsed"])}
    print(f"  derivcheck wrong or undecided: {', '.join(wrong['derivcheck']) or 'none'}")
    print(f"  Math-Verify wrong: {', '.join(wrong['math-verify']) or 'none'}")
    mv_free = sum(mv["verdicts"][i] == pairs[i].equal for i in free)
    dc_free = sum(pairs[i].id not in {w.split(' ')[0] for w in wrong["derivcheck"]} for i in free)
    run.add(Target(5, f"Math-Verify, {label}: time", f"derivcheck {t_dc:.1f} s vs Math-Verify {t_mv:.1f} s "
                   f"(ratio {t_dc / t_mv:.2f})", "derivcheck <= Math-Verify", t_dc <= t_mv,
                   f"one process each, wall, imports included (Math-Verify import {mv['import_s']:.1f} s); "
                   f"cpu {c_dc:.1f} s vs {c_mv:.1f} s"))
    run.add(Target(5, f"Math-Verify, {label}: correct", f"derivcheck {dc_ok}/{len(pairs)} vs Math-Verify {mv_ok}/{len(pairs)}",
                   "derivcheck >= Math-Verify", dc_ok >= mv_ok,
                   f"on the {len(free)} pairs with no domain: {dc_free} vs {mv_free}"))


# -- the whole run -------------------------------------------------------------------------


def run_targets(cmd: list[str], quick: bool, save: Path | None, only: set[int] | None = None) -> int:
    started = time.perf_counter()
    work = Path(tempfile.mkdtemp(prefix="derivcheck-targets-"))
    env = dict(os.environ, NO_COLOR="1", DERIVCHECK_CACHE_DIR=str(work / "cache-unused"))
    run = Run(quick, cmd, work, env)
    print(f"derivcheck targets ({'quick' if quick else 'full'} run): {' '.join(cmd)}; load {os.getloadavg()[0]:.2f}", flush=True)
    steps = ((1, cache_and_start), (3, compute), (4, grading), (5, mathverify))
    try:
        for number, step in steps:
            if only is None or number in only or (number == 1 and 2 in only):
                step(run)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    total = time.perf_counter() - started
    limit = 60 if quick else 180
    if only is None:
        run.add(Target(6, f"this benchmark ({'--quick' if quick else 'default'})", f"{total:.0f} s", f"<= {limit} s",
                       total <= limit, f"load {os.getloadavg()[0]:.2f} at the end"))
    else:
        run.add(Target(6, "this benchmark", f"{total:.0f} s for targets {sorted(only)} only", f"<= {limit} s", None,
                       "a partial run says nothing about the whole"))
    print_table(run)
    if save is not None:
        save.write_text(json.dumps({"quick": quick, "cmd": cmd, "targets": [asdict(t) for t in run.targets],
                                    "details": run.details, "load": os.getloadavg()}, indent=1, default=str))
    return 0


def print_table(run: Run) -> None:
    print("\n" + f"{'#':>2s}  {'target':58s} {'measured':58s} {'goal':26s} result")
    for t in sorted(run.targets, key=lambda t: t.number):
        mark = {True: "met", False: "MISSED", None: "not measured"}[t.met]
        print(f"{t.number:>2d}  {t.name[:58]:58s} {t.measured[:58]:58s} {t.goal[:26]:26s} {mark}")
