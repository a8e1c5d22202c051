"""Red team on "proved for every K": adversarial derivations for the general (every-size) route.

A step reported ``"general": true`` (or a coverage reported ``"general": true``) is read by a
teacher as a theorem for every size. Every file in tests/data/redteam/general/ states, in its
header, what derivcheck must report and why, with the truth established outside derivcheck: a
short proof, or a witness size and point whose values the ``test_truth_*`` tests below recompute
with mpmath at 60 digits (or exact integers), without importing derivcheck.

Header lines (comments at the top of each file):
  # expect-status: valid|invalid|error|unknown      required
  # accept-status: valid,error                       optional: the statuses accepted instead
  # expect-steps: start,valid | start,valid          optional: one list per chain (valid = proved or tested)
  # expect-general: true|false                       optional: true = every non-start step is general,
                                                     false = no step is
  # expect-coverage: complete|incomplete             optional
  # expect-coverage-general: true|false              optional: the coverage's "general"
  # expect-sizes-named: true                         optional: every proved or tested step names its sizes
                                                     ("holds for K in ..." or "proved for every K") and
                                                     carries general true or false, never null
  # known-bug: REASON                                optional: a soundness bug in the tree today; the
                                                     file's test is xfail(strict=True) and flips when fixed

File prefixes: ``fixed_`` soundness bugs this red team found (each file names it on a
``# found-bug`` line; they were strict xfails until the fixes reached the tree, and now guard
against their return), ``bug_`` bugs still open (``# known-bug``, a strict xfail), ``sound_``
traps the route avoided from the start (statements right at the listed sizes only, or coverage
that only the listed sizes realise), ``true_`` true statements that measure how much the route
proves for every size.

The files are checked through the command line, as a teacher runs them, one run over the folder
per seed: seed 0 in the quick suite, 7 and 12345 marked slow (SPEC: no verdict depends on --seed).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from conftest import CorpusRun
from mpmath import binomial as mbinomial
from mpmath import cos as mcos
from mpmath import diff as mdiff
from mpmath import exp as mexp
from mpmath import log as mlog
from mpmath import mp, mpf
from mpmath import pi as mpi

DATA = Path(__file__).parent / "data" / "redteam" / "general"
FILES = sorted(DATA.glob("*.yaml"))
SEEDS = (0, 7, 12345)
SEED_PARAMS = [pytest.param(s, marks=() if s == SEEDS[0] else pytest.mark.slow) for s in SEEDS]
STATUSES = {"valid", "invalid", "error", "unknown"}
STEP_WORDS = {"start", "valid", "invalid", "error", "timeout"}
KEYS = {
    "expect-status", "accept-status", "expect-steps", "expect-general", "expect-coverage",
    "expect-coverage-general", "expect-sizes-named", "known-bug",
}
DIGITS = 60


@dataclass(frozen=True)
class Expectation:
    """What a file's header says derivcheck must report."""

    status: str
    accept: frozenset[str]
    steps: tuple[tuple[str, ...], ...] | None
    general: bool | None
    coverage: str | None
    coverage_general: bool | None
    sizes_named: bool
    known_bug: str | None


def _flag(value: str | None, path: Path, key: str) -> bool | None:
    if value is None:
        return None
    if value not in ("true", "false"):
        raise ValueError(f"{path.name}: {key} must be true or false, not {value!r}")
    return value == "true"


def read_header(path: Path) -> Expectation:
    """The ``# key: value`` lines at the top of a corpus file."""
    keys: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.startswith("#"):
            break
        key, sep, value = line[1:].strip().partition(":")
        if sep and key in KEYS:
            keys[key] = value.strip()
    status = keys.get("expect-status", "")
    if status not in STATUSES:
        raise ValueError(f"{path.name}: missing or bad '# expect-status:' ({status!r})")
    accept = frozenset(w.strip() for w in keys.get("accept-status", "").split(",") if w.strip())
    if accept - STATUSES or (accept and status not in accept):
        raise ValueError(f"{path.name}: bad accept-status {sorted(accept)}")
    steps = None
    if "expect-steps" in keys:
        steps = tuple(tuple(w.strip() for w in chain.split(",")) for chain in keys["expect-steps"].split("|"))
        if {w for chain in steps for w in chain} - STEP_WORDS:
            raise ValueError(f"{path.name}: unknown step words in {keys['expect-steps']!r}")
    coverage = keys.get("expect-coverage")
    if coverage not in (None, "complete", "incomplete"):
        raise ValueError(f"{path.name}: bad expect-coverage {coverage!r}")
    return Expectation(
        status=status,
        accept=accept,
        steps=steps,
        general=_flag(keys.get("expect-general"), path, "expect-general"),
        coverage=coverage,
        coverage_general=_flag(keys.get("expect-coverage-general"), path, "expect-coverage-general"),
        sizes_named=bool(_flag(keys.get("expect-sizes-named"), path, "expect-sizes-named")),
        known_bug=keys.get("known-bug"),
    )


# -- running derivcheck ------------------------------------------------------------------------


CORPUS = CorpusRun(FILES, timeout=1800)
folder_run = CORPUS.folder
result_for = CORPUS.result


def steps_of(result: dict[str, Any]) -> list[dict[str, Any]]:
    return [s for chain in result.get("chains") or [] for s in chain["steps"]]


def step_word(step: dict[str, Any]) -> str:
    return "valid" if step["status"] in {"proved", "tested"} else step["status"]


def describe(result: dict[str, Any]) -> str:
    lines = [f"status={result['status']} error={result.get('error')} coverage={result.get('coverage')}"]
    for c, chain in enumerate(result.get("chains") or []):
        for s in chain["steps"]:
            lines.append(
                f"  chain {c + 1} step {s['index']} {s['status']} general={s.get('general')}: {s.get('expr')}"
                f" | {s.get('message', '')}"
            )
    return "\n".join(lines)


def check_against_header(path: Path, expect: Expectation, result: dict[str, Any], seed: int) -> None:
    info = f"{path.name} --seed {seed}\n{describe(result)}"
    got = result["status"]
    allowed = expect.accept or {expect.status}
    assert got in allowed, f"status: expected {sorted(allowed)}, got {got}\n{info}"
    if expect.steps is not None and got == expect.status:
        chains = tuple(tuple(step_word(s) for s in chain["steps"]) for chain in result["chains"])
        assert chains == expect.steps, f"steps: expected {expect.steps}, got {chains}\n{info}"
    later = [s for chain in result.get("chains") or [] for s in chain["steps"][1:]]
    if expect.general is False:
        wrong = [s["index"] for s in later if s.get("general") is True]
        assert not wrong, f"a step claims a proof for every size (steps {wrong}), but the statement fails at some size\n{info}"
    if expect.general is True:
        assert later, f"no step to be general\n{info}"
        missing = [s["index"] for s in later if s.get("general") is not True]
        assert not missing, f"steps {missing} are not proved for every size\n{info}"
    if expect.sizes_named:
        for s in later:
            if s["status"] in {"proved", "tested"}:
                message = s.get("message", "")
                assert "holds for" in message or "proved for every" in message, (
                    f"step {s['index']} does not say at which sizes it holds\n{info}"
                )
                assert s.get("general") in (True, False), f"step {s['index']}: general is {s.get('general')}\n{info}"
    if expect.coverage is not None or expect.coverage_general is not None:
        coverage = result.get("coverage")
        assert coverage is not None, f"expected a coverage report\n{info}"
        if expect.coverage is not None:
            assert coverage["complete"] == (expect.coverage == "complete"), f"coverage\n{info}"
        if expect.coverage_general is not None:
            assert bool(coverage.get("general")) == expect.coverage_general, (
                f"coverage general: expected {expect.coverage_general}, got {coverage.get('general')}\n{info}"
            )


def _file_params() -> list[Any]:
    params = []
    for path in FILES:
        expect = read_header(path)
        for seed in SEEDS:
            marks: list[Any] = [] if seed == SEEDS[0] else [pytest.mark.slow]
            if expect.known_bug:
                marks.append(pytest.mark.xfail(strict=True, reason=expect.known_bug))
            params.append(pytest.param(path, seed, marks=marks, id=f"{path.stem}-seed{seed}"))
    return params


# -- the corpus --------------------------------------------------------------------------------


def test_corpus_headers_parse_and_cover_every_kind() -> None:
    expects = {p.stem: read_header(p) for p in FILES}
    assert len(FILES) >= 50
    assert sum(1 for s in expects if s.startswith("fixed_")) >= 10
    assert sum(1 for s in expects if s.startswith("true_")) >= 20
    assert sum(1 for s in expects if s.startswith("sound_")) >= 15
    for stem, e in expects.items():
        text = (DATA / f"{stem}.yaml").read_text(encoding="utf-8")
        if stem.startswith("bug_"):
            assert e.known_bug, f"{stem}: a bug_ file names its bug in '# known-bug:'"
        if stem.startswith("fixed_"):
            assert "# found-bug" in text and not e.known_bug, f"{stem}: a fixed_ file names the bug it found"
        assert "# truth:" in text, f"{stem}: no '# truth:' line"


@pytest.mark.parametrize(("path", "seed"), _file_params())
def test_general_redteam_file(path: Path, seed: int) -> None:
    check_against_header(path, read_header(path), result_for(path, seed), seed)


@pytest.mark.parametrize("seed", SEED_PARAMS)
def test_folder_run_gives_one_report_and_no_traceback(seed: int) -> None:
    by_name, stderr = folder_run(seed)
    assert "Traceback" not in stderr, stderr[-3000:]
    missing = sorted({p.name for p in FILES} - set(by_name))
    assert not missing, f"files missing from the report: {missing}\n{stderr[-3000:]}"


def test_true_statements_are_never_refuted_and_measure_the_general_route() -> None:
    """Every true_ file is valid; the share whose steps are all proved for every size is printed.

    At the time of writing, 21 of 26 (81 %): the telescoping sum, splitting off the first term or
    factor of a sum or product, exchanging a double sum and a delta sum from 2 fall back to the
    listed sizes.
    """
    by_name, _ = folder_run(SEEDS[0])
    true_files = [p for p in FILES if p.stem.startswith("true_")]
    general = []
    for p in true_files:
        result = by_name.get(p.name) or result_for(p, SEEDS[0])
        assert result["status"] == "valid", f"{p.name}: a true statement is {result['status']}\n{describe(result)}"
        later = [s for chain in result["chains"] for s in chain["steps"][1:]]
        if later and all(s.get("general") is True for s in later):
            general.append(p.stem)
    print(f"\ngeneral route: {len(general)}/{len(true_files)} true statements proved for every size")
    assert len(general) <= len(true_files)


# -- ground truth, outside derivcheck -----------------------------------------------------------
# mpmath at 60 digits (exact integers where the sums are of integers). Nothing below imports derivcheck.


def test_corpus_files_named_by_truth_tests_exist() -> None:
    for stem in WITNESSES:
        assert (DATA / f"{stem}.yaml").exists(), stem


def _alternating_moment(K: int) -> mpf:
    return sum((mpf(-1) ** j * j * mbinomial(K, j) for j in range(K + 1)), mpf(0))


def test_truth_alternating_moment_fails_at_K1_only() -> None:
    mp.dps = DIGITS
    assert _alternating_moment(1) == -1
    for K in range(2, 12):
        assert _alternating_moment(K) == 0, K


@pytest.mark.parametrize("K", range(1, 11))
def test_truth_binomial_convolution_is_binomial_K_plus_1_choose_5(K: int) -> None:
    value = sum(math.comb(m, 2) * math.comb(K - m, 2) for m in range(2, K + 1))
    assert value == math.comb(K + 1, 5)
    assert (value == 0) == (K <= 3)  # right at the default sizes 2 and 3, wrong from K = 4


@pytest.mark.parametrize("n", range(12))
def test_truth_reversed_hockey_stick(n: int) -> None:
    value = sum(math.comb(n - j, 2) for j in range(n + 1))
    assert value == math.comb(n + 1, 3)
    if n >= 2:
        assert value != 0  # "= 0" is false for every n >= 2
    if n == 6:
        assert value == 35


def test_truth_empty_range_sums() -> None:
    """At K = 1 the ranges 2..K and 1..K-1 are empty: 0, not 1. From K = 2 the weights sum to 1."""
    mp.dps = DIGITS
    assert sum((mpf(1) for _ in range(2, 1 + 1)), mpf(0)) == 0
    z = [mpf("0.3"), mpf("-1.2"), mpf("0.7"), mpf("2.5")]
    for K in (2, 3, 4):
        s = sum(mexp(z[j - 1]) for j in range(2, K + 1))
        total = sum(mexp(z[m - 1]) / s for m in range(2, K + 1))
        assert abs(total - 1) < mpf(10) ** -55
        c = mpf(1)
        assert abs(sum(c / (K - 1) for _ in range(1, K)) - c) < mpf(10) ** -55
    # K = 1: the constant mean over 1..0 is the empty sum
    assert sum((mpf(1) / 1 for _ in range(1, 1)), mpf(0)) == 0


def _sum_x(x: list[mpf]) -> mpf:
    return sum(x, mpf(0))


#: stem -> (witness, left, right) at the witness, computed here with mpmath at 60 digits.
WITNESSES: dict[str, Any] = {
    "fixed_size_declared_finite_set": lambda: ("K = 5, x = (1, 0, 0, 0, 0)", _sum_x([mpf(1), 0, 0, 0, 0]),
                                             _sum_x([mpf(1), 0, 0, 0, 0]) + (5 - 2) * (5 - 3) * (5 - 4) * 1),
    "fixed_index_declared_finite_set": lambda: ("K = 3, k = 3, x = (1, 0, 1)", mpf(1), mpf(1) + (3 - 1) * (3 - 2) * 1),
    "fixed_sum_bound_half_K": lambda: ("K = 3: floor(3/2) = 1 term", (mpf(5) + 1) - mpf(5), mpf(3) / 2),
    "fixed_coverage_literal_index_in_condition": lambda: ("K = 2, k = 2, x = (1, 0)", max(mpf(0), mpf(1)), mpf(0)),
    "fixed_coverage_literal_index_two_indices": lambda: (
        "K = 3, k = 3, T = 2, x = (0, 1, -1)", max((mpf(-1) - 0) * (mpf(1) - 0), mpf(0)), (mpf(-1) - 0) * (mpf(1) - 0)),
    "fixed_coverage_index_read_as_value": lambda: ("K = 4, k = 4, x = -1", max(mpf(-1) * (3 - 4), mpf(0)),
                                                 max(mpf(-1), mpf(0)) * (3 - 4)),
    "fixed_abstract_function_sizes_unnamed": lambda: (
        "K = 4, f(u) = u**2/2, z = e1, k = 1",
        mdiff(lambda t: (t + 0 + 0 + 0) ** 2 / 2, mpf(1)), mpf(1) * (1 + (4 - 2) * (4 - 3) * 1)),
    "fixed_coverage_literal_index_in_definition": lambda: ("K = 2, k = 2, x = (1, 0), c = x[1]", max(mpf(0), mpf(1)), mpf(0)),
    "sound_positive_integer_bound_listed_values": lambda: (
        "n = 6", sum(mpf(j) for j in range(1, 7)) + 5 * 4 * 3 * 2 * 1 * (6 - 8) * (6 - 13), mpf(6 * 7) / 2),
    "sound_poly_vanishing_at_listed_sizes": lambda: ("K = 5, x = e1", mpf(1), mpf(1) + 6),
    "sound_neg1_power_K": lambda: ("K = 3, x = e1", mpf(1), mpf(1) * (1 + mpf(-1) ** 3) / 2),
    "sound_cos_pi_K": lambda: ("K = 3, x = e1", mpf(1), mpf(1) * mcos(3 * mpi)),
    "sound_delta_other_size": lambda: ("K = 3, N = 4, j = 4, x[4] = 1", mpf(0), mpf(1)),
    "sound_delta_literal_out_of_range": lambda: ("K = 5, x[5] = 1", mpf(1), mpf(0)),
    "sound_weights_vanish_below_5": lambda: ("K = 5, x = e5", mpf((5 - 1) * (5 - 2) * (5 - 3) * (5 - 4)), mpf(0)),
    "sound_sum_written_by_hand": lambda: ("K = 4, x = (1, 1, 1, 0)", mpf(3), mpf(1) + 1 + (4 - 2) * 0),
    "sound_product_written_by_hand": lambda: ("K = 4, x = (1, 1, 2, 3)", mpf(1 * 1 * 2 * 3), mpf(1) * 1 * mpf(3) ** (4 - 2)),
    "sound_count_from_3": lambda: ("K = 1", mpf(len(range(3, 2))), mpf(1 - 2)),
    "sound_closed_form_from_3": lambda: ("K = 1", mpf(sum(range(3, 2))), mpf(1 * 2) / 2 - 3),
    "sound_derivative_other_size": lambda: ("K = 3, N = 4, j = 4, z[4] = 1",
                                            mdiff(lambda t: sum(v ** 2 for v in [mpf(0), 0, 0]), mpf(1)), 2 * mpf(1)),
    "sound_heaviside_K": lambda: ("K = 6, x = e1", mpf(1) * (1 - 1), mpf(1)),
    "sound_binomial_K_5": lambda: ("K = 5, x = e1", mpf(1) + mbinomial(5, 5), mpf(1)),
    "sound_min_K_4": lambda: ("K = 5, x = e1", min(5, 4) * mpf(1) + 1, 5 * mpf(1) + 1),
    "sound_empty_range_at_listed_K1": lambda: ("K = 1", mpf(0), mpf(1)),
    "sound_coverage_literal_cases_small_size": lambda: ("K = 3, k = 3, x[3] = 1", mpf(1) * (3 - 1) * (3 - 2), mpf(0)),
    "sound_coverage_three_indices_small_size": lambda: ("K = 3, (i, j, k) = (1, 2, 3)", mpf(1) * 1 * 1, mpf(0)),
    "sound_coverage_definition_reads_K": lambda: ("K = 2, x = -1", max((2 - 3) * mpf(-1), mpf(0)), mpf(0)),
}


@pytest.mark.parametrize("stem", sorted(WITNESSES))
def test_truth_witness_separates_the_sides(stem: str) -> None:
    """At the witness size and point the two sides differ: the statement is not true for every size."""
    mp.dps = DIGITS
    where, left, right = WITNESSES[stem]()
    assert abs(mpf(left) - mpf(right)) > mpf("0.25"), f"{stem} at {where}: {left} vs {right}"


def test_truth_coverage_witnesses_fall_outside_every_case() -> None:
    """The points named in the coverage files satisfy no case's condition (exact arithmetic)."""
    # fixed_coverage_literal_index_in_condition: K = 2, k = 2, x = (1, 0); case x[k] >= x[1]
    x = {1: 1, 2: 0}
    assert not x[2] >= x[1]
    # fixed_coverage_literal_index_two_indices: K = 3, k = 3, T = 2, x = (0, 1, -1)
    x = {1: 0, 2: 1, 3: -1}
    k, T = 3, 2
    assert T != k and not (x[k] - x[1]) * (x[T] - x[1]) >= 0
    for kk in (1, 2):  # at K = 2 every pair k != T contains 1, so the product is 0
        for tt in (1, 2):
            if kk != tt:
                assert (x[kk] - x[1]) * (x[tt] - x[1]) == 0
    # fixed_coverage_index_read_as_value: K = 4, k = 4, x = -1; cases x >= 0, x*(3 - k) <= 0
    assert not (-1 >= 0) and not (-1 * (3 - 4) <= 0)
    for kk in (1, 2, 3):  # at K = 3 the two cases cover every x
        assert all(xv >= 0 or xv * (3 - kk) <= 0 for xv in (-2, -1, 0, 1, 2))


def _softmax(z: list[mpf]) -> list[mpf]:
    s = sum(mexp(v) for v in z)
    return [mexp(v) / s for v in z]


@pytest.mark.parametrize("K", [1, 2, 3, 5])
def test_truth_softmax_family_for_several_K(K: int) -> None:
    """Ground truth of the true_ softmax files, by mpmath.diff at 60 digits, including K = 1."""
    mp.dps = DIGITS
    z = [mpf(v) / 7 for v in (3, -5, 11, 2, -8)][:K]
    y = _softmax(z)
    tol = mpf(10) ** -40
    assert abs(sum(y) - 1) < tol
    lse = lambda zz: mlog(sum(mexp(v) for v in zz))
    c = mpf("1.7")
    assert abs(lse([v - c for v in z]) + c - lse(z)) < tol
    for k in range(K):
        assert abs(mlog(y[k]) - (z[k] - lse(z))) < tol
        dk = mdiff(lambda t, k=k: lse(z[:k] + [t] + z[k + 1:]), z[k])
        assert abs(dk - y[k]) < tol
        for T in range(K):
            jac = mdiff(lambda t, k=k, T=T: _softmax(z[:T] + [t] + z[T + 1:])[k], z[T])
            assert abs(jac - y[k] * ((1 if k == T else 0) - y[T])) < tol
            ce = mdiff(lambda t, k=k, T=T: -mlog(_softmax(z[:k] + [t] + z[k + 1:])[T]), z[k])
            assert abs(ce - (y[k] - (1 if k == T else 0))) < tol


@pytest.mark.parametrize("K", range(1, 9))
def test_truth_closed_forms_for_several_K(K: int) -> None:
    """The closed forms of the true_ files at K = 1..8 (exact), and the geometric sum at 60 digits."""
    mp.dps = DIGITS
    ms = range(1, K + 1)
    assert sum(m for m in ms) * 2 == K * (K + 1)
    assert sum(m * m for m in ms) * 6 == K * (K + 1) * (2 * K + 1)
    assert sum(m ** 3 for m in ms) * 4 == (K * (K + 1)) ** 2
    assert sum(math.comb(m, 2) for m in ms) == math.comb(K + 1, 3)
    r = mpf(3) / 10
    assert abs(sum(r ** m for m in range(K + 1)) - (1 - r ** (K + 1)) / (1 - r)) < mpf(10) ** -55
    x = [mpf(v) / 3 for v in (2, -1, 5, 4, -7, 1, 3, -2, 6)][: K + 1]
    telescoped = sum((x[m] - x[m - 1] for m in range(1, K)), mpf(0))  # 0 at K = 1: the range is empty
    assert abs(telescoped - (x[K - 1] - x[0])) < mpf(10) ** -55
    mu = sum(x[:K]) / K
    assert abs(sum((v - mu) ** 2 for v in x[:K]) / K - (sum(v * v for v in x[:K]) / K - mu ** 2)) < mpf(10) ** -55
