"""How a notification looks: Jinja2 templates in German and English, text and HTML, for a change
to a measure, a daily digest, and a report sent to the recipients of its kind.

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

from .domain import digest_subject, measure_name, report_subject, subject, summary
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


@dataclass(frozen=True)
class ReportView:
    """What a report's e-mail shows: which report, its headline figures, how to open it."""

    subject: str
    title: str | None
    kind: str | None
    report_id: int
    as_of: str
    taken_at: str
    measures: str
    open: str
    overdue: str
    funded: str
    #: None for the first report of its kind: nothing to compare with.
    changes: str | None
    #: File names of what is attached.
    attachments: tuple
    #: How to open the report at the command line (also in other formats).
    command: str


def report_view(report, attachments, language, timezone):
    """The view of ``report`` (a ``ReportNotice``) with ``attachments`` for a reader of ``language``."""
    language = _lang(language)
    figures = {name: None if value is None else formats.number(value, language)
               for name, value in report.summary.items()}
    return ReportView(
        subject=report_subject(report, language),
        title=one_line(report.title) if report.title else None,
        kind=report.kind,
        report_id=report.report_id,
        as_of=formats.day(report.as_of, language),
        taken_at=formats.instant(report.taken_at, language, timezone),
        measures=figures["measures"], open=figures["open"], overdue=figures["overdue"], funded=figures["funded"],
        changes=figures["changes"],
        attachments=tuple(attachment.filename for attachment in attachments),
        command=f"measures report show {report.report_id}",
    )


def render_report(view, language):
    return Rendered(
        subject=view.subject,
        text=_render(f"report.{_lang(language)}.txt", r=view),
        html=_render(f"report.{_lang(language)}.html", r=view),
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
