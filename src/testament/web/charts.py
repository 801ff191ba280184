"""Charts drawn on the server as SVG: stacked bars and a line, each with its accessible name
(`<title>`), a summary (`<desc>`) and the same numbers as a table, for readers who do not see
the picture (and for everyone who wants the exact figures).

    chart = bars("Runs per day", ["Nov 29", "Nov 30"],
                 [Series("Passed", "passed", [3, 5]), Series("Failed", "failed", [1, 0])])
    {{ chart.svg() }}     <svg role="img" ...> with a <title> per bar segment (hover)
    {{ chart.table() }}   <table class="table chart-table"> the numbers, one row per label

    line("Pass rate", labels, [0.75, None, 1.0], value_format=percent)   None: no point that day

Colours are the status tones of the stylesheet (`tone` is `passed`, `failed`, ... as in
render.STATUSES): a series is drawn with the class `st-<tone>`, so both themes hold. No inline
style (the CSP forbids it): sizes are attributes, colours classes. The output is well-formed XML.
"""

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import count

from markupsafe import Markup, escape

__all__ = ["Chart", "Series", "bars", "line"]

Number = float | int | None
_ids = count(1)


def _whole(value: float) -> str:
    return f"{value:g}" if value != int(value) else str(int(value))


def _percent(value: float) -> str:
    return f"{round(value * 100)}%"


@dataclass(frozen=True)
class Series:
    name: str
    tone: str  # a status tone: passed, failed, error, stopped, running, queued, neutral...
    values: Sequence[Number]


@dataclass(frozen=True)
class Chart:
    kind: str  # "bars" (stacked) or "line"
    title: str
    desc: str
    labels: Sequence[str]
    series: Sequence[Series]
    value_format: Callable[[float], str]
    y_max: float
    ident: str
    label_name: str = "Day"  # the table's first column

    # geometry (user units of the viewBox; the stylesheet scales the SVG to its box)
    height: int = 180
    left: int = 50
    top: int = 18
    bottom: int = 22

    @property
    def slot(self) -> int:
        """Each label's width: wide for a week, narrower for a month (labels then skip some)."""
        return max(22, 440 // max(len(self.labels), 1))

    @property
    def width(self) -> int:
        return self.left + max(len(self.labels), 1) * self.slot + 8

    def _y(self, value: float) -> float:
        plot = self.height - self.top - self.bottom
        return self.top + plot - (value / self.y_max * plot if self.y_max else 0)

    def _x_labels(self) -> list[str]:
        step = -(-46 // self.slot)  # a label is about 46 units wide
        out = []
        last = len(self.labels) - 1
        for i, label in enumerate(self.labels):
            if (last - i) % step == 0:  # the newest day always has its label
                x = self.left + i * self.slot + self.slot / 2
                out.append(
                    f'<text class="chart-label" x="{x:.1f}" y="{self.height - 6}" '
                    f'text-anchor="middle">{escape(label)}</text>'
                )
        return out

    def _axis(self) -> list[str]:
        right = self.width - 4
        ticks = (0.0, self.y_max / 2, self.y_max) if self.kind == "line" else (0.0, self.y_max)
        out = []
        for tick in ticks:
            y = self._y(tick)
            out.append(f'<line class="chart-grid" x1="{self.left}" y1="{y:.1f}" x2="{right}" y2="{y:.1f}"/>')
            out.append(
                f'<text class="chart-label" x="{self.left - 6}" y="{y + 4:.1f}" text-anchor="end">'
                f"{escape(self.value_format(tick))}</text>"
            )
        return out

    def _bars(self) -> list[str]:
        out = []
        width = self.slot * 0.7
        for i, label in enumerate(self.labels):
            x = self.left + i * self.slot + (self.slot - width) / 2
            base, total = 0.0, 0.0
            for s in self.series:
                value = float(s.values[i] or 0)
                if value <= 0:
                    continue
                y_top, y_bottom = self._y(base + value), self._y(base)
                out.append(
                    f'<rect class="chart-bar st-{escape(s.tone)}" x="{x:.1f}" y="{y_top:.1f}" '
                    f'width="{width:.1f}" height="{y_bottom - y_top:.1f}">'
                    f"<title>{escape(label)}: {escape(self.value_format(value))} {escape(s.name.lower())}"
                    "</title></rect>"
                )
                base += value
            total = base
            if total > 0:
                out.append(
                    f'<text class="chart-value" x="{x + width / 2:.1f}" y="{self._y(total) - 4:.1f}" '
                    f'text-anchor="middle">{escape(self.value_format(total))}</text>'
                )
        return out

    def _line(self) -> list[str]:
        out = []
        for s in self.series:
            segments: list[list[str]] = [[]]
            points = []
            for i, value in enumerate(s.values):
                if value is None:
                    segments.append([])
                    continue
                x, y = self.left + i * self.slot + self.slot / 2, self._y(float(value))
                segments[-1].append(f"{x:.1f},{y:.1f}")
                points.append(
                    f'<circle class="chart-point st-{escape(s.tone)}" cx="{x:.1f}" cy="{y:.1f}" r="3">'
                    f"<title>{escape(self.labels[i])}: {escape(self.value_format(float(value)))}</title>"
                    "</circle>"
                )
            out += [
                f'<polyline class="chart-line st-{escape(s.tone)}" fill="none" points="{" ".join(seg)}"/>'
                for seg in segments
                if len(seg) > 1
            ]
            out += points
        return out

    def svg(self) -> Markup:
        """The chart as an <svg role="img"> named by its <title> and described by its <desc>."""
        title_id, desc_id = f"{self.ident}-title", f"{self.ident}-desc"
        body = self._axis() + (self._bars() if self.kind == "bars" else self._line()) + self._x_labels()
        return Markup(
            f'<svg xmlns="http://www.w3.org/2000/svg" class="chart chart-{self.kind}" role="img" '
            f'viewBox="0 0 {self.width} {self.height}" width="{self.width}" height="{self.height}" '
            f'aria-labelledby="{title_id} {desc_id}">'
            f'<title id="{title_id}">{escape(self.title)}</title>'
            f'<desc id="{desc_id}">{escape(self.desc)}</desc>' + "".join(body) + "</svg>"
        )

    def table(self) -> Markup:
        """The chart's numbers: a row per label, a column per series (and the total of stacked bars)."""
        totals = self.kind == "bars" and len(self.series) > 1
        head = "".join(f'<th scope="col">{escape(s.name)}</th>' for s in self.series)
        rows = []
        for i, label in enumerate(self.labels):
            cells = []
            for s in self.series:
                value = s.values[i]
                text = "—" if value is None else self.value_format(float(value))
                cells.append(f'<td data-label="{escape(s.name)}">{escape(text)}</td>')
            if totals:
                total = sum(float(s.values[i] or 0) for s in self.series)
                cells.append(f'<td data-label="Total">{escape(self.value_format(total))}</td>')
            rows.append(f'<tr><th scope="row">{escape(label)}</th>{"".join(cells)}</tr>')
        return Markup(
            f'<table class="table chart-table"><caption>{escape(self.title)}</caption>'
            f'<thead><tr><th scope="col">{escape(self.label_name)}</th>{head}'
            + ('<th scope="col">Total</th>' if totals else "")
            + f"</tr></thead><tbody>{''.join(rows)}</tbody></table>"
        )


def _ident(title: str, ident: str | None) -> str:
    return ident or "chart-" + re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-") + f"-{next(_ids)}"


def _check(labels: Sequence[str], series: Sequence[Series]) -> None:
    for s in series:
        if len(s.values) != len(labels):
            raise ValueError(f"series {s.name!r} has {len(s.values)} values for {len(labels)} labels")


def bars(
    title: str,
    labels: Sequence[str],
    series: Sequence[Series],
    *,
    desc: str = "",
    value_format: Callable[[float], str] = _whole,
    ident: str | None = None,
) -> Chart:
    """Stacked bars: one bar per label, one segment per series (bottom first), its total above."""
    _check(labels, series)
    totals = [sum(float(s.values[i] or 0) for s in series) for i in range(len(labels))]
    top = max(totals, default=0.0)
    if not desc:
        if top:
            busiest = labels[totals.index(top)]
            sums = [(s.name.lower(), sum(float(v or 0) for v in s.values)) for s in series]
            parts = [f"{value_format(total)} {name}" for name, total in sums if total]
            desc = (
                f"{value_format(sum(totals))} in all ({', '.join(parts)}); "
                f"the most, {value_format(top)}, on {busiest}."
            )
        else:
            desc = "Nothing to show: every value is zero."
    return Chart("bars", title, desc, labels, series, value_format, top or 1.0, _ident(title, ident))


def line(
    title: str,
    labels: Sequence[str],
    values: Sequence[Number],
    *,
    name: str = "Value",
    tone: str = "running",
    desc: str = "",
    value_format: Callable[[float], str] = _percent,
    y_max: float = 1.0,
    ident: str | None = None,
) -> Chart:
    """A line through the known values (None leaves a gap), on a scale from 0 to `y_max`."""
    series = Series(name, tone, values)
    _check(labels, [series])
    known = [(labels[i], float(v)) for i, v in enumerate(values) if v is not None]
    if not desc:
        if known:
            low = min(known, key=lambda p: p[1])
            high = max(known, key=lambda p: p[1])
            desc = (
                f"From {value_format(known[0][1])} on {known[0][0]} to {value_format(known[-1][1])} "
                f"on {known[-1][0]}; lowest {value_format(low[1])} on {low[0]}, "
                f"highest {value_format(high[1])} on {high[0]}."
            )
        else:
            desc = "No values yet."
    return Chart("line", title, desc, labels, [series], value_format, y_max, _ident(title, ident))
