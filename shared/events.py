"""Events the services publish, and the schemas of their payloads.

Events are nameko events: published to the topic exchange ``<source>.events`` with the event type as
routing key. Every payload carries a unique ``event_id`` so that consumers can recognise a
redelivered event, and ``occurred_at``, the instant of the change (not of publication).
"""

from marshmallow import Schema, fields, validate

from shared.schemas import ActorSchema, MeasureSchema
from shared.vocabulary import Status

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
# Emitted by the reporting service (source ``reporting``) through its outbox when a report was
# taken and archived. Payload: the envelope above plus ``report`` (id, kind, title, scheduled_for,
# taken_at, as_of, language, summary, sha256), ``recipients`` (the kind's mailboxes),
# ``attachments`` (formats to attach) and ``formats``; the rendered report is fetched with
# ``reporting.get_report(report_id, format)``.

REPORTING_SOURCE = "reporting"
REPORT_GENERATED = "report_generated"
