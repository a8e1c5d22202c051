#!/usr/bin/env python3
"""Benchmark derivcheck: every performance target, or the per-file corpus comparison.

    python bench/bench.py                  # every target with met / missed (<= 3 minutes)
    python bench/bench.py --quick          # the same at smaller sizes (<= 1 minute)
    python bench/bench.py --setup-mathverify   # make the Math-Verify venv first
    python bench/bench.py --corpus         # the per-file comparison below (3 repeats per file)
    python bench/bench.py --corpus --quick --only softmax

The targets are measured by ``bench/targets.py`` (see its docstring).  The corpus
comparison (``--corpus``):

For every derivation file of ``derivations/``, ``examples/`` (recursively) and
``/work/shared/examples/`` (when it exists; ``expected.yaml`` excluded), and for a
set of larger derivations generated here (softmax with K up to 6, a chain of 30
algebra steps, ...), it runs, interleaved, in fresh processes:

* ``derivcheck verify --format json FILE`` (``--cmd`` to choose the command), and
* the naive baseline below (``python bench/bench.py --baseline FILE``): load the
  file with derivcheck's own loader and context, expand every step at every
  instance (``Context.resolver(instance).full``, what ``Engine.concrete`` does,
  but without the engine's caches), then ``sympy.simplify(a - b) == 0`` per
  transition and instance.  No numeric refutation, no caching, no canonical forms.

Both are timed as subprocesses (wall clock, and CPU time of the child), so both
include Python and SymPy start-up.  The table gives the median per file, the
ratio baseline/derivcheck, and the median ratio over the files.  A baseline run
that exceeds ``--timeout`` (60 s) is killed and shown as ">60"; its ratio is then
a lower bound (">").

Columns: wall seconds (``dc s``, ``base s``), child CPU seconds (``cpu``; steadier
when the machine is busy), and compute seconds (``cmp``: the same check timed inside
a fresh process after its imports, i.e. without the ~0.4 s of importing SymPy that
both sides pay), each with its ratio baseline/derivcheck.

Start-up: ``derivcheck --version``, ``--help`` and ``verify`` on a one-step file,
median of 5 subprocess wall times.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED_EXAMPLES = Path("/work/shared/examples")


# -- the naive baseline --------------------------------------------------------------------


def baseline(path: str) -> dict:
    """Check one file the naive way; return counts of proved/unproved transitions."""
    sys.setrecursionlimit(10_000)
    import sympy

    from derivcheck.api import context_for
    from derivcheck.context import ContextError, substitutions
    from derivcheck.functions import to_elementary
    from derivcheck.loader import load_text, read_text
    from derivcheck.parse import ExpressionError, parse_relation
    from derivcheck.yamltree import LoadError

    out = {"proved": 0, "unproved": 0, "error": 0}
    try:
        deriv = load_text(read_text(path), path)
        ctx = context_for(deriv)
        file_conditions = [ctx.condition(t) for t in deriv.scope.given]
    except (LoadError, ContextError, ExpressionError):
        out["error"] += 1
        return out
    pairs = []
    for chain in deriv.chains:
        try:
            conditions = file_conditions + [ctx.condition(t) for t in chain.given]
        except ContextError:
            out["error"] += 1
            continue
        exprs = []
        for step in chain.steps:
            try:
                conditions = conditions + [ctx.condition(t) for t in step.given]
                exprs.append((ctx.parse(step.text, step.line, latex=step.latex), list(conditions)))
            except ContextError:
                exprs.append((None, list(conditions)))
        for (a, _), (b, conds) in zip(exprs, exprs[1:]):
            pairs.append((a, b, conds))
        if deriv.claim is not None and exprs:
            try:
                rel = parse_relation(deriv.claim.text, ctx.names)
                pairs.append((rel.left, exprs[0][0], exprs[0][1]))
                pairs.append((exprs[-1][0], rel.right, exprs[-1][1]))
            except ExpressionError:
                out["error"] += 1
    for a, b, conds in pairs:
        if a is None or b is None:
            out["error"] += 1
            continue
        try:
            ok = True
            for inst in ctx.instances([a, b], conds):
                resolver = fresh(ctx.resolver(inst))
                ea = resolver.full(a)
                eb = fresh(ctx.resolver(inst)).full(b)
                subst = substitutions(conds, resolver)
                d = to_elementary(ea - eb)
                if subst:
                    d = d.xreplace(subst)
                if sympy.simplify(d) != 0:
                    ok = False
                    break
            out["proved" if ok else "unproved"] += 1
        except (ContextError, RecursionError, ValueError, TypeError):
            out["error"] += 1
    return out


def fresh(resolver):  # type: ignore[no-untyped-def]
    """No caching in the baseline: a resolver whose memo starts empty."""
    if hasattr(resolver, "_memo"):
        resolver._memo = {}
    return resolver


def inprocess(path: str, which: str) -> float:
    """Seconds to check one file once imports are done (``which``: derivcheck|baseline)."""
    if which == "derivcheck":
        from derivcheck.api import verify_file
        from derivcheck.report import render_json

        start = time.perf_counter()
        render_json([verify_file(path)])
    else:
        import sympy  # noqa: F401

        import derivcheck.api  # noqa: F401 - imports outside the timing, as for derivcheck

        start = time.perf_counter()
        baseline(path)
    return time.perf_counter() - start



#: A first file checked before any timing, so lazy imports and first-call costs are not counted.
WARM_UP = "symbols: {x: positive}\nsteps:\n  - (x**2 - 1)/(x - 1) + sin(x)**2 + cos(x)**2\n  - x + 2\n  - x + 3\n"


class _Capped(Exception):
    pass


def compute_many(which: str, cap: float, out: str, files: list[str]) -> None:
    """Compute seconds per file in this one process, after the imports and a warm-up file.

    SymPy's cache is cleared before each file, so no file profits from the one before.
    A baseline file still running after ``cap`` seconds of CPU time (user time, on
    ``ITIMER_VIRTUAL``: derivcheck's own limits use ``ITIMER_PROF``, which the baseline
    calls into) is stopped and counts as ``cap`` CPU seconds.  The cap is on the CPU
    clock because the benchmark runs the two sides at the same time: a wall-clock cap
    would stop the baseline earlier whenever the machine is busy.
    For derivcheck, the seconds spent in interval arithmetic (``IntervalProgram.evaluate``:
    screening and certification) are summed too.
    """
    import signal

    sys.setrecursionlimit(10_000)
    from sympy.core.cache import clear_cache

    from derivcheck import certify
    from derivcheck.api import verify_file

    spent = [0.0, 0]
    original = certify.IntervalProgram.evaluate

    def timed_evaluate(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        if spent[1]:
            return original(self, *args, **kwargs)
        spent[1] += 1
        start = time.perf_counter()
        try:
            return original(self, *args, **kwargs)
        finally:
            spent[0] += time.perf_counter() - start
            spent[1] -= 1

    certify.IntervalProgram.evaluate = timed_evaluate  # type: ignore[method-assign]

    armed = [False]
    fired = [False]

    def stop(*_):  # type: ignore[no-untyped-def]
        # raised again every 50 ms of CPU while armed: code that swallows one exception
        # (a broad ``except`` in SymPy) cannot keep the baseline running past its cap
        if armed[0]:
            fired[0] = True
            raise _Capped

    warm = Path(tempfile.mkdtemp()) / "warm_up.yaml"
    warm.write_text(WARM_UP)
    (verify_file if which == "derivcheck" else baseline)(str(warm))
    results = {}
    for f in files:
        clear_cache()
        spent[0] = 0.0
        capped = False
        start, cpu_start = time.perf_counter(), time.process_time()
        if which == "derivcheck":
            r = verify_file(f)
            counts: dict[str, int] = {}
            for chain in r.chains:
                for step in chain.steps[1:]:
                    counts[step.status] = counts.get(step.status, 0) + 1
            status = f"{r.status}:" + "/".join(f"{v}{k[0]}" for k, v in sorted(counts.items()))
        else:
            old = signal.signal(signal.SIGVTALRM, stop)
            armed[0], fired[0] = True, False
            signal.setitimer(signal.ITIMER_VIRTUAL, cap, 0.05)
            try:
                try:
                    c = baseline(f)
                    status = "/".join(f"{v}{k[0]}" for k, v in c.items() if v)
                finally:
                    armed[0] = False  # a _Capped raised before this line is caught just below
                    signal.setitimer(signal.ITIMER_VIRTUAL, 0)
                    signal.signal(signal.SIGVTALRM, old)
            except _Capped:
                pass
            if fired[0]:  # the cap was reached, whatever the baseline made of the exception
                capped, status = True, f">{cap:g} s"
        seconds = time.perf_counter() - start  # a capped file: the wall time it had when stopped
        cpu = cap if capped else time.process_time() - cpu_start
        results[Path(f).name] = {"seconds": seconds, "cpu": cpu, "capped": capped, "status": status, "interval_s": spent[0]}
    Path(out).write_text(json.dumps(results))

# -- generated derivations -----------------------------------------------------------------

SOFTMAX_GRADIENT = """title: Softmax cross-entropy gradient, K up to {kmax}
indices: {{k: K, T: K, m: K}}
sizes: {{K: [{sizes}]}}
symbols:
  z[k]: real
define:
  y[k]: exp(z[k]) / Sum(exp(z[m]), (m, 1, K))
  t[k]: KroneckerDelta(k, T)
  L: -Sum(t[m]*log(y[m]), (m, 1, K))
claim: Derivative(L, z[k]) = y[k] - t[k]
cases:
  - given: T == k
    steps:
      - Derivative(L, z[k])
      - Derivative(L, y[T]) * Derivative(y[T], z[k])
      - -1/y_T * y_k*(1 - y_k)
      - y_k - 1
      - y_k - t_k
  - given: T != k
    steps:
      - Derivative(L, z[k])
      - Derivative(L, y[T]) * Derivative(y[T], z[k])
      - -1/y_T * (-y_T*y_k)
      - y_k
      - y_k - t_k
"""

SOFTMAX_JACOBIAN = """title: Softmax Jacobian, K up to {kmax}
indices: {{k: K, T: K, m: K}}
sizes: {{K: [{sizes}]}}
symbols:
  z[k]: real
define:
  S: Sum(exp(z[m]), (m, 1, K))
  y[k]: exp(z[k]) / S
cases:
  - given: T == k
    steps:
      - Derivative(y[T], z[k])
      - (exp(z_k)*S - exp(z_k)*exp(z_k)) / S**2
      - exp(z_k)*(S - exp(z_k)) / (S*S)
      - y_k*(1 - y_k)
  - given: T != k
    steps:
      - Derivative(y[T], z[k])
      - -exp(z_T)*exp(z_k) / S**2
      - -y_T*(exp(z_k)/S)
      - -y_T*y_k
"""

LINEAR_MODEL = """title: Squared error of a linear model, N features up to {nmax}
indices: {{j: N, i: N}}
sizes: {{N: [{sizes}]}}
symbols:
  x[j]: real
  w[j]: real
define:
  z: Sum(w[i]*x[i], (i, 1, N)) + b
  L: (z - t)**2 / 2
claim: Derivative(L, w[j]) = (z - t)*x[j]
steps:
  - Derivative(L, w[j])
  - Derivative(L, z) * Derivative(z, w[j])
  - (z - t) * x_j
"""

# Equivalent forms of V = (x + 1)*(y - 2) + 2*w: each differs from the next by a
# genuine identity (polynomial, rational, trigonometric, exponential).
_CHAIN_FORMS = (
    "(x + 1)*(y - 2) + {i}*((z**2 - 1)/(z - 1) - z - 1) + 2*w",
    "x*y - 2*x + y - 2 + {i}*(sin(z)**2 + cos(z)**2 - 1) + w + w",
    "(x*y**2 - 4*x + y**2 - 4)/(y + 2) + {i}*(exp(z)*exp(-z) - 1) + 2*w",
    "(x + 1)*(y + 2)*(y - 2)/(y + 2) + {i}*(log(exp(z)) - z) + 2*w",
    "x*(y - 2) + (y - 2) + {i}*((z + 1)**2 - z**2 - 2*z - 1) + 2*w",
)


def chain_derivation(n: int, wrong_at: int | None = None) -> str:
    lines = [f"title: A chain of {n} algebra steps" + (f", step {wrong_at} wrong" if wrong_at else "")]
    lines += ["symbols: {x: real, y: positive, z: positive, w: real}", "steps:"]
    for i in range(1, n + 1):
        form = _CHAIN_FORMS[(i - 1) % len(_CHAIN_FORMS)].format(i=i)
        if i == wrong_at:
            form += " + w/100"
        lines.append(f"  - {form}")
    return "\n".join(lines) + "\n"


def generated(folder: Path) -> list[Path]:
    files = {
        "gen_softmax_gradient_K2-6.yaml": SOFTMAX_GRADIENT.format(kmax=6, sizes="2, 3, 4, 5, 6"),
        "gen_softmax_jacobian_K2-6.yaml": SOFTMAX_JACOBIAN.format(kmax=6, sizes="2, 3, 4, 5, 6"),
        "gen_linear_model_N2-8.yaml": LINEAR_MODEL.format(nmax=8, sizes="2, 4, 6, 8"),
        "gen_chain30.yaml": chain_derivation(30),
        "gen_chain30_one_wrong.yaml": chain_derivation(30, wrong_at=17),
    }
    out = []
    for name, text in files.items():
        p = folder / name
        p.write_text(text)
        out.append(p)
    return out


# -- running ----------------------------------------------------------------------------


def is_derivation(path: Path) -> bool:
    """A file `derivcheck verify` checks as a derivation (not a grading key or submission)."""
    if path.name == "expected.yaml":
        return False
    try:
        import yaml

        doc = yaml.safe_load(path.read_text())
    except Exception:  # noqa: BLE001 - an unreadable file is still a derivation test case
        return True
    return isinstance(doc, dict) and ("steps" in doc or "cases" in doc or "questions" not in doc and "answers" not in doc)


def corpus() -> list[Path]:
    files: list[Path] = []
    for folder in (ROOT / "derivations", ROOT / "examples"):
        if folder.is_dir():
            files += sorted(p for p in folder.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file())
    if SHARED_EXAMPLES.is_dir():
        files += sorted(p for p in SHARED_EXAMPLES.glob("*.yaml") if p.name != "expected.yaml")
    return [p for p in files if is_derivation(p)]


def timed(cmd: list[str], timeout: float) -> tuple[float, float, str | None]:
    """(wall seconds, child CPU seconds, stdout) of one run; stdout None on timeout."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    try:
        # not cwd=ROOT: `python -m derivcheck` would import the checkout, whatever --cmd says
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=tempfile.gettempdir())
        stdout: str | None = proc.stdout
    except subprocess.TimeoutExpired:
        stdout = None
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, stdout


def summary_of(stdout: str | None) -> str:
    if stdout is None:
        return "timeout"
    try:
        doc = json.loads(stdout)
    except ValueError:
        return "?"
    s = doc.get("summary", {})
    if "proved" in s:
        f = doc["files"][0] if doc.get("files") else {}
        parts = [f"{s[k]}{k[0]}" for k in ("proved", "tested", "invalid", "error", "timeout") if s.get(k)]
        return f"{f.get('status', '?')}:" + ("/".join(parts) or "-")
    parts = [f"{doc[k]}{k[0]}" for k in ("proved", "unproved", "error") if doc.get(k)]
    return "/".join(parts) or "-"


def short(path: Path) -> str:
    for base, tag in ((ROOT, ""), (SHARED_EXAMPLES, "shared/")):
        try:
            return tag + str(path.relative_to(base))
        except ValueError:
            pass
    return path.name


def fmt_time(values: list[float], timed_out: bool, limit: float) -> str:
    if timed_out:
        return f">{limit:g}"
    return f"{statistics.median(values):.2f}"


def startup(cmd: list[str], folder: Path, repeats: int = 5) -> list[tuple[str, float]]:
    one = folder / "one_step.yaml"
    one.write_text("steps:\n  - x*(x + 1)\n  - x**2 + x\n")
    rows = []
    for label, args in (("--version", ["--version"]), ("--help", ["--help"]), ("verify one-step file", ["verify", str(one)])):
        walls = [timed(cmd + args, 60)[0] for _ in range(repeats)]
        rows.append((f"derivcheck {label}", statistics.median(walls)))
    return rows


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="one repeat per file (default 3)")
    ap.add_argument("--repeats", type=int, default=None)
    ap.add_argument("--timeout", type=float, default=60.0, help="per baseline run, seconds (default 60)")
    ap.add_argument("--cmd", default=None, help='derivcheck command (default: "derivcheck" on PATH)')
    ap.add_argument("--only", default=None, help="only files whose path contains this text")
    ap.add_argument("--no-baseline", action="store_true", help="time derivcheck only")
    ap.add_argument("--json", default=None, help="also write the raw timings to this file")
    ap.add_argument("--baseline", metavar="FILE", help=argparse.SUPPRESS)
    ap.add_argument("--inprocess", nargs=2, metavar=("WHICH", "FILE"), help=argparse.SUPPRESS)
    ap.add_argument("--compute", nargs="+", metavar="ARG", help=argparse.SUPPRESS)
    ap.add_argument("--corpus", action="store_true", help="the per-file comparison with the baseline instead of the targets")
    ap.add_argument("--targets", default=None, help="only these targets, comma-separated numbers (default: all)")
    ap.add_argument("--save", default=None, help="write the targets' measurements as JSON to this file")
    ap.add_argument("--setup-mathverify", action="store_true", help="create the Math-Verify venv the benchmark uses, then exit")
    args = ap.parse_args(argv)
    if args.compute:
        which, cap, out, *files = args.compute
        compute_many(which, float(cap), out, files)
        return 0
    if args.setup_mathverify:
        import targets

        return 0 if targets.setup_mathverify() else 1
    if args.baseline:
        print(json.dumps(baseline(args.baseline)))
        return 0
    if args.inprocess:
        print(json.dumps(inprocess(args.inprocess[1], args.inprocess[0])))
        return 0

    if args.cmd:
        cmd = shlex.split(args.cmd)
    elif shutil.which("derivcheck"):
        cmd = ["derivcheck"]
    else:
        cmd = [sys.executable, "-m", "derivcheck"]
    if not args.corpus:
        import targets

        only = {int(n) for n in args.targets.split(",")} if args.targets else None
        return targets.run_targets(cmd, args.quick, Path(args.save) if args.save else None, only)
    repeats = args.repeats or (1 if args.quick else 3)
    work = Path(tempfile.mkdtemp(prefix="derivcheck-bench-"))
    files = corpus() + generated(work)
    if args.only:
        files = [f for f in files if args.only in str(f)]

    results = []
    print(f"derivcheck: {' '.join(cmd)}; {repeats} repeat(s); {len(files)} files; load {os.getloadavg()[0]:.2f}", flush=True)
    for f in files:
        dc_wall, dc_cpu, bl_wall, bl_cpu, dc_in, bl_in = [], [], [], [], [], []
        dc_out = bl_out = None
        bl_timeout = False
        for _ in range(repeats):  # interleaved: derivcheck, baseline, derivcheck, ...
            w, c, dc_out = timed(cmd + ["verify", "--format", "json", str(f)], 600)
            dc_wall.append(w)
            dc_cpu.append(c)
            me = [sys.executable, str(Path(__file__).resolve())]
            out = timed(me + ["--inprocess", "derivcheck", str(f)], 600)[2]
            dc_in.append(json.loads(out) if out else float("nan"))
            if args.no_baseline or bl_timeout:
                continue
            w, c, out = timed(me + ["--baseline", str(f)], args.timeout)
            if out is None:
                bl_timeout = True
            else:
                bl_out = out
                bl_wall.append(w)
                bl_cpu.append(c)
                out = timed(me + ["--inprocess", "baseline", str(f)], args.timeout)[2]
                bl_in.append(json.loads(out) if out else float("nan"))
        row = {
            "file": short(f),
            "derivcheck": statistics.median(dc_wall),
            "derivcheck_cpu": statistics.median(dc_cpu),
            "result": summary_of(dc_out),
            "derivcheck_compute": statistics.median(dc_in),
        }
        if not args.no_baseline:
            if bl_timeout:
                row.update(baseline=None, baseline_cpu=None, baseline_result="timeout")
                row["ratio"] = args.timeout / row["derivcheck"]
                row["ratio_cpu"] = args.timeout / max(row["derivcheck_cpu"], 1e-3)
                row["baseline_compute"] = None
                row["ratio_compute"] = args.timeout / max(row["derivcheck_compute"], 1e-3)
            else:
                row.update(
                    baseline=statistics.median(bl_wall),
                    baseline_cpu=statistics.median(bl_cpu),
                    baseline_result=summary_of(bl_out),
                )
                row["ratio"] = row["baseline"] / row["derivcheck"]
                row["ratio_cpu"] = row["baseline_cpu"] / max(row["derivcheck_cpu"], 1e-3)
                row["baseline_compute"] = statistics.median(bl_in)
                row["ratio_compute"] = row["baseline_compute"] / max(row["derivcheck_compute"], 1e-3)
            row["lower_bound"] = bl_timeout
        results.append(row)
        print_row(row, args, header=len(results) == 1)

    print()
    if not args.no_baseline and results:
        ratios = [r["ratio"] for r in results]
        cpu_ratios = [r["ratio_cpu"] for r in results]
        compute_ratios = [r["ratio_compute"] for r in results]
        bounded = sum(r["lower_bound"] for r in results)
        print(f"median ratio baseline/derivcheck over {len(results)} files: {statistics.median(ratios):.1f}x wall, "
              f"{statistics.median(cpu_ratios):.1f}x CPU, {statistics.median(compute_ratios):.1f}x compute (imports excluded)" + (f" ({bounded} baseline timeouts count as {args.timeout:g} s)" if bounded else ""))
    print(f"derivcheck median wall over files: {statistics.median(r['derivcheck'] for r in results):.2f} s; "
          f"total {sum(r['derivcheck'] for r in results):.1f} s; median compute "
          f"{statistics.median(r['derivcheck_compute'] for r in results):.3f} s")
    print()
    rows = startup(cmd, work)
    for label, seconds in rows:
        print(f"start-up  {label:32s} {seconds:6.3f} s (median of 5)")
    if args.json:
        Path(args.json).write_text(json.dumps({"files": results, "startup": rows, "cmd": cmd, "repeats": repeats}, indent=1))
    shutil.rmtree(work, ignore_errors=True)
    return 0


def print_row(row: dict, args: argparse.Namespace, header: bool) -> None:
    if header:
        if args.no_baseline:
            print(f"{'file':52s} {'dc s':>7s} {'dc cpu':>7s} {'dc cmp':>7s}  result")
        else:
            print(f"{'file':52s} {'dc s':>7s} {'base s':>7s} {'ratio':>7s} {'dc cpu':>7s} {'b cpu':>7s} {'r cpu':>7s} "
                  f"{'dc cmp':>7s} {'b cmp':>7s} {'r cmp':>7s}  derivcheck / baseline")
    if args.no_baseline:
        print(f"{row['file'][:52]:52s} {row['derivcheck']:7.2f} {row['derivcheck_cpu']:7.2f} {row['derivcheck_compute']:7.3f}  {row['result']}", flush=True)
        return
    lb = ">" if row["lower_bound"] else ""
    base = f">{args.timeout:g}" if row["lower_bound"] else f"{row['baseline']:.2f}"
    bcpu = f">{args.timeout:g}" if row["lower_bound"] else f"{row['baseline_cpu']:.2f}"
    bcmp = f">{args.timeout:g}" if row["lower_bound"] else f"{row['baseline_compute']:.3f}"
    print(
        f"{row['file'][:52]:52s} {row['derivcheck']:7.2f} {base:>7s} {lb + format(row['ratio'], '.1f'):>7s} "
        f"{row['derivcheck_cpu']:7.2f} {bcpu:>7s} {lb + format(row['ratio_cpu'], '.1f'):>7s} "
        f"{row['derivcheck_compute']:7.3f} {bcmp:>7s} {lb + format(row['ratio_compute'], '.1f'):>7s}  {row['result']} / {row['baseline_result']}",
        flush=True,
    )


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
