"""The one place where diagnoses compare values at points, through the engine's machinery.

A diagnosis is a claim about the step, so every "these differ" it relies on is a
certified counterexample from :meth:`Engine.verify`, and every "these agree" comes
from the engine's own sampler (:meth:`Engine.sample`).  Python floats are used
only to *screen* (to decide which points are worth certifying); a float
agreement or disagreement is never evidence on its own.  Keeping these calls in
one module means a change in the engine's comparison touches one file here.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterable
from typing import Any

import sympy
from sympy import Symbol

from ..engine import SCREEN_DPS
from ..numeric import Compiled, float_point

#: Digits for evaluating a point where floats cannot tell (overflow, domain error).
#: Relative float difference above which a point is worth certifying.
FLOAT_SCREEN = 1e-9

DIFFERS, AGREES, UNDEFINED = "differs", "agrees", "undefined"




def _float_differs(x: float, y: float) -> bool:
    if not (math.isfinite(x) and math.isfinite(y)):
        return True
    return abs(x - y) > FLOAT_SCREEN * max(abs(x), abs(y))


def trial(
    engine: Any,
    fa: Compiled,
    fb: Compiled,
    leaves: tuple[Symbol, ...],
    points: Iterable[list],
    filters: list[tuple[str, Compiled, Compiled]],
    inst: dict,
    count: int,
) -> str:
    """Whether two compiled sides differ at one of ``count`` defined ``points``.

    ``DIFFERS`` only with a certified counterexample (:meth:`Engine.verify`);
    ``AGREES`` when no point could be certified as different (a *screen*: callers
    that assert agreement confirm it with :func:`sample_agrees` or ``Engine.compare``);
    ``UNDEFINED`` when no drawn point had both sides defined.
    """
    defined = 0
    for point in points:
        if defined >= count:
            break
        if filters and not engine.filters_hold(filters, point):
            continue
        fpoint = float_point(point)
        x = fa.fast(fpoint) if fpoint is not None else None
        y = fb.fast(fpoint) if x is not None else None
        if x is not None and y is not None:
            defined += 1
            if _float_differs(x, y) and engine.verify(fa, fb, leaves, point, inst) is not None:
                return DIFFERS
            continue
        va, vb = fa(point, SCREEN_DPS), fb(point, SCREEN_DPS)
        if va is None or vb is None:
            continue
        defined += 1
        if engine.verify(fa, fb, leaves, point, inst) is not None:
            return DIFFERS
    return AGREES if defined else UNDEFINED


def sample_agrees(
    engine: Any,
    x: sympy.Expr,
    y: sympy.Expr,
    filters: list[tuple[str, sympy.Expr, sympy.Expr]],
    rng: random.Random,
    inst: dict,
) -> bool | None:
    """Concrete ``x`` and ``y`` agree at every point the engine samples at one instance.

    ``False`` with a certified counterexample, ``None`` when no point is defined.
    """
    defined, cex, _ = engine.sample(x, y, filters, rng, inst)
    if cex is not None:
        return False
    return True if defined > 0 else None


def differs_at(engine: Any, fa: Compiled, fb: Compiled, leaves: tuple[Symbol, ...], point: list, inst: dict) -> bool:
    """A certified difference of two compiled sides at one exact point."""
    return engine.verify(fa, fb, leaves, point, inst) is not None


def near(x: Any, y: Any, rel: float) -> bool:
    """Two numbers within ``rel`` of each other, relative to their size: a screen only, never evidence."""
    return abs(x - y) <= rel * max(abs(x), abs(y))
