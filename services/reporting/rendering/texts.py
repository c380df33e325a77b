"""The words and number formats of a report, in German (default) and English.

Statuses, priorities and funding sources take their labels from ``shared.vocabulary`` so that a
report says what the CLI and the e-mails say. Instants are shown in the county's time zone.
"""

from zoneinfo import ZoneInfo

from shared import formats
from shared.vocabulary import DeadlineKind, FundingSource, Priority, Status

TEXTS = {
    "default_title": ("Sachstandsbericht", "Status report"),
    "scope": ("Umfang", "Scope"),
    "scope_all": ("alle Maßnahmen", "all measures"),
    "programmes": ("Programme", "Programmes"),
    "departments": ("Fachbereiche (mit untergeordneten)", "Departments (with those below)"),
    "areas": ("Handlungsfelder", "Areas"),
    "as_of": ("Stichtag", "As of"),
    "taken_at": ("Datenstand", "Data taken"),
    "period": ("Berichtszeitraum", "Period"),
    "period_since": ("seit dem Bericht Nr. {id} vom {when}", "since report no. {id} of {when}"),
    "period_first": ("erster Bericht dieser Art", "first report of this kind"),
    "report_no": ("Bericht Nr.", "Report no."),
    "scheduled_for": ("planmäßig für", "scheduled for"),
    "totals": ("Überblick", "Overview"),
    "measures": ("Maßnahmen", "Measures"),
    "open": ("davon offen", "of which open"),
    "count": ("Anzahl", "Count"),
    "budget": ("Geplantes Budget", "Planned budget"),
    "funding_approved": ("Bewilligte Mittel", "Approved funding"),
    "by_status": ("Nach Status", "By status"),
    "by_area": ("Nach Handlungsfeld", "By area"),
    "by_department": ("Nach Fachbereich", "By department"),
    "by_programme": ("Nach Programm", "By programme"),
    "chart_status": ("Statusverteilung", "Status distribution"),
    "chart_area": ("Status nach Handlungsfeld", "Status by area"),
    "status": ("Status", "Status"),
    "area": ("Handlungsfeld", "Area"),
    "department": ("Fachbereich", "Department"),
    "programme": ("Programm", "Programme"),
    "none_value": ("(ohne Angabe)", "(not set)"),
    "sum": ("Summe", "Total"),
    "changes": ("Änderungen seit dem letzten Bericht", "Changes since the previous report"),
    "changes_none": ("Keine Änderungen.", "No changes."),
    "changes_first": ("Erster Bericht dieser Art: kein Vergleich.", "First report of this kind: nothing to compare."),
    "changes_new": ("Neue Maßnahmen", "New measures"),
    "changes_status": ("Statuswechsel", "Status changes"),
    "changes_cancelled": ("Verworfene Maßnahmen", "Cancelled measures"),
    "not_listed": ("{count} weitere Änderungen sind nicht aufgeführt.", "{count} further changes are not listed."),
    "from": ("von", "from"),
    "to": ("nach", "to"),
    "when": ("Zeitpunkt", "When"),
    "note": ("Vermerk", "Note"),
    "who": ("Wer", "Who"),
    "id": ("Nr.", "No."),
    "title": ("Titel", "Title"),
    "late": ("Verzug", "Late"),
    "late_none": ("Keine überfälligen Maßnahmen.", "No overdue measures."),
    "late_more": ("{count} weitere überfällige Maßnahmen stehen in der CSV-Tabelle.",
                  "{count} further overdue measures are in the CSV table."),
    "due_date": ("Fällig", "Due"),
    "days_overdue": ("Tage überfällig", "Days overdue"),
    "progress": ("Fortschritt", "Progress"),
    "moved": ("Termin verschoben", "Date moved"),
    "moved_text": ("{field} am {on} von {old} auf {new}: {note}", "{field} on {on} from {old} to {new}: {note}"),
    "no_reason": ("ohne Begründung", "no reason given"),
    "escalated": ("Eskaliert", "Escalated"),
    "escalated_on": ("eskaliert am {on}", "escalated on {on}"),
    "funding": ("Finanzierung", "Funding"),
    "funding_none": ("Keine finanzierten Maßnahmen.", "No funded measures."),
    "funding_more": ("{count} weitere finanzierte Maßnahmen stehen in der CSV-Tabelle.",
                     "{count} further funded measures are in the CSV table."),
    "source": ("Art", "Source"),
    "funding_programme": ("Förderprogramm", "Funding programme"),
    "reference": ("Förderkennzeichen", "Funding reference"),
    "amount_approved": ("Bewilligt", "Approved"),
    "period_end": ("Förderzeitraum bis", "Funding period ends"),
    "next_obligation": ("Nächste Verpflichtung", "Next obligation"),
    "obligation_overdue": ("fällig seit", "due since"),
    "field.due_date": ("Fälligkeit", "due date"),
    "field.planned_end": ("Geplantes Ende", "planned end"),
    "footer": ("Erstellt aus dem eingefrorenen Datenstand; Beträge in Euro.",
               "Rendered from the frozen data; amounts in euros."),
    # Columns of the CSV measures table.
    "col.external_ref": ("Externe Nummer", "External ref"),
    "col.priority": ("Priorität", "Priority"),
    "col.planned_start": ("Geplanter Beginn", "Planned start"),
    "col.planned_end": ("Geplantes Ende", "Planned end"),
    "col.delay_reason": ("Grund der Verzögerung", "Reason for the delay"),
    "col.funding_source": ("Finanzierungsart", "Funding source"),
}


class Words:
    """``words("key", **values)`` and the formats of one language."""

    def __init__(self, language="de", timezone="Europe/Berlin"):
        self.language = language if language in ("de", "en") else "de"
        self.german = self.language == "de"
        self._index = 0 if self.german else 1
        self.tz = ZoneInfo(timezone)

    def __call__(self, key, /, **values):
        text = TEXTS[key][self._index]
        return text.format(**values) if values else text

    def status(self, value):
        return Status(value).label(self.language)

    def priority(self, value):
        return Priority(value).label(self.language) if value else ""

    def source(self, value):
        return FundingSource(value).label(self.language) if value else ""

    def obligation(self, kind):
        return DeadlineKind(kind).label(self.language)

    def money(self, cents):
        return "" if cents is None else formats.money_from_cents(cents, self.language)

    def number(self, value):
        return formats.number(value, self.language)

    def date(self, value):
        return formats.day(value, self.language) if value else ""

    def instant(self, value):
        return formats.instant(value, self.language, self.tz) if value else ""

    def optional(self, value):
        """A grouping key as shown: measures without an area are "(ohne Angabe)", not blank."""
        return self("none_value") if value in (None, "") else value
