"""Run ``derivcheck verify --format json --no-cache`` over a fixed corpus, to compare two versions byte for byte.

    python bench/wrong_corpus.py OUT_DIR [--seeds 0,1] [--only GROUP,...]

The corpus: ``examples/``, ``derivations/``, ``tests/data/`` (its derivations:
``verify`` leaves grading keys and submissions to ``grade``), the shared acceptance
examples and their ``soundness/`` folder, the generated scaling files of
``bench/scaling.py`` (full and quick grids, correct and wrong) and the pair files
of ``bench/pairs`` (written as ``bench/targets.py`` writes them).  Generated files
go to ``OUT_DIR/files``; every group runs in its folder with relative paths, so two
runs print the same paths.  One
JSON document per group and seed: ``OUT_DIR/GROUP-seedN.json`` (the JSON report
has no timings, so no field is stripped).  An optimisation that must not change
any output is checked with ``diff -r`` of two such folders.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
SHARED = Path("/work/shared/examples")


def groups(files: Path) -> dict[str, tuple[Path, list[str]]]:
    """The corpus, by group: a folder to run in and the paths, relative to it, to pass to ``verify``.

    Relative paths: the reports name the files the same way whatever ``OUT_DIR`` is.
    """
    sys.path.insert(0, str(BENCH))
    import pairs as P
    import scaling

    specs = sorted(set(scaling.grid(False)) | set(scaling.grid(True)), key=lambda s: (s.family, s.K, s.N, s.wrong))
    scaling.write(files / "scaling", specs)
    P.write_derivations(files / "pairs", P.load())
    out: dict[str, tuple[Path, list[str]]] = {
        "examples": (ROOT, ["examples"]),
        "derivations": (ROOT, ["derivations"]),
        "testdata": (ROOT, ["tests/data"]),
        "scaling": (files, ["scaling"]),
        "pairs": (files, ["pairs"]),
    }
    if SHARED.is_dir():
        for name, folder in (("shared", SHARED), ("soundness", SHARED / "soundness")):
            out[name] = (folder, sorted(p.name for p in folder.glob("*.yaml") if p.name != "expected.yaml"))
    return out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("out", type=Path)
    ap.add_argument("--seeds", default="0,1")
    ap.add_argument("--only", default="")
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    only = {g for g in args.only.split(",") if g}
    for name, (cwd, paths) in groups(args.out / "files").items():
        if only and name not in only:
            continue
        for seed in args.seeds.split(","):
            cmd = [sys.executable, "-m", "derivcheck", "verify", "--format", "json", "--no-cache", "--seed", seed,
                   *paths]
            proc = subprocess.run(cmd, capture_output=True, text=True, check=False, cwd=cwd)
            (args.out / f"{name}-seed{seed}.json").write_text(proc.stdout)
            (args.out / f"{name}-seed{seed}.stderr").write_text(proc.stderr + f"\nexit {proc.returncode}\n")
            try:
                files_n = json.loads(proc.stdout)["summary"]["files"]
            except (ValueError, KeyError):
                files_n = "?"
            print(f"{name} seed {seed}: exit {proc.returncode}, {files_n} files", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
