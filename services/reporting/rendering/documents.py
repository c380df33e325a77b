"""HTML (Jinja2, autoescaped, self-contained), Markdown (escaped cells) and JSON renderings."""

import json
import re
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

_TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
#: Characters with a meaning anywhere in Markdown (and GitHub tables), escaped with a backslash.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]#!|~])")


def markdown_text(value):
    """User text as literal Markdown: special characters escaped, HTML made inert, one line.

    List and quote marks (``1.``, ``-``, ``>``) need no escape: the template never starts a line
    with a value (values sit in table cells, after a label or after a heading's ``#``)."""
    text = " ".join(str(value).split())
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


_html = Environment(loader=FileSystemLoader(_TEMPLATES), autoescape=select_autoescape(["html"]),
                    undefined=StrictUndefined, keep_trailing_newline=True)
_markdown = Environment(loader=FileSystemLoader(_TEMPLATES), autoescape=False, undefined=StrictUndefined,
                        keep_trailing_newline=True)
_markdown.filters["md"] = markdown_text


def render_html(view, words):
    return _html.get_template("report.html").render(view=view, words=words).encode()


def render_markdown(view, words):
    return _markdown.get_template("report.md").render(view=view, words=words).encode()


def render_json(document, report_id, table):
    return json.dumps({"report_id": report_id, **document, "table": table}, ensure_ascii=False, indent=2,
                      sort_keys=True).encode() + b"\n"
