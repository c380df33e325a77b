"""User-facing text of the CLI in German (default) and English.

Services answer in English (an API's language); the CLI translates what a user reads: headings,
field names and the validation messages the services send.
"""

import re

TEXTS = {
    "id": ("ID", "ID"),
    "title": ("Titel", "Title"),
    "status": ("Status", "Status"),
    "department": ("Fachbereich", "Department"),
    "area": ("Handlungsfeld", "Area"),
    "programme": ("Programm", "Programme"),
    "due_date": ("Fällig", "Due"),
    "progress": ("Fortschritt", "Progress"),
    "priority": ("Priorität", "Priority"),
    "description": ("Beschreibung", "Description"),
    "partners": ("Partner", "Partners"),
    "planned_start": ("Geplanter Beginn", "Planned start"),
    "planned_end": ("Geplantes Ende", "Planned end"),
    "budget_planned": ("Geplantes Budget", "Planned budget"),
    "external_ref": ("Externe Nummer", "External ref"),
    "funding": ("Finanzierung", "Funding"),
    "funding.source": ("Finanzierungsart", "Funding source"),
    "funding.programme": ("Förderprogramm", "Funding programme"),
    "funding.reference": ("Förderkennzeichen", "Funding reference"),
    "funding.amount_approved": ("Bewilligter Betrag", "Approved amount"),
    "funding.period_start": ("Förderzeitraum von", "Funding period from"),
    "funding.period_end": ("Förderzeitraum bis", "Funding period to"),
    "version": ("Version", "Version"),
    "updated_at": ("Geändert", "Updated"),
    "note": ("Vermerk", "Note"),
    "obligation": ("Förderauflage", "Grant obligation"),
    "obligations_fulfilled": ("Erfüllte Förderauflagen", "Grant obligations met"),
    "code": ("Kürzel", "Code"),
    "name": ("Name", "Name"),
    "parent": ("Übergeordnet", "Parent"),
    "history": ("Verlauf", "History"),
    "when": ("Zeitpunkt", "When"),
    "who": ("Wer", "Who"),
    "what": ("Was", "What"),
    "changes": ("Änderungen", "Changes"),
    "row": ("Zeile", "Row"),
    "field": ("Feld", "Field"),
    "message": ("Meldung", "Message"),
    "action.created": ("angelegt", "created"),
    "action.updated": ("geändert", "updated"),
    "action.status_changed": ("Status geändert", "status changed"),
    "action.funding_changed": ("Finanzierung geändert", "funding changed"),
    "action.progress_recorded": ("Fortschritt erfasst", "progress recorded"),
    "listed": ("{shown} von {total} Maßnahmen", "{shown} of {total} measures"),
    "more": ("Weitere mit --cursor {cursor}", "More with --cursor {cursor}"),
    "none": ("–", "–"),
    "status_changed": ("Maßnahme {id} ist jetzt {status}.", "Measure {id} is now {status}."),
    "created": ("Maßnahme {id} angelegt.", "Measure {id} created."),
    "saved": ("Maßnahme {id} gespeichert (Version {version}).", "Measure {id} saved (version {version})."),
    "unchanged": ("Maßnahme {id}: keine Änderung.", "Measure {id}: nothing changed."),
    "progress_recorded": ("Fortschritt von {id}: {progress} %.", "Progress of {id}: {progress} %."),
    "import_summary": ("{created} neu, {updated} geändert, {unchanged} unverändert, {errors} Fehler",
                       "{created} created, {updated} updated, {unchanged} unchanged, {errors} errors"),
    "import_applied": ("Import übernommen.", "Import applied."),
    "import_dry_run": ("Probelauf: nichts wurde gespeichert.", "Dry run: nothing was saved."),
    "import_rejected": ("Import abgelehnt, nichts wurde gespeichert.", "Import rejected, nothing was saved."),
    "department_created": ("Fachbereich {code} angelegt.", "Department {code} created."),
    "no_token": (
        "Kein Zugangstoken. Setzen Sie MEASURES_TOKEN oder speichern Sie eines mit "
        "`measures admin token ... --save`.",
        "No access token. Set MEASURES_TOKEN or save one with `measures admin token ... --save`."),
    "error.validation": ("Ungültige Eingabe:", "Invalid input:"),
    "error.not_found": ("{kind} {key} nicht gefunden.", "{kind} {key} not found."),
    "error.conflict": (
        "{key} wurde inzwischen geändert (erwartet Version {expected}, aktuell {current}). "
        "Bitte neu laden und erneut versuchen.",
        "{key} was changed meanwhile (expected version {expected}, now {current}). Reload and try again."),
    "error.transition": (
        "Statuswechsel von „{from_}“ nach „{to}“ ist nicht möglich{reason}. Möglich: {allowed}.",
        "Cannot change status from “{from_}” to “{to}”{reason}. Possible: {allowed}."),
    "error.unauthenticated": ("Nicht angemeldet: {reason}", "Not authenticated: {reason}"),
    "error.forbidden": ("Keine Berechtigung: {reason}", "Forbidden: {reason}"),
    "error.unavailable": ("Dienst nicht erreichbar: {reason}", "Service unavailable: {reason}"),
    "kind.measure": ("Maßnahme", "Measure"),
    "deadlines.none": ("Nichts fällig, nichts überfällig.", "Nothing due, nothing overdue."),
    "deadlines.overdue": ("Überfällig", "Overdue"),
    "deadlines.escalated": ("Eskaliert", "Escalated"),
    "deadlines.due_soon": ("Bald fällig", "Due soon"),
    "deadlines.obligations": ("Förderauflagen", "Grant obligations"),
    "deadlines.update_requested": ("Ohne Fortschreibung", "Awaiting an update"),
    "deadlines.sent": ("{count} Hinweise versandt.", "{count} notices sent."),
    "deadlines.would_send": ("Probelauf: {count} Hinweise würden versandt.", "Dry run: {count} notices would be sent."),
    "deadline.what": ("Termin", "Deadline"),
    "deadline.date": ("Datum", "Date"),
    "deadline.days": ("Tage", "Days"),
    "deadline.level": ("Stufe", "Level"),
    "deadline.notice": ("Hinweis", "Notice"),
    "deadline.days_left": ("noch {days}", "{days} left"),
    "deadline.days_late": ("{days} drüber", "{days} late"),
    "deadline.type.measure_due_soon": ("Erinnerung", "reminder"),
    "deadline.type.measure_overdue": ("überfällig", "overdue"),
    "deadline.type.measure_escalated": ("Eskalation", "escalation"),
    "deadline.type.measure_update_requested": ("Bitte um Fortschreibung", "update requested"),
    "deadline.type.grant_obligation_due": ("Förderauflage fällig", "grant obligation due"),
    "deadline.type.grant_obligation_missed": ("Förderauflage versäumt", "grant obligation missed"),
    "obligation_recorded": ("Maßnahme {id}: {obligation} als erfüllt vermerkt.",
                            "Measure {id}: {obligation} recorded as fulfilled."),
    "kind.department": ("Fachbereich", "Department"),
    # measures notify / measures inbox
    "kind.subscription": ("Abonnement", "Subscription"),
    "kind.delivery": ("Zustellung", "Delivery"),
    "kind.notification": ("Benachrichtigung", "Notification"),
    "channel": ("Kanal", "Channel"),
    "address": ("Adresse", "Address"),
    "role": ("Rolle", "Role"),
    "events": ("Ereignisse", "Events"),
    "digest": ("Versand", "Sending"),
    "attempts": ("Versuche", "Attempts"),
    "last_error": ("Letzter Fehler", "Last error"),
    "target": ("Empfänger", "Recipient"),
    "event": ("Ereignis", "Event"),
    "measure": ("Maßnahme", "Measure"),
    "summary": ("Meldung", "Notice"),
    "all_events": ("alle", "all"),
    "role.member": ("Mitglieder", "members"),
    "role.manager": ("Leitung", "managers"),
    "digest.immediate": ("sofort", "immediately"),
    "digest.daily": ("täglich", "daily"),
    "delivery.pending": ("ausstehend", "pending"),
    "delivery.waiting": ("wartet auf Tagesübersicht", "waiting for the digest"),
    "delivery.bundled": ("in Tagesübersicht", "in a digest"),
    "delivery.sent": ("gesendet", "sent"),
    "delivery.failed": ("fehlgeschlagen", "failed"),
    "delivery.cancelled": ("abbestellt", "cancelled"),
    "notify.subscribed": ("Abonnement {id} angelegt: {department} ({role}) per {channel} an {target}.",
                          "Subscription {id} created: {department} ({role}) by {channel} to {target}."),
    "notify.secret": ("Geheimnis für die Signatur (X-Kreis-Signature), wird nur jetzt angezeigt: {secret}",
                      "Secret of the signature (X-Kreis-Signature), shown only now: {secret}"),
    "notify.unsubscribed": ("Abonnement {id} beendet.", "Subscription {id} ended."),
    "notify.none": ("Keine Abonnements.", "No subscriptions."),
    "notify.no_failures": ("Keine fehlgeschlagenen Zustellungen.", "No failed deliveries."),
    "notify.failures": ("{shown} von {total} fehlgeschlagenen Zustellungen; erneut senden mit "
                        "`measures notify retry ID`.",
                        "{shown} of {total} failed deliveries; send again with `measures notify retry ID`."),
    "notify.retried": ("Zustellung {id} wird erneut gesendet.", "Delivery {id} will be sent again."),
    "notify.address_needed": ("Für E-Mail --email angeben, für Webhooks --url; der Posteingang braucht keine Adresse.",
                              "Give --email for e-mail, --url for webhooks; the inbox needs no address."),
    "inbox.empty": ("Keine ungelesenen Benachrichtigungen für {department}.",
                    "No unread notifications for {department}."),
    "inbox.empty_all": ("Keine Benachrichtigungen für {department}.", "No notifications for {department}."),
    "inbox.unread": ("{unread} ungelesen in {department}.", "{unread} unread in {department}."),
    "inbox.marked": ("{marked} als gelesen markiert.", "{marked} marked as read."),
    "inbox.new": ("neu", "new"),
    "inbox.more": ("Ältere mit --cursor {cursor}", "Older ones with --cursor {cursor}"),
    # measures report
    "kind.report": ("Bericht", "Report"),
    "kind.report kind": ("Berichtsart", "Report kind"),
    "report.kind": ("Art", "Kind"),
    "report.as_of": ("Stichtag", "As of"),
    "report.taken_at": ("Datenstand", "Data taken"),
    "report.measures": ("Maßnahmen", "Measures"),
    "report.overdue": ("überfällig", "overdue"),
    "report.changes": ("Änderungen", "Changes"),
    "report.adhoc": ("ad hoc", "ad hoc"),
    "report.generated": ("Bericht {id} erstellt: {measures} Maßnahmen, {overdue} überfällig. "
                         "Anzeigen mit `measures report show {id}`.",
                         "Report {id} taken: {measures} measures, {overdue} overdue. "
                         "Show it with `measures report show {id}`."),
    "notify.report": ("Bericht {id}", "report {id}"),
    "report.none": ("Keine Berichte.", "No reports."),
    "report.written": ("Bericht {id} ({format}) geschrieben nach {path}.", "Report {id} ({format}) written to {path}."),
    "report.binary": ("Ein PDF gehört nicht ins Terminal: --output DATEI angeben.",
                      "A PDF does not belong in the terminal: give --output FILE."),
}

#: The English messages services and marshmallow send, and their German form.
MESSAGES_DE = [
    (r"Missing data for required field\.", "Pflichtangabe fehlt."),
    (r"Unknown field\.", "Unbekanntes Feld."),
    (r"Field may not be null\.", "Darf nicht leer sein."),
    (r"Not a valid date\.", "Kein gültiges Datum (JJJJ-MM-TT)."),
    (r"Not a valid string\.", "Kein gültiger Text."),
    (r"Not a valid integer\.", "Keine ganze Zahl."),
    (r"Not a valid number\.", "Keine gültige Zahl."),
    (r"Not a valid list\.", "Keine Liste."),
    (r"Not a valid boolean\.", "Kein Wahrheitswert."),
    (r"Must be one of: (.*)\.", r"Erlaubt: \1."),
    (r"Length must be between (\d+) and (\d+)\.", r"Länge muss zwischen \1 und \2 Zeichen liegen."),
    (r"Longer than maximum length (\d+)\.", r"Länger als \1 Zeichen."),
    (r"Shorter than minimum length (\d+)\.", r"Kürzer als \1 Zeichen."),
    (r"Must be greater than or equal to (\S+) and less than or equal to (\S+)\.",
     r"Muss zwischen \1 und \2 liegen."),
    (r"Must be greater than or equal to (\S+)\.", r"Muss mindestens \1 sein."),
    (r"Unknown department (.+)\.", r"Unbekannter Fachbereich \1."),
    (r"Department (.+) already exists\.", r"Fachbereich \1 gibt es schon."),
    (r"Already used by (.+)\.", r"Schon vergeben an \1."),
    (r"Also used in row (\d+)\.", r"Auch in Zeile \1 verwendet."),
    (r"A measure needs a title\.", "Eine Maßnahme braucht einen Titel."),
    (r"The planned end cannot be before the planned start\.", "Das geplante Ende liegt vor dem Beginn."),
    (r"The funding period cannot end before it starts\.", "Der Förderzeitraum endet vor seinem Beginn."),
    (r"The planned budget cannot be negative\.", "Das Budget darf nicht negativ sein."),
    (r"A note is required to set the status (\w+)\.", r"Für den Status {\1} ist ein Vermerk nötig."),
    (r"A funded measure needs funding with a source and an approved amount\.",
     "Eine finanzierte Maßnahme braucht eine Finanzierung mit Art und bewilligtem Betrag."),
    (r"A funded measure needs a positive approved amount\.", "Der bewilligte Betrag muss größer als 0 sein."),
    (r"A grant needs its funding programme\.", "Fördermittel brauchen das Förderprogramm."),
    (r"A grant needs its funding reference\.", "Fördermittel brauchen das Förderkennzeichen."),
    (r"A grant needs its end of the funding period\.", "Fördermittel brauchen das Ende des Förderzeitraums."),
    (r"Progress is a whole percentage from 0 to 100\.", "Fortschritt ist eine ganze Prozentzahl von 0 bis 100."),
    (r"A (\w+) measure takes no progress; reopen it first\.",
     r"Eine Maßnahme im Status {\1} nimmt keinen Fortschritt an; erst wieder öffnen."),
    (r"This field cannot be changed here\.", "Dieses Feld wird hier nicht geändert."),
    (r"Send the version you read, a whole number\.", "Die gelesene Version (ganze Zahl) fehlt."),
    (r"Give a reason for moving (\w+): the date has passed\.",
     r"Der Termin (\1) ist verstrichen: bitte mit --note begründen, warum er sich verschiebt."),
    (r"No obligation (\S+) for this measure; open ones: (.*)\.", r"Keine Förderauflage \1; vorhanden: \2."),
    (r"(\S+) was recorded as fulfilled on (\S+)\.", r"\1 ist schon seit \2 als erfüllt vermerkt."),
    (r"Not a valid e-mail address\.", "Keine gültige E-Mail-Adresse."),
    (r"Not a valid http\(s\) URL\.", "Keine gültige http(s)-Adresse."),
    (r"An e-mail address or webhook URL is required\.", "E-Mail-Adresse oder Webhook-URL fehlt."),
    (r"An inbox belongs to the department and takes no address\.",
     "Der Posteingang gehört dem Fachbereich und hat keine Adresse."),
    (r"An inbox is always immediate\.", "Der Posteingang wird immer sofort beliefert."),
    (r"Only webhooks are signed with a secret\.", "Nur Webhooks werden mit einem Geheimnis signiert."),
    (r"Already subscribed as subscription (\d+)\.", r"Schon abonniert (Abonnement \1)."),
    (r"Only failed deliveries are retried by hand; this one is (\w+)\.",
     r"Nur fehlgeschlagene Zustellungen werden von Hand wiederholt; diese ist \1."),
    (r"Send the id, a whole number\.", "Die Nummer (ganze Zahl) fehlt."),
]


class Texts:
    def __init__(self, language="de"):
        self.language = language if language in ("de", "en") else "de"
        self._index = 0 if self.language == "de" else 1

    def __call__(self, key, /, **values):
        entry = TEXTS.get(key)
        text = entry[self._index] if entry else key
        return text.format(**values) if values else text

    def field(self, name):
        return self(name) if name in TEXTS else name

    def message(self, message):
        if self.language != "de":
            return message
        for pattern, replacement in MESSAGES_DE:
            if re.fullmatch(pattern, message):
                return _STATUS_PLACEHOLDER.sub(_status_label, re.sub(pattern, replacement, message))
        return message


_STATUS_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def _status_label(match):
    """``{done}`` in a translated message becomes „abgeschlossen“."""
    from shared.vocabulary import Status

    try:
        return f"„{Status(match.group(1)).label('de')}“"
    except ValueError:
        return match.group(1)
