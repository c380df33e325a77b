"""Wire formats of what services hand to callers and to each other (marshmallow 4).

Dates travel as ISO strings, money as decimal strings with two places (never floats), instants as
ISO timestamps in UTC.
"""

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from shared.vocabulary import FundingSource, Priority, Role, Status

TITLE_MAX = 300
_Money = dict(as_string=True, places=2, validate=validate.Range(min=0))


class FundingSchema(Schema):
    source = fields.String(required=True, validate=validate.OneOf(FundingSource.values()))
    programme = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))
    reference = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=100))
    amount_approved = fields.Decimal(load_default=None, allow_none=True, **_Money)
    period_start = fields.Date(load_default=None, allow_none=True)
    period_end = fields.Date(load_default=None, allow_none=True)

    @validates_schema
    def period_in_order(self, data, **kwargs):
        start, end = data.get("period_start"), data.get("period_end")
        if start and end and end < start:
            raise ValidationError("The funding period cannot end before it starts.", "period_end")


class MeasureSchema(Schema):
    """A measure as callers and event consumers see it."""

    id = fields.String()
    external_ref = fields.String(allow_none=True, validate=validate.Length(min=1, max=64))
    title = fields.String(required=True, validate=validate.Length(min=1, max=TITLE_MAX))
    description = fields.String(allow_none=True, validate=validate.Length(max=20_000))
    programme = fields.String(allow_none=True, validate=validate.Length(max=200))
    area = fields.String(allow_none=True, validate=validate.Length(max=200))
    department = fields.String(required=True, validate=validate.Length(min=1, max=32))
    partners = fields.List(fields.String(validate=validate.Length(min=1, max=200)))
    priority = fields.String(validate=validate.OneOf(Priority.values()))
    planned_start = fields.Date(allow_none=True)
    planned_end = fields.Date(allow_none=True)
    due_date = fields.Date(allow_none=True)
    budget_planned = fields.Decimal(allow_none=True, **_Money)
    funding = fields.Nested(FundingSchema, allow_none=True)
    #: Grant obligations met (e.g. "final_proof", "interim_proof:2022") and the date they were.
    obligations_fulfilled = fields.Dict(keys=fields.String(validate=validate.Length(min=1, max=64)),
                                        values=fields.Date())
    status = fields.String(validate=validate.OneOf(Status.values()))
    progress = fields.Integer(validate=validate.Range(min=0, max=100))
    version = fields.Integer()
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class DepartmentSchema(Schema):
    code = fields.String(required=True, validate=[
        validate.Length(min=1, max=32),
        validate.Regexp(r"^[A-Za-z0-9][A-Za-z0-9._-]*$", error="Use letters, digits, '.', '_' or '-'."),
    ])
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    parent = fields.String(load_default=None, allow_none=True)


class ActorSchema(Schema):
    user = fields.String(required=True)
    department = fields.String(required=True)
    role = fields.String(required=True, validate=validate.OneOf(Role.values()))


class JournalEntrySchema(Schema):
    """One immutable line of a measure's audit journal."""

    measure_id = fields.String()
    version = fields.Integer()
    action = fields.String()
    actor = fields.Nested(ActorSchema)
    occurred_at = fields.DateTime()
    changes = fields.Dict(keys=fields.String(), values=fields.List(fields.Raw(allow_none=True)))
    note = fields.String(allow_none=True)
