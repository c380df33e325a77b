"""How a notification looks: Jinja2 templates in German and English, text and HTML.

HTML templates are autoescaped, so a measure title such as ``<script>`` arrives as text, never as
markup; the text part is not HTML and is rendered without escaping. Values are formatted the way
people in the county read them (German dates, status labels, euro amounts).
"""

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from shared import formats
from shared.vocabulary import FundingSource, Priority, Status

from .domain import digest_subject, measure_name, subject, summary
from .domain.wording import FIELD_LABELS, one_line

_ENVIRONMENT = Environment(
    loader=PackageLoader("services.notifications", "templates"),
    autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=True),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)
_LABELLED = {"status": Status, "priority": Priority, "source": FundingSource}
_DASH = "–"


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


@dataclass(frozen=True)
class Change:
    field: str
    old: str
    new: str


@dataclass(frozen=True)
class NotificationView:
    """Everything a template shows about one notification, already formatted for ``language``."""

    subject: str
    name: str
    summary: str
    measure_id: str
    title: str
    department: str
    status: str
    progress: str
    due_date: str
    actor: str
    occurred_at: str
    changes: tuple
    note: str | None
    event_type: str


def notification_view(notice, measure, language, timezone):
    """The view of ``notice`` (the measure as the event carried it) for a reader of ``language``."""
    fmt = _Formatter(language, timezone)
    return NotificationView(
        subject=subject(notice, language),
        name=measure_name(notice, language),
        summary=summary(notice, language),
        measure_id=notice.measure_id,
        title=one_line(notice.measure_title),
        department=notice.department,
        status=fmt.value("status", measure.get("status")),
        progress=fmt.value("progress", measure.get("progress")),
        due_date=fmt.value("due_date", measure.get("due_date")),
        actor=f"{notice.actor.user} ({notice.actor.department})",
        occurred_at=fmt.instant(notice.occurred_at),
        changes=tuple(Change(fmt.label(name), fmt.value(name, old), fmt.value(name, new))
                      for name, (old, new) in _pairs(notice.changes)),
        note=notice.note,
        event_type=notice.event_type,
    )


def render_notification(view, language):
    return Rendered(
        subject=view.subject,
        text=_render(f"notification.{_lang(language)}.txt", n=view),
        html=_render(f"notification.{_lang(language)}.html", n=view),
    )


def render_digest(day, views, language):
    title = digest_subject(day, len(views), language)
    day_text = _Formatter(language, "UTC").value("day", day)
    return Rendered(
        subject=title,
        text=_render(f"digest.{_lang(language)}.txt", title=title, day=day_text, items=views),
        html=_render(f"digest.{_lang(language)}.html", title=title, day=day_text, items=views),
    )


def _render(name, **context):
    return _ENVIRONMENT.get_template(name).render(**context)


def _lang(language):
    return "en" if language == "en" else "de"


def _pairs(changes):
    for name, pair in changes.items():
        old, new = (list(pair) + [None, None])[:2] if isinstance(pair, (list, tuple)) else (None, pair)
        yield name, (old, new)


class _Formatter:
    def __init__(self, language, timezone):
        self.language = _lang(language)
        self.german = self.language == "de"
        self.tz = ZoneInfo(timezone)

    def label(self, name):
        return FIELD_LABELS.get(name, (name, name))[0 if self.german else 1]

    def value(self, name, value):
        if value is None or value == "" or value == []:
            return _DASH
        enum = _LABELLED.get(name)
        if enum is not None:
            try:
                return enum(value).label(self.language)
            except ValueError:
                return str(value)
        if name == "progress":
            return f"{value} %"
        if name == "funding" and isinstance(value, dict):
            return self._funding(value)
        if name in ("budget_planned", "amount_approved"):
            return self.money(value)
        if isinstance(value, list):
            return ", ".join(str(item) for item in value)
        if (isinstance(value, date) and not isinstance(value, datetime)) or formats.looks_like_date(value):
            return formats.day(value, self.language)
        return one_line(value)

    def instant(self, moment):
        return formats.instant(moment, self.language, self.tz)

    def money(self, value):
        return formats.money(value, self.language)

    def _funding(self, funding):
        parts = [self.value("source", funding.get("source"))]
        for name in ("programme", "reference"):
            if funding.get(name):
                parts.append(str(funding[name]))
        if funding.get("amount_approved"):
            parts.append(self.money(funding["amount_approved"]))
        return ", ".join(parts)
