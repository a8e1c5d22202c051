"""Mistake diagnoses (SPEC §7): placeholder until the rules land."""

from __future__ import annotations

from typing import Any


def diagnose_chain(checker: Any, chain_index: int, chain: Any) -> None:
    return None
