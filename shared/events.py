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
    changes = fields.Dict(keys=fields.String(), values=fields.List(fields.Raw()), load_default=dict)
    note = fields.String(allow_none=True, load_default=None)
    # Only on measure_status_changed:
    from_status = fields.String(validate=validate.OneOf(Status.values()), allow_none=True, load_default=None)
    to_status = fields.String(validate=validate.OneOf(Status.values()), allow_none=True, load_default=None)
