"""The measures table as CSV: what councils ask for, every measure of the report with its
responsible unit, dates, state, money and, for late ones, days overdue and the reason.

German output uses ``;`` and decimal commas (what German spreadsheet programs open directly);
English uses ``,`` and points. Text cells that a spreadsheet would run as a formula (starting
with ``=``, ``+``, ``-``, ``@``) get a leading apostrophe.
"""

import csv
import io
from datetime import date

#: Columns of the CSV, each (header text key, how to get and format the value).
_COLUMNS = (
    ("id", "id"), ("col.external_ref", "external_ref"), ("title", "title"), ("status", "status"),
    ("progress", "progress"), ("department", "department"), ("area", "area"), ("programme", "programme"),
    ("col.priority", "priority"), ("col.planned_start", "planned_start"), ("col.planned_end", "planned_end"),
    ("due_date", "due_date"), ("days_overdue", None), ("col.delay_reason", None),
    ("budget", "budget_planned_cents"), ("col.funding_source", "funding_source"),
    ("funding_programme", "funding_programme"), ("reference", "funding_reference"),
    ("amount_approved", "funding_amount_approved_cents"), ("period_end", "funding_period_end"),
)
_DATES = {"planned_start", "planned_end", "due_date", "funding_period_end"}
_TEXT = {"external_ref", "title", "department", "area", "programme", "funding_programme", "funding_reference"}
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def render_csv(document, table, words):
    as_of = date.fromisoformat(document["as_of"])
    stream = io.StringIO()
    writer = csv.writer(stream, delimiter=";" if words.german else ",", lineterminator="\r\n")
    writer.writerow([words(key) for key, _ in _COLUMNS])
    for row in table["rows"]:
        values = dict(zip(table["columns"], row))
        late = _days_overdue(values, as_of)
        reason = table["delay_reasons"].get(values["id"]) if late else None
        derived = {"days_overdue": str(late) if late else "", "col.delay_reason": _safe(reason or "")}
        writer.writerow([_cell(name, values, words) if name else derived[key] for key, name in _COLUMNS])
    return stream.getvalue().encode("utf-8")


def _days_overdue(values, as_of):
    if not values["due_date"] or values["status"] in ("done", "cancelled"):
        return 0
    return max((as_of - date.fromisoformat(values["due_date"])).days, 0)


def _cell(name, values, words):
    value = values[name]
    if value is None:
        return ""
    if name == "status":
        return words.status(value)
    if name == "priority":
        return words.priority(value)
    if name == "funding_source":
        return words.source(value)
    if name.endswith("_cents"):
        return _amount(value, words.german)
    if name in _DATES:
        return words.date(value)
    if name in _TEXT:
        return _safe(value)
    return str(value)


def _amount(cents, german):
    text = f"{cents // 100}.{cents % 100:02d}"
    return text.replace(".", ",") if german else text


def _safe(text):
    return "'" + text if text.startswith(_FORMULA_START) else text
