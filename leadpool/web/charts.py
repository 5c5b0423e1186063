"""Horizontal bar charts as server-rendered SVG: the geometry here, the drawing in
templates/web/dashboard/_bar_chart.html. No script, no chart library; the numbers are
also in the SVG's <title>s and the table beside each chart, for screen readers."""

from dataclasses import dataclass, field

WIDTH = 400  # the viewBox width; the SVG scales to its column
BAR_AREA = 340  # room left of the total printed after each bar
ROW = 38  # a label line, then the bar
BAR_HEIGHT = 13


@dataclass
class Segment:
    index: int  # the series' place, 1-based: its colour (series-1, series-2 …)
    key: str
    label: str
    value: int
    x: float
    width: float


@dataclass
class Bar:
    label: str
    total: int
    label_y: int
    bar_y: int
    value_x: float
    segments: list[Segment] = field(default_factory=list)


@dataclass
class Chart:
    title: str
    series: list[tuple[str, str]]  # (key, label): one colour each
    bars: list[Bar]
    height: int
    width: int = WIDTH
    empty_text: str = ""  # what to say instead of an empty chart; general words if blank

    @property
    def is_empty(self) -> bool:
        return not any(bar.total for bar in self.bars)


def bar_chart(
    title: str,
    series: list[tuple[str, str]],
    rows: list[tuple[str, dict]],
    *,
    empty_text: str = "",
) -> Chart:
    """One bar per row (label, {series key: value}), its segments stacked in series order,
    all scaled to the largest total."""
    keys = [key for key, _label in series]
    totals = [sum(values.get(key, 0) or 0 for key in keys) for _label, values in rows]
    largest = max(totals, default=0) or 1
    bars = []
    for index, (label, values) in enumerate(rows):
        top = index * ROW
        x = 0.0
        segments = []
        for position, (key, series_label) in enumerate(series, start=1):
            value = values.get(key, 0) or 0
            width = BAR_AREA * value / largest
            if value:
                segments.append(
                    Segment(position, key, str(series_label), value, round(x, 1), round(width, 1))
                )
            x += width
        total = totals[index]
        bars.append(
            Bar(
                label=str(label),
                total=total,
                label_y=top + 14,
                bar_y=top + 20,
                value_x=round(x + 4, 1),
                segments=segments,
            )
        )
    return Chart(
        title=str(title),
        series=series,
        bars=bars,
        height=max(len(rows), 1) * ROW,
        empty_text=str(empty_text),
    )
