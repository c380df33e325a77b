"""RPC input of the reporting service, and the dump of archived reports."""

from marshmallow import Schema, fields, validate

from shared.vocabulary import LANGUAGES

from .rendering import FORMATS

MAX_LIST = 200


class FiltersSchema(Schema):
    programmes = fields.List(fields.String(validate=validate.Length(min=1, max=200)), load_default=list)
    departments = fields.List(fields.String(validate=validate.Length(min=1, max=32)), load_default=list)
    areas = fields.List(fields.String(validate=validate.Length(min=1, max=200)), load_default=list)


class GenerateSchema(Schema):
    kind = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=64))
    filters = fields.Nested(FiltersSchema, load_default=None, allow_none=True)
    as_of = fields.Date(load_default=None, allow_none=True)
    language = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(LANGUAGES))
    title = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=300))


class ListSchema(Schema):
    kind = fields.String(load_default=None, allow_none=True)
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=MAX_LIST))


class GetSchema(Schema):
    report_id = fields.Integer(required=True, strict=False, validate=validate.Range(min=1))
    format = fields.String(load_default="html", validate=validate.OneOf(FORMATS))
    language = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(LANGUAGES))


class ReportSchema(Schema):
    """An archived report as callers and the ``report_generated`` event see it (no content)."""

    id = fields.Integer()
    kind = fields.String(allow_none=True)
    title = fields.String(allow_none=True)
    scheduled_for = fields.AwareDateTime(allow_none=True)
    taken_at = fields.AwareDateTime()
    as_of = fields.Date()
    language = fields.String()
    filters = fields.Dict()
    requested_by = fields.String()
    created_at = fields.AwareDateTime()
    previous_id = fields.Integer(allow_none=True)
    summary = fields.Dict()
    sha256 = fields.String(attribute="content_sha256")


def dump_report(row):
    return ReportSchema().dump(row)
