"""Run Math-Verify over pairs, in one process (run with the benchmark venv's Python).

    /work/bench-venv/bin/python bench/mathverify_run.py PAIRS.json

PAIRS.json is a list of [latex_a, latex_b]; each side is wrapped in $...$ and read
with ``parse(..., extraction_config=[LatexExtractionConfig()])`` (Math-Verify's
plain-expression reader only extracts numbers), then ``verify(a, b)`` with its
defaults.  Prints one JSON document: the verdicts (true/false), whether each side
parsed, the seconds for the import and for the pairs, and per pair the longest
single call (``parse`` or ``verify``): Math-Verify stops each call after 5 s of
*wall* time (``signal.alarm``) and then answers False, so a busy machine can change
its verdicts; the benchmark reports the pairs whose slowest call came near that.
"""

from __future__ import annotations

import json
import sys
import time


def main(path: str) -> int:
    start = time.perf_counter()
    from math_verify import LatexExtractionConfig, parse, verify

    imported = time.perf_counter()
    with open(path) as f:
        pairs = json.load(f)
    config = [LatexExtractionConfig()]
    verdicts, parsed, slowest = [], [], []
    for a, b in pairs:
        t0 = time.perf_counter()
        pa = parse(f"${a}$", extraction_config=config)
        t1 = time.perf_counter()
        pb = parse(f"${b}$", extraction_config=config)
        t2 = time.perf_counter()
        parsed.append(bool(pa) and bool(pb))
        verdicts.append(bool(verify(pa, pb)))
        slowest.append(max(t1 - t0, t2 - t1, time.perf_counter() - t2))
    done = time.perf_counter()
    print(json.dumps({"verdicts": verdicts, "parsed": parsed, "import_s": imported - start, "pairs_s": done - imported,
                      "slowest_call_s": slowest}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
