"""Fuzzing (SECURITY.md): random input never escapes as anything but a clean error.

- random expression strings (from a token grammar and raw text) make
  ``parse_expression`` raise only :class:`ExpressionError`;
- random YAML documents (mutations of the valid examples in tests/data/valid)
  make ``verify_text`` return a result, never raise, never report an internal error;
- the CLI on such a document exits 0, 1 or 2 without a traceback.

The number of examples is small by default (CI); set DERIVCHECK_FUZZ_EXAMPLES for
a longer run, e.g. ``DERIVCHECK_FUZZ_EXAMPLES=2000 python -m pytest tests/test_fuzz.py``.
"""

from __future__ import annotations

import os
from pathlib import Path

from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from derivcheck.api import verify_text
from derivcheck.cli import main
from derivcheck.parse import ExpressionError, Names, parse_expression, parse_relation

EXAMPLES = int(os.environ.get("DERIVCHECK_FUZZ_EXAMPLES", "60"))
VALID = sorted((Path(__file__).resolve().parent / "data" / "valid").glob("*.yaml"))
SEEDS = [p.read_text() for p in VALID]

FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize="DERIVCHECK_FUZZ_EXAMPLES" not in os.environ,
)
# Whole files cost a SymPy check each: fewer of them, in proportion.
FILE_FUZZ = settings(FUZZ, max_examples=max(10, EXAMPLES // 3))

TOKENS = [
    "x", "y", "z", "w_j", "k", "K", "T", "t", "y[k]", "z[1]", "y_k", "pi", "E", "e", "N", "S", "I", "O",
    "0", "1", "2", "10", "0.5", "1e3", "1e999", "10**100", "2**2**2**2", "999999999999",
    "+", "-", "*", "/", "**", "^", "(", ")", "[", "]", ",", " ", "=", "==", "!=", "<", ".", "'", '"',
    "exp(", "log(", "sqrt(", "sigma(", "Max(", "Min(", "factorial(", "binomial(", "gamma(", "Abs(",
    "Sum(", "Product(", "Derivative(", "diff(", "(k, 1, K)", "(i, 1, 10**6)", "KroneckerDelta(",
    "__import__", "os", ".system", "lambda", ":", "f'", "{", "}", "if", "else", "not", "and", "@", "%",
    "\\", "\n", "\t", "\x00", "х", "α", "−", "…", "#", ";", "!", "&", "|", "~", "`", "$",
]

NAMES = Names(
    indexed=frozenset({"y", "z", "t"}),
    indices=frozenset({"k", "m", "T"}),
    sizes=frozenset({"K"}),
    ranges=(("T", "K"), ("k", "K"), ("m", "K")),
)

grammar_text = st.lists(st.sampled_from(TOKENS), min_size=1, max_size=40).map("".join)


def _parse_only_raises_expression_error(text: str) -> None:
    for names in (Names(), NAMES):
        try:
            parse_expression(text, names)
        except ExpressionError:
            pass
        try:
            parse_relation(text, names)
        except ExpressionError:
            pass


@FUZZ
@given(grammar_text)
def test_parse_grammar_tokens(text: str) -> None:
    _parse_only_raises_expression_error(text)


@FUZZ
@given(st.text(max_size=200))
def test_parse_raw_text(text: str) -> None:
    _parse_only_raises_expression_error(text)


NASTY = [
    "!!python/object/apply:os.system [\"touch pwned\"]", "&a [1, 2]", "*a", "<<: *a", "{", "}", "[", "]",
    "- ", ": ", "? ", "|", ">", "'", '"', "#", "%YAML 1.1\n", "---\n", "...\n", "!!binary aGk=", "\t", "\x00",
    "\ufeff", "х", "steps:", "cases:", "given: T == k", "define:", "sizes: {K: [1000]}", "sizes: {K: [12]}",
    "2**2**2**2**2**2", "Sum(x[k], (k, 1, 10**6))", "Max(x, Max(y, z))", "__import__('os')", "x.y", "y(1-y)",
    "Derivative(L, y)", "factorial(999)", "latex: '\\frac{1}{x}'", "expr: x", "why: because", "1e999",
]


@st.composite
def mutated_yaml(draw: st.DrawFn) -> str:
    text = draw(st.sampled_from(SEEDS))
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["delete", "insert", "replace", "dup_line", "swap_lines", "nasty_line", "expr", "expr"]))
        n = len(text)
        a = draw(st.integers(0, max(n - 1, 0)))
        b = min(n, a + draw(st.integers(0, 12)))
        if kind == "delete":
            text = text[:a] + text[b:]
        elif kind == "insert":
            piece = draw(st.sampled_from(NASTY) | st.text(max_size=8))
            text = text[:a] + piece + text[a:]
        elif kind == "replace":
            text = text[:a] + draw(st.text(min_size=1, max_size=3)) + text[b:]
        else:
            lines = text.split("\n")
            i = draw(st.integers(0, len(lines) - 1))
            j = draw(st.integers(0, len(lines) - 1))
            if kind == "expr":  # keep the YAML valid, break an expression: reaches the engine
                steps = [n for n, line in enumerate(lines) if line.lstrip().startswith("- ")] or [i]
                n = draw(st.sampled_from(steps))
                head = lines[n][: len(lines[n]) - len(lines[n].lstrip())] + "- "
                expr = draw(grammar_text).replace("\\", "").replace("'", "").replace("\n", " ")
                lines[n] = head + "'" + expr + "'"
            elif kind == "dup_line":
                lines.insert(i, lines[j])
            elif kind == "swap_lines":
                lines[i], lines[j] = lines[j], lines[i]
            else:
                indent = " " * draw(st.sampled_from([0, 2, 4]))
                lines.insert(i, indent + draw(st.sampled_from(NASTY)))
            text = "\n".join(lines)
    return text


@FILE_FUZZ
@given(mutated_yaml())
def test_verify_text_never_raises(text: str) -> None:
    result = verify_text(text, "fuzz.yaml", timeout=2)
    assert result.status in ("valid", "invalid", "error", "unknown")
    if result.error is not None:
        assert "internal error" not in result.error.message, result.error.message
    for chain in result.chains:
        for step in chain.steps:
            assert "internal error" not in (step.message or ""), step.message


@settings(FILE_FUZZ, max_examples=max(5, EXAMPLES // 6))
@given(mutated_yaml(), st.sampled_from(["text", "json", "github"]))
def test_cli_exits_cleanly(text: str, fmt: str) -> None:
    runner = CliRunner()
    with runner.isolated_filesystem():
        Path("fuzz.yaml").write_text(text, encoding="utf-8", errors="surrogatepass")
        result = runner.invoke(main, ["verify", "--format", fmt, "--timeout", "2", "fuzz.yaml"], env={"NO_COLOR": "1"})
        assert result.exit_code in (0, 1, 2), result.output
        assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
        assert "Traceback" not in result.output
        assert sorted(p.name for p in Path(".").iterdir()) == ["fuzz.yaml"]
