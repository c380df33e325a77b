"""Input schemas of the measures RPC API, and the dump of domain objects to the wire format."""

from marshmallow import Schema, fields, validate

from services.common.validation import load, one_or_many
from shared.schemas import FundingSchema, JournalEntrySchema, MeasureSchema
from shared.vocabulary import Status

from .domain import EDITABLE_FIELDS

MAX_PAGE = 500


class NewMeasureSchema(MeasureSchema):
    """A measure to create. ``status`` other than planned takes over a measure already under way;
    ``note`` then says why (required for done and cancelled)."""

    class Meta:
        exclude = ("id", "progress", "version", "created_at", "updated_at")

    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=5000))


class ImportRowSchema(NewMeasureSchema):
    """One row of an import: as a new measure, but the external reference is what re-imports match on,
    and a row may carry the progress reached so far."""

    class Meta:
        exclude = ("id", "version", "created_at", "updated_at")

    external_ref = fields.String(required=True, validate=validate.Length(min=1, max=64))
    progress = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(min=0, max=100))


class MeasureFilterSchema(Schema):
    status = fields.List(fields.String(validate=validate.OneOf(Status.values())), load_default=())
    department = fields.String(load_default=None, allow_none=True)
    area = fields.String(load_default=None, allow_none=True)
    programme = fields.String(load_default=None, allow_none=True)
    overdue = fields.Boolean(load_default=None, allow_none=True)
    due_before = fields.Date(load_default=None, allow_none=True)
    q = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))


class AsOfSchema(Schema):
    as_of = fields.Date(load_default=None, allow_none=True)


class FulfilmentSchema(Schema):
    fulfilled_on = fields.Date(load_default=None, allow_none=True)


class PageSchema(Schema):
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=MAX_PAGE))
    cursor = fields.String(load_default=None, allow_none=True)


def load_changes(data):
    return load(MeasureSchema(only=EDITABLE_FIELDS), data, partial=True)


def load_filters(data):
    return load(MeasureFilterSchema(), one_or_many(data, "status"))


def load_funding(data):
    return None if data is None else load(FundingSchema(), data)



_MEASURE = MeasureSchema()  # built once: a schema instance costs more than the dump itself


def dump_measure(measure):
    return _MEASURE.dump(measure.snapshot())


def dump_journal(rows):
    return JournalEntrySchema(many=True).dump([
        {
            "measure_id": row.measure_id, "version": row.version, "action": row.action,
            "actor": {"user": row.actor_user, "department": row.actor_department, "role": row.actor_role},
            "occurred_at": row.occurred_at, "changes": row.changes, "note": row.note,
        }
        for row in rows
    ])
