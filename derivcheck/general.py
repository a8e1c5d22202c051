"""Proofs for every size: index calculus with sizes and indices kept symbolic.

Instantiating a statement at K = 2, 3, 4 shows it at those sizes only. Here the
sizes and the free indices stay symbols: definitions are expanded at symbolic
indices, derivatives with respect to ``z[k]`` follow SymPy's rule for indexed
symbols (d z[m] / d z[k] = KroneckerDelta(m, k)), a sum over an index range
that meets a KroneckerDelta collapses, a delta is decided by the index relations
in force or split into its two cases, and every sum left over becomes one opaque
quantity: the same sum on both sides is the same number, whatever it is. What
remains is a difference over ordinary symbols, handed to the usual proof attempts.

Every rewrite replaces an expression by one equal to it for every size and every
index value in range, and an identity over independent symbols holds whatever
values they take (z[k] and z[T] as two symbols cover k = T too), so a proof here
is a proof for every size. It is sound for proving only, never for refuting:
anything this module does not understand gives up, and the caller falls back to
the listed sizes.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence

import sympy
from sympy import (
    Derivative,
    Indexed,
    IndexedBase,
    Integer,
    KroneckerDelta,
    Product,
    Sum,
    Symbol,
)

from .budget import Budget
from .closedforms import closed_form
from .context import Condition, Context
from .domains import REAL, Domain
from .functions import kink_diff
from .parse import make_base, make_size
from .proof import MAX_EXPANSION_TERMS, expansion_terms, prove_equal

#: Deepest nesting of case splits on undecided deltas (each split doubles the work).
MAX_SPLITS = 4
#: The suffix of names no input can spell: kept defined names and summation dummies.
MARK = "'"

POSITIVE = Domain("positive")


class _NoAssumptions:
    """The domain of a quantity nothing is known about: a symbol with no assumptions."""

    is_finite = False
    values: tuple = ()

    @staticmethod
    def assumptions() -> dict[str, bool]:
        return {}


UNKNOWN = _NoAssumptions()


class GiveUp(Exception):
    """The expression is outside what this module can handle: no general proof."""


def prove_general(
    ctx: Context, left: sympy.Expr, right: sympy.Expr, conditions: Sequence[Condition], budget: Budget
) -> bool:
    """Whether ``left = right`` is proved for every size and every index value in range.

    False means only that no such proof was found.
    """
    try:
        instance, distinct = _symbolic_instance(ctx, [left, right], conditions)
        resolver = GeneralResolver(ctx, instance)
        a = resolver.resolve(left, instance, frozenset())
        b = resolver.resolve(right, instance, frozenset())
        subst = _substitutions(conditions, resolver, instance)
        difference = (a - b).xreplace(subst) if subst else a - b
        prover = _Prover(ctx, resolver.ranges, budget)
        return prover.prove(difference, distinct, 0)
    except GiveUp:
        return False
    except (ValueError, TypeError, AttributeError, NotImplementedError, RecursionError, IndexError, KeyError):
        # SymPy's failures on shapes it does not handle: no proof, never a verdict
        return False


# -- the symbolic instance --------------------------------------------------------------


def _symbolic_instance(
    ctx: Context, exprs: Sequence[sympy.Expr], conditions: Sequence[Condition]
) -> tuple[dict[Symbol, sympy.Expr], frozenset[frozenset[sympy.Expr]]]:
    """Sizes and free indices as themselves, ``T == k`` merged, ``T != k`` remembered."""
    indices: set[Symbol] = set()
    sizes: set[Symbol] = set()
    index_conditions = [c for c in conditions if c.kind == "index"]
    for e in list(exprs) + [c.relation.left - c.relation.right for c in index_conditions]:
        indices |= ctx.free_indices(e)
        sizes |= ctx.free_sizes(e)
    instance: dict[Symbol, sympy.Expr] = {s: s for s in sizes}
    parent: dict[sympy.Expr, sympy.Expr] = {i: i for i in indices}

    def find(x: sympy.Expr) -> sympy.Expr:
        while parent.get(x, x) != x:
            x = parent[x]
        return x

    unequal: list[tuple[sympy.Expr, sympy.Expr]] = []
    for c in index_conditions:
        left, right = c.relation.left, c.relation.right
        if not all(isinstance(x, (Symbol, Integer)) for x in (left, right)):
            continue  # a relation such as k < T or k == T + 1 only narrows: ignoring it proves more
        if c.relation.op == "==":
            rl, rr = find(left), find(right)
            if rl != rr:
                if isinstance(rl, Integer) and isinstance(rr, Integer):
                    raise GiveUp  # two different numbers: nothing to prove here
                # a number wins, so that k == 1 puts 1 in for k
                if isinstance(rl, Integer):
                    parent[rr] = rl
                else:
                    parent[rl] = rr
        elif c.relation.op == "!=":
            unequal.append((left, right))
    for i in indices:
        root = find(i)
        if isinstance(root, Symbol) and ctx.index_size.get(root.name) != ctx.index_size.get(i.name):
            raise GiveUp  # k == j over two different ranges: the merged index has neither range
        instance[i] = root
    for i in indices:
        instance.setdefault(make_size_symbol(ctx, i), make_size_symbol(ctx, i))
    distinct = frozenset(
        frozenset((instance.get(l, l), instance.get(r, r))) for l, r in unequal if instance.get(l, l) != instance.get(r, r)
    )
    return instance, distinct


def make_size_symbol(ctx: Context, index: Symbol) -> Symbol:
    return make_size(ctx.index_size[index.name])


# -- resolution at symbolic indices ------------------------------------------------------


class GeneralResolver:
    """Expands definitions and takes derivatives with indices left symbolic."""

    def __init__(self, ctx: Context, instance: Mapping[Symbol, sympy.Expr]) -> None:
        self.ctx = ctx
        self.instance = dict(instance)
        #: the range of every free index and summation dummy: symbol -> (low, high)
        self.ranges: dict[Symbol, tuple[sympy.Expr, sympy.Expr]] = {}
        for i, value in instance.items():
            if i.name in ctx.index_size and isinstance(value, Symbol):
                self.ranges[value] = (Integer(1), make_size_symbol(ctx, i))
        self.dummies: set[Symbol] = set()
        self._count = itertools.count()
        self._memo: dict[tuple, sympy.Expr] = {}

    def resolve(self, e: sympy.Expr, env: Mapping[Symbol, sympy.Expr], keep: frozenset[str]) -> sympy.Expr:
        defs = self.ctx.definitions
        if isinstance(e, Symbol):
            if e in env:
                return env[e]
            if e in self.dummies or e in self.instance.values():
                return e
            name = e.name
            if name.endswith(MARK) and name[:-1] in defs:
                base = name[:-1]
                return e if base in keep else self.definition(base, (), keep, env)
            if name in defs:
                if defs[name].params:
                    raise GiveUp
                return _kept_symbol(name) if name in keep else self.definition(name, (), keep, env)
            if name in self.ctx.index_size or name in self.ctx.sizes:
                raise GiveUp
            return e
        if isinstance(e, Indexed):
            name = e.base.label.name
            args = tuple(self.resolve(a, env, keep) for a in e.indices)
            if name.endswith(MARK) and name[:-1] in defs:
                base = name[:-1]
                return _kept_indexed(base, args) if base in keep else self.definition(base, args, keep, env)
            if name in defs:
                if len(defs[name].params) != len(args):
                    raise GiveUp
                return _kept_indexed(name, args) if name in keep else self.definition(name, args, keep, env)
            return make_base(name)[args]
        if isinstance(e, Derivative):
            return self.derivative(e, env, keep)
        if isinstance(e, (Sum, Product)):
            return self.big_operator(e, env, keep)
        if not e.args:
            return e
        return e.func(*[self.resolve(a, env, keep) for a in e.args])

    def definition(
        self, name: str, args: tuple[sympy.Expr, ...], keep: frozenset[str], use_env: Mapping[Symbol, sympy.Expr]
    ) -> sympy.Expr:
        d = self.ctx.definitions[name]
        # A definition that reads a summation variable of its use site takes that
        # variable's value there (f: m**2 inside a sum over m): not modelled here.
        bound_names = {s.name for s, v in use_env.items() if v in self.dummies}
        if bound_names & self.free_names(name):
            raise GiveUp
        for i in self.ctx._definition_indices(name):
            if i not in self.instance:
                raise GiveUp
        key = (name, args, keep)
        if key not in self._memo:
            env = dict(self.instance)
            env.update(zip(d.params, args))
            self._memo[key] = self.resolve(d.body, env, keep)
        return self._memo[key]

    def free_names(self, name: str, seen: frozenset[str] = frozenset()) -> set[str]:
        """Names a definition reads outside its own sums, through the definitions it uses too."""
        d = self.ctx.definitions[name]
        out = {s.name for s in d.body.free_symbols if isinstance(s, Symbol)}
        out |= {i.base.label.name for i in d.body.atoms(Indexed)}
        for ref in out & set(self.ctx.definitions) - seen - {name}:
            out |= self.free_names(ref, seen | {name})
        return out - {p.name for p in d.params}

    def big_operator(self, e: Sum | Product, env: Mapping[Symbol, sympy.Expr], keep: frozenset[str]) -> sympy.Expr:
        var, lo, hi = e.limits[-1]
        body = type(e)(e.function, *e.limits[:-1]) if len(e.limits) > 1 else e.function
        lo_v, hi_v = self.resolve(lo, env, keep), self.resolve(hi, env, keep)
        if not (lo_v.is_integer and hi_v.is_integer):
            raise GiveUp  # a bound such as K/2: the number of terms is not a formula in it
        dummy = Symbol(f"{var.name}{next(self._count)}{MARK}", integer=True)
        self.dummies.add(dummy)
        self.ranges[dummy] = (lo_v, hi_v)
        inner = dict(env)
        inner[var] = dummy
        return type(e)(self.resolve(body, inner, keep), (dummy, lo_v, hi_v))

    def derivative(self, e: Derivative, env: Mapping[Symbol, sympy.Expr], keep: frozenset[str]) -> sympy.Expr:
        """As the instance resolver does: expand all but the variable, differentiate, expand."""
        leaf_name = self.ctx.leaf_name
        defs = self.ctx.definitions
        current = e.expr
        variables = list(e.variables)
        for position, v in enumerate(variables):
            var_name = leaf_name(v)
            later = {leaf_name(w) for w in variables[position:] if leaf_name(w) in defs}
            inner_keep = keep | later
            var_leaf = self.resolve(v, env, inner_keep | {var_name})
            if not isinstance(var_leaf, (Symbol, Indexed)):
                raise GiveUp
            partial = self.resolve(current, env, inner_keep)
            current = kink_diff(partial, var_leaf)
            following = {leaf_name(w) for w in variables[position + 1 :] if leaf_name(w) in defs}
            current = self.resolve(current, env, keep | following)
        return current


def _kept_symbol(name: str) -> Symbol:
    return Symbol(name + MARK, real=True)


def _kept_indexed(name: str, args: tuple[sympy.Expr, ...]) -> Indexed:
    return IndexedBase(name + MARK, real=True)[args]


def _substitutions(
    conditions: Sequence[Condition], resolver: GeneralResolver, instance: Mapping[Symbol, sympy.Expr]
) -> dict[sympy.Expr, sympy.Expr]:
    out: dict[sympy.Expr, sympy.Expr] = {}
    for c in conditions:
        if c.kind == "subst":
            leaf = resolver.resolve(c.relation.left, instance, frozenset())
            value = resolver.resolve(c.relation.right, instance, frozenset())
            if not isinstance(leaf, (Symbol, Indexed)):
                raise GiveUp
            out[leaf] = value
    return out


# -- deltas, sums, and the proof -----------------------------------------------------------


class _Prover:
    def __init__(self, ctx: Context, ranges: dict[Symbol, tuple[sympy.Expr, sympy.Expr]], budget: Budget) -> None:
        self.ctx = ctx
        self.ranges = ranges
        self.budget = budget
        self._released = itertools.count()

    def prove(self, d: sympy.Expr, distinct: frozenset[frozenset[sympy.Expr]], depth: int) -> bool:
        self.budget.check()
        d = self.reduce(d, distinct)
        pending = self.undecided_delta(d)
        if pending is not None:
            if depth >= MAX_SPLITS:
                return False
            i, j = pending
            # k == T: one index put in for the other; k != T: the delta is 0
            same = (j, i) if isinstance(i, Integer) else (i, j)
            if not self.prove(d.xreplace({same[0]: same[1]}), distinct, depth + 1):
                return False
            return self.prove(d, distinct | {frozenset((i, j))}, depth + 1)
        d = self.fuse(d, distinct, depth)
        flat, domains = self.atoms(d)
        if any(s.name.endswith(MARK) and not s.name.startswith("Σ") for s in flat.free_symbols if isinstance(s, Symbol)):
            raise GiveUp  # a kept name or a dummy escaped its sum: not understood
        return prove_equal(flat, Integer(0), self.ctx, self.budget, domain_of=lambda s: domains.get(s.name) or self.ctx.domain_of(s))

    def fuse(self, d: sympy.Expr, distinct: frozenset[frozenset[sympy.Expr]], depth: int) -> sympy.Expr:
        """Sums over the same range taken together: dropped when their summands cancel.

        ``c1*Sum(f(m)) + c2*Sum(g(m))`` over one range is ``Sum(c1*f(m) + c2*g(m))``,
        which is 0 when the summand is 0 for every m in the range (shown with m a
        free index of that range). Splitting a sum into terms loses this; opaque sums
        alone cannot show Sum((y - t)*x) = Sum(y*x) - Sum(t*x) after a simplification.
        """
        groups: dict[tuple, list[tuple[sympy.Expr, sympy.Expr]]] = {}
        if expansion_terms(d) <= MAX_EXPANSION_TERMS:
            d = _distribute(d)
        for term in sympy.Add.make_args(d):
            found = [f for f in sympy.Mul.make_args(term) if isinstance(f, Sum)]
            if len(found) != 1:
                continue
            key = tuple((lo, hi) for _, lo, hi in found[0].limits)
            groups.setdefault(key, []).append((term, found[0]))
        out = d
        for key, members in groups.items():
            if len(members) < 2 or depth >= MAX_SPLITS:
                continue
            free = [Symbol(f"{next(self._released)}ι", integer=True) for _ in key]
            for r, (lo, hi) in zip(free, key):
                self.ranges[r] = (lo, hi)
            summand = sympy.Integer(0)
            for term, s in members:
                coefficient = term / s
                rename = {var: r for (var, _, _), r in zip(s.limits, free)}
                summand += coefficient * s.function.xreplace(rename)
            if self.prove(summand, distinct, depth + 1):
                out = out - sympy.Add(*[term for term, _ in members])
        return out

    # deltas --------------------------------------------------------------------------
    def reduce(self, e: sympy.Expr, distinct: frozenset[frozenset[sympy.Expr]]) -> sympy.Expr:
        """Deltas decided where the relations say, sums collapsed and split, until nothing changes."""
        for _ in range(8):
            self.budget.check()
            before = e
            e = e.replace(
                lambda x: isinstance(x, KroneckerDelta) and frozenset(x.args) in distinct, lambda x: Integer(0)
            )
            e = e.replace(
                lambda x: x.is_Pow and isinstance(x.base, KroneckerDelta) and x.exp.is_Integer and x.exp > 0,
                lambda x: x.base,
            )
            # 0 in every branch: 0 wherever it is defined, which is all a proof needs
            e = e.replace(lambda x: isinstance(x, sympy.Piecewise) and all(v == 0 for v, _ in x.args), lambda x: Integer(0))
            e = self.sums(e)
            if e == before:
                return e
        return e

    def undecided_delta(self, e: sympy.Expr) -> tuple[sympy.Expr, sympy.Expr] | None:
        """A delta outside every sum whose two sides are free indices or numbers."""
        for delta in sorted(_outside_sums(e, KroneckerDelta), key=sympy.default_sort_key):
            i, j = delta.args[:2]
            if all(isinstance(x, Integer) or (isinstance(x, Symbol) and x in self.ranges and not x.name.endswith(MARK)) for x in (i, j)):
                return i, j
            raise GiveUp  # a delta of a dummy outside its sum, or of an expression: not understood
        return None

    # sums ----------------------------------------------------------------------------
    def sums(self, e: sympy.Expr) -> sympy.Expr:
        """Every Sum rewritten bottom-up: split over its terms, factors out, deltas collapsed."""
        if not isinstance(e, sympy.Basic) or not e.args:
            return e
        if isinstance(e, Sum):
            # SymPy merges nested sums into one with several limits, innermost first
            body = self.sums(e.function)
            for limit in e.limits:
                body = self.one_sum(body, limit)
            return body
        if isinstance(e, Product) and len(e.limits) == 1:
            closed = self.closed_product(self.sums(e.function), e.limits[0])
            if closed is not None:
                return closed
        args = [self.sums(a) for a in e.args]
        return e.func(*args) if args != list(e.args) else e

    def one_sum(self, body: sympy.Expr, limit: tuple) -> sympy.Expr:
        var, lo, hi = limit
        if expansion_terms(body) > MAX_EXPANSION_TERMS:
            return Sum(body, limit)
        if body.has(sympy.Piecewise):
            body = body.replace(lambda x: isinstance(x, sympy.Piecewise), lambda pw: _delta_out_of_branches(pw, var))
        out = []
        for term in sympy.Add.make_args(sympy.expand(body)):
            coefficient, rest = [], []
            for factor in sympy.Mul.make_args(term):
                (rest if var in factor.free_symbols else coefficient).append(factor)
            inner = sympy.Mul(*rest)
            collapsed = self.collapse(inner, var, lo, hi)
            if collapsed is not None:
                out.append(sympy.Mul(*coefficient) * collapsed)
            elif var not in inner.free_symbols:
                out.append(sympy.Mul(*coefficient) * inner * (hi - lo + 1))  # an empty range is guarded below
            else:
                closed = self.closed_form(inner, var, lo, hi)
                out.append(sympy.Mul(*coefficient) * (closed if closed is not None else Sum(inner, (var, lo, hi))))
        result = sympy.Add(*out)
        if not isinstance(result, Sum) and not (hi - lo).is_nonnegative:
            # the range may be empty (1..K-1 at K = 1): there the sum is 0, whatever the
            # factors pulled out of it would be (1/(K - 1) is undefined there)
            return sympy.Piecewise((result, hi >= lo), (0, True))
        return result

    def collapse(self, term: sympy.Expr, var: Symbol, lo: sympy.Expr, hi: sympy.Expr) -> sympy.Expr | None:
        """``Sum(delta(m, j) * f(m), (m, lo, hi))`` is ``f(j)`` when j is surely in lo..hi."""
        for factor in sympy.Mul.make_args(term):
            if isinstance(factor, KroneckerDelta) and var in factor.args[:2]:
                other = factor.args[1] if factor.args[0] == var else factor.args[0]
                if var in other.free_symbols or not self.within(other, lo, hi):
                    continue
                rest = sympy.Mul(*[f for f in sympy.Mul.make_args(term) if f is not factor])
                return rest.xreplace({var: other})
        return None

    def within(self, j: sympy.Expr, lo: sympy.Expr, hi: sympy.Expr) -> bool:
        """Whether ``lo <= j <= hi`` for every size: from j's own range, or j a number."""
        low, high = (j, j) if isinstance(j, Integer) else self.ranges.get(j, (None, None))  # type: ignore[arg-type]
        if low is None:
            return False
        return bool(sympy.simplify(low - lo).is_nonnegative) and bool(sympy.simplify(hi - high).is_nonnegative)

    def closed_form(self, term: sympy.Expr, var: Symbol, lo: sympy.Expr, hi: sympy.Expr) -> sympy.Expr | None:
        """A sum of a formula in the summation variable only (k**2, 2**k): its closed form, proved."""
        if term.has(Indexed, Sum, Product, KroneckerDelta, Derivative, sympy.Piecewise):
            return None
        closed = closed_form(Sum, term, var, lo, hi)
        return None if closed is None else self.outside_domains(closed)

    def outside_domains(self, e: sympy.Expr) -> sympy.Expr:
        """``Eq(x, 1)`` is false when 1 is outside x's declared domain (SymPy's geometric sum asks)."""
        false = {}
        for eq in e.atoms(sympy.Eq):
            for a, b in ((eq.lhs, eq.rhs), (eq.rhs, eq.lhs)):
                known = isinstance(a, Symbol) and b.is_number and a.name in self.ctx.domains
                if known and not self.ctx.domain_of(a).contains(b):
                    false[eq] = sympy.false
        return e.xreplace(false) if false else e

    def closed_product(self, body: sympy.Expr, limit: tuple) -> sympy.Expr | None:
        """A product of a formula in its variable only: its closed form, proved."""
        var, lo, hi = limit
        if body.has(Indexed, Sum, Product, KroneckerDelta, Derivative, sympy.Piecewise):
            return None
        return closed_form(Product, body, var, lo, hi)

    # atoms ---------------------------------------------------------------------------
    def atoms(self, e: sympy.Expr) -> tuple[sympy.Expr, dict[str, Domain | _NoAssumptions]]:
        """Sums and indexed leaves as plain symbols; the same sum is the same symbol."""
        domains: dict[str, Domain | _NoAssumptions] = {}
        sums: dict[sympy.Expr, Symbol] = {}

        def atom(s: sympy.Expr) -> Symbol:
            canonical = _canonical(s)
            if canonical not in sums:
                name = f"Σ{len(sums)}{MARK}"
                sums[canonical] = Symbol(name)
                domains[name] = self.sum_domain(canonical)
            return sums[canonical]

        flat = _replace_outermost(e, atom)
        leaves = {i: sympy.Symbol(str(i)) for i in flat.atoms(Indexed)}
        flat = flat.xreplace(leaves)
        return flat, domains

    def sum_domain(self, s: sympy.Expr) -> Domain | _NoAssumptions:
        """Positive for a nonempty sum or product of positive terms, else real (the terms are real)."""
        body = s.function
        probe = body.xreplace({i: Symbol(str(i), **self.ctx.domain_of(Symbol(str(i))).assumptions()) for i in body.atoms(Indexed)})
        nonempty = all(bool((hi - lo).is_nonnegative) for _, lo, hi in s.limits)
        if nonempty and probe.is_positive:
            return POSITIVE
        if probe.is_extended_real and probe.is_finite:
            return REAL
        return UNKNOWN


def _delta_out_of_branches(pw: sympy.Piecewise, var: Symbol) -> sympy.Expr:
    """A Piecewise split by the deltas of the summation variable in its branch values.

    ``Piecewise((0, c1), (delta(m, k)*g + h, c2))`` is
    ``delta(m, k)*Piecewise((0, c1), (g, c2)) + Piecewise((0, c1), (h, c2))``: the
    same conditions, so both sides are defined (and undefined) at the same points.
    The sum around it can then collapse the delta part.
    """
    parts: dict[sympy.Expr, list[sympy.Expr]] = {}  # delta (1 for the rest) -> value per branch
    n = len(pw.args)
    for position, (value, _) in enumerate(pw.args):
        for term in sympy.Add.make_args(sympy.expand(value)):
            deltas = sorted(
                (f for f in sympy.Mul.make_args(term) if isinstance(f, KroneckerDelta) and var in f.args),
                key=sympy.default_sort_key,
            )
            key = deltas[0] if deltas else sympy.Integer(1)
            parts.setdefault(key, [sympy.Integer(0)] * n)[position] += term / key
    if all(key == 1 for key in parts):
        return pw
    conditions = [c for _, c in pw.args]
    return sympy.Add(*[key * sympy.Piecewise(*zip(values, conditions)) for key, values in parts.items()])


def _distribute(e: sympy.Expr) -> sympy.Expr:
    """Products of sums multiplied out at the top (never inside a function or a power)."""
    if isinstance(e, sympy.Add):
        return sympy.Add(*[_distribute(a) for a in e.args])
    if isinstance(e, sympy.Mul):
        return sympy.expand_mul(sympy.Mul(*[_distribute(a) for a in e.args]), deep=False)
    return e


def _outside_sums(e: sympy.Basic, kind: type) -> list[sympy.Basic]:
    if isinstance(e, (Sum, Product)):
        return []
    found = [e] if isinstance(e, kind) else []
    for a in e.args:
        found += _outside_sums(a, kind)
    return found


def _replace_outermost(e: sympy.Basic, atom: Callable[[sympy.Expr], Symbol]) -> sympy.Basic:
    """Every sum or product not inside another one replaced by its atom (inner ones stay in it)."""
    if isinstance(e, (Sum, Product)):
        return atom(e)
    if isinstance(e, (Derivative, sympy.Subs, sympy.Integral)) and e.has(Sum, Product):
        # an unevaluated derivative of a sum would see its atom as a constant, and say 0
        raise GiveUp
    if not e.args:
        return e
    args = [_replace_outermost(a, atom) for a in e.args]
    return e.func(*args) if args != list(e.args) else e


def _canonical(s: sympy.Expr, depth: int = 0) -> sympy.Expr:
    """A sum with its summation variables renamed by depth: Sum(f(m)) and Sum(f(j)) agree."""
    if not isinstance(s, (Sum, Product)):
        if not s.args:
            return s
        return s.func(*[_canonical(a, depth) for a in s.args])
    renamed = {var: Symbol(f"ι{depth + n}{MARK}", integer=True) for n, (var, _, _) in enumerate(s.limits)}
    limits = [(renamed[var], lo.xreplace(renamed), hi.xreplace(renamed)) for var, lo, hi in s.limits]
    body = _canonical(s.function.xreplace(renamed), depth + len(limits))
    return type(s)(body, *limits)


# -- coverage for every size ---------------------------------------------------------------


def coverage_for_every_size(
    ctx: Context, conditions: Sequence[Condition], exprs: Sequence[sympy.Expr]
) -> bool:
    """Whether coverage found at the listed sizes holds for every size.

    When every index condition is ``i == j`` or ``i != j`` between indices of one
    size (or an index and a number), whether an index combination falls under a
    case depends only on which of its indices are equal to which (and to which
    number): its equality pattern. If the other conditions read no size and no
    definition that does, an instance's coverage depends on its pattern alone, so
    the listed sizes decide every size once the largest of them realizes every
    pattern: it must have room for every index and number to differ. A value
    condition that goes through a definition is not looked into: no claim then.
    """
    numbers: set[sympy.Expr] = set()
    per_size: dict[str, set[Symbol]] = {}
    for e in exprs:
        for i in ctx.free_indices(e):
            per_size.setdefault(ctx.index_size[i.name], set()).add(i)
    for c in conditions:
        rel = c.relation
        if c.kind == "index":
            if rel.op not in ("==", "!="):
                return False
            sides = (rel.left, rel.right)
            if not all(isinstance(x, (Symbol, Integer)) for x in sides):
                return False
            sizes = {ctx.index_size[x.name] for x in sides if isinstance(x, Symbol) and x.name in ctx.index_size}
            if any(isinstance(x, Symbol) and x.name not in ctx.index_size for x in sides) or len(sizes) > 1:
                return False  # a size itself, or indices of two ranges, in the relation
            for x in sides:
                if isinstance(x, Integer):
                    numbers.add(x)
                else:
                    per_size.setdefault(ctx.index_size[x.name], set()).add(x)
            continue
        for side in (rel.left, rel.right):
            if any(isinstance(s, Symbol) and s.name in ctx.sizes for s in side.free_symbols):
                return False
            if ctx._references(side):
                return False  # a definition may read a size, a literal index (c: x[1]) or an index's value
            for leaf in side.atoms(Indexed):
                for arg in leaf.indices:
                    if not (isinstance(arg, Integer) or (isinstance(arg, Symbol) and arg.name in ctx.index_size)):
                        return False
                    if isinstance(arg, Symbol):
                        per_size.setdefault(ctx.index_size[arg.name], set()).add(arg)
                    else:
                        numbers.add(arg)  # x[1] beside x[k]: k = 1 is a pattern of its own
            # an index read as a number (x*(3 - k)) makes the region depend on its value
            outside = side.xreplace({leaf: Symbol("leaf'") for leaf in side.atoms(Indexed)})
            if any(isinstance(s, Symbol) and s.name in ctx.index_size for s in outside.free_symbols):
                return False
    if not per_size:
        return False
    for size, indices in per_size.items():
        listed = ctx.sizes.get(size, ())
        if not listed or max(listed) < len(indices) + len(numbers):
            return False
    return True
