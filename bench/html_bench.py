"""What the HTML outputs add to `derivcheck grade`: report.html and feedback/*.html for N submissions.

    python bench/html_bench.py [--n 200] [--jobs 2] [--repeat 3]

Generates the class of bench/grade_bench.py, grades it once in-process, then times
writing the outputs without the HTML pages and with them (median of --repeat runs,
each into a fresh folder, the MathML caches cleared before each HTML run so every
run pays for every conversion), and reports the pages' sizes.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from grade_bench import KEY, make_class


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=200)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()

    from derivcheck.formats import mathml
    from derivcheck.grading.batch import BatchOptions, grade_batch
    from derivcheck.grading.key import discover, load_key
    from derivcheck.grading.outputs import write_outputs

    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        folder = base / "submissions"
        folder.mkdir()
        make_class(folder, args.n)
        key = load_key(KEY)
        subs, _ = discover(folder)
        started = time.monotonic()
        grades, stats = grade_batch(key, subs, BatchOptions(jobs=args.jobs))
        graded = time.monotonic() - started
        print(f"{len(grades)} submissions graded in {graded:.1f} s (jobs {args.jobs})")

        def once(html: bool, i: int) -> float:
            for cached in (mathml._latex_mathml, mathml._expr_mathml, mathml._relation_mathml, mathml.expr_latex):
                cached.cache_clear()
            out = base / f"out-{'html' if html else 'plain'}-{i}"
            t = time.monotonic()
            write_outputs(key, grades, out, stats, html=html)
            return time.monotonic() - t

        plain = [once(False, i) for i in range(args.repeat)]
        full = [once(True, i) for i in range(args.repeat)]
        p, f = statistics.median(plain), statistics.median(full)
        out = base / "out-html-0"
        pages = sorted((out / "feedback").glob("*.html"))
        size = sum(x.stat().st_size for x in pages)
        print(f"outputs without HTML: {p:.2f} s; with HTML: {f:.2f} s; the HTML adds {f - p:.2f} s "
              f"({(f - p) / graded * 100:.0f}% of the grading time, {(f - p) / len(grades) * 1000:.1f} ms per submission)")
        print(f"report.html {(out / 'report.html').stat().st_size / 1024:.0f} KiB; {len(pages)} feedback pages, "
              f"{size / 1024 / max(1, len(pages)):.0f} KiB each on average")


if __name__ == "__main__":
    main()
