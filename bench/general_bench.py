"""Time the proof for every size, transition by transition, on the shipped derivations.

    python bench/general_bench.py [FILES...] [--repeats 3]

For every indexed transition (steps, case steps and the claim's two ends) of each
file, in one process after the imports: whether the symbolic route proves it for
every size, and the median wall time of that attempt over the repeats (a fresh
context each time, so no memo is shared). Files default to `derivations/`.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from derivcheck.budget import Budget  # noqa: E402
from derivcheck.checker import DerivationChecker  # noqa: E402
from derivcheck.context import Context  # noqa: E402
from derivcheck.general import prove_general  # noqa: E402
from derivcheck.loader import load_text  # noqa: E402


def transitions(path: Path) -> list[tuple[int, str, str, list]]:
    """(line, previous, current, conditions) of every transition of the file."""
    deriv = load_text(path.read_text(), str(path))
    checker = DerivationChecker(deriv, Context(deriv.scope, []))
    ctx = checker.ctx
    base = [ctx.condition(t) for t in deriv.scope.given]
    out = []
    for chain in deriv.chains:
        conditions = base + [ctx.condition(t) for t in chain.given]
        previous = None
        for step in chain.steps:
            conditions = conditions + [ctx.condition(t) for t in step.given]
            if previous is not None:
                out.append((step.line, previous, step.text, list(conditions)))
            previous = step.text
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("files", nargs="*", type=Path)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    files = args.files or sorted((ROOT / "derivations").glob("*.yaml"))
    print(f"{'file':44} {'line':>4}  {'general':7}  {'median ms':>9}")
    times: list[float] = []
    proved = total = 0
    for path in files:
        for line, previous, current, conditions in transitions(path):
            results, samples = [], []
            for _ in range(args.repeats):
                deriv = load_text(path.read_text(), str(path))
                ctx = Context(deriv.scope, [previous, current])
                a, b = ctx.parse(previous, line), ctx.parse(current, line)
                if not (ctx.free_sizes(a) or ctx.free_sizes(b)):
                    break
                started = time.perf_counter()
                results.append(prove_general(ctx, a, b, conditions, Budget(30)))
                samples.append(time.perf_counter() - started)
            if not samples:
                continue
            total += 1
            proved += results[0]
            ms = 1000 * statistics.median(samples)
            times.append(ms)
            print(f"{path.name:44} {line:>4}  {str(results[0]):7}  {ms:9.1f}")
    if times:
        print(f"\n{proved} of {total} indexed transitions proved for every size; "
              f"median {statistics.median(times):.1f} ms, max {max(times):.1f} ms, total {sum(times) / 1000:.2f} s")


if __name__ == "__main__":
    main()
