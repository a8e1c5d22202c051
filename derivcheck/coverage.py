"""Set reasoning about conditions (SPEC §5): coverage, implication, satisfiability.

A *region* is a conjunction of conditions.  At every index instance each
condition becomes either a truth value (index relations) or a constraint on
leaf symbols; a constraint on one symbol is solved exactly into a SymPy set
(``solveset`` over the declared domain), anything else becomes an *atom*: the
sign of ``LEFT - RIGHT``, a variable with the three values -1, 0, 1.

Whether regions cover a universe is then decided exactly, never by sampling:
each symbol's line is cut at every endpoint any constraint mentions, so each
cell (an open interval or a single point) lies wholly inside or outside every
constraint, and a depth-first walk over cells finds the uncovered boxes.  An
uncovered box is *significant* (a set of positive measure, an index
combination, a value of a finite set or an integer), a *gap* (isolated points
only), or *undecided* (it needs an atom to take a sign that may be impossible:
treating atoms as independent can only over-report what is uncovered, so it
never claims coverage that was not shown).
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import sympy
from sympy import Interval, Rational, S, Symbol, oo

from . import limits
from .budget import Timeout, clock, time_limit
from .context import Condition, Context, ContextError, condition_holds
from .domains import Domain

#: seconds allowed to solve one univariate condition
SOLVE_SECONDS = 2.0
#: stop looking once this many significant uncovered boxes are known
ENOUGH_EXAMPLES = 10

_SIGNS = {"<": {-1}, "<=": {-1, 0}, ">": {1}, ">=": {0, 1}, "==": {0}, "!=": {-1, 1}}
_FLIP = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "==", "!=": "!="}


class Undecided(Exception):
    """The reasoning cannot decide a question; the message says why."""


@dataclass(frozen=True)
class Atom:
    """The sign of an expression over several symbols (or one we cannot solve for)."""

    expr: sympy.Expr

    @property
    def name(self) -> str:
        return f"sign({self.expr})"


Var = Symbol | Atom


@dataclass(frozen=True)
class Cell:
    """One piece of a variable's line: a point, an open interval, a value, or a sign."""

    rep: sympy.Expr  # a representative value (for an atom: its sign)
    point: bool  # a single point of a continuous line (measure zero)
    low: sympy.Expr = -oo
    high: sympy.Expr = oo
    example: bool = False  # a point of an uncovered open set found by :meth:`Reasoner.witness`


@dataclass
class Box:
    """An uncovered piece: the instance and the cells chosen for some variables."""

    instance: dict[Symbol, sympy.Integer]
    cells: dict[Var, Cell]
    kind: str  # "significant" | "gap" | "undecided"


@dataclass
class Findings:
    """What :func:`uncovered` found."""

    significant: list[Box] = field(default_factory=list)
    gaps: list[Box] = field(default_factory=list)
    undecided: list[Box] = field(default_factory=list)
    reason: str | None = None  # set when the question as a whole could not be decided

    @property
    def empty(self) -> bool:
        return not (self.significant or self.gaps or self.undecided) and self.reason is None


Constraints = dict[Var, object]  # Symbol -> sympy Set; Atom -> frozenset of signs


# -- constraints from conditions -------------------------------------------------------------


def domain_set(domain: Domain) -> sympy.Set:
    """A declared domain as a SymPy set."""
    if domain.kind == "set":
        return sympy.FiniteSet(*domain.values)
    if domain.kind == "integer":
        return S.Integers
    lo, hi, lo_open, hi_open = domain.bounds()
    return Interval(lo, hi, lo_open, hi_open)


class Reasoner:
    """Turns conditions into constraints at index instances, and answers set questions."""

    def __init__(self, ctx: Context, seconds: float = 4 * limits.DEFAULT_TIMEOUT) -> None:
        self.ctx = ctx
        self._solved: dict[tuple, object] = {}
        self.deadline = clock() + seconds  # CPU seconds, as every budget

    # -- one condition at one instance ----------------------------------------------------
    def constraint(self, c: Condition, inst: dict[Symbol, sympy.Integer]) -> tuple[Var, object] | bool:
        """``True``/``False`` for a decided condition, else (variable, allowed set)."""
        if c.kind == "index":
            return condition_holds(c.relation, inst)
        if clock() >= self.deadline:
            raise Undecided("reading the conditions took too long")
        try:
            resolver = self.ctx.resolver(inst)
            left = resolver.full(c.relation.left)
            right = resolver.full(c.relation.right)
        except ContextError as err:
            raise Undecided(f"the condition {c.text!r} cannot be read here: {err.message}") from None
        key = (c.relation.op, left, right)
        if key not in self._solved:
            try:
                with time_limit(2 * SOLVE_SECONDS):
                    self._solved[key] = self._solve(c, c.relation.op, left, right)
            except Timeout:
                raise Undecided(f"the condition {c.text!r} took too long to analyse") from None
        return self._solved[key]  # type: ignore[return-value]

    def _solve(self, c: Condition, op: str, left: sympy.Expr, right: sympy.Expr) -> tuple[Var, object] | bool:
        h = left - right
        leaves = sorted(h.free_symbols, key=lambda s: s.name)
        if not leaves:
            decided = condition_holds(_relation(op, left, right), {})
            if decided or condition_holds(_relation(_negate(op), left, right), {}):
                return decided
            raise Undecided(f"cannot decide whether {c.text!r} holds")
        if len(leaves) == 1:
            s = leaves[0]
            domain = self.ctx.domain_of(s)
            if domain.is_finite:
                allowed = []
                for v in domain.values:
                    if condition_holds(_relation(op, left, right), {s: v}):
                        allowed.append(v)
                    elif not condition_holds(_relation(_negate(op), left, right), {s: v}):
                        raise Undecided(f"cannot decide {c.text!r} at {s} = {v}")
                return s, sympy.FiniteSet(*allowed)
            plain = _unfold(h)
            solved = _solve_linear(op, plain, s)
            if solved is None and _solvable(plain):
                solved = _solve_univariate(op, plain, s)
            if solved is not None:
                return s, solved
        return _atom(op, h)

    # -- regions ------------------------------------------------------------------------
    def box(self, conditions: Sequence[Condition], inst: dict[Symbol, sympy.Integer]) -> Constraints | None:
        """The conjunction at one instance; ``None`` when an index relation excludes it."""
        out: Constraints = {}
        for c in conditions:
            got = self.constraint(c, inst)
            if got is True:
                continue
            if got is False:
                return None
            var, allowed = got  # type: ignore[misc]
            if var in out:
                allowed = _intersect(out[var], allowed)
            out[var] = allowed
        return out

    def instances(self, exprs: Iterable[sympy.Expr], regions: Iterable[Sequence[Condition]]) -> list[dict]:
        """Every size and index combination the expressions and conditions range over."""
        everything = list(exprs)
        for conds in regions:
            everything += [c.relation.left - c.relation.right for c in conds]
        try:
            return self.ctx.instances(everything)
        except ContextError as err:
            raise Undecided(err.message) from None

    # -- the questions --------------------------------------------------------------------
    def uncovered(
        self,
        universe: Sequence[Condition],
        regions: Sequence[Sequence[Condition]],
        exprs: Sequence[sympy.Expr] = (),
        strict: bool = False,
    ) -> Findings:
        """What part of ``universe`` (the domains under those conditions) no region covers.

        ``strict``: stop at the first uncovered piece of any kind (implication).
        """
        found = Findings()
        try:
            instances = self.instances(exprs, [universe, *regions])
            budget = [limits.MAX_COVERAGE_POINTS]
            with time_limit(limits.DEFAULT_TIMEOUT):
                for inst in instances:
                    u = self.box(universe, inst)
                    if u is None:
                        continue
                    boxes = [b for b in (self.box(r, inst) for r in regions) if b is not None]
                    before = len(found.undecided)
                    _Walk(self, inst, u, boxes, found, budget, strict).run()
                    if len(found.undecided) > before and not found.significant:
                        point = self.witness(u, boxes)
                        if point is not None:  # an open set where no region holds, certified
                            found.significant.append(Box(dict(inst), point, "significant"))
                    if strict and not found.empty:
                        break
                    if len(found.significant) >= ENOUGH_EXAMPLES:
                        break
        except Undecided as err:
            found.reason = str(err)
        except Timeout:
            found.reason = "checking the cases took too long"
        except Exception as err:  # noqa: BLE001 - SymPy on hostile conditions: undecided, never a verdict
            found.reason = f"the conditions could not be analysed ({type(err).__name__})"
        return found

    def witness(self, universe: Constraints, regions: list[Constraints]) -> dict[Var, Cell] | None:
        """A point inside ``universe`` and outside every region, with a whole neighbourhood.

        Tried at a few simple points (a search, but what it returns is checked
        exactly): every atom must be a rational function, nonzero at the point, and
        every continuous coordinate off every end point, so that each condition
        keeps its truth value nearby and the uncovered set has positive measure.
        """
        constraints = [universe, *regions]
        leaves: set[Symbol] = set()
        for box in constraints:
            for var in box:
                leaves |= var.expr.free_symbols if isinstance(var, Atom) else {var}
        names = sorted(leaves, key=lambda v: v.name)
        if not names or len(names) > 4:
            return None
        choices = [self._witness_values(v, constraints) for v in names]
        tried = 0
        for values in itertools.product(*choices):
            tried += 1
            if tried > 2000:
                return None
            point = dict(zip(names, values))
            if not self._generic(point, constraints):
                continue
            if self._holds(universe, point) and not any(self._holds(r, point) for r in regions):
                return {v: Cell(point[v], False, example=True) for v in names}
        return None

    def _witness_values(self, leaf: Symbol, constraints: list[Constraints]) -> list[sympy.Expr]:
        domain = self.ctx.domain_of(leaf)
        if domain.is_finite:
            return list(domain.values)
        cuts = [c for box in constraints if leaf in box for c in _endpoints(box[leaf])]  # type: ignore[arg-type]
        cells = self.cells(leaf, [box[leaf] for box in constraints if leaf in box]) if cuts else []
        base = [Rational(v, 2) for v in (0, 2, -2, 1, -1, 4, -4, 6, -6, 3, -3)]
        values = [c.rep for c in cells if not c.point] + [v for v in base if _inside(v, domain_set(domain))]
        if domain.kind == "integer":
            values = [v for v in values if v.is_integer]
        return list(dict.fromkeys(values))[:12]

    def _generic(self, point: dict[Symbol, sympy.Expr], constraints: list[Constraints]) -> bool:
        for box in constraints:
            for var in box:
                if isinstance(var, Atom):
                    value = var.expr.xreplace(point)
                    if not (value.is_number and value.is_finite and value.is_zero is False):
                        return False
                    if not _continuous_at(var.expr, point):
                        return False
                elif self.ctx.domain_of(var).kind not in ("set", "integer") and any(
                    _compare(point[var], c) == 0 for c in _endpoints(box[var])  # type: ignore[arg-type]
                ):
                    return False
        return True

    def _holds(self, box: Constraints, point: dict[Symbol, sympy.Expr]) -> bool:
        for var, allowed in box.items():
            if isinstance(var, Atom):
                value = var.expr.xreplace(point)
                sign = 1 if value.is_positive else -1 if value.is_negative else 0
                if sign not in allowed:  # type: ignore[operator]
                    return False
            elif not _inside(point[var], allowed):
                return False
        return True

    def satisfiable(self, conditions: Sequence[Condition], exprs: Sequence[sympy.Expr] = ()) -> bool:
        """Whether some instance and some point satisfy every condition (unsure counts as yes)."""
        try:
            for inst in self.instances(exprs, [conditions]):
                b = self.box(conditions, inst)
                if b is None:
                    continue
                if all(self._nonempty(var, allowed) for var, allowed in b.items()):
                    return True
            return False
        except (Undecided, Timeout):
            return True
        except Exception:  # noqa: BLE001 - unsure counts as satisfiable: the engine checks again
            return True

    def _nonempty(self, var: Var, allowed: object) -> bool:
        if isinstance(var, Atom):
            # beyond what the declared domains rule out, assume the atom can take its signs
            return bool(set(allowed) & set(self.signs(var)))  # type: ignore[call-overload]
        cells = self.cells(var, [allowed])
        return any(_inside(cell.rep, allowed) for cell in cells)

    def signs(self, atom: Atom) -> tuple[int, ...]:
        """The signs an atom can take, as far as the declared domains tell (x - y with x > 0 > y: only 1)."""
        stand_in = {}
        for leaf in atom.expr.free_symbols:
            facts = self.ctx.domain_of(leaf).assumptions()  # type: ignore[arg-type]
            stand_in[leaf] = sympy.Dummy(leaf.name, **facts)  # type: ignore[union-attr]
        e = atom.expr.xreplace(stand_in)
        if e.is_positive:
            return (1,)
        if e.is_negative:
            return (-1,)
        if e.is_nonnegative:
            return (0, 1)
        if e.is_nonpositive:
            return (-1, 0)
        if e.is_nonzero:
            return (-1, 1)
        return (-1, 0, 1)

    # -- cells ---------------------------------------------------------------------------
    def cells(self, var: Var, constraints: Sequence[object]) -> list[Cell]:
        """The pieces of ``var``'s domain on which every constraint is constant."""
        if isinstance(var, Atom):
            return [Cell(sympy.Integer(v), v == 0) for v in self.signs(var)]
        domain = self.ctx.domain_of(var)
        dset = domain_set(domain)
        if domain.is_finite:
            return [Cell(v, False) for v in domain.values]
        points: list[sympy.Expr] = []
        for st in [dset, *constraints]:
            points += _endpoints(st)  # type: ignore[arg-type]
        points = _sorted_unique(points)
        integer = domain.kind == "integer"
        out: list[Cell] = []
        bounds = [-oo, *points, oo]
        for i in range(len(bounds) - 1):
            lo, hi = bounds[i], bounds[i + 1]
            rep = _integer_between(lo, hi) if integer else _between(lo, hi)
            if rep is not None and _inside(rep, dset):
                out.append(Cell(rep, False, lo, hi))
            if hi is not oo and (not integer or hi.is_integer) and _inside(hi, dset):
                out.append(Cell(hi, not integer, hi, hi))
        return out


class _Walk:
    """A depth-first walk over the cells of every variable, one instance."""

    def __init__(
        self,
        reasoner: Reasoner,
        inst: dict,
        universe: Constraints,
        regions: list[Constraints],
        found: Findings,
        budget: list[int],
        strict: bool,
    ) -> None:
        self.inst = inst
        self.universe = universe
        self.regions = regions
        self.found = found
        self.budget = budget
        self.strict = strict
        names: set[Var] = set(universe)
        for r in regions:
            names |= set(r)
        # leaves first (sorted by name), atoms last: pruning works on leaves, and an
        # uncovered box decided on leaves alone needs no atom at all
        self.vars: list[Var] = sorted(names, key=lambda v: (isinstance(v, Atom), v.name))
        self.cells = {
            v: [
                c
                for c in reasoner.cells(v, [r[v] for r in regions if v in r] + ([universe[v]] if v in universe else []))
                if v not in universe or _inside(c.rep, universe[v])
            ]
            for v in self.vars
        }
        self.lines = {v: any(not c.point for c in cells) for v, cells in self.cells.items()}
        position = {v: i for i, v in enumerate(self.vars)}
        self.last = [max((position[v] for v in r), default=-1) for r in regions]
        self.stop = False

    def run(self) -> None:
        if any(not cells for cells in self.cells.values()):
            return  # the universe is empty at this instance
        self.walk(0, list(range(len(self.regions))), {})

    def walk(self, depth: int, alive: list[int], chosen: dict[Var, Cell]) -> None:
        if self.stop:
            return
        self.budget[0] -= 1
        if self.budget[0] < 0:
            raise Undecided(f"too many combinations to check coverage (more than {limits.MAX_COVERAGE_POINTS})")
        if any(self.last[r] < depth for r in alive):
            return  # a region holds whatever the remaining variables are
        if not alive:
            self.record(dict(chosen))
            return
        v = self.vars[depth]
        for cell in self.cells[v]:
            still = [r for r in alive if v not in self.regions[r] or _inside(cell.rep, self.regions[r][v])]
            chosen[v] = cell
            self.walk(depth + 1, still, chosen)
            del chosen[v]
            if self.stop:
                return

    def record(self, cells: dict[Var, Cell]) -> None:
        undecided = any(isinstance(v, Atom) and not (c.rep == 0 and _measure_zero(v.expr)) for v, c in cells.items())
        # which signs the universe's atoms take is not known: it may be empty there
        undecided = undecided or any(isinstance(v, Atom) for v in self.universe)
        # a point counts as isolated only where the universe has more than points there
        point = any(c.point and self.lines[v] for v, c in cells.items())
        kind = "undecided" if undecided else "gap" if point else "significant"
        {"significant": self.found.significant, "gap": self.found.gaps, "undecided": self.found.undecided}[kind].append(
            Box(dict(self.inst), cells, kind)
        )
        if self.strict or len(self.found.significant) >= ENOUGH_EXAMPLES:
            self.stop = True


# -- helpers -------------------------------------------------------------------------------


def _relation(op: str, a: sympy.Expr, b: sympy.Expr):  # type: ignore[no-untyped-def]
    from .parse import Relation

    return Relation(op, a, b)


def _negate(op: str) -> str:
    return {"<": ">=", "<=": ">", ">": "<=", ">=": "<", "==": "!=", "!=": "=="}[op]


def _atom(op: str, h: sympy.Expr) -> tuple[Atom, frozenset[int]]:
    """``h op 0`` as a constraint on the sign of a canonical ``h`` (``h`` or ``-h``)."""
    h = sympy.expand(h)
    content, primitive = h.as_content_primitive()
    if content.is_positive:
        h = primitive  # 2*x - 2*y > 0 is x - y > 0: one atom, not two
    neg = sympy.expand(-h)
    if sympy.default_sort_key(neg) < sympy.default_sort_key(h):
        h, op = neg, _FLIP[op]
    return Atom(h), frozenset(_SIGNS[op])


def _solve_linear(op: str, h: sympy.Expr, s: Symbol) -> sympy.Set | None:
    """``a*s + b op 0`` with numbers a != 0 and b, solved directly (most conditions are this)."""
    try:
        poly = sympy.Poly(h, s)
    except Exception:  # noqa: BLE001 - not a polynomial in s
        return None
    if poly.degree() != 1:
        return None
    a, b = poly.all_coeffs()
    if not (a.is_number and b.is_number and a.is_extended_real and b.is_extended_real) or a.is_zero is not False:
        return None
    root = -b / a
    if op in ("<", "<=", ">", ">=") and a.is_negative:
        op = _FLIP[op]
    return {
        "<": Interval.open(-oo, root),
        "<=": Interval(-oo, root, True, False),
        ">": Interval.open(root, oo),
        ">=": Interval(root, oo, False, True),
        "==": sympy.FiniteSet(root),
        "!=": sympy.Union(Interval.open(-oo, root), Interval.open(root, oo)),
    }[op]


def _solve_univariate(op: str, h: sympy.Expr, s: Symbol) -> sympy.Set | None:
    """The exact set of real ``s`` with ``h op 0``, or ``None`` when it is not a plain union of intervals."""
    rel = {
        "<": sympy.StrictLessThan,
        "<=": sympy.LessThan,
        ">": sympy.StrictGreaterThan,
        ">=": sympy.GreaterThan,
        "==": sympy.Eq,
        "!=": sympy.Ne,
    }[op](h, 0)
    try:
        with time_limit(SOLVE_SECONDS):
            # solve for a real stand-in: the leaf's own assumptions are not the domain's
            x = Symbol("_x", real=True)
            got = sympy.solveset(rel.subs(s, x), x, S.Reals)
    except Timeout:
        return None
    except Exception:  # noqa: BLE001 - SymPy's solvers raise many kinds; unsolved is a fine answer
        return None
    got = got.xreplace({x: s}) if x in got.free_symbols else got
    if not _plain(got) or not _agrees(op, h, s, got):
        return None
    return got


#: functions whose univariate relations SymPy solves completely on the real line;
#: periodic ones are not among them (solveset answers sin(x) > 1/2 with one period)
_SOLVABLE = (sympy.exp, sympy.log, sympy.Abs)


def _unfold(h: sympy.Expr) -> sympy.Expr:
    """sigma and softplus written with exp and log, which the solver knows."""
    from .functions import sigmoid, softplus

    return h.replace(lambda e: isinstance(e, (sigmoid, softplus)), lambda e: e.rewrite(sympy.exp))


def _solvable(h: sympy.Expr) -> bool:
    return all(isinstance(f, _SOLVABLE) for f in h.atoms(sympy.Function))


def _agrees(op: str, h: sympy.Expr, s: Symbol, solved: sympy.Set) -> bool:
    """A second look at a solved set: inside and outside, at every end point and between."""
    points = _sorted_unique(_endpoints(solved))
    bounds = [-oo, *points, oo]
    reps = list(points)
    for lo, hi in itertools.pairwise(bounds):
        rep = _between(lo, hi)
        if rep is not None:
            reps.append(rep)
    for rep in reps:
        try:
            inside = _inside(rep, solved)
        except Undecided:
            return False
        value = h.xreplace({s: rep})
        truth = condition_holds(_relation(op, value, sympy.Integer(0)), {})
        if not truth and not condition_holds(_relation(_negate(op), value, sympy.Integer(0)), {}):
            # undefined there (log of a negative number): then it must lie outside
            if inside or value.is_extended_real:
                return False
            continue
        if truth != inside:
            return False
    return True


def _plain(st: sympy.Set) -> bool:
    """A union of intervals and finite sets of real numbers, which cells can cut exactly."""
    if st is S.EmptySet or st is S.Reals:
        return True
    if isinstance(st, sympy.Union):
        return all(_plain(a) for a in st.args)
    if isinstance(st, Interval):
        return all(b.is_infinite or (b.is_number and b.is_extended_real) for b in (st.start, st.end))
    if isinstance(st, sympy.FiniteSet):
        return all(e.is_number and e.is_extended_real for e in st)
    return False


def _intersect(a: object, b: object) -> object:
    if isinstance(a, frozenset):
        return a & b  # type: ignore[operator]
    return sympy.Intersection(a, b)  # type: ignore[arg-type]


def _endpoints(st: sympy.Set) -> list[sympy.Expr]:
    if isinstance(st, Interval):
        return [b for b in (st.start, st.end) if b.is_finite]
    if isinstance(st, sympy.FiniteSet):
        return [e for e in st if e.is_finite]
    if isinstance(st, (sympy.Union, sympy.Intersection, sympy.Complement)):
        return [p for a in st.args for p in _endpoints(a)]
    return []


def _compare(a: sympy.Expr, b: sympy.Expr) -> int:
    d = a - b
    if d.is_zero:
        return 0
    if d.is_positive:
        return 1
    if d.is_negative:
        return -1
    value = sympy.N(d, 50)
    if value.is_zero is False and value.is_comparable:
        return 1 if value > 0 else -1
    if sympy.simplify(d) == 0:
        return 0
    raise Undecided(f"cannot order {a} and {b}")


def _sorted_unique(points: list[sympy.Expr]) -> list[sympy.Expr]:
    ordered = sorted(set(points), key=functools.cmp_to_key(_compare))
    out: list[sympy.Expr] = []
    for p in ordered:
        if not out or _compare(out[-1], p) != 0:
            out.append(p)
    return out


def _between(lo: sympy.Expr, hi: sympy.Expr) -> sympy.Expr | None:
    """A simple rational strictly between ``lo`` and ``hi`` (either may be infinite)."""
    n = _integer_between(lo, hi)
    if n is not None:
        return n
    mid = (lo + hi) / 2
    if mid.is_Rational:
        return mid
    for digits in range(1, 40):
        r = Rational(str(sympy.N(mid, digits + 5))).limit_denominator(10**digits)
        if _compare(lo, r) < 0 < _compare(hi, r):
            return r
    return None


def _integer_between(lo: sympy.Expr, hi: sympy.Expr) -> sympy.Integer | None:
    """The integer strictly inside (lo, hi) closest to zero, or ``None``."""
    first = -oo if lo is -oo else sympy.floor(lo) + 1
    last = oo if hi is oo else sympy.ceiling(hi) - 1
    if first is not -oo and last is not oo and first > last:
        return None
    if first <= 0 <= last:
        return sympy.Integer(0)
    return first if first is not -oo and first > 0 else last  # type: ignore[return-value]


def _inside(value: sympy.Expr, allowed: object) -> bool:
    if isinstance(allowed, frozenset):
        return int(value) in allowed
    got = allowed.contains(value)  # type: ignore[attr-defined]
    if got is S.true or got is True:
        return True
    if got is S.false or got is False:
        return False
    raise Undecided(f"cannot decide whether {value} lies in {allowed}")


def _measure_zero(expr: sympy.Expr) -> bool:
    """``expr = 0`` is a null set: a rational function whose numerator is a non-constant polynomial."""
    try:
        numerator, _ = sympy.fraction(sympy.together(expr))
        poly = sympy.Poly(numerator, *sorted(expr.free_symbols, key=str))
    except Exception:  # noqa: BLE001 - not a polynomial (or too large to say): not known to be null
        return False
    return not poly.is_zero and poly.total_degree() > 0


# -- saying what was found -------------------------------------------------------------------


def describe_instance(inst: dict[Symbol, sympy.Integer], ctx: Context) -> str:
    """``T != k: K = 2, T = 1, k = 2``: the sizes and index values of one combination."""
    indices = sorted((s for s in inst if s.name in ctx.index_size), key=lambda s: s.name)
    rel = ""
    if len(indices) == 2:
        a, b = indices
        rel = f"{a} {'==' if inst[a] == inst[b] else '!='} {b}: "
    ordered = sorted(inst.items(), key=lambda kv: (kv[0].name not in ctx.sizes, kv[0].name))
    return rel + ", ".join(f"{s} = {v}" for s, v in ordered)


def number(v: sympy.Expr) -> str:
    """A value as people write it: ``-0.5`` rather than ``-1/2`` when that is exact; huge ones short."""
    text = _number(v)
    if len(text) <= 24:
        return text
    if v.is_Integer and abs(v) > 1:
        exponent = len(str(abs(int(v)))) - 1
        if abs(int(v)) == 10**exponent:
            return f"{'-' if v < 0 else ''}10**{exponent}"
    return f"about {sympy.N(v, 6)}"


def _number(v: sympy.Expr) -> str:
    if isinstance(v, Rational) and not v.is_Integer:
        q = int(v.q)
        while q % 2 == 0:
            q //= 2
        while q % 5 == 0:
            q //= 5
        if q == 1:
            text = f"{float(v):.12g}"
            if Rational(text) == v:
                return text
    return str(v)


def _range_text(name: str, cell: Cell, closed_low: bool, closed_high: bool) -> str:
    lo_op = "<=" if closed_low else "<"
    hi_op = "<=" if closed_high else "<"
    if cell.low is -oo and cell.high is oo:
        return f"every {name}"
    if cell.low is -oo:
        return f"{name} {hi_op} {number(cell.high)}"
    if cell.high is oo:
        return f"{name} {'>=' if closed_low else '>'} {number(cell.low)}"
    return f"{number(cell.low)} {lo_op} {name} {hi_op} {number(cell.high)}"


def describe_box(box: Box, found: Findings, ctx: Context) -> str:
    """An uncovered example: the instance, then one value per variable the cases look at."""
    parts = []
    if box.instance:
        parts.append(describe_instance(box.instance, ctx))
    for var, cell in box.cells.items():
        if isinstance(var, Atom):
            parts.append(_atom_text(var.expr, {-1: "<", 0: "=", 1: ">"}[int(cell.rep)]))
        elif cell.point or cell.example or ctx.domain_of(var).kind in ("set", "integer"):
            parts.append(f"{var} = {number(cell.rep)}")
        else:
            closed = [_neighbour_uncovered(box, var, edge, found) for edge in (cell.low, cell.high)]
            parts.append(f"{var} = {number(cell.rep)} ({_range_text(str(var), cell, *closed)})")
    return ", ".join(parts) if parts else "every point"


def _neighbour_uncovered(box: Box, var: Var, edge: sympy.Expr, found: Findings) -> bool:
    """Is the end point ``edge`` of an uncovered interval uncovered too?"""
    if edge in (oo, -oo):
        return False
    for other in found.gaps + found.significant:
        if other.instance != box.instance or var not in other.cells:
            continue
        cell = other.cells[var]
        if not (cell.point and cell.rep == edge):
            continue
        if all(other.cells.get(v) == c for v, c in box.cells.items() if v != var):
            return True
    return False


def describe_gap(box: Box, ctx: Context) -> str:
    parts = []
    if box.instance:
        parts.append(describe_instance(box.instance, ctx))
    for var, cell in box.cells.items():
        if isinstance(var, Atom):
            if cell.rep == 0:
                parts.append(_atom_text(var.expr, "="))
        elif cell.point or ctx.domain_of(var).kind in ("set", "integer"):
            parts.append(f"{var} = {number(cell.rep)}")
    return ", ".join(parts)


def _atom_text(expr: sympy.Expr, op: str) -> str:
    """``y - x > 0`` written as ``y > x``: positive terms on the left, the rest on the right."""
    terms = sympy.Add.make_args(expr)
    pos = [t for t in terms if not t.could_extract_minus_sign()]
    neg = [-t for t in terms if t.could_extract_minus_sign()]
    return f"{sympy.Add(*pos)} {op} {sympy.Add(*neg)}"


#: continuous wherever they are real and finite
_CONTINUOUS = (
    sympy.exp, sympy.sin, sympy.cos, sympy.atan, sympy.sinh, sympy.cosh, sympy.tanh, sympy.asinh,
    sympy.Abs, sympy.Max, sympy.Min, sympy.erf, sympy.log, sympy.tan, sympy.asin, sympy.acos,
)


def _continuous_at(expr: sympy.Expr, point: dict[Symbol, sympy.Expr]) -> bool:
    """Is ``expr`` continuous at ``point``? Composed of functions continuous there (sound, not complete).

    Every subexpression must be real and finite at the point; a power with a
    non-integer exponent needs a positive base, and logarithms, ``tan``, ``asin``
    and ``acos`` are continuous wherever they are finite and real (their
    arguments are then inside the open domain or, for asin/acos, need a margin).
    """
    for node in sympy.preorder_traversal(expr):
        if not node.free_symbols:
            continue
        if isinstance(node, (sympy.Symbol, sympy.Add, sympy.Mul)):
            pass
        elif isinstance(node, sympy.Pow):
            exponent = node.exp
            if exponent.free_symbols or not exponent.is_integer:
                base = node.base.xreplace(point)
                if not (base.is_number and base.is_positive):
                    return False
        elif isinstance(node, (sympy.asin, sympy.acos)):
            arg = node.args[0].xreplace(point)
            if not (arg.is_number and abs(arg) < 1):
                return False
        elif isinstance(node, sympy.log):
            arg = node.args[0].xreplace(point)
            if not (arg.is_number and arg.is_positive):
                return False
        elif not isinstance(node, _CONTINUOUS):
            return False
        value = node.xreplace(point)
        if not (value.is_number and value.is_finite and value.is_extended_real):
            return False
    return True
