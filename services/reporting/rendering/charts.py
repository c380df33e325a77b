"""Chart geometry shared by the HTML (inline SVG) and PDF (reportlab drawing) renderers.

Horizontal bars: one bar per status, and one bar per area stacked by status. Each status keeps
its colour everywhere, and every bar carries its number as text, so a report printed in black
and white still reads.
"""

from dataclasses import dataclass, field

from shared.vocabulary import Status

STATUS_COLOURS = {
    Status.PLANNED.value: "#8c96a3",
    Status.FUNDED.value: "#2f6fb3",
    Status.IN_PROGRESS.value: "#e0a526",
    Status.DONE.value: "#2e8b57",
    Status.CANCELLED.value: "#c0392b",
}
WIDTH = 680
LABEL_WIDTH = 230
VALUE_WIDTH = 50
ROW_HEIGHT = 22
BAR_HEIGHT = 15
LEGEND_HEIGHT = 26
#: Longer labels are cut: the table beside the chart has the full name.
LABEL_CHARS = 36


@dataclass(frozen=True)
class Segment:
    x: float
    width: float
    colour: str
    tooltip: str


@dataclass(frozen=True)
class Row:
    y: float
    label: str
    value: str
    segments: tuple


@dataclass(frozen=True)
class Chart:
    title: str
    height: float
    rows: tuple
    legend: tuple = field(default=())
    width: float = WIDTH
    bar_x: float = LABEL_WIDTH

    @property
    def value_x(self):
        return self.width - VALUE_WIDTH + 6


def status_chart(document, words):
    counts = [(row["key"], row["count"]) for row in document["by_status"]]
    scale = _scale(max((count for _, count in counts), default=0))
    rows = []
    for index, (status, count) in enumerate(counts):
        label = words.status(status)
        rows.append(Row(y=index * ROW_HEIGHT, label=label, value=words.number(count), segments=(
            Segment(LABEL_WIDTH, count * scale, STATUS_COLOURS[status], f"{label}: {words.number(count)}"),)))
    return Chart(words("chart_status"), height=len(rows) * ROW_HEIGHT, rows=tuple(rows))


def area_chart(document, words):
    areas = document["area_status"]
    scale = _scale(max((sum(row["counts"].values()) for row in areas), default=0))
    rows = []
    for index, row in enumerate(areas):
        x, segments = LABEL_WIDTH, []
        for status, count in row["counts"].items():
            if count:
                segments.append(Segment(x, count * scale, STATUS_COLOURS[status],
                                        f"{words.status(status)}: {words.number(count)}"))
                x += count * scale
        rows.append(Row(y=LEGEND_HEIGHT + index * ROW_HEIGHT, label=_cut(words.optional(row["key"])),
                        value=words.number(sum(row["counts"].values())), segments=tuple(segments)))
    legend = tuple((colour, words.status(status)) for status, colour in STATUS_COLOURS.items())
    return Chart(words("chart_area"), height=LEGEND_HEIGHT + len(rows) * ROW_HEIGHT, rows=tuple(rows),
                 legend=legend)


def _scale(largest):
    return (WIDTH - LABEL_WIDTH - VALUE_WIDTH) / largest if largest else 0


def _cut(text):
    return text if len(text) <= LABEL_CHARS else text[:LABEL_CHARS - 1] + "…"
