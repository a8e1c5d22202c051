"""Equivalence pairs for the comparison with Math-Verify (see ``pairs.yaml``).

``load()`` reads the pairs; ``write_derivations`` writes each as a two-step
derivation file; ``to_latex`` writes an expression as LaTeX for Math-Verify's
LaTeX reader (its plain-expression reader only extracts numbers); ``mp_value``
evaluates an expression with mpmath, independently of derivcheck and SymPy, for
the test that checks every pair's stated truth.

Expressions are Python-syntax arithmetic (derivcheck's language without ``^``);
they are read with :mod:`ast` and walked, never ``eval``-ed.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
PAIRS_FILE = HERE / "pairs.yaml"


@dataclass(frozen=True)
class Pair:
    id: str
    a: str
    b: str
    equal: bool
    why: str
    symbols: dict[str, str] = field(default_factory=dict)
    at: dict[str, str] | None = None  # a point where an unequal pair differs
    dps: int = 80  # working digits of the truth check

    @property
    def domain_free(self) -> bool:
        """Every symbol real and unrestricted (Math-Verify cannot be told a domain)."""
        return all(d == "real" for d in self.symbols.values())

    def derivation(self) -> str:
        lines = [f"title: pair {self.id}"]
        if self.symbols:
            lines.append("symbols:")
            lines += [f"  {k}: {_yaml_str(v)}" for k, v in self.symbols.items()]
        lines += ["steps:", f"  - {_yaml_str(self.a)}", f"  - {_yaml_str(self.b)}"]
        return "\n".join(lines) + "\n"


def _yaml_str(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


def load(path: Path = PAIRS_FILE) -> list[Pair]:
    raw = yaml.safe_load(path.read_text())
    out = []
    for item in raw:
        for key in ("a", "b"):
            if not isinstance(item[key], str):
                raise TypeError(f"pair {item['id']}: quote {key} (YAML read it as {item[key]!r})")
        symbols = {str(k): str(v) for k, v in (item.get("symbols") or {}).items()}
        names = _names(item["a"]) | _names(item["b"])
        for n in sorted(names):
            symbols.setdefault(n, "real")
        at = {str(k): str(v) for k, v in item["at"].items()} if item.get("at") else None
        out.append(Pair(str(item["id"]), str(item["a"]), str(item["b"]), bool(item["equal"]), str(item["why"]),
                        symbols, at, int(item.get("dps", 80))))
    return out


def write_derivations(folder: Path, pairs: list[Pair]) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i, p in enumerate(pairs):
        path = folder / f"{i:03d}_{p.id}.yaml"
        path.write_text(p.derivation())
        paths.append(path)
    return paths


# -- names ----------------------------------------------------------------------------------

FUNCTIONS = {
    "exp", "log", "ln", "sqrt", "Abs", "abs", "sign", "sin", "cos", "tan", "cot", "sec", "csc", "asin", "acos",
    "atan", "sinh", "cosh", "tanh", "asinh", "acosh", "atanh", "erf", "gamma", "factorial", "binomial", "floor",
    "ceiling", "Max", "Min", "Heaviside",
}
CONSTANTS = {"pi", "E"}


def _names(text: str) -> set[str]:
    tree = ast.parse(text, mode="eval")
    called = {n.func.id for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)} - called - CONSTANTS


# -- LaTeX ----------------------------------------------------------------------------------

_LATEX_FUNC = {
    "log": r"\log", "ln": r"\ln", "sin": r"\sin", "cos": r"\cos", "tan": r"\tan", "cot": r"\cot", "sec": r"\sec",
    "csc": r"\csc", "asin": r"\arcsin", "acos": r"\arccos", "atan": r"\arctan", "sinh": r"\sinh", "cosh": r"\cosh",
    "tanh": r"\tanh", "asinh": r"\operatorname{arsinh}", "acosh": r"\operatorname{arcosh}",
    "atanh": r"\operatorname{artanh}", "erf": r"\operatorname{erf}", "gamma": r"\Gamma", "sign": r"\operatorname{sgn}",
    "Heaviside": r"\theta", "Max": r"\max", "Min": r"\min",
}
_PREC = {ast.Add: 1, ast.Sub: 1, ast.Mult: 2, ast.Div: 2, ast.Pow: 4}


def to_latex(text: str) -> str:
    return _tex(ast.parse(text, mode="eval").body)


def _prec(n: ast.AST) -> int:
    if isinstance(n, ast.BinOp):
        return _PREC[type(n.op)]
    if isinstance(n, ast.UnaryOp):
        return 1
    if isinstance(n, ast.Constant) and isinstance(n.value, (int, float)) and n.value < 0:
        return 1
    return 5


def _paren(s: str) -> str:
    return r"\left(" + s + r"\right)"


def _tex(n: ast.AST) -> str:
    if isinstance(n, ast.Constant):
        return str(n.value)
    if isinstance(n, ast.Name):
        return {"pi": r"\pi", "E": "e"}.get(n.id, n.id)
    if isinstance(n, ast.UnaryOp) and isinstance(n.op, ast.USub):
        inner = _tex(n.operand)
        return "-" + (_paren(inner) if _prec(n.operand) <= 1 else inner)
    if isinstance(n, ast.BinOp):
        op = type(n.op)
        if op is ast.Div:
            return r"\frac{" + _tex(n.left) + "}{" + _tex(n.right) + "}"
        if op is ast.Pow:
            base = _tex(n.left)
            if _prec(n.left) < 5 or isinstance(n.left, ast.Call) or (isinstance(n.left, ast.Constant) and "." in base):
                base = _paren(base)
            return base + "^{" + _tex(n.right) + "}"
        left, right = _tex(n.left), _tex(n.right)
        if op is ast.Mult:
            if _prec(n.left) < 2:
                left = _paren(left)
            if _prec(n.right) < 2 or (_prec(n.right) == 2 and isinstance(n.right.op, ast.Div) is False):
                right = _paren(right) if _prec(n.right) < 2 else right
            return left + r" \cdot " + right
        if op is ast.Sub and _prec(n.right) <= 1:
            right = _paren(right)
        return left + (" + " if op is ast.Add else " - ") + right
    if isinstance(n, ast.Call) and isinstance(n.func, ast.Name):
        f, args = n.func.id, [_tex(a) for a in n.args]
        if f == "exp":
            return "e^{" + args[0] + "}"
        if f == "sqrt":
            return r"\sqrt{" + args[0] + "}"
        if f in ("Abs", "abs"):
            return r"\left|" + args[0] + r"\right|"
        if f == "floor":
            return r"\left\lfloor " + args[0] + r" \right\rfloor"
        if f == "ceiling":
            return r"\left\lceil " + args[0] + r" \right\rceil"
        if f == "binomial":
            return r"\binom{" + args[0] + "}{" + args[1] + "}"
        if f == "factorial":
            return _paren(args[0]) + "!" if _prec(n.args[0]) < 5 else args[0] + "!"
        if f == "log" and len(args) == 2:
            return r"\log_{" + args[1] + "}" + _paren(args[0])
        return _LATEX_FUNC[f] + _paren(", ".join(args))
    raise ValueError(f"no LaTeX for {ast.dump(n)}")


# -- mpmath values --------------------------------------------------------------------------


def mp_value(text: str, values: dict[str, Any], mp: Any) -> Any:
    """The expression's value with mpmath (``mp`` is the ``mpmath.mp`` context, at its dps).

    Returns ``None`` where the expression is undefined on the reals (a complex or
    infinite value, a zero denominator, a pole).
    """
    try:
        v = _mp(ast.parse(text, mode="eval").body, values, mp)
    except (ZeroDivisionError, ValueError):
        return None
    if isinstance(v, mp.mpc):
        if v.imag != 0:
            return None
        v = v.real
    if not mp.isfinite(v):
        return None
    return v


def _heaviside(mp: Any, x: Any) -> Any:
    return mp.mpf(0) if x < 0 else mp.mpf(1) if x > 0 else mp.mpf(1) / 2


def _mp_funcs(mp: Any) -> dict[str, Any]:
    def real_only(f: Any) -> Any:
        def g(*xs: Any) -> Any:
            if any(isinstance(x, mp.mpc) and x.imag != 0 for x in xs):
                raise ValueError("complex argument")
            r = f(*xs)
            if isinstance(r, mp.mpc) and r.imag != 0:
                raise ValueError("not real")
            return r
        return g

    def log(x: Any, b: Any = None) -> Any:
        if x <= 0 or (b is not None and (b <= 0 or b == 1)):
            raise ValueError("log of a nonpositive number")
        return mp.log(x) if b is None else mp.log(x) / mp.log(b)

    def sqrt(x: Any) -> Any:
        if x < 0:
            raise ValueError("sqrt of a negative number")
        return mp.sqrt(x)

    def inverse(f: Any, lo: Any, hi: Any) -> Any:
        def g(x: Any) -> Any:
            if (lo is not None and x < lo) or (hi is not None and x > hi):
                raise ValueError("outside the domain")
            return f(x)
        return g

    def gamma(x: Any) -> Any:
        if x <= 0 and x == mp.floor(x):
            raise ValueError("pole")
        return mp.gamma(x)

    def factorial(x: Any) -> Any:
        if x < 0 or x != mp.floor(x):
            raise ValueError("factorial of a non-natural number")
        return mp.factorial(x)

    funcs = {
        "exp": mp.exp, "log": log, "ln": log, "sqrt": sqrt, "Abs": mp.fabs, "abs": mp.fabs, "sign": mp.sign,
        "sin": mp.sin, "cos": mp.cos, "tan": mp.tan, "cot": mp.cot, "sec": mp.sec, "csc": mp.csc,
        "asin": inverse(mp.asin, -1, 1), "acos": inverse(mp.acos, -1, 1), "atan": mp.atan,
        "sinh": mp.sinh, "cosh": mp.cosh, "tanh": mp.tanh, "asinh": mp.asinh,
        "acosh": inverse(mp.acosh, 1, None), "atanh": inverse(mp.atanh, -1, 1), "erf": mp.erf, "gamma": gamma,
        "factorial": factorial, "binomial": mp.binomial, "floor": mp.floor, "ceiling": mp.ceil,
        "Max": lambda *a: max(a), "Min": lambda *a: min(a), "Heaviside": lambda x: _heaviside(mp, x),
    }
    return {k: real_only(f) for k, f in funcs.items()}


def _mp(n: ast.AST, values: dict[str, Any], mp: Any) -> Any:
    if isinstance(n, ast.Constant):
        return mp.mpf(str(n.value)) if isinstance(n.value, float) else mp.mpf(n.value)
    if isinstance(n, ast.Name):
        if n.id == "pi":
            return +mp.pi
        if n.id == "E":
            return mp.e + 0
        return values[n.id]
    if isinstance(n, ast.UnaryOp) and isinstance(n.op, ast.USub):
        return -_mp(n.operand, values, mp)
    if isinstance(n, ast.BinOp):
        a, b = _mp(n.left, values, mp), _mp(n.right, values, mp)
        op = type(n.op)
        if op is ast.Add:
            return a + b
        if op is ast.Sub:
            return a - b
        if op is ast.Mult:
            return a * b
        if op is ast.Div:
            if b == 0:
                raise ZeroDivisionError
            return a / b
        if op is ast.Pow:
            if a == 0 and b < 0:
                raise ZeroDivisionError
            if a < 0 and b != mp.floor(b):
                raise ValueError("a negative base to a fractional power")
            return mp.power(a, b)
    if isinstance(n, ast.Call) and isinstance(n.func, ast.Name):
        return _mp_funcs(mp)[n.func.id](*(_mp(a, values, mp) for a in n.args))
    raise ValueError(f"cannot evaluate {ast.dump(n)}")
