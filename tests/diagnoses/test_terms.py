"""dropped-term names a term that is dropped at every size, in general form, or nothing."""

from __future__ import annotations

import pytest

from .helpers import SEEDS, mp_at, mp_equal, step_diagnoses


@pytest.mark.parametrize("seed", SEEDS)
def test_no_term_named_when_sizes_drop_different_terms(seed: int) -> None:
    # proof in the fixture: K = 2 drops z[2], K = 3 drops z[2] + z[3]
    found = step_diagnoses("dropped_two_terms_at_k3.yaml", 2, seed)
    assert "dropped-term" not in found
    assert not any("z[2]" in message for message, _ in found.values())


@pytest.mark.parametrize("seed", SEEDS)
def test_last_term_named_in_general_form(seed: int) -> None:
    found = step_diagnoses("dropped_last_term.yaml", 2, seed)
    message, fix = found["dropped-term"]
    assert message == "the term z[K] of the previous step was dropped: add it back"
    assert fix == "Sum(z[m], (m, 1, K - 1)) + z[K]"


def test_last_term_truth_at_two_sizes() -> None:
    # independent check of the fixture's claim: Sum_{m<=K} z_m - Sum_{m<=K-1} z_m = z_K
    z = {1: "3/7", 2: "-5/3", 3: "11/2"}
    for K in (2, 3):
        def diff(K: int = K, **v):
            return sum(v[f"z{m}"] for m in range(1, K + 1)) - sum(v[f"z{m}"] for m in range(1, K))
        d = mp_at(diff, **{f"z{m}": z[m] for m in range(1, K + 1)})
        assert mp_equal(d, mp_at(lambda **v: v["zK"], zK=z[K]))


@pytest.mark.parametrize("seed", SEEDS)
def test_first_term_named_as_itself(seed: int) -> None:
    # Sum_{1..K} z_m**2 - Sum_{2..K} z_m**2 = z_1**2 at every K in {2, 3, 4}
    message, fix = step_diagnoses("dropped_first_term.yaml", 2, seed)["dropped-term"]
    assert "the term z[1]**2 of the previous step was dropped" in message
    assert fix is not None and fix.endswith("+ z[1]**2")
