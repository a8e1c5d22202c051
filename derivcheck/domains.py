"""Symbol domains (SPEC §2): what values a symbol may take, how to sample them.

Sample values are exact rationals, so a counterexample can be re-evaluated at any
precision and printed exactly.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

import sympy
from sympy import oo

from .parse import ExpressionError, Names, parse_expression


class DomainError(ValueError):
    pass


@dataclass(frozen=True)
class Domain:
    """``real``, ``positive``, ..., an interval, or a finite set of values."""

    kind: str  # real | positive | negative | nonnegative | integer | interval | set
    low: sympy.Expr = -oo
    high: sympy.Expr = oo
    low_open: bool = True
    high_open: bool = True
    values: tuple[sympy.Expr, ...] = ()

    def describe(self) -> str:
        if self.kind == "set":
            return "{" + ", ".join(str(v) for v in self.values) + "}"
        if self.kind == "interval":
            return f"{'(' if self.low_open else '['}{self.low}, {self.high}{')' if self.high_open else ']'}"
        return self.kind

    @property
    def is_finite(self) -> bool:
        return self.kind == "set"

    def contains(self, value: sympy.Expr) -> bool:
        if self.kind == "set":
            return any(value == v for v in self.values)
        if self.kind == "integer":
            return bool(value.is_integer)
        if self.kind in INTEGER_KINDS and not value.is_integer:
            return False
        lo, hi, lo_open, hi_open = self.bounds()
        above = value > lo if lo_open else value >= lo
        below = value < hi if hi_open else value <= hi
        return bool(above) and bool(below)

    def bounds(self) -> tuple[sympy.Expr, sympy.Expr, bool, bool]:
        return {
            "positive": (sympy.Integer(0), oo, True, True),
            "positive integer": (sympy.Integer(0), oo, True, True),
            "nonnegative integer": (sympy.Integer(0), oo, False, True),
            "negative": (-oo, sympy.Integer(0), True, True),
            "nonnegative": (sympy.Integer(0), oo, False, True),
            "interval": (self.low, self.high, self.low_open, self.high_open),
        }.get(self.kind, (-oo, oo, True, True))

    def assumptions(self) -> dict[str, bool]:
        """SymPy assumptions that hold on the whole domain (used only for proofs)."""
        if self.kind == "set":
            out = {"real": True}
            if all(v.is_integer for v in self.values):
                out["integer"] = True
            if all(v >= 0 for v in self.values):
                out["nonnegative"] = True
            return out
        if self.kind == "integer":
            return {"integer": True}
        if self.kind == "positive integer":
            return {"integer": True, "positive": True}
        if self.kind == "nonnegative integer":
            return {"integer": True, "nonnegative": True}
        lo, hi, lo_open, _ = self.bounds()
        if lo.is_finite and (lo > 0 or (lo == 0 and lo_open)):
            return {"positive": True}
        if lo.is_finite and lo >= 0:
            return {"nonnegative": True}
        if hi.is_finite and (hi < 0 or (hi == 0 and self.bounds()[3])):
            return {"negative": True}
        if hi.is_finite and hi <= 0:
            return {"nonpositive": True}
        return {"real": True}

    def sample(self, rng: random.Random) -> sympy.Expr:
        """One exact value from the domain: mostly ordinary numbers, one in eight
        across many orders of magnitude (integers up to 1e9), as the engine draws.
        """
        from .sampling import Range, draw

        return draw(Range.of(self), rng, rng.random() < 0.125)


#: Integers with a sign: the bounds of sums such as Sum(k**2, (k, 1, n)).
INTEGER_KINDS = ("positive integer", "nonnegative integer")
_KINDS = ("real", "positive", "negative", "nonnegative", "integer", *INTEGER_KINDS)
_INTERVAL_RE = re.compile(r"\s*([\(\[])\s*([^,]+?)\s*,\s*([^,]+?)\s*([\)\]])\s*\Z")
_SET_RE = re.compile(r"\s*\{(.*)\}\s*\Z", re.DOTALL)


def _number(text: str) -> sympy.Expr:
    t = text.strip()
    if t in ("oo", "+oo", "inf"):
        return oo
    if t in ("-oo", "-inf"):
        return -oo
    try:
        value = parse_expression(t, Names())
    except ExpressionError as err:
        raise DomainError(f"{t!r} is not a number ({err})") from None
    if value.free_symbols or not value.is_real:
        raise DomainError(f"{t!r} is not a number")
    return value


def parse_domain(text: str) -> Domain:
    """Read a domain written as in SPEC §2."""
    t = " ".join(text.split())
    if t in _KINDS:
        return Domain(t)
    m = _SET_RE.match(t)
    if m:
        parts = [p for p in m.group(1).split(",") if p.strip()]
        if not parts:
            raise DomainError("a finite set needs at least one value, as in {0, 1}")
        if len(parts) > 50:
            raise DomainError("a finite set may list at most 50 values")
        values = tuple(dict.fromkeys(_number(p) for p in parts))
        if any(not v.is_finite for v in values):
            raise DomainError("a finite set holds finite numbers")
        return Domain("set", values=values)
    m = _INTERVAL_RE.match(t)
    if m:
        low, high = _number(m.group(2)), _number(m.group(3))
        if not low < high:
            raise DomainError(f"the interval {t} is empty: its lower bound must be below the upper")
        return Domain("interval", low, high, m.group(1) == "(", m.group(4) == ")")
    raise DomainError(
        f"unknown domain {t!r}: use real, positive, negative, nonnegative, integer, positive integer, "
        "nonnegative integer, "
        "an interval such as \"(0, 1)\" or a set such as \"{0, 1}\""
    )


REAL = Domain("real")
