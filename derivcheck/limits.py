"""Every bound derivcheck puts on its input, in one place (SECURITY.md explains why).

Student files are hostile until proved otherwise: each limit turns a file that
would exhaust time or memory into a clear error instead.
"""

from __future__ import annotations

#: Largest derivation or submission file read, in bytes.
MAX_FILE_BYTES = 1_000_000
#: Deepest nesting of YAML mappings and lists.
MAX_YAML_DEPTH = 20
#: Longest expression string, in characters.
MAX_EXPR_CHARS = 5_000
#: Deepest nesting of brackets in one expression.
MAX_EXPR_NESTING = 60
#: Most operands/operators in one expression.
MAX_EXPR_NODES = 2_000
#: Largest integer literal, in decimal digits.
MAX_INT_DIGITS = 200
#: Largest exponent written as a number (x**6000 is fine, x**10**6 is not).
MAX_EXPONENT = 10_000
#: Largest result of a power of two numbers, in decimal digits.
MAX_POWER_DIGITS = 2_000
#: Highest order of one derivative: ``Derivative(f, x, x, x, x)``, ``diff(f, x, 4)``.
MAX_DERIVATIVE_ORDER = 4
#: Largest argument of factorial/binomial/gamma given as a number.
MAX_FACTORIAL_ARG = 1_000
#: Most arguments of one Max/Min, counting the nested Max/Min SymPy flattens into it
#: (SymPy compares every pair of arguments when it builds a Max: 64 take seconds).
MAX_MINMAX_ARGS = 16
#: Wall-clock seconds allowed to build one expression from its text (SymPy
#: simplifies while it builds; a pathological expression must not hang the reader).
PARSE_SECONDS = 5.0
#: Most steps in one chain, and most chains (cases) in one file.
MAX_STEPS = 200
MAX_CHAINS = 50
#: Most definitions in one file.
MAX_DEFINITIONS = 500
#: Largest index size listed in `sizes`, and most instantiations of one transition.
MAX_SIZE = 12
MAX_INSTANTIATIONS = 500
#: Most terms of one Sum/Product, and most terms all the Sums/Products of one
#: instance expand into together (nested sums multiply).
MAX_SUM_TERMS = 1_000
MAX_EXPANDED_TERMS = 20_000
#: Most points the coverage check of a file's cases enumerates
#: (index combinations times values of finite-set symbols).
MAX_COVERAGE_POINTS = 20_000
#: Numeric sample points per instantiation of a transition.
SAMPLE_POINTS = 24
#: Default time budget per transition, in seconds.
DEFAULT_TIMEOUT = 10.0
