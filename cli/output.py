"""Rendering for people: tables, dates and amounts in the user's language."""

import shutil

from shared import formats
from shared.vocabulary import FundingSource, Priority, Status

_LABELLED = {"status": Status, "priority": Priority, "funding.source": FundingSource, "source": FundingSource}


class Formatter:
    def __init__(self, texts, timezone="Europe/Berlin"):
        self.texts = texts
        self.timezone = timezone

    def value(self, name, value):
        """One field value as a person reads it."""
        if value is None or value == "" or value == []:
            return self.texts("none")
        enum = _LABELLED.get(name)
        if enum is not None:
            try:
                return enum(value).label(self.texts.language)
            except ValueError:
                return str(value)
        if name in ("budget_planned", "amount_approved", "funding.amount_approved"):
            return self.money(value)
        if name == "progress":
            return f"{value} %"
        if name.endswith("_at") or name == "when":
            return self.instant(value)
        if isinstance(value, list):
            return ", ".join(str(item) for item in value)
        if formats.looks_like_date(value):
            return self.date(value)
        return str(value)

    def money(self, value):
        return formats.money(value, self.texts.language)

    def date(self, value):
        return formats.day(value, self.texts.language)

    def instant(self, value):
        return formats.instant(value, self.texts.language, self.timezone)


def table(headers, rows, max_width=None):
    """A plain-text table whose widest column shrinks (with an ellipsis) to fit the terminal."""
    max_width = max_width or shutil.get_terminal_size((120, 20)).columns
    cells = [[str(cell) for cell in row] for row in rows]
    widths = [max([len(h)] + [len(row[i]) for row in cells]) for i, h in enumerate(headers)]
    gaps = 2 * (len(headers) - 1)
    while sum(widths) + gaps > max_width and max(widths) > 12:
        widest = widths.index(max(widths))
        widths[widest] -= 1
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths)).rstrip(),
             "  ".join("-" * w for w in widths)]
    for row in cells:
        lines.append("  ".join(_fit(cell, w).ljust(w) for cell, w in zip(row, widths)).rstrip())
    return "\n".join(lines)


def _fit(text, width):
    return text if len(text) <= width else text[: max(width - 1, 0)] + "…"
