"""What a notification says, in German (default) and English: subject lines and one-line summaries.

The same summary is the e-mail subject's tail, the inbox line and the webhook's ``summary``, so a
change reads alike wherever it arrives: "Maßnahme M-0042 „Radwegenetz ausbauen“: jetzt in Umsetzung".
A report's e-mail names the report and its date: "Sachstandsbericht „Kreistag“, Stichtag 01.11.2026".
"""

from datetime import date

from shared.events import (
    GRANT_OBLIGATION_DUE, GRANT_OBLIGATION_MISSED, MEASURE_CREATED, MEASURE_DUE_SOON, MEASURE_ESCALATED,
    MEASURE_FUNDING_CHANGED, MEASURE_OVERDUE, MEASURE_PROGRESS_RECORDED, MEASURE_STATUS_CHANGED,
    MEASURE_UPDATE_REQUESTED, MEASURE_UPDATED,
)
from shared.vocabulary import LANGUAGES, DeadlineKind, Status

#: Field names as people read them, for "changed: title, due date".
FIELD_LABELS = {
    "title": ("Titel", "title"),
    "description": ("Beschreibung", "description"),
    "programme": ("Programm", "programme"),
    "area": ("Handlungsfeld", "area"),
    "department": ("Fachbereich", "department"),
    "partners": ("Partner", "partners"),
    "priority": ("Priorität", "priority"),
    "planned_start": ("geplanter Beginn", "planned start"),
    "planned_end": ("geplantes Ende", "planned end"),
    "due_date": ("Fälligkeit", "due date"),
    "budget_planned": ("Budget", "budget"),
    "external_ref": ("externe Nummer", "external reference"),
    "status": ("Status", "status"),
    "progress": ("Fortschritt", "progress"),
    "funding": ("Finanzierung", "funding"),
}

_PHRASES = {
    "measure": ("Maßnahme {id} „{title}“", "Measure {id} “{title}”"),
    MEASURE_CREATED: ("neu angelegt", "created"),
    "changed_fields": ("geändert: {fields}", "changed: {fields}"),
    "handed_over": ("jetzt bei {new} (bisher {old})", "now with {new} (was {old})"),
    MEASURE_STATUS_CHANGED: ("jetzt {status}", "now {status}"),
    MEASURE_FUNDING_CHANGED: ("Finanzierung geändert", "funding changed"),
    "funding_removed": ("Finanzierung entfernt", "funding removed"),
    MEASURE_PROGRESS_RECORDED: ("Fortschritt {progress} %", "progress {progress} %"),
    MEASURE_DUE_SOON: ("bald fällig", "due soon"),
    "due_on": ("fällig am {date}", "due on {date}"),
    "ends_on": ("{what} am {date}", "{what} on {date}"),
    MEASURE_OVERDUE: ("überfällig", "overdue"),
    "overdue_since": ("überfällig seit {date} ({days} Tage)", "overdue since {date} ({days} days)"),
    "passed_since": ("{what} {date} überschritten ({days} Tage)", "{what} {date} passed ({days} days)"),
    MEASURE_ESCALATED: ("eskaliert (Stufe {level})", "escalated (level {level})"),
    "escalated_because": ("eskaliert (Stufe {level}): {reason}", "escalated (level {level}): {reason}"),
    MEASURE_UPDATE_REQUESTED: ("bitte Sachstand aktualisieren", "please update its status"),
    "unchanged_since": ("bitte Sachstand aktualisieren, seit {days} Tagen unverändert",
                        "please update its status, unchanged for {days} days"),
    GRANT_OBLIGATION_DUE: ("Förderauflage fällig", "grant obligation due"),
    "obligation_due_on": ("{what} fällig am {date}", "{what} due on {date}"),
    GRANT_OBLIGATION_MISSED: ("Förderauflage versäumt", "grant obligation missed"),
    "obligation_missed": ("{what} versäumt (fällig am {date})", "{what} missed (due on {date})"),
    "digest": ("Tagesübersicht vom {date}: {count} Meldungen zu Maßnahmen",
               "Daily digest of {date}: {count} notifications on measures"),
    "digest_one": ("Tagesübersicht vom {date}: 1 Meldung zu Maßnahmen",
                   "Daily digest of {date}: 1 notification on measures"),
    "report": ("Sachstandsbericht „{title}“, Stichtag {date}", "Status report “{title}”, as of {date}"),
    "report_untitled": ("Sachstandsbericht, Stichtag {date}", "Status report, as of {date}"),
}


def phrase(key, language, **values):
    german, english = _PHRASES[key]
    return (english if language == "en" else german).format(**values)


def one_line(text):
    """Titles come from people: a line break or tab in one must not break a header or a table."""
    return " ".join(str(text).split())


def measure_name(notice, language):
    return phrase("measure", language, id=notice.measure_id, title=one_line(notice.measure_title))


def summary(notice, language="de"):
    """What happened, in a few words: "jetzt in Umsetzung", "geändert: Titel, Fälligkeit"."""
    language = language if language in LANGUAGES else "de"
    kind = notice.event_type
    if kind == MEASURE_UPDATED:
        return _updated(notice, language)
    if kind == MEASURE_STATUS_CHANGED and notice.to_status:
        return phrase(kind, language, status=Status(notice.to_status).label(language))
    if kind == MEASURE_FUNDING_CHANGED and (notice.changes.get("funding") or [None, None])[1] is None:
        return phrase("funding_removed", language)
    if kind == MEASURE_PROGRESS_RECORDED:
        return phrase(kind, language, progress=(notice.changes.get("progress") or [None, "?"])[1])
    if notice.deadline and (kind in _DEADLINE_PHRASES or kind == MEASURE_ESCALATED):
        return _deadline(notice, language)
    if kind == MEASURE_DUE_SOON and notice.due_date:
        return phrase("due_on", language, date=format_date(notice.due_date, language))
    if kind == MEASURE_ESCALATED:
        return phrase(kind, language, level=notice.escalation_level or 1)
    if kind in _PHRASES:
        return phrase(kind, language)
    return kind.replace("_", " ")


def subject(notice, language="de"):
    """E-mail subject: names the measure and the change."""
    return f"{measure_name(notice, language)}: {summary(notice, language)}"


def digest_subject(day, count, language="de"):
    key = "digest_one" if count == 1 else "digest"
    return phrase(key, language, date=format_date(day, language), count=count)


def report_subject(notice, language="de"):
    """E-mail subject of a report (a ``ReportNotice``): its title and the date it reports on."""
    day = format_date(notice.as_of, language)
    if notice.title:
        return phrase("report", language, title=one_line(notice.title), date=day)
    return phrase("report_untitled", language, date=day)


def changed_fields(notice, language):
    index = 1 if language == "en" else 0
    return [FIELD_LABELS.get(name, (name, name))[index] for name in notice.changes]


def format_date(value, language):
    day = value if isinstance(value, date) else date.fromisoformat(str(value))
    return day.isoformat() if language == "en" else day.strftime("%d.%m.%Y")


_OBLIGATIONS = {DeadlineKind.PERIOD_END, DeadlineKind.INTERIM_PROOF, DeadlineKind.FINAL_PROOF}
_DEADLINE_PHRASES = {  # event type -> (phrase for the due date, for any other date)
    MEASURE_DUE_SOON: ("due_on", "ends_on"),
    MEASURE_OVERDUE: ("overdue_since", "passed_since"),
    MEASURE_UPDATE_REQUESTED: ("unchanged_since", "unchanged_since"),
    GRANT_OBLIGATION_DUE: ("obligation_due_on", "obligation_due_on"),
    GRANT_OBLIGATION_MISSED: ("obligation_missed", "obligation_missed"),
}


def _deadline(notice, language):
    """A deadline notice names the date it is about: "Verwendungsnachweis fällig am 31.03.2024"."""
    deadline = notice.deadline
    kind = DeadlineKind(deadline["kind"])
    values = dict(what=kind.label(language), date=format_date(deadline["date"], language), days=abs(deadline["days"]))
    if notice.event_type == MEASURE_ESCALATED:  # what was missed, one level further up
        reason_type = GRANT_OBLIGATION_MISSED if kind in _OBLIGATIONS else MEASURE_OVERDUE
        reason = phrase(_DEADLINE_PHRASES[reason_type][kind is not DeadlineKind.DUE_DATE], language, **values)
        return phrase("escalated_because", language, level=notice.escalation_level or 1, reason=reason)
    return phrase(_DEADLINE_PHRASES[notice.event_type][kind is not DeadlineKind.DUE_DATE], language, **values)


def _updated(notice, language):
    old, new = notice.changes.get("department") or (None, None)
    if old and new and old != new:
        return phrase("handed_over", language, old=old, new=new)
    return phrase("changed_fields", language, fields=", ".join(changed_fields(notice, language)))
