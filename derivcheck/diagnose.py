"""The diagnoses' entry point under its historical name: see :mod:`derivcheck.diagnoses`."""

from __future__ import annotations

from .diagnoses import diagnose_chain, split_latex_product, split_top, strip_parens

__all__ = ["diagnose_chain", "split_latex_product", "split_top", "strip_parens"]
