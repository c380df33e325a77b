"""Wire formats of the notifications service: the events it takes in (measure and deadline events,
``report_generated``), its RPC input, and the dump of subscriptions, deliveries and inbox entries."""

from marshmallow import EXCLUDE, Schema, fields, validate, validates_schema
from marshmallow import ValidationError as SchemaError

from services.common.validation import load, one_or_many
from shared.events import (
    DEADLINE_EVENTS, MEASURE_EVENTS, GeneratedReportSchema, MeasureEventSchema, ReportFiltersSchema,
    ReportGeneratedSchema, ReportSummarySchema,
)
from shared.schemas import ActorSchema, DepartmentSchema, MeasureSchema
from shared.vocabulary import LANGUAGES, DeadlineKind

from .domain import Actor, Audience, Channel, DeliveryStatus, DigestMode, Notice, ReportNotice

MAX_PAGE = 500
CONSUMED_EVENTS = MEASURE_EVENTS + DEADLINE_EVENTS


class _TolerantMeasureSchema(MeasureSchema):
    class Meta:
        unknown = EXCLUDE


class _TolerantActorSchema(ActorSchema):
    class Meta:
        unknown = EXCLUDE


class DeadlineSchema(Schema):
    """What a deadline event is about: which date, and how far it is (negative: days past)."""

    class Meta:
        unknown = EXCLUDE

    kind = fields.String(required=True, validate=validate.OneOf(DeadlineKind.values()))
    date = fields.Date(required=True)
    days = fields.Integer(required=True)
    obligation = fields.String(load_default=None)


class IncomingEventSchema(MeasureEventSchema):
    """A measures event as this consumer reads it: the shared schema, and a tolerant reader.

    Fields a newer producer adds are ignored rather than rejected, so that adding a field to an
    event never sends every event to the dead-letter queue. Deadline events (issue 4) share the
    envelope and add ``escalation_level``.
    """

    class Meta:
        unknown = EXCLUDE

    event_type = fields.String(required=True, validate=validate.OneOf(CONSUMED_EVENTS))
    actor = fields.Nested(_TolerantActorSchema, required=True)
    measure = fields.Nested(_TolerantMeasureSchema, required=True)
    escalation_level = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(min=1))
    deadline = fields.Nested(DeadlineSchema, load_default=None, allow_none=True)


#: One instance for every event: building a marshmallow schema copies all its fields, which costs
#: more than loading one event with it.
_EVENT_SCHEMA = IncomingEventSchema()


class MalformedEvent(Exception):
    """An event this service cannot read; it goes to the dead-letter queue, not back to its queue."""

    dead_letter_reason = "malformed"

    def __init__(self, errors):
        super().__init__(f"malformed event: {errors}")
        self.errors = errors


def read_event(body):
    """(notice, payload) of an incoming event body, or ``MalformedEvent`` saying what is wrong."""
    if not isinstance(body, dict):
        raise MalformedEvent({"_schema": [f"Expected an object, got {type(body).__name__}."]})
    try:
        return stored_notice(body), body
    except SchemaError as exc:
        raise MalformedEvent(exc.messages) from None


def stored_notice(payload):
    """The notice of an event payload (as received, or as stored with the delivery)."""
    return notice_from_event(_EVENT_SCHEMA.load(payload))


def notice_from_event(data):
    """The domain's view of a loaded event."""
    measure = data["measure"]
    return Notice(
        event_id=str(data["event_id"]), event_type=data["event_type"], occurred_at=data["occurred_at"],
        measure_id=measure.get("id") or "?", measure_title=measure["title"], department=measure["department"],
        actor=Actor(**data["actor"]), department_chain=tuple(data["department_chain"]),
        changes=dict(data["changes"]), from_status=data["from_status"], to_status=data["to_status"],
        note=data["note"], due_date=measure.get("due_date"), escalation_level=data["escalation_level"],
        deadline=data["deadline"],
    )


class _TolerantReportFilters(ReportFiltersSchema):
    class Meta:
        unknown = EXCLUDE


class _TolerantReportSummary(ReportSummarySchema):
    class Meta:
        unknown = EXCLUDE


class _TolerantReport(GeneratedReportSchema):
    class Meta:
        unknown = EXCLUDE

    filters = fields.Nested(_TolerantReportFilters, required=True)
    summary = fields.Nested(_TolerantReportSummary, required=True)


class IncomingReportSchema(ReportGeneratedSchema):
    """``report_generated`` as this consumer reads it: the shared schema, tolerant of added fields
    (as ``IncomingEventSchema``)."""

    class Meta:
        unknown = EXCLUDE

    report = fields.Nested(_TolerantReport, required=True)


_REPORT_SCHEMA = IncomingReportSchema()


def read_report_event(body):
    """(notice, payload) of an incoming ``report_generated`` body, or ``MalformedEvent``."""
    if not isinstance(body, dict):
        raise MalformedEvent({"_schema": [f"Expected an object, got {type(body).__name__}."]})
    try:
        return stored_report_notice(body), body
    except SchemaError as exc:
        raise MalformedEvent(exc.messages) from None


def stored_report_notice(payload):
    """The notice of a ``report_generated`` payload (as received, or as stored with the delivery)."""
    data = _REPORT_SCHEMA.load(payload)
    report = data["report"]
    return ReportNotice(
        event_id=str(data["event_id"]), event_type=data["event_type"], occurred_at=data["occurred_at"],
        report_id=report["id"], kind=report["kind"], title=report["title"], as_of=report["as_of"],
        taken_at=report["taken_at"], language=report["language"], summary=dict(report["summary"]),
        # A format the kind names twice is attached once.
        recipients=tuple(data["recipients"]), attachments=tuple(dict.fromkeys(data["attachments"])),
    )


_department_code = DepartmentSchema().fields["code"].validators


class NewSubscriptionSchema(Schema):
    department = fields.String(required=True, validate=_department_code)
    channel = fields.String(load_default=Channel.EMAIL.value, validate=validate.OneOf([c.value for c in Channel]))
    #: The e-mail address (channel email) or URL (channel webhook); none for the inbox.
    address = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000))
    role = fields.String(load_default=Audience.MEMBER.value, validate=validate.OneOf([a.value for a in Audience]))
    event_types = fields.List(fields.String(validate=validate.OneOf(CONSUMED_EVENTS)), load_default=list)
    digest = fields.String(load_default=DigestMode.IMMEDIATE.value,
                           validate=validate.OneOf([d.value for d in DigestMode]))
    language = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(LANGUAGES))
    #: Webhooks only: the HMAC key; generated when not given.
    secret = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=16, max=200))

    @validates_schema
    def address_fits_channel(self, data, **kwargs):
        channel, address = data.get("channel"), data.get("address")
        if channel == Channel.INBOX.value:
            if address:
                raise SchemaError("An inbox belongs to the department and takes no address.", "address")
            if data.get("digest") != DigestMode.IMMEDIATE.value:
                raise SchemaError("An inbox is always immediate.", "digest")
        elif not address:
            raise SchemaError("An e-mail address or webhook URL is required.", "address")
        else:
            _check_address(channel, address)
        if data.get("secret") and channel != Channel.WEBHOOK.value:
            raise SchemaError("Only webhooks are signed with a secret.", "secret")


def _check_address(channel, address):
    if channel == Channel.EMAIL.value:
        validator = validate.Email(error="Not a valid e-mail address.")
    else:
        validator = validate.URL(schemes={"http", "https"}, require_tld=False, error="Not a valid http(s) URL.")
    try:
        validator(address)
    except SchemaError as exc:
        raise SchemaError(exc.messages, "address") from None


class DeliveryFilterSchema(Schema):
    status = fields.List(fields.String(validate=validate.OneOf([s.value for s in DeliveryStatus])),
                         load_default=())
    department = fields.String(load_default=None, allow_none=True)
    channel = fields.String(load_default=None, allow_none=True, validate=validate.OneOf([c.value for c in Channel]))
    event_type = fields.String(load_default=None, allow_none=True)
    measure_id = fields.String(load_default=None, allow_none=True)
    event_id = fields.String(load_default=None, allow_none=True)
    subscription_id = fields.Integer(load_default=None, allow_none=True)
    report_id = fields.Integer(load_default=None, allow_none=True)


class PageSchema(Schema):
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=MAX_PAGE))
    cursor = fields.String(load_default=None, allow_none=True)


class IdListSchema(Schema):
    ids = fields.List(fields.Integer(strict=True), required=True, validate=validate.Length(min=1, max=MAX_PAGE))


class SubscriptionSchema(Schema):
    id = fields.Integer()
    department = fields.String()
    role = fields.String(attribute="audience")
    channel = fields.String()
    address = fields.String(allow_none=True)
    event_types = fields.List(fields.String())
    digest = fields.String()
    language = fields.String()
    active = fields.Boolean()
    created_at = fields.DateTime()
    created_by = fields.String()
    ended_at = fields.DateTime(allow_none=True)


def _delivery_kind(row):
    if row.digest_day:
        return "digest"
    return "report" if row.report_id is not None else "event"


class DeliverySchema(Schema):
    """A delivery: of an event, a daily digest, or a report to a recipient of its kind (no
    subscription, department or role)."""

    id = fields.Integer()
    kind = fields.Function(_delivery_kind)
    event_id = fields.String(allow_none=True)
    event_type = fields.String(allow_none=True)
    measure_id = fields.String(allow_none=True)
    report_id = fields.Integer(allow_none=True)
    digest_day = fields.Date(allow_none=True)
    digest_id = fields.Integer(allow_none=True)
    subscription_id = fields.Integer(allow_none=True)
    department = fields.String(allow_none=True)
    role = fields.String(attribute="audience", allow_none=True)
    channel = fields.String()
    target = fields.String()
    reason = fields.String()
    status = fields.String()
    attempts = fields.Integer()
    next_attempt_at = fields.DateTime(allow_none=True)
    last_error = fields.String(allow_none=True)
    occurred_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime()
    sent_at = fields.DateTime(allow_none=True)


class InboxEntrySchema(Schema):
    id = fields.Integer()
    department = fields.String()
    role = fields.String(attribute="audience")
    event_id = fields.String()
    event_type = fields.String()
    measure_id = fields.String()
    measure_title = fields.String()
    summary = fields.String()
    actor = fields.Function(lambda row: {"user": row.actor_user, "department": row.actor_department})
    occurred_at = fields.DateTime()
    read = fields.Function(lambda row: row.read_at is not None)
    read_at = fields.DateTime(allow_none=True)


def load_delivery_filters(data):
    return load(DeliveryFilterSchema(), one_or_many(data, "status"))
