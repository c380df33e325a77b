"""Tables of the notifications service.

``received_events`` is the consumer's de-duplication log: its primary key is the event id, and it is
written in the same transaction as the deliveries the event causes, so an event redelivered by
RabbitMQ (or after a crash) finds its key taken and has no effect. ``deliveries`` is at once the
send queue, the audit log (event, recipient, channel, status, attempts, last error, sent time) and,
through its unique keys, the guarantee of one delivery per event and target and one digest per
subscription and day. A delivery comes from a subscription, or, for a report (``report_generated``),
from the recipients its report kind names: those belong to no department and no audience.
"""

from sqlalchemy import (
    JSON, BigInteger, Boolean, CheckConstraint, Date, ForeignKey, Index, Integer, MetaData, String, Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from services.common.types import UtcDateTime

from ..domain import Audience, Channel, DeliveryStatus, DigestMode

metadata = MetaData(naming_convention={
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
})

#: Integer keys that are 64-bit on PostgreSQL and SQLite's rowid alias (so they autoincrement).
Id = BigInteger().with_variant(Integer, "sqlite")


def _one_of(column, enum):
    return f"{column} IN ({', '.join(repr(member.value) for member in enum)})"


class Base(DeclarativeBase):
    metadata = metadata


class SubscriptionRow(Base):
    __tablename__ = "subscriptions"
    __table_args__ = (
        CheckConstraint(_one_of("audience", Audience), name="audience_known"),
        CheckConstraint(_one_of("channel", Channel), name="channel_known"),
        CheckConstraint(_one_of("digest", DigestMode), name="digest_known"),
        CheckConstraint("language IN ('de', 'en')", name="language_known"),
        CheckConstraint("(channel = 'inbox') = (address IS NULL)", name="address_unless_inbox"),
        CheckConstraint("channel <> 'inbox' OR digest = 'immediate'", name="inbox_is_immediate"),
        Index("ix_subscriptions_routing", "department", "audience", "active"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    department: Mapped[str] = mapped_column(String(32))
    audience: Mapped[str] = mapped_column(String(16))
    channel: Mapped[str] = mapped_column(String(16))
    address: Mapped[str | None] = mapped_column(String(2000))
    #: Webhooks only: the key of the HMAC signature; shown once, when subscribing.
    secret: Mapped[str | None] = mapped_column(String(200))
    event_types: Mapped[list] = mapped_column(JSON, default=list)
    digest: Mapped[str] = mapped_column(String(16))
    language: Mapped[str] = mapped_column(String(2))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[object] = mapped_column(UtcDateTime)
    created_by: Mapped[str] = mapped_column(String(100))
    ended_at: Mapped[object | None] = mapped_column(UtcDateTime)
    ended_by: Mapped[str | None] = mapped_column(String(100))


class ReceivedEventRow(Base):
    """Every event this service has taken in, once; the payload is kept to render its messages."""

    __tablename__ = "received_events"

    event_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    event_type: Mapped[str] = mapped_column(String(64))
    #: The measure a measure event is about; None for a report.
    measure_id: Mapped[str | None] = mapped_column(String(16), index=True)
    occurred_at: Mapped[object] = mapped_column(UtcDateTime)
    received_at: Mapped[object] = mapped_column(UtcDateTime)
    payload: Mapped[dict] = mapped_column(JSON)
    deliveries: Mapped[int] = mapped_column(Integer)


class DeliveryRow(Base):
    """One message to one target: an event's (``event_id``) or a daily digest's (``digest_day``), for
    a subscription (``subscription_id``) or a recipient of a report (``report_id``)."""

    __tablename__ = "deliveries"
    __table_args__ = (
        CheckConstraint(_one_of("status", DeliveryStatus), name="status_known"),
        CheckConstraint(_one_of("channel", Channel), name="channel_known"),
        CheckConstraint("(event_id IS NULL) <> (digest_day IS NULL)", name="event_or_digest"),
        CheckConstraint("status <> 'sent' OR sent_at IS NOT NULL", name="sent_has_time"),
        CheckConstraint("(subscription_id IS NULL) <> (report_id IS NULL)", name="subscription_or_report"),
        CheckConstraint("subscription_id IS NULL OR (department IS NOT NULL AND audience IS NOT NULL)",
                        name="subscription_has_audience"),
        UniqueConstraint("event_id", "channel", "target"),
        UniqueConstraint("subscription_id", "digest_day"),
        Index("ix_deliveries_due", "status", "next_attempt_at"),
        Index("ix_deliveries_waiting", "subscription_id", "status"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    event_id: Mapped[str | None] = mapped_column(ForeignKey("received_events.event_id"))
    digest_day: Mapped[object | None] = mapped_column(Date)
    subscription_id: Mapped[int | None] = mapped_column(ForeignKey("subscriptions.id"))
    #: The report a report recipient's delivery sends (its measure events have ``measure_id``).
    report_id: Mapped[int | None] = mapped_column(Id, index=True)
    #: The subscription's department and audience; None for a report recipient, whose address comes
    #: from the county's report kinds, not from a department (only admins retry those).
    department: Mapped[str | None] = mapped_column(String(32), index=True)
    audience: Mapped[str | None] = mapped_column(String(16))
    channel: Mapped[str] = mapped_column(String(16))
    #: The address, URL or department inbox (``KS/member``) the delivery goes to.
    target: Mapped[str] = mapped_column(String(2000))
    language: Mapped[str] = mapped_column(String(2))
    event_type: Mapped[str | None] = mapped_column(String(64))
    measure_id: Mapped[str | None] = mapped_column(String(16), index=True)
    occurred_at: Mapped[object | None] = mapped_column(UtcDateTime)
    reason: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[object | None] = mapped_column(UtcDateTime)
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claim_expires: Mapped[object | None] = mapped_column(UtcDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[object] = mapped_column(UtcDateTime)
    sent_at: Mapped[object | None] = mapped_column(UtcDateTime)
    #: The digest delivery this one was bundled into.
    digest_id: Mapped[int | None] = mapped_column(ForeignKey("deliveries.id"), index=True)


class InboxEntryRow(Base):
    """A notification in a department's inbox, read over RPC (``inbox``, ``mark_read``)."""

    __tablename__ = "inbox_entries"
    __table_args__ = (
        CheckConstraint(_one_of("audience", Audience), name="audience_known"),
        Index("ix_inbox_entries_reading", "department", "audience", "read_at", "id"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    delivery_id: Mapped[int] = mapped_column(ForeignKey("deliveries.id"), unique=True)
    event_id: Mapped[str] = mapped_column(ForeignKey("received_events.event_id"))
    department: Mapped[str] = mapped_column(String(32))
    audience: Mapped[str] = mapped_column(String(16))
    event_type: Mapped[str] = mapped_column(String(64))
    measure_id: Mapped[str] = mapped_column(String(16))
    measure_title: Mapped[str] = mapped_column(String(300))
    summary: Mapped[str] = mapped_column(String(500))
    actor_user: Mapped[str] = mapped_column(String(100))
    actor_department: Mapped[str] = mapped_column(String(32))
    occurred_at: Mapped[object] = mapped_column(UtcDateTime)
    read_at: Mapped[object | None] = mapped_column(UtcDateTime)
    read_by: Mapped[str | None] = mapped_column(String(100))
