"""The meaning of a file's names: domains, definitions, derivatives, indices (SPEC §2, §4, §5).

:class:`Context` turns a parsed step into a concrete SymPy expression over leaf
symbols, once per *instance* (one size for every size, one value for every free
index).  Definitions are expanded recursively; ``Derivative(f, v)`` expands ``f``
except ``v``, differentiates holding the other names fixed, then expands fully.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

import sympy
from sympy import Derivative, Indexed, Integer, Product, Sum, Symbol

from . import limits
from .budget import Timeout, time_limit
from .closedforms import closed_form
from .domains import REAL, Domain, DomainError, parse_domain
from .functions import CONSTANTS, kink_diff
from .loader import declared_name, function_clashes
from .model import Scope, Text
from .parse import (
    ExpressionError,
    Names,
    Relation,
    expression_names,
    make_index,
    make_size,
    make_symbol,
    parse_expression,
    parse_relation,
)

DEFAULT_SIZES = (2, 3)
#: Where a symbol declared ``positive integer`` (a bound such as the n of
#: Sum(k**2, (k, 1, n))) is checked when no proof for every n is found: small
#: values, and larger ones, since a formula fitted to n = 1, 2, 3 fails further on.
DEFAULT_BOUND_VALUES = (1, 2, 3, 4, 5, 8, 13)


class ContextError(ValueError):
    """A problem in a file's context or in one expression, with its line."""

    def __init__(
        self, message: str, line: int | None = None, column: int | None = None, more: list[ContextError] | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column
        #: further problems found in the same pass (every bad domain or definition at once)
        self.more: list[ContextError] = list(more or [])

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True)
class Definition:
    name: str
    params: tuple[Symbol, ...]
    body: sympy.Expr
    line: int


@dataclass(frozen=True)
class Condition:
    """A parsed ``given``: an index relation, a substitution, or a filter on points."""

    kind: str  # "index" | "subst" | "filter"
    relation: Relation
    text: str
    line: int


Instance = Mapping[Symbol, Integer]

ExpressionReader = Callable[[str, Names], sympy.Expr]


def _flat_name(base: str, args: tuple[sympy.Expr, ...]) -> str:
    return f"{base}[{', '.join(str(a) for a in args)}]"


class Context:
    """Symbols, domains, definitions and index ranges of one file (or one question)."""

    def __init__(self, scope: Scope, texts: Iterable[str] = (), latex_reader: ExpressionReader | None = None) -> None:
        self.scope = scope
        self.latex_reader = latex_reader
        self.index_size: dict[str, str] = {}
        for index, size in scope.indices.items():
            self.index_size[index] = size.text.strip()
        self.sizes: dict[str, tuple[int, ...]] = {
            name: size.values for name, size in scope.sizes.items()
        }
        for size in self.index_size.values():
            self.sizes.setdefault(size, DEFAULT_SIZES)
        # a positive integer is a size: checked at several values, proved for every value
        for key, text in scope.symbols.items():
            base, params = declared_name(key)
            try:
                if not params and parse_domain(text.text).kind == "positive integer":
                    self.sizes.setdefault(base, DEFAULT_BOUND_VALUES)
            except DomainError:
                pass  # reported with every other bad domain below
        indexed = set()
        for key in list(scope.symbols) + list(scope.define):
            base, params = declared_name(key)
            if params:
                indexed.add(base)
        for text in texts:
            indexed |= expression_names(text)
        for t in scope.define.values():
            indexed |= expression_names(t.text)
        self.names = Names(
            indexed=frozenset(indexed),
            indices=frozenset(self.index_size),
            sizes=frozenset(self.sizes),
            ranges=tuple(sorted(self.index_size.items())),
            functions=tuple(sorted((name, decl.arity) for name, decl in scope.functions.items())),
        )
        #: every defined name, known before the bodies are read (definitions may come in any order)
        self.defined_names = frozenset(declared_name(key)[0] for key in scope.define)
        self.domains: dict[str, Domain] = {}
        #: notes about how a step was read, by (line, text): `e` used as a power's base
        self.reading: dict[tuple[int, str], list[str]] = {}
        #: definitions whose body uses `e` as a power's base, and their lines
        self.plain_e_definitions: dict[str, int] = {}
        for table in (scope.symbols, scope.define):
            for key, text in table.items():
                base, _ = declared_name(key)
                if base in CONSTANTS:
                    what = "Euler's number e = 2.71828..." if base == "E" else "the constant 3.14159..."
                    raise ContextError(
                        f"{base} is {what} and cannot be declared or defined: choose another name "
                        f"for your quantity (such as {base}_0 or {'energy' if base == 'E' else 'p'})",
                        text.line,
                    )
        clashes = function_clashes(scope)  # a question's names over a key's functions, too
        if clashes:
            raise ContextError(clashes[0].message, clashes[0].line)
        problems: list[ContextError] = []  # every bad domain and definition, reported together
        for key, text in scope.symbols.items():
            base, _ = declared_name(key)
            try:
                self.domains[base] = parse_domain(text.text)
            except DomainError as err:
                problems.append(ContextError(f"domain of {key!r}: {err}", text.line))
                continue
            if (base in self.index_size or base in self.sizes) and self.domains[base].kind != "positive integer":
                what = f"an index (it ranges over 1..{self.index_size[base]})" if base in self.index_size else "a size"
                problems.append(ContextError(
                    f"{base!r} is {what} and cannot be declared under 'symbols' as {text.text.strip()!r}: "
                    "list the sizes to check under 'sizes', or use another name for the symbol",
                    text.line,
                ))
        self.definitions: dict[str, Definition] = {}
        for key, text in scope.define.items():
            base, params = declared_name(key)
            try:
                if base in self.definitions:
                    raise ContextError(f"{base!r} is defined twice", text.line)
                if base in self.index_size or base in self.sizes:
                    raise ContextError(f"{base!r} is an index or a size and cannot be defined", text.line)
                body = self.parse(text.text, text.line)
            except ContextError as err:
                problems.append(err)
                continue
            self.definitions[base] = Definition(base, tuple(make_index(p) for p in params), body, text.line)
            if (text.line, text.text) in self.reading:
                self.plain_e_definitions[base] = text.line
        if problems:
            raise ContextError(problems[0].message, problems[0].line, problems[0].column, more=problems[1:])
        # What an expression reads, by expression: asked again and again of the same
        # steps and bodies (cycles, instances, screening, proofs), and fixed once the
        # definitions, indices and sizes above are (they never change after this).
        self._references_memo: dict[sympy.Expr, frozenset[str]] = {}
        self._free_indices_memo: dict[sympy.Expr, frozenset[Symbol]] = {}
        self._free_sizes_memo: dict[sympy.Expr, frozenset[Symbol]] = {}
        self._check_cycles()
        self._free_index_cache: dict[str, frozenset[Symbol]] = {}
        # Shared by every Resolver of this context (see Resolver): expansions keyed by
        # the index and size values they can depend on, so instances share them.
        self._shared_memo: dict[tuple, sympy.Expr] = {}
        self._defined_leaves: dict[Symbol, tuple[str, tuple[Integer, ...]]] = {}
        self._scope_cache: dict[object, tuple[Symbol, ...]] = {}

    # -- reading expressions ----------------------------------------------------------
    def parse(self, text: str, line: int, latex: bool = False) -> sympy.Expr:
        """Parse an expression of the file, turning parse errors into :class:`ContextError`."""
        reader = self.latex_reader if latex else parse_expression
        if reader is None:
            raise ContextError("LaTeX steps need the LaTeX reader", line)
        try:
            with time_limit(limits.PARSE_SECONDS):
                expr = reader(text, self.names)
        except ExpressionError as err:
            where = f" (column {err.column})" if err.column else ""
            raise ContextError(f"{err.message}{where}", line, err.column) from None
        except Timeout:
            raise ContextError(f"reading this expression took more than {limits.PARSE_SECONDS:g} s; simplify it", line) from None
        except RecursionError:
            raise ContextError("expression too deeply nested", line) from None
        self.check_derivative_names(expr, line, latex)
        if not latex and "e" not in self.domains and "e" not in self.defined_names:
            plain_e = make_symbol("e")
            if any(p.base == plain_e for p in expr.atoms(sympy.Pow)):
                self.reading[(line, text)] = [
                    "`e` is a plain symbol here: write exp(x) or E for Euler's number "
                    "(declare e under 'symbols' if it is a quantity of yours)"
                ]
        if self.plain_e_definitions and hasattr(self, "_scope_cache"):  # a step, once every definition is read
            for name in sorted(self.names_read(expr) & set(self.plain_e_definitions)):
                note = (
                    f"`e` is a plain symbol in the definition of {name} (line {self.plain_e_definitions[name]}): "
                    "write exp(x) or E for Euler's number"
                )
                notes = self.reading.setdefault((line, text), [])
                if note not in notes:
                    notes.append(note)
        return expr

    def reading_notes(self, line: int, text: str) -> list[str]:
        """Notes on how the step on ``line`` was read (see :attr:`reading`)."""
        return list(self.reading.get((line, text), ()))

    def is_known(self, name: str) -> bool:
        """Declared under ``symbols``, defined, an index or a size."""
        return (
            name in self.domains
            or name in self.defined_names
            or name in self.index_size
            or name in self.sizes
        )

    def check_derivative_names(self, expr: sympy.Expr, line: int | None, latex: bool = False) -> None:
        """Refuse the derivative of a bare name the file never introduced (SPEC §4).

        An unknown ``L`` in ``Derivative(L, w)`` would be a constant, so the
        derivative a silent 0 and the claim "proved".  (An unknown name inside a
        larger first argument is checked when the derivative is taken: it is an
        error only when the first argument does not depend on the variable.)
        """
        unknown: set[str] = set()
        for d in expr.atoms(Derivative):
            f = d.expr
            if not isinstance(f, (Symbol, Indexed)):
                continue
            name = self.leaf_name(f)
            if not self.is_known(name) and name not in {self.leaf_name(v) for v in d.variables}:
                unknown.add(name)
        if unknown:
            raise ContextError(self.unknown_name_message(sorted(unknown), latex), line)

    def unknown_name_message(self, names: list[str], latex: bool = False) -> str:
        which = ", ".join(names)
        verb = "is" if len(names) == 1 else "are"
        hint = ""
        if not self.scope.symbols and not self.scope.define:
            hint = (
                " (a Markdown or LaTeX answer takes its names from a context file: pass --context CONTEXT.yaml)"
                if latex
                else " (if this is a Markdown or LaTeX answer, pass its context file with --context)"
            )
        return (
            f"{which} {verb} neither defined nor declared: define it, or declare it under "
            f"'symbols' if it is a constant{hint}"
        )

    def condition(self, text: Text) -> Condition:
        """Classify one ``given`` condition."""
        try:
            rel = parse_relation(text.text, self.names)
        except ExpressionError as err:
            raise ContextError(f"condition {text.text!r}: {err.message}", text.line) from None
        free = rel.left.free_symbols | rel.right.free_symbols
        if free and all(self._is_index_or_size(s) for s in free):
            return Condition("index", rel, text.text, text.line)
        if rel.op == "==":
            for a, b in ((rel.left, rel.right), (rel.right, rel.left)):
                if isinstance(a, (Symbol, Indexed)) and not b.free_symbols and self.leaf_name(a) not in self.definitions:
                    return Condition("subst", Relation("==", a, b), text.text, text.line)
            raise ContextError(
                f"condition {text.text!r}: '==' must relate two indices (T == k) or give a symbol a value (t == 1)",
                text.line,
            )
        if rel.op == "!=" and not free:
            raise ContextError(f"condition {text.text!r} has no symbols", text.line)
        return Condition("filter", rel, text.text, text.line)

    def _is_index_or_size(self, s: sympy.Basic) -> bool:
        return isinstance(s, Symbol) and (s.name in self.index_size or s.name in self.sizes)

    @staticmethod
    def leaf_name(e: sympy.Expr) -> str:
        return e.base.label.name if isinstance(e, Indexed) else str(e)

    # -- definitions ------------------------------------------------------------------
    def _references(self, expr: sympy.Expr) -> frozenset[str]:
        """The defined names ``expr`` reads."""
        found = self._references_memo.get(expr)
        if found is None:
            found = self._references_memo[expr] = self._find_references(expr)
        return found

    def _find_references(self, expr: sympy.Expr) -> frozenset[str]:
        names = {s.name for s in expr.free_symbols if isinstance(s, Symbol)}
        names |= {i.base.label.name for i in expr.atoms(Indexed)}
        # variables of derivatives are references too
        for d in expr.atoms(Derivative):
            for v in d.variables:
                names.add(self.leaf_name(v))
        return frozenset(names & set(self.definitions))

    def _check_cycles(self) -> None:
        graph = {name: self._references(d.body) for name, d in self.definitions.items()}
        state: dict[str, int] = {}

        def visit(node: str, path: list[str]) -> None:
            state[node] = 1
            for nxt in sorted(graph[node]):
                if state.get(nxt) == 1:
                    cycle = path[path.index(nxt) :] + [nxt] if nxt in path else [node, nxt]
                    raise ContextError(
                        "definitions refer to each other in a cycle: " + " -> ".join(cycle),
                        self.definitions[nxt].line,
                    )
                if state.get(nxt) is None:
                    visit(nxt, path + [nxt])
            state[node] = 2

        for name in self.definitions:
            if name not in state:
                visit(name, [name])

    def free_indices(self, expr: sympy.Expr) -> frozenset[Symbol]:
        """Indices free in ``expr``, including those its definitions depend on (``t[k]: delta(k, T)``)."""
        found = self._free_indices_memo.get(expr)
        if found is None:
            found = self._free_indices_memo[expr] = self._find_free_indices(expr)
        return found

    def _find_free_indices(self, expr: sympy.Expr) -> frozenset[Symbol]:
        out = {s for s in expr.free_symbols if isinstance(s, Symbol) and s.name in self.index_size}
        # SymPy counts a derivative's variables as bound: the j of Derivative(L, w[j]) is free here
        for d in expr.atoms(Derivative):
            for v in d.variables:
                out |= {s for s in v.free_symbols if isinstance(s, Symbol) and s.name in self.index_size}
        for name in self._references(expr):
            out |= self._definition_indices(name)
        return frozenset(out)

    def _definition_indices(self, name: str) -> frozenset[Symbol]:
        if name not in self._free_index_cache:
            self._free_index_cache[name] = frozenset()  # cycles were refused already
            d = self.definitions[name]
            self._free_index_cache[name] = self.free_indices(d.body) - set(d.params)
        return self._free_index_cache[name]

    def free_sizes(self, expr: sympy.Expr) -> frozenset[Symbol]:
        """Sizes an expression depends on: directly, through definitions, or through its indices."""
        found = self._free_sizes_memo.get(expr)
        if found is None:
            found = self._free_sizes_memo[expr] = self._find_free_sizes(expr)
        return found

    def _find_free_sizes(self, expr: sympy.Expr) -> frozenset[Symbol]:
        out = {s for s in expr.free_symbols if isinstance(s, Symbol) and s.name in self.sizes}
        for name in self._references(expr):
            out |= self.free_sizes(self.definitions[name].body)
        for index in self.free_indices(expr):
            out.add(make_size(self.index_size[index.name]))
        return frozenset(out)

    # -- instances --------------------------------------------------------------------
    def instances(
        self, exprs: Iterable[sympy.Expr], conditions: Iterable[Condition] = (), line: int | None = None
    ) -> list[dict[Symbol, Integer]]:
        """Every combination of sizes and free-index values, filtered by index relations."""
        exprs = list(exprs)
        index_conditions = [c for c in conditions if c.kind == "index"]
        indices: set[Symbol] = set()
        sizes: set[Symbol] = set()
        for e in exprs + [c.relation.left - c.relation.right for c in index_conditions]:
            indices |= self.free_indices(e)
            sizes |= self.free_sizes(e)
        for i in indices:
            sizes.add(make_size(self.index_size[i.name]))
        size_list = sorted(sizes, key=str)
        index_list = sorted(indices, key=str)
        out: list[dict[Symbol, Integer]] = []
        for size_values in itertools.product(*(self.sizes[s.name] for s in size_list)):
            base = {s: Integer(v) for s, v in zip(size_list, size_values)}
            ranges = [range(1, int(base[make_size(self.index_size[i.name])]) + 1) for i in index_list]
            for values in itertools.product(*ranges):
                inst = dict(base)
                inst.update({i: Integer(v) for i, v in zip(index_list, values)})
                if all(_holds(c.relation, inst) for c in index_conditions):
                    out.append(inst)
                    if len(out) > limits.MAX_INSTANTIATIONS:
                        raise ContextError(
                            f"more than {limits.MAX_INSTANTIATIONS} index combinations to check; "
                            "list fewer or smaller values in 'sizes'",
                            line,
                        )
        return out

    # -- resolution -------------------------------------------------------------------
    def reads(self, expr: sympy.Expr) -> tuple[Symbol, ...]:
        """Every index or size symbol ``expr`` can read, through its definitions too.

        A superset on purpose (bound variables count): an expansion depends on an
        instance only through the values of these symbols.
        """
        if expr not in self._scope_cache:
            out = {s for s in expr.atoms(Symbol) if self._is_index_or_size(s)}
            for name in self._references(expr):
                out |= set(self.definition_reads(name))
            self._scope_cache[expr] = tuple(sorted(out, key=lambda s: s.name))
        return self._scope_cache[expr]

    def definition_reads(self, name: str) -> tuple[Symbol, ...]:
        """:meth:`reads` of a definition's body, less its own parameters."""
        key = ("definition", name)
        if key not in self._scope_cache:
            self._scope_cache[key] = ()  # cycles were refused already
            d = self.definitions[name]
            self._scope_cache[key] = tuple(s for s in self.reads(d.body) if s not in d.params)
        return self._scope_cache[key]

    def names_read(self, expr: sympy.Expr) -> frozenset[str]:
        """Every symbol name ``expr`` mentions, through its definitions too (cached)."""
        key = ("names", expr)
        if key not in self._scope_cache:
            out = {s.name for s in expr.atoms(Symbol)}
            for name in self._references(expr):
                out |= self.definition_names(name)
            self._scope_cache[key] = frozenset(out)  # type: ignore[assignment]
        return self._scope_cache[key]  # type: ignore[return-value]

    def definition_names(self, name: str) -> frozenset[str]:
        """:meth:`names_read` of a definition's body, less its own parameters."""
        key = ("definition-names", name)
        if key not in self._scope_cache:
            self._scope_cache[key] = frozenset()  # type: ignore[assignment]  # cycles were refused already
            d = self.definitions[name]
            params = {p.name for p in d.params}
            self._scope_cache[key] = frozenset(self.names_read(d.body) - params)  # type: ignore[assignment]
        return self._scope_cache[key]  # type: ignore[return-value]

    def resolver(self, instance: Mapping[Symbol, Integer]) -> Resolver:
        return Resolver(self, dict(instance))

    def domain_of(self, leaf: Symbol) -> Domain:
        name = leaf.name
        base = name.split("[", 1)[0]
        return self.domains.get(base, REAL)


def _names_in(expr: sympy.Expr) -> set[str]:
    """The free names of an expression: plain symbols and the bases of indexed ones."""
    out = {s.name for s in expr.free_symbols if isinstance(s, Symbol)}
    out |= {i.base.label.name for i in expr.atoms(Indexed)}
    return out


def _holds(rel: Relation, values: Mapping[Symbol, sympy.Expr]) -> bool:
    left = rel.left.xreplace(dict(values))
    right = rel.right.xreplace(dict(values))
    result = {
        "==": lambda: left == right,
        "!=": lambda: left != right,
        "<": lambda: left < right,
        "<=": lambda: left <= right,
        ">": lambda: left > right,
        ">=": lambda: left >= right,
    }[rel.op]()
    return bool(result == True)


def condition_holds(rel: Relation, values: Mapping[Symbol, sympy.Expr]) -> bool:
    """Whether a relation holds once ``values`` are put in (undecidable counts as no)."""
    try:
        return _holds(rel, values)
    except TypeError:
        return False


class Resolver:
    """Expands expressions for one instance; remembers what it expanded."""

    def __init__(self, ctx: Context, instance: dict[Symbol, Integer]) -> None:
        self.ctx = ctx
        self.instance = instance
        # Kept leaves (y[1] standing for a defined y) mean the same in every instance,
        # and expansions are memoised for the whole context, keyed by the values of
        # the indices and sizes they can read (Context.reads): the y[m] of size K = 4
        # is expanded once, not once per (k, T).
        self.defined_leaf: dict[Symbol, tuple[str, tuple[Integer, ...]]] = ctx._defined_leaves
        self._memo: dict[tuple, sympy.Expr] = ctx._shared_memo
        self.expanded_terms = 0  # bounded by limits.MAX_EXPANDED_TERMS

    def full(self, expr: sympy.Expr) -> sympy.Expr:
        """Definitions expanded, derivatives taken, indices put in: over leaf symbols only."""
        self.expanded_terms = 0
        return self.resolve(expr, self.instance, frozenset())

    def resolve(self, e: sympy.Expr, env: Mapping[Symbol, Integer], keep: frozenset[str]) -> sympy.Expr:
        if isinstance(e, Symbol):
            if e in env:
                return env[e]
            if e in self.defined_leaf:
                name, args = self.defined_leaf[e]
                return e if name in keep else self.definition(name, args, keep, env)
            if e.name in self.ctx.definitions and not self.ctx.definitions[e.name].params:
                return make_symbol(e.name) if e.name in keep else self.definition(e.name, (), keep, env)
            if e.name in self.ctx.index_size or e.name in self.ctx.sizes:
                raise ContextError(f"the index or size {e.name!r} has no value here")
            return e
        if isinstance(e, Indexed):
            name = e.base.label.name
            args = tuple(self.resolve(a, env, keep) for a in e.indices)
            if not all(isinstance(a, Integer) for a in args):
                raise ContextError(f"cannot give {e} a concrete index (is every index declared?)")
            if name in self.ctx.definitions:
                d = self.ctx.definitions[name]
                if len(d.params) != len(args):
                    raise ContextError(f"{name} is defined with {len(d.params)} index(es), used with {len(args)}")
                if name in keep:
                    return self.leaf(name, args, defined=True)
                return self.definition(name, args, keep, env)
            return self.leaf(name, args, defined=False)
        if isinstance(e, Derivative):
            key = (
                "derivative",
                e,
                keep,
                tuple((s, env[s]) for s in self.ctx.reads(e) if s in env),
                self.bound(env, self.ctx.names_read(e)),
            )
            if key not in self._memo:
                self._memo[key] = self.derivative(e, env, keep)
            return self._memo[key]
        if isinstance(e, (Sum, Product)):
            return self.big_operator(e, env, keep)
        if not e.args:
            return e
        return e.func(*[self.resolve(a, env, keep) for a in e.args])

    def leaf(self, name: str, args: tuple[Integer, ...], defined: bool) -> Symbol:
        sym = make_symbol(_flat_name(name, args))
        if defined:
            self.defined_leaf[sym] = (name, args)
        return sym

    def bound(self, env: Mapping[Symbol, Integer], names: frozenset[str]) -> tuple[tuple[str, Integer], ...]:
        """The summation variables of ``env`` (bound by an enclosing Sum) named in ``names``."""
        return tuple(
            sorted(
                (s.name, v)
                for s, v in env.items()
                if s.name in names and (s not in self.instance or self.instance[s] != v)
            )
        )

    def definition(
        self, name: str, args: tuple[Integer, ...], keep: frozenset[str], outer: Mapping[Symbol, Integer] | None = None
    ) -> sympy.Expr:
        """A definition expanded at ``args``.

        A name of the definition that is a summation variable where the definition
        is used takes that variable's value: with ``f: m**2``, ``Sum(f*x[m], (m, 1, K))``
        is the sum of m**2*x[m] (the reading of the page, where f stands for its body).
        Its other names are its own: nothing of the use site is seen but bound
        summation variables, and its own bound variables stay inside it.
        """
        bound = self.bound(outer, self.ctx.definition_names(name)) if outer is not None else ()
        key = (name, args, keep, tuple((s, self.instance[s]) for s in self.ctx.definition_reads(name) if s in self.instance), bound)
        if key not in self._memo:
            d = self.ctx.definitions[name]
            env = dict(self.instance)
            for var, value in bound:
                env[make_index(var)] = value
                env[make_symbol(var)] = value
            env.update(zip(d.params, args))
            self._memo[key] = self.resolve(d.body, env, keep)
        return self._memo[key]

    def big_operator(self, e: Sum | Product, env: Mapping[Symbol, Integer], keep: frozenset[str]) -> sympy.Expr:
        # SymPy merges Sum(Sum(f, (i, ..)), (j, ..)) into one Sum with two limits,
        # innermost first: expand the outermost limit over a body that keeps the rest.
        var, lo, hi = e.limits[-1]
        body = type(e)(e.function, *e.limits[:-1]) if len(e.limits) > 1 else e.function
        lo_v, hi_v = self.resolve(lo, env, keep), self.resolve(hi, env, keep)
        if not (isinstance(lo_v, Integer) and isinstance(hi_v, Integer)):
            return self.closed_form(e, var, body, lo_v, hi_v, env, keep)
        count = int(hi_v) - int(lo_v) + 1
        if count > limits.MAX_SUM_TERMS:
            raise ContextError(f"{type(e).__name__} over more than {limits.MAX_SUM_TERMS} terms")
        self.expanded_terms += max(count, 0)
        if self.expanded_terms > limits.MAX_EXPANDED_TERMS:
            raise ContextError(
                f"sums and products expand into more than {limits.MAX_EXPANDED_TERMS} terms; use smaller bounds"
            )
        terms = []
        for v in range(int(lo_v), int(hi_v) + 1):
            inner = dict(env)
            inner[var] = Integer(v)
            terms.append(self.resolve(body, inner, keep))
        return sympy.Add(*terms) if isinstance(e, Sum) else sympy.Mul(*terms)

    def closed_form(
        self,
        e: Sum | Product,
        var: Symbol,
        body: sympy.Expr,
        lo: sympy.Expr,
        hi: sympy.Expr,
        env: Mapping[Symbol, Integer],
        keep: frozenset[str],
    ) -> sympy.Expr:
        """A Sum or Product whose bound is a symbol declared integer: its closed form (SPEC §5).

        ``Sum(k**3, (k, 1, n))`` becomes SymPy's closed form where the range is not
        empty and the empty sum (0) or product (1) where it is: SymPy's own
        convention for a reversed range (Karr's) is not what a page means.
        """
        for bound in (lo, hi):
            for s in bound.free_symbols:
                if not (isinstance(s, Symbol) and self.ctx.domain_of(s).assumptions().get("integer")):
                    raise ContextError(
                        f"the bounds of {e} must be numbers, declared sizes or symbols declared integer "
                        f"({s} is not declared integer)"
                    )
        # the summation variable stays a variable: a name no input can spell
        dummy = Symbol(f"__{var.name}", integer=True)
        inner = {k: v for k, v in env.items() if k != var}
        try:
            resolved = self.resolve(body.xreplace({var: dummy}), inner, keep)
        except ContextError:
            raise ContextError(
                f"{e} has a symbolic bound, so its terms cannot be indexed by {var}: "
                "use a declared size as its bound"
            ) from None
        # the bound's symbols with their declared assumptions (integer), for the proof
        swap = {s: Symbol(s.name, **self.ctx.domain_of(s).assumptions()) for s in lo.free_symbols | hi.free_symbols}
        closed = closed_form(type(e), resolved.xreplace(swap), dummy, lo.xreplace(swap), hi.xreplace(swap))
        if closed is None:
            raise ContextError(
                f"no closed form found for {e} with a symbolic bound (one is used only when proved by "
                "induction on the bound): declare its bound a positive integer (n: positive integer) to have "
                "it checked at several values, or use a declared size"
            )
        return closed.xreplace({v: k for k, v in swap.items()})

    def derivative(self, e: Derivative, env: Mapping[Symbol, Integer], keep: frozenset[str]) -> sympy.Expr:
        current = e.expr
        current_keep = keep
        variables = list(e.variables)
        for position, v in enumerate(variables):
            var_name = self.ctx.leaf_name(v)
            is_defined = var_name in self.ctx.definitions
            # The defined names still to differentiate by stay kept, so that
            # Derivative(F, u, u) takes its second partial with respect to the same u.
            later = {
                self.ctx.leaf_name(w) for w in variables[position:] if self.ctx.leaf_name(w) in self.ctx.definitions
            }
            inner_keep = current_keep | later
            var_leaf = self.resolve(v, env, inner_keep | {var_name})
            if not isinstance(var_leaf, Symbol):
                raise ContextError(f"cannot differentiate with respect to {v}")
            partial = self.resolve(current, env, inner_keep)
            if current is e.expr and var_leaf not in partial.free_symbols:
                # f does not depend on v: its derivative is 0, unless a name the file
                # never introduced is why (a forgotten definition of L, SPEC §4).
                own = {self.ctx.leaf_name(w) for w in variables}
                unknown = sorted(n for n in _names_in(e.expr) - own if not self.ctx.is_known(n))
                if unknown:
                    raise ContextError(self.ctx.unknown_name_message(unknown))
            if is_defined and var_leaf not in partial.free_symbols:
                # f does not go through v at all, yet depends on what v is built from:
                # holding those fixed would silently give 0, so refuse to guess.
                built_from = self.resolve(v, env, current_keep).free_symbols
                offending = sorted((s for s in partial.free_symbols & built_from), key=str)
                if offending:
                    names = ", ".join(str(s) for s in offending)
                    raise ContextError(
                        f"Derivative({e.expr}, {v}) is ambiguous: {e.expr} depends on {names}, "
                        f"which {v} is built from, other than through {v}. "
                        f"Differentiate with respect to {names}, or write {e.expr} in terms of {v}"
                    )
            current = kink_diff(partial, var_leaf)
            following = {
                self.ctx.leaf_name(w) for w in variables[position + 1 :] if self.ctx.leaf_name(w) in self.ctx.definitions
            }
            current = self.resolve(current, env, current_keep | following)
        return current


def chain_conditions(ctx: Context, texts: Iterable[Text]) -> list[Condition]:
    return [ctx.condition(t) for t in texts]


def substitutions(conditions: Iterable[Condition], resolver: Resolver) -> dict[Symbol, sympy.Expr]:
    """``t == 1`` conditions as a substitution of leaf symbols."""
    out: dict[Symbol, sympy.Expr] = {}
    for c in conditions:
        if c.kind == "subst":
            leaf = resolver.full(c.relation.left)
            value = resolver.full(c.relation.right)
            if isinstance(leaf, Symbol):
                out[leaf] = value
    return out

