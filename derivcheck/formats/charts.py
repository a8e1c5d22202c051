"""Charts as inline SVG: score distributions and mistake counts.

A small module of our own rather than matplotlib: two chart shapes are needed, the
page must stay self-contained and light, and matplotlib would bring NumPy, compiled
extensions and a font cache for two kinds of bar chart.  Every chart carries a ``<title>``
and a ``<desc>`` (referenced by ``aria-labelledby``) that say in words what it shows;
the pages also print the numbers as a table beside each chart.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from fractions import Fraction
from urllib.parse import quote

from markupsafe import Markup

WIDTH = 560


@dataclass(frozen=True)
class Bucket:
    """Scores in [lo, hi] (a single value when lo == hi), ``count`` of them."""

    lo: Fraction
    hi: Fraction
    count: int

    @property
    def label(self) -> str:
        return _num(self.lo) if self.lo == self.hi else f"{_num(self.lo)}–{_num(self.hi)}"


def _num(x: Fraction | float) -> str:
    if isinstance(x, Fraction) and x.denominator == 1:
        return str(x.numerator)
    return f"{float(x):.4g}"


def buckets(scores: list[Fraction], points: Fraction, bins: int = 10, distinct_max: int = 12) -> list[Bucket]:
    """One bucket per distinct score when there are few, else ``bins`` equal bins over 0..points.

    The last bin is closed, so a full score falls in it; scores above ``points``
    (none in practice) fall in the last bin too, below 0 in the first.
    """
    if not scores:
        return []
    distinct = sorted(set(scores))
    if len(distinct) <= distinct_max:
        return [Bucket(s, s, scores.count(s)) for s in distinct]
    top = points if points > 0 else max(scores)
    edges = [top * i / bins for i in range(bins + 1)]
    counts = [0] * bins
    for s in scores:
        i = 0 if s <= 0 else min(bins - 1, int(s * bins / top)) if top > 0 else 0
        counts[i] += 1
    return [Bucket(edges[i], edges[i + 1], counts[i]) for i in range(bins)]


def mean_median(scores: list[Fraction]) -> tuple[Fraction, Fraction] | None:
    if not scores:
        return None
    return sum(scores, Fraction(0)) / len(scores), Fraction(statistics.median(scores))


def histogram_svg(ident: str, title: str, scores: list[Fraction], points: Fraction) -> Markup:
    """Bars of the score distribution on a 0..points axis, with mean and median marked."""
    bs = buckets(scores, points)
    mm = mean_median(scores)
    top = max([points, *scores]) if scores else points
    top = top if top > 0 else Fraction(1)
    width, height, left, right, bottom, head = WIDTH, 210, 36, 16, 34, 30
    plot_w, plot_h = width - left - right, height - head - bottom
    peak = max((b.count for b in bs), default=0) or 1

    def x(v: Fraction) -> float:
        return left + float(v / top) * plot_w

    desc = _histogram_words(bs, mm, points)
    parts = [
        Markup('<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {w} {h}" width="{w}" height="{h}" '
               'role="img" aria-labelledby="{i}-t {i}-d"><title id="{i}-t">{t}</title><desc id="{i}-d">{d}</desc>')
        .format(w=width, h=height, i=ident, t=title, d=desc)
    ]
    # axes and ticks: 0, a quarter, ..., points
    base = head + plot_h
    parts.append(Markup('<line class="axis" x1="{a}" y1="{b}" x2="{c}" y2="{b}"/>').format(a=left, b=base, c=left + plot_w))
    for i in range(5):
        v = top * i / 4
        parts.append(Markup('<text class="tick" x="{x:.1f}" y="{y}" text-anchor="middle">{t}</text>').format(x=x(v), y=base + 14, t=_num(v)))
    parts.append(Markup('<text class="tick" x="{x}" y="{y}" text-anchor="end">score</text>').format(x=left + plot_w, y=base + 28))
    for b in bs:
        if b.lo == b.hi:  # one distinct score: a bar 10 px wide centred on it, kept inside the axis
            centre = min(max(x(b.lo), left + 5.0), left + plot_w - 5.0)
            x0, x1 = centre - 5, centre + 5
        else:
            x0, x1 = x(b.lo) + 1, x(b.hi) - 1
        h = plot_h * b.count / peak
        parts.append(Markup('<rect class="bar" x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{h:.1f}"><title>{t}: {c}</title></rect>')
                     .format(x=x0, y=base - h, w=max(1.0, x1 - x0), h=h, t=b.label, c=_students(b.count)))
        if b.count:
            parts.append(Markup('<text class="count" x="{x:.1f}" y="{y:.1f}" text-anchor="middle">{c}</text>')
                         .format(x=(x0 + x1) / 2, y=base - h - 3, c=b.count))
    if mm is not None:
        mean, median = mm
        for n, (name, v, cls) in enumerate((("mean", mean, "mean"), ("median", median, "median"))):
            xv = x(v)
            anchor = "start" if xv < left + plot_w * 0.7 else "end"
            dx = 4 if anchor == "start" else -4
            parts.append(Markup('<line class="{c}" x1="{x:.1f}" y1="{y0}" x2="{x:.1f}" y2="{y1}"/>'
                                '<text class="marker {c}" x="{tx:.1f}" y="{ty}" text-anchor="{a}">{n} {v}</text>')
                         .format(c=cls, x=xv, y0=head - 4 + n * 12, y1=base, tx=xv + dx, ty=head + 6 + n * 12, a=anchor, n=name, v=_num(v)))
    if not scores:
        parts.append(Markup('<text class="tick" x="{x}" y="{y}" text-anchor="middle">no scores</text>').format(x=width / 2, y=head + plot_h / 2))
    parts.append(Markup("</svg>"))
    return Markup("").join(parts)


def _students(n: int) -> str:
    return f"{n} submission" + ("" if n == 1 else "s")


def _histogram_words(bs: list[Bucket], mm: tuple[Fraction, Fraction] | None, points: Fraction) -> str:
    if mm is None:
        return "No scores."
    spread = "; ".join(f"{b.label}: {b.count}" for b in bs if b.count)
    return f"Scores out of {_num(points)}: mean {_num(mm[0])}, median {_num(mm[1])}. Submissions per score: {spread}."


@dataclass(frozen=True)
class Bar:
    """One horizontal bar: a label, a count, and where an example is."""

    label: str
    count: int
    href: str | None = None
    example: str | None = None


def bars_svg(ident: str, title: str, bars: list[Bar], unit: str = "submissions") -> Markup:
    """Horizontal bars, largest first as given; each bar links to its example when it has one."""
    row, label_w, head = 24, 230, 8
    width = WIDTH
    height = head + row * max(1, len(bars)) + 8
    peak = max((b.count for b in bars), default=0) or 1
    plot_w = width - label_w - 50
    words = "; ".join(f"{b.label}: {b.count} {unit}" for b in bars) or "none"
    parts = [
        Markup('<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {w} {h}" width="{w}" height="{h}" '
               'role="img" aria-labelledby="{i}-t {i}-d"><title id="{i}-t">{t}</title><desc id="{i}-d">{d}</desc>')
        .format(w=width, h=height, i=ident, t=title, d=words)
    ]
    if not bars:
        parts.append(Markup('<text class="tick" x="{x}" y="20" text-anchor="middle">none</text>').format(x=width / 2))
    for n, b in enumerate(bars):
        y = head + n * row
        w = max(2.0, plot_w * b.count / peak)
        label = b.label if len(b.label) <= 34 else b.label[:33] + "…"
        bar = Markup('<text class="label" x="{lx}" y="{ty}" text-anchor="end">{l}</text>'
                     '<rect class="bar" x="{x}" y="{y}" width="{w:.1f}" height="{h}"><title>{full}: {c} {u}</title></rect>'
                     '<text class="count" x="{cx:.1f}" y="{ty}">{c}</text>').format(
            lx=label_w - 6, ty=y + row / 2 + 4, l=label, x=label_w, y=y + 3, w=w, h=row - 6, full=b.label, c=b.count, u=unit, cx=label_w + w + 4)
        if b.href:
            bar = Markup('<a href="{h}" aria-label="{l}: {c} {u}, example: {e}">{b}</a>').format(
                h=b.href, l=b.label, c=b.count, u=unit, e=b.example or "", b=bar)
        parts.append(bar)
    parts.append(Markup("</svg>"))
    return Markup("").join(parts)


def page_href(student: str, anchor: str | None = None) -> str:
    """The relative link to a student's feedback page (the id percent-encoded, never raw)."""
    href = "feedback/" + quote(student, safe="") + ".html"
    return href + ("#" + quote(anchor, safe="") if anchor else "")


__all__ = ["Bar", "Bucket", "bars_svg", "buckets", "histogram_svg", "mean_median", "page_href"]
