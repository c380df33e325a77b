"""Rendering a frozen report document in a format and a language.

``render`` is deterministic: the same document, format and language give the same bytes, now and
after any change to the measures (the PDF is written in reportlab's invariant mode, without
creation time or random document id).
"""

from dataclasses import dataclass

from shared.events import REPORT_FORMATS

from .csv_table import render_csv
from .documents import render_html, render_json, render_markdown
from .pdf import render_pdf
from .texts import Words
from .view import build_view

#: Part of the contract: report kinds and the notifications service ask for formats by these names.
FORMATS = REPORT_FORMATS
#: Formats that carry the measures table (the others summarise and never need it).
TABLE_FORMATS = ("csv", "json")
MEDIA_TYPES = {
    "html": "text/html; charset=utf-8",
    "pdf": "application/pdf",
    "md": "text/markdown; charset=utf-8",
    "csv": "text/csv; charset=utf-8",
    "json": "application/json",
}


@dataclass(frozen=True)
class Rendered:
    content: bytes
    media_type: str
    filename: str


def render(document, report_id, fmt, language=None, table=None):
    """The report ``report_id`` (its frozen ``document`` and, for csv and json, its measures
    ``table``) as ``fmt`` in ``language`` (default: the report's own language); instants in the
    time zone the report was taken in."""
    words = Words(language or document["language"], document["timezone"])
    if fmt == "json":
        content = render_json(document, report_id, table)
    elif fmt == "csv":
        content = render_csv(document, table, words)
    else:
        view = build_view(document, report_id, words)
        content = {"html": render_html, "md": render_markdown, "pdf": render_pdf}[fmt](view, words)
    return Rendered(content, MEDIA_TYPES[fmt], f"{_file_stem(document, report_id)}.{fmt}")


def _file_stem(document, report_id):
    """e.g. ``bericht-12-kreistag-2026-12-01``; ASCII only, for any mail client and file system."""
    kind = "".join(ch if ch.isascii() and (ch.isalnum() or ch == "-") else "-" for ch in (document["kind"] or "adhoc"))
    return f"report-{report_id}-{kind}-{document['as_of']}"
