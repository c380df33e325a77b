"""Events the services publish, and the schemas of their payloads.

Events are nameko events: published to the topic exchange ``<source>.events`` with the event type as
routing key. Every payload carries a unique ``event_id`` so that consumers can recognise a
redelivered event, and ``occurred_at``, the instant of the change (not of publication).
"""

from marshmallow import Schema, fields, validate

from shared.schemas import ActorSchema, MeasureSchema
from shared.vocabulary import LANGUAGES, Status

MEASURES_SOURCE = "measures"

MEASURE_CREATED = "measure_created"
MEASURE_UPDATED = "measure_updated"
MEASURE_STATUS_CHANGED = "measure_status_changed"
MEASURE_FUNDING_CHANGED = "measure_funding_changed"
MEASURE_PROGRESS_RECORDED = "measure_progress_recorded"

MEASURE_EVENTS = (
    MEASURE_CREATED,
    MEASURE_UPDATED,
    MEASURE_STATUS_CHANGED,
    MEASURE_FUNDING_CHANGED,
    MEASURE_PROGRESS_RECORDED,
)


class EventSchema(Schema):
    """What every event has."""

    event_id = fields.UUID(required=True)
    event_type = fields.String(required=True)
    occurred_at = fields.AwareDateTime(required=True)


class MeasureEventSchema(EventSchema):
    """A change to one measure: who did it, the measure after it, and what changed (old, new)."""

    event_type = fields.String(required=True, validate=validate.OneOf(MEASURE_EVENTS))
    actor = fields.Nested(ActorSchema, required=True)
    measure = fields.Nested(MeasureSchema, required=True)
    #: The measure's department followed by its parents up to the root (the chain of command).
    department_chain = fields.List(fields.String(), load_default=list)
    changes = fields.Dict(keys=fields.String(), values=fields.List(fields.Raw(allow_none=True)), load_default=dict)
    note = fields.String(allow_none=True, load_default=None)
    # Only on measure_status_changed:
    from_status = fields.String(validate=validate.OneOf(Status.values()), allow_none=True, load_default=None)
    to_status = fields.String(validate=validate.OneOf(Status.values()), allow_none=True, load_default=None)


# --- Deadline events (issue 4) -------------------------------------------------------------------
# Emitted by the measures service through the same outbox, with the envelope above plus fields that
# issue defines (e.g. ``escalation_level``: 1 = the responsible department's managers, 2 = also the
# parent department's, ...). The notifications service routes them already.

MEASURE_DUE_SOON = "measure_due_soon"
MEASURE_OVERDUE = "measure_overdue"
MEASURE_ESCALATED = "measure_escalated"
MEASURE_UPDATE_REQUESTED = "measure_update_requested"
GRANT_OBLIGATION_DUE = "grant_obligation_due"
GRANT_OBLIGATION_MISSED = "grant_obligation_missed"

DEADLINE_EVENTS = (
    MEASURE_DUE_SOON,
    MEASURE_OVERDUE,
    MEASURE_ESCALATED,
    MEASURE_UPDATE_REQUESTED,
    GRANT_OBLIGATION_DUE,
    GRANT_OBLIGATION_MISSED,
)


# --- Reporting (issue 5) -------------------------------------------------------------------------
# Emitted by the reporting service (source ``reporting``) through its outbox when a report was taken
# and archived; the notifications service sends it to the recipients of its kind, fetching each
# format to attach with ``reporting.get_report(report_id, format)``.

REPORTING_SOURCE = "reporting"
REPORT_GENERATED = "report_generated"

#: The formats a report is rendered in; a report kind names those its recipients get attached.
REPORT_FORMATS = ("html", "pdf", "md", "csv", "json")


class ReportFiltersSchema(Schema):
    """What a report covers; empty lists mean no restriction."""

    programmes = fields.List(fields.String(), required=True)
    departments = fields.List(fields.String(), required=True)
    areas = fields.List(fields.String(), required=True)


class ReportSummarySchema(Schema):
    """The headline figures of a report: measures covered, open (not done or cancelled), overdue,
    funded (with funding of any source), and changes since the previous report of its kind (None for
    the first one, or a report of no kind)."""

    measures = fields.Integer(required=True)
    open = fields.Integer(required=True)
    overdue = fields.Integer(required=True)
    funded = fields.Integer(required=True)
    changes = fields.Integer(required=True, allow_none=True)


class GeneratedReportSchema(Schema):
    """An archived report as listed (``reporting.list_reports``): everything but its content."""

    id = fields.Integer(required=True, validate=validate.Range(min=1))
    #: The report kind; None for a report taken ad hoc with its own filters.
    kind = fields.String(required=True, allow_none=True)
    title = fields.String(required=True, allow_none=True)
    #: The schedule slot it was taken for; None for a report on demand.
    scheduled_for = fields.AwareDateTime(required=True, allow_none=True)
    #: The instant of the measures snapshot it was computed from.
    taken_at = fields.AwareDateTime(required=True)
    #: The date it reports on (Stichtag).
    as_of = fields.Date(required=True)
    language = fields.String(required=True, validate=validate.OneOf(LANGUAGES))
    filters = fields.Nested(ReportFiltersSchema, required=True)
    requested_by = fields.String(required=True)
    created_at = fields.AwareDateTime(required=True)
    previous_id = fields.Integer(required=True, allow_none=True)
    summary = fields.Nested(ReportSummarySchema, required=True)
    #: SHA-256 of the frozen report: a rendering can be shown to come from exactly this report.
    sha256 = fields.String(required=True, validate=validate.Length(equal=64))


class ReportGeneratedSchema(EventSchema):
    """``report_generated``: the report, who is to receive it, and in which formats.

    ``recipients`` are the mailboxes of the report's kind (none for a report of no kind),
    ``attachments`` the formats they get attached, ``formats`` all it can be fetched in.
    """

    event_type = fields.String(required=True, validate=validate.Equal(REPORT_GENERATED))
    report = fields.Nested(GeneratedReportSchema, required=True)
    recipients = fields.List(fields.Email(), required=True)
    attachments = fields.List(fields.String(validate=validate.OneOf(REPORT_FORMATS)), required=True)
    formats = fields.List(fields.String(validate=validate.OneOf(REPORT_FORMATS)), required=True)
