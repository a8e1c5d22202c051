"""Where a wrong step's time goes: CPU seconds per phase on the generated ``wrong`` files.

    python bench/profile_wrong.py [--out FILE] [--top N] [--files lse_K8_N10_wrong,...]

Generates the scaling files of ``bench/scaling.py`` (the full grid) into a
temporary folder and runs :func:`derivcheck.api.verify_file` on each *wrong*
file in one process, after a warm-up file, with SymPy's cache cleared before
each file.  Each file is run twice:

1. **plain**, with light timers around the phases (a few calls per transition,
   plus one around each interval evaluation): the CPU seconds to compare between
   versions, split into

   * ``check``: the chains' transitions (``DerivationChecker.check_chain``: screening,
     proofs, certification), ``claim`` (``DerivationChecker.check_claim``), ``cover``
     (``DerivationChecker.coverage``);
   * ``diag``: the diagnoses (``diagnose_chain``), and within it each rule
     (``slip`` and every function of ``RULE_FUNCTIONS``);
   * ``cert``: time inside ``derivcheck/certify.py``'s interval programs
     (compilation and evaluation), ``c.chk`` outside the diagnoses and
     ``c.diag`` inside them;

2. **under cProfile** (CPU clock), for the same split read from the profile's
   cumulative times and for the functions with the most own time over every file.
   cProfile slows the run about threefold, and every time limit of a check counts
   CPU time, so this run gets a proportionally larger ``timeout`` (``--profile-timeout``);
   the script checks that it gives the same result as the plain run and says so.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

import scaling  # noqa: E402  (bench/scaling.py: the generator, reused)

PHASES = ("check", "claim", "cover", "diag", "cert", "c.chk", "c.diag")


class PhaseTimer:
    """CPU seconds per phase, by wrapping the phases' entry points (installed once per process)."""

    def __init__(self, rules: list[str]) -> None:
        self.rules = rules
        self.seconds: dict[str, float] = defaultdict(float)
        self.diagnosing = 0
        self.in_interval = 0

    def _timed(self, fn: Callable[..., Any], key: str) -> Callable[..., Any]:
        timer = self

        def wrapper(*args: Any, **kwargs: Any) -> Any:
            start = time.process_time()
            try:
                return fn(*args, **kwargs)
            finally:
                timer.seconds[key] += time.process_time() - start

        wrapper.__name__ = getattr(fn, "__name__", key)
        return wrapper

    def _interval(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        timer = self

        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if timer.in_interval:
                return fn(*args, **kwargs)
            timer.in_interval += 1
            start = time.process_time()
            try:
                return fn(*args, **kwargs)
            finally:
                timer.in_interval -= 1
                took = time.process_time() - start
                timer.seconds["cert"] += took
                timer.seconds["c.diag" if timer.diagnosing else "c.chk"] += took

        return wrapper

    def install(self) -> None:
        from derivcheck import certify, checker, diagnose, diagnoses

        for method, key in (("check_chain", "check"), ("check_claim", "claim"), ("coverage", "cover")):
            setattr(checker.DerivationChecker, method, self._timed(getattr(checker.DerivationChecker, method), key))
        # building, and evaluating (``evaluate``, or ``_run`` and ``_env`` where both sides are compared)
        for method in ("__init__", "evaluate", "_run", "_env", "_env_after"):
            if hasattr(certify.IntervalProgram, method):
                setattr(certify.IntervalProgram, method, self._interval(getattr(certify.IntervalProgram, method)))
        diagnoses.slip = self._timed(diagnoses.slip, "rule:slip")  # diagnose_chain reads it from its module
        diagnoses.RULE_FUNCTIONS = tuple(self._timed(f, f"rule:{f.__name__}") for f in diagnoses.RULE_FUNCTIONS)
        inner = self._timed(diagnose.diagnose_chain, "diag")
        timer = self

        def diagnose_chain(*args: Any, **kwargs: Any) -> Any:
            timer.diagnosing += 1
            try:
                return inner(*args, **kwargs)
            finally:
                timer.diagnosing -= 1

        diagnose.diagnose_chain = diagnose_chain  # api imports it from derivcheck.diagnose when a chain is invalid


def _cum(stats: pstats.Stats, filename_part: str, name: str) -> float:
    """Cumulative seconds of the functions called ``name`` in files whose path contains ``filename_part``."""
    return sum(
        ct
        for (fname, _line, func), (_cc, _nc, _tt, ct, _callers) in stats.stats.items()  # type: ignore[attr-defined]
        if func == name and filename_part in fname
    )


def _entered_from_outside(stats: pstats.Stats, filename_part: str) -> float:
    """Cumulative seconds of a module's functions over the calls made from outside the module."""
    total = 0.0
    for (fname, _line, _func), (_cc, _nc, _tt, _ct, callers) in stats.stats.items():  # type: ignore[attr-defined]
        if filename_part not in fname:
            continue
        total += sum(edge[3] for caller, edge in callers.items() if filename_part not in caller[0])
    return total


def _counts(result: Any) -> str:
    steps = [s for c in result.chains for s in c.steps]
    return "/".join(f"{sum(s.status == k for s in steps)}{k[0]}" for k in ("invalid", "proved", "tested"))


def main() -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    ap.add_argument("--out", type=Path, help="also write the report to this file")
    ap.add_argument("--top", type=int, default=30, help="functions listed by own time, over every file")
    ap.add_argument("--files", default="", help="comma-separated names (without .yaml) to run only those")
    ap.add_argument("--profile-timeout", type=float, default=30.0,
                    help="per-transition timeout of the profiled run (the plain run uses the default)")
    args = ap.parse_args()

    import sympy
    from sympy.core.cache import clear_cache

    from derivcheck import api, limits
    from derivcheck.diagnoses import RULE_FUNCTIONS

    rules = ["slip", *(f.__name__ for f in RULE_FUNCTIONS)]
    work = Path(tempfile.mkdtemp(prefix="profile-wrong-"))
    specs = [s for s in scaling.grid(False) if s.wrong]
    if args.files:
        wanted = set(args.files.split(","))
        specs = [s for s in specs if s.name.removesuffix(".yaml") in wanted]
    files = scaling.write(work, specs)
    warm = scaling.write(work / "warm", [scaling.Spec("mlp", 2, 10, True)])[0]
    api.verify_file(warm)  # imports, the diagnoses' modules, the first lambdify

    timer = PhaseTimer(rules)
    timer.install()
    lines: list[str] = []

    def say(s: str = "") -> None:
        print(s, flush=True)
        lines.append(s)

    say(f"wrong files of bench/scaling.py: derivcheck verify_file in one process, sympy {sympy.__version__}, "
        f"timeout {limits.DEFAULT_TIMEOUT:g} s")
    say("")
    plain_rows, prof_rows, rule_rows, notes = [], [], [], []
    totals: dict[str, float] = defaultdict(float)
    combined: pstats.Stats | None = None
    for spec, path in zip(specs, files):
        name = spec.name.removesuffix(".yaml")
        clear_cache()
        timer.seconds.clear()
        start = time.process_time()
        result = api.verify_file(path)
        plain = time.process_time() - start
        split = dict(timer.seconds)
        clear_cache()
        prof = cProfile.Profile(time.process_time)
        start = time.process_time()
        prof.enable()
        again = api.verify_file(path, timeout=args.profile_timeout)
        prof.disable()
        profiled = time.process_time() - start
        if again.to_json() != result.to_json():
            notes.append(f"{name}: the profiled run's result differs from the plain run's (a time limit fired?)")
        st = pstats.Stats(prof)
        combined = st if combined is None else combined.add(prof)
        plain_rows.append(f"{name:22s} {plain:6.2f} " + " ".join(f"{split.get(k, 0.0):6.2f}" for k in PHASES)
                          + f"  {result.status} {_counts(result)}")
        pparts = {
            "check": _cum(st, "derivcheck/checker.py", "check_chain"),
            "claim": _cum(st, "derivcheck/checker.py", "check_claim"),
            "cover": _cum(st, "derivcheck/checker.py", "coverage"),
            "diag": _cum(st, "derivcheck/diagnoses/__init__.py", "diagnose_chain"),
            "cert": _entered_from_outside(st, "derivcheck/certify.py"),
        }
        prof_rows.append(f"{name:22s} {profiled:6.2f} " + " ".join(f"{v:6.2f}" for v in pparts.values()))
        rule_rows.append(f"{name:22s} " + " ".join(f"{split.get('rule:' + r, 0.0):9.2f}" for r in rules))
        totals["plain"] += plain
        totals["prof"] += profiled
        for k in PHASES:
            totals[k] += split.get(k, 0.0)
        for r in rules:
            totals["rule:" + r] += split.get("rule:" + r, 0.0)
        for k, v in pparts.items():
            totals["p." + k] += v
        print(f"  {name}: {plain:.2f} s plain, {profiled:.2f} s profiled", file=sys.stderr, flush=True)

    say("1. plain run: CPU seconds per phase")
    say(f"{'file':22s} {'total':>6s} " + " ".join(f"{k:>6s}" for k in PHASES) + "  status")
    for r in plain_rows:
        say(r)
    say(f"{'total':22s} {totals['plain']:6.2f} " + " ".join(f"{totals[k]:6.2f}" for k in PHASES))
    say("check: the chains' transitions; claim; cover: coverage; diag: the diagnoses; cert: certify.py's")
    say("interval programs (built and evaluated) anywhere, c.chk outside the diagnoses, c.diag inside them")
    say("")
    say("2. plain run: CPU seconds per diagnosis rule")
    say(f"{'file':22s} " + " ".join(f"{r[:9]:>9s}" for r in rules))
    for r in rule_rows:
        say(r)
    say(f"{'total':22s} " + " ".join(f"{totals['rule:' + r]:9.2f}" for r in rules))
    say("")
    say(f"3. under cProfile (CPU clock, timeout {args.profile_timeout:g} s): cumulative seconds per phase")
    say(f"{'file':22s} {'total':>6s} " + " ".join(f"{k:>6s}" for k in ("check", "claim", "cover", "diag", "cert")))
    for r in prof_rows:
        say(r)
    say(f"{'total':22s} {totals['prof']:6.2f} "
        + " ".join(f"{totals['p.' + k]:6.2f}" for k in ("check", "claim", "cover", "diag", "cert")))
    say("cert here: certify.py's functions over the calls from outside the module")
    for n in notes or ["every profiled run gave the same result as the plain run"]:
        say(n)
    say("")
    if combined is not None:
        buf = io.StringIO()
        combined.stream = buf  # type: ignore[attr-defined]
        combined.sort_stats("tottime").print_stats(args.top)
        say(f"4. under cProfile: the {args.top} functions with the most own time, every file")
        site = str(Path(sympy.__file__).parent.parent) + "/"
        for line in buf.getvalue().splitlines():
            if line.strip() and not line.lstrip().startswith(("List reduced", "Ordered by", "function calls")):
                say(line.rstrip().replace(site, "").replace(str(BENCH.parent) + "/", ""))
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
