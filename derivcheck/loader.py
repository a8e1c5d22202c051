"""YAML text -> :class:`~derivcheck.model.Derivation`, with a line for every error.

The loader checks the shape of the file (known keys, right types, declared
indices); what the expressions mean is left to :mod:`derivcheck.context`.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Callable, TypeVar

from . import limits
from .model import Chain, Derivation, FunctionDecl, Scope, Size, Step, Text
from .yamltree import LoadError, Map, Scalar, Seq, Value, kind_name, read_yaml

SCOPE_KEYS = ("symbols", "indices", "sizes", "define", "given", "functions")
DERIVATION_KEYS = ("title", "expect", *SCOPE_KEYS, "claim", "steps", "cases")
#: what ``expect:`` may name: a file status
EXPECT_VALUES = ("valid", "invalid", "error", "unknown")
STEP_KEYS = ("expr", "latex", "why", "given")
CASE_KEYS = ("title", "given", "steps")

T = TypeVar("T")

#: Most declared functions in one scope, and most arguments of one.
MAX_FUNCTIONS = 16
MAX_FUNCTION_ARITY = 4

_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
_DECL_RE = re.compile(rf"\s*({_NAME})\s*(?:\[\s*({_NAME}(?:\s*,\s*{_NAME})*)\s*\])?\s*\Z")


def read_text(path: str | Path) -> str:
    """Read a file as UTF-8 text, refusing one larger than the size limit."""
    p = Path(path)
    try:
        size = p.stat().st_size
        if size > limits.MAX_FILE_BYTES:
            raise LoadError(f"file is {size // 1000} kB; the limit is {limits.MAX_FILE_BYTES // 1000} kB")
        data = p.read_bytes()
    except OSError as err:
        raise LoadError(f"cannot read the file: {err.strerror or err}") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = data.count(b"\n", 0, err.start) + 1
        raise LoadError(f"the file is not UTF-8 text (byte {err.start}, line {line})", line) from None


def load_file(path: str | Path) -> Derivation:
    """Read and load one derivation file."""
    return load_text(read_text(path), str(path))


def load_text(text: str, path: str = "<string>", require_steps: bool = True) -> Derivation:
    """Load a derivation from YAML text; ``require_steps=False`` for context files."""
    root = read_yaml(text)
    if root is None:
        raise LoadError("the file is empty: a derivation needs 'steps' or 'cases'", 1)
    if not isinstance(root, Map):
        raise LoadError(f"a derivation file is a mapping of keys such as 'steps', got {kind_name(root)}", root.line)
    return read_derivation(root, path, require_steps=require_steps)


def read_derivation(
    root: Map, path: str, require_steps: bool = True, allowed: tuple[str, ...] = DERIVATION_KEYS
) -> Derivation:
    """A derivation (or the body of an answer) from a YAML mapping.

    Every part is read even after one fails, so that a file with three typos gets
    three messages in one run; the first problem is raised with the others attached.
    """
    problems: list[LoadError] = []

    def attempt(read: Callable[[], T], default: T) -> T:
        try:
            return read()
        except LoadError as err:
            problems.extend(err.problems)
            return default

    attempt(lambda: check_keys(root, allowed, "derivation"), None)
    scope = attempt(lambda: read_scope(root, problems), Scope())
    title = attempt(lambda: optional_str(root, "title"), None)
    expect = attempt(lambda: optional_str(root, "expect"), None)
    if expect is not None and expect not in EXPECT_VALUES:
        problems.append(
            LoadError(f"expect: must be one of {', '.join(EXPECT_VALUES)}, got {expect!r}", root.key_lines["expect"])
        )
    claim = None
    if "claim" in root.items:
        claim = attempt(lambda: expression_text(root.items["claim"], "claim"), None)
    # a misspelt 'steps' (step:) already has its message: do not add "needs steps"
    misspelt_body = any(k not in allowed and _closest(k, allowed) in ("steps", "cases") for k in root.key_lines)
    chains, has_cases = attempt(lambda: read_body(root, require_steps and not misspelt_body), ([], False))
    if not problems:
        attempt(lambda: check_indices(scope, chains), None)
        attempt(lambda: check_functions(scope), None)
    if problems:
        problems.sort(key=lambda p: (p.line is None, p.line or 0))
        first, *rest = problems
        raise LoadError(first.message, first.line, more=rest)
    return Derivation(path, scope, chains, title=title, claim=claim, has_cases=has_cases, line=root.line, expect=expect)


def read_body(root: Map, require_steps: bool = True) -> tuple[list[Chain], bool]:
    """The chains of a derivation: its ``steps``, or one chain per case."""
    has_steps, has_cases = "steps" in root.items, "cases" in root.items
    if has_steps and has_cases:
        raise LoadError("give either 'steps' or 'cases', not both", root.key_lines["cases"])
    if has_steps:
        return [Chain(read_steps(root.items["steps"]), line=root.key_lines["steps"])], False
    if has_cases:
        return read_cases(root.items["cases"]), True
    if require_steps:
        raise LoadError("a derivation needs 'steps' (a list of expressions) or 'cases'", root.line)
    return [], False


def check_keys(node: Map, allowed: tuple[str, ...], what: str) -> None:
    """Every unknown key of ``node`` (all of them, not only the first)."""
    problems = []
    for key, line in node.key_lines.items():
        if key not in allowed:
            hint = _closest(key, allowed)
            suggestion = f"; did you mean {hint!r}?" if hint else ""
            problems.append(
                LoadError(f"unknown key {key!r} in the {what}{suggestion} (allowed: {', '.join(allowed)})", line)
            )
    if problems:
        raise LoadError(problems[0].message, problems[0].line, more=problems[1:])


def _closest(word: str, options: tuple[str, ...]) -> str | None:
    import difflib

    found = difflib.get_close_matches(word, options, n=1, cutoff=0.6)
    return found[0] if found else None


def optional_str(node: Map, key: str) -> str | None:
    value = node.items.get(key)
    if value is None:
        return None
    if not isinstance(value, Scalar):
        raise LoadError(f"'{key}' must be text, got {kind_name(value)}", value.line)
    return None if value.is_null else value.text


def expression_text(value: Value, what: str) -> Text:
    """A scalar holding an expression; numbers are kept as written."""
    if not isinstance(value, Scalar) or value.is_null:
        got = kind_name(value)
        raise LoadError(f"{what} must be an expression string, got {got}", value.line)
    if value.tag.endswith(":bool"):
        raise LoadError(f"{what} must be an expression, got the YAML boolean {value.text!r}", value.line)
    return Text(value.text, value.line)


def read_scope(root: Map, problems: list[LoadError] | None = None) -> Scope:
    """The context keys of a mapping: symbols, indices, sizes, define, given.

    With ``problems``, a key that cannot be read is recorded there and read as empty,
    so the other keys are still checked; without it, the first problem is raised.
    """

    def part(read: Callable[[], T], default: T) -> T:
        if problems is None:
            return read()
        try:
            return read()
        except LoadError as err:
            problems.extend(err.problems)
            return default

    return Scope(
        symbols=part(lambda: _name_map(root, "symbols", declared=True), {}),
        indices=part(lambda: _name_map(root, "indices", declared=False), {}),
        sizes=part(lambda: _sizes(root), {}),
        define=part(lambda: _name_map(root, "define", declared=True), {}),
        given=part(lambda: read_given(root.items.get("given")), ()),
        functions=part(lambda: read_functions(root), {}),
    )


def read_functions(root: Map) -> dict[str, FunctionDecl]:
    """``functions: [f, g]`` (each of one argument) or ``functions: {f: 1, h: 2}`` (name: arity)."""
    value = root.items.get("functions")
    if value is None or (isinstance(value, Scalar) and value.is_null):
        return {}
    entries: list[tuple[str, int, int, Value | None]] = []  # name, line, arity (0: read below), arity node
    if isinstance(value, Seq):
        for item in value.items:
            if not isinstance(item, Scalar) or item.is_null:
                raise LoadError(f"'functions' lists names such as f, got {kind_name(item)}", item.line)
            entries.append((item.text.strip(), item.line, 1, None))
    elif isinstance(value, Map):
        for name, item in value.items.items():
            entries.append((name.strip(), value.key_lines[name], 0, item))
    elif isinstance(value, Scalar) and re.fullmatch(_NAME, value.text.strip()):
        entries.append((value.text.strip(), value.line, 1, None))
    else:
        raise LoadError(
            f"'functions' must be a list of names such as [f, g], or a mapping name: number of arguments "
            f"such as {{f: 1, h: 2}}, got {kind_name(value)}",
            value.line,
        )
    if len(entries) > MAX_FUNCTIONS:
        raise LoadError(f"more than {MAX_FUNCTIONS} functions", value.line)
    out: dict[str, FunctionDecl] = {}
    for name, line, arity, node in entries:
        if not re.fullmatch(_NAME, name) or name.startswith("__"):
            raise LoadError(f"{name!r} in 'functions' is not a name such as f", line)
        if node is not None:
            text = node.text.strip() if isinstance(node, Scalar) and not node.is_null else ""
            if not re.fullmatch(r"\d{1,2}", text) or not 1 <= int(text) <= MAX_FUNCTION_ARITY:
                raise LoadError(
                    f"function {name!r}: give its number of arguments, a whole number from 1 to "
                    f"{MAX_FUNCTION_ARITY} (as in {name}: 2), got {text or kind_name(node)!r}",
                    node.line or line,
                )
            arity = int(text)
        if name in out:
            raise LoadError(f"{name!r} is given twice in 'functions'", line)
        out[name] = FunctionDecl(name, arity, line)
    return out


def function_clashes(scope: Scope) -> list[LoadError]:
    """A declared function whose name is taken: a built-in function, a constant, a symbol,
    a definition, an index or a size (``f`` must mean one thing)."""
    problems = []
    taken: dict[str, str] = {}
    for table, what in ((scope.symbols, "a symbol"), (scope.define, "defined")):
        for key in table:
            taken.setdefault(declared_name(key)[0], what)
    for key in scope.indices:
        taken.setdefault(key.strip(), "an index")
    for key in scope.sizes:
        taken.setdefault(key, "a size")
    for name, decl in scope.functions.items():
        # the built-in names come with SymPy: imported only when a file declares functions
        from .functions import (
            CONSTANTS,
            FUNCTIONS,
            RESERVED_FUNCTION_NAMES,
            SPECIAL_FORMS,
        )

        if name in FUNCTIONS or name in SPECIAL_FORMS or name in RESERVED_FUNCTION_NAMES:
            why = "a built-in function" if name in FUNCTIONS else "part of the expression language"
            problems.append(LoadError(f"function {name!r} clashes with {why} {name!r}: choose another name", decl.line))
        elif name in CONSTANTS:
            problems.append(LoadError(f"function {name!r} clashes with the constant {name!r}: choose another name", decl.line))
        elif name in taken:
            problems.append(
                LoadError(f"function {name!r} clashes with {name!r}, which is {taken[name]} in this file: choose another name", decl.line)
            )
    return problems


def check_functions(scope: Scope) -> None:
    """Every clash of a declared function's name (see :func:`function_clashes`), at once."""
    problems = function_clashes(scope)
    if problems:
        raise LoadError(problems[0].message, problems[0].line, more=problems[1:])


def _name_map(root: Map, key: str, declared: bool) -> dict[str, Text]:
    value = root.items.get(key)
    if value is None or (isinstance(value, Scalar) and value.is_null):
        return {}
    if not isinstance(value, Map):
        raise LoadError(f"'{key}' must be a mapping of name: value, got {kind_name(value)}", value.line)
    if key == "define" and len(value.items) > limits.MAX_DEFINITIONS:
        raise LoadError(f"more than {limits.MAX_DEFINITIONS} definitions", value.line)
    out: dict[str, Text] = {}
    for name, item in value.items.items():
        line = value.key_lines[name]
        m = _DECL_RE.match(name)
        if not m or (not declared and m.group(2)):
            form = "a name or an indexed name such as z[k]" if declared else "a name such as k"
            raise LoadError(f"{name!r} in '{key}' is not {form}", line)
        if not isinstance(item, Scalar) or item.is_null:
            raise LoadError(f"'{key}' entry {name!r} must be a single value, got {kind_name(item)}", item.line)
        canonical = m.group(1) + (f"[{', '.join(p.strip() for p in m.group(2).split(','))}]" if m.group(2) else "")
        if canonical in out:
            raise LoadError(f"{canonical!r} is given twice in '{key}'", line)
        out[canonical] = Text(item.text, item.line if item.line else line)
    return out


def _sizes(root: Map) -> dict[str, Size]:
    value = root.items.get("sizes")
    if value is None or (isinstance(value, Scalar) and value.is_null):
        return {}
    if not isinstance(value, Map):
        raise LoadError(f"'sizes' must map a size to a list such as K: [2, 3], got {kind_name(value)}", value.line)
    out: dict[str, Size] = {}
    for name, item in value.items.items():
        line = value.key_lines[name]
        if not re.fullmatch(_NAME, name):
            raise LoadError(f"{name!r} in 'sizes' is not a name such as K", line)
        items = item.items if isinstance(item, Seq) else [item]
        values = []
        for v in items:
            if not isinstance(v, Scalar) or not re.fullmatch(r"\d{1,6}", v.text.strip()):
                raise LoadError(f"sizes of {name} must be positive whole numbers, got {kind_name(v)}", v.line)
            n = int(v.text)
            if not 1 <= n <= limits.MAX_SIZE:
                raise LoadError(f"size {name} = {n} is outside 1..{limits.MAX_SIZE}", v.line)
            values.append(n)
        if not values:
            raise LoadError(f"sizes of {name} is an empty list", item.line)
        out[name] = Size(tuple(dict.fromkeys(values)), line)
    return out


def read_given(value: Value | None) -> tuple[Text, ...]:
    """``given``: one condition string or a list of them."""
    if value is None or (isinstance(value, Scalar) and value.is_null):
        return ()
    items = value.items if isinstance(value, Seq) else [value]
    out = []
    for item in items:
        if not isinstance(item, Scalar) or item.is_null:
            raise LoadError(f"a condition in 'given' must be a string such as 'T == k', got {kind_name(item)}", item.line)
        out.append(Text(item.text, item.line))
    return tuple(out)


def read_steps(value: Value) -> tuple[Step, ...]:
    if not isinstance(value, Seq):
        raise LoadError(f"'steps' must be a list of expressions, got {kind_name(value)}", value.line)
    if not value.items:
        raise LoadError("'steps' is empty: give at least the starting expression", value.line)
    if len(value.items) > limits.MAX_STEPS:
        raise LoadError(f"more than {limits.MAX_STEPS} steps in one chain", value.line)
    steps = tuple(read_step(item) for item in value.items)
    if len(steps) == 1:
        raise LoadError(one_step_message(value.items[0]), steps[0].line)
    return steps


def one_step_message(item: Value) -> str:
    """Why a chain of one step is an error, and its likely cause (a mis-indented list)."""
    base = "this chain has only one step, so it checks nothing: a chain needs at least two steps"
    if isinstance(item, Scalar) and item.end_line > item.line:
        return (
            f"{base}. The step runs over lines {item.line}-{item.end_line}: YAML read the next "
            "line(s) as the continuation of this step, which usually means a mis-indented list; "
            "start every '- ' of the list in the same column"
        )
    return f"{base}. If you wrote more, check the indentation: every '- ' of the list must start in the same column"


def read_step(item: Value) -> Step:
    if isinstance(item, Scalar):
        text = expression_text(item, "a step")
        return Step(text.text, text.line)
    if isinstance(item, Map):
        check_keys(item, STEP_KEYS, "step")
        has_expr, has_latex = "expr" in item.items, "latex" in item.items
        if has_expr == has_latex:
            raise LoadError("a step mapping needs exactly one of 'expr' or 'latex'", item.line)
        key = "expr" if has_expr else "latex"
        text = expression_text(item.items[key], f"'{key}'")
        return Step(
            text.text,
            item.line,
            latex=has_latex,
            why=optional_str(item, "why"),
            given=read_given(item.items.get("given")),
        )
    raise LoadError(f"a step must be an expression or a mapping with 'expr', got {kind_name(item)}", item.line)


def read_cases(value: Value) -> list[Chain]:
    if not isinstance(value, Seq) or not value.items:
        raise LoadError("'cases' must be a non-empty list of {given: ..., steps: [...]}", value.line)
    if len(value.items) > limits.MAX_CHAINS:
        raise LoadError(f"more than {limits.MAX_CHAINS} cases", value.line)
    chains = []
    problems: list[LoadError] = []
    for item in value.items:
        try:
            chains.append(read_case(item))
        except LoadError as err:  # read every case: each problem is reported
            problems.extend(err.problems)
    if problems:
        raise LoadError(problems[0].message, problems[0].line, more=problems[1:])
    return chains


def read_case(item: Value) -> Chain:
    if not isinstance(item, Map):
        raise LoadError(f"a case must be a mapping with 'given' and 'steps', got {kind_name(item)}", item.line)
    check_keys(item, CASE_KEYS, "case")
    if "steps" not in item.items:
        raise LoadError("a case needs 'steps'", item.line)
    return Chain(
        read_steps(item.items["steps"]),
        given=read_given(item.items.get("given")),
        title=optional_str(item, "title"),
        line=item.line,
    )


def check_indices(scope: Scope, chains: list[Chain]) -> None:
    """Every index named in a declaration ``z[k]`` must be declared in ``indices``."""
    for table in (scope.symbols, scope.define):
        for name, text in table.items():
            m = _DECL_RE.match(name)
            if m and m.group(2):
                for index in (p.strip() for p in m.group(2).split(",")):
                    if index not in scope.indices:
                        raise LoadError(
                            f"{name!r} uses the index {index!r}, which is not declared in 'indices' "
                            f"(add, for example, '{index}: K')",
                            text.line,
                        )
    for index, size in scope.indices.items():
        if not re.fullmatch(_NAME, size.text.strip()):
            raise LoadError(f"index {index!r} must range over a size name such as K, got {size.text!r}", size.line)


def declared_name(key: str) -> tuple[str, tuple[str, ...]]:
    """``'z[k, m]'`` -> ``('z', ('k', 'm'))``."""
    m = _DECL_RE.match(key)
    if not m:
        raise ValueError(key)
    params = tuple(p.strip() for p in m.group(2).split(",")) if m.group(2) else ()
    return m.group(1), params
