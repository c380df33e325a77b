"""Repositories of the notifications service: subscriptions, the received-events log, deliveries
and inbox entries, translated between table rows and the domain's objects."""

import base64
import json
from dataclasses import dataclass

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from shared.errors import NotFound, ValidationError

from ..domain import Audience, Channel, DeliveryStatus, DigestMode, Subscription
from .models import DeliveryRow, InboxEntryRow, ReceivedEventRow, SubscriptionRow


class SubscriptionRepository:
    def __init__(self, session):
        self.session = session

    def add(self, **values):
        row = SubscriptionRow(active=True, **values)
        self.session.add(row)
        self.session.flush()
        return row

    def get(self, subscription_id):
        row = self.session.get(SubscriptionRow, subscription_id)
        if row is None:
            raise NotFound("subscription", subscription_id)
        return row

    def lock(self, subscription_id):
        """The subscription, locked until commit: instances bundling its digest take turns."""
        return self.session.scalars(
            select(SubscriptionRow).where(SubscriptionRow.id == subscription_id).with_for_update()).one()

    def active_duplicate(self, department, audience, channel, address):
        """An active subscription of the same target for the same department and audience."""
        return self.session.scalars(select(SubscriptionRow).where(
            SubscriptionRow.active.is_(True), SubscriptionRow.department == department,
            SubscriptionRow.audience == audience, SubscriptionRow.channel == channel,
            SubscriptionRow.address.is_(None) if address is None else SubscriptionRow.address == address,
        )).first()

    def active_for(self, departments):
        """The active subscriptions of ``departments``, as the rule table sees them."""
        rows = self.session.scalars(select(SubscriptionRow).where(
            SubscriptionRow.active.is_(True), SubscriptionRow.department.in_(list(departments))))
        return [to_subscription(row) for row in rows]

    def find(self, department=None, include_ended=False):
        query = select(SubscriptionRow).order_by(SubscriptionRow.department, SubscriptionRow.id)
        if department:
            query = query.where(SubscriptionRow.department == department)
        if not include_ended:
            query = query.where(SubscriptionRow.active.is_(True))
        return list(self.session.scalars(query))


def to_subscription(row):
    return Subscription(
        id=row.id, department=row.department, audience=Audience(row.audience), channel=Channel(row.channel),
        address=row.address, event_types=tuple(row.event_types or ()), digest=DigestMode(row.digest),
        language=row.language,
    )


class EventLog:
    """The received-events log: the consumer's memory of which events it has already taken in."""

    def __init__(self, session):
        self.session = session

    def record(self, notice, payload, now):
        """Insert the event unless its id is known; True if it is new.

        ``ON CONFLICT DO NOTHING`` on the primary key decides, inside the transaction that also writes
        the deliveries: two instances handed the same event at once cannot both see it as new (the
        second waits for the first's commit and then finds the key taken), which a read-then-write
        check could not promise.
        """
        insert = (postgresql.insert if self.session.get_bind().dialect.name == "postgresql" else sqlite.insert)
        statement = insert(ReceivedEventRow).values(
            event_id=notice.event_id, event_type=notice.event_type, measure_id=notice.measure_id,
            occurred_at=notice.occurred_at, received_at=now, payload=payload, deliveries=0,
        ).on_conflict_do_nothing(index_elements=["event_id"]).returning(ReceivedEventRow.event_id)
        return self.session.execute(statement).first() is not None

    def count_deliveries(self, event_id, count):
        self.session.execute(update(ReceivedEventRow).where(ReceivedEventRow.event_id == event_id)
                             .values(deliveries=count))

    def get(self, event_id):
        return self.session.get(ReceivedEventRow, event_id)


@dataclass(frozen=True)
class DeliveryFilter:
    status: tuple = ()
    department: str | None = None
    channel: str | None = None
    event_type: str | None = None
    measure_id: str | None = None
    event_id: str | None = None
    subscription_id: int | None = None
    report_id: int | None = None


class DeliveryRepository:
    def __init__(self, session):
        self.session = session

    def add(self, **values):
        row = DeliveryRow(**values)
        self.session.add(row)
        self.session.flush()
        return row

    def get(self, delivery_id):
        row = self.session.get(DeliveryRow, delivery_id)
        if row is None:
            raise NotFound("delivery", delivery_id)
        return row

    def claim_due(self, now, claimant, lease, limit):
        """Take up to ``limit`` due deliveries for ``claimant`` until ``now + lease``; their ids.

        One statement claims and counts the attempt: rows another instance is claiming right now
        are skipped (``FOR UPDATE SKIP LOCKED`` on PostgreSQL; SQLite has a single writer), and a
        claim left by a crashed instance is free again once its lease has run out.
        """
        t = DeliveryRow.__table__
        due = (
            select(t.c.id)
            .where(t.c.status == DeliveryStatus.PENDING.value, t.c.next_attempt_at <= now,
                   or_(t.c.claim_expires.is_(None), t.c.claim_expires < now))
            .order_by(t.c.next_attempt_at, t.c.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        statement = (
            update(t).where(t.c.id.in_(due.scalar_subquery()))
            .values(claimed_by=claimant, claim_expires=now + lease, attempts=t.c.attempts + 1)
            .returning(t.c.id)
        )
        return sorted(self.session.execute(statement).scalars())

    def claimed(self, delivery_ids, claimant):
        """(delivery, event payload or None for a digest, subscription secret or None) of the
        deliveries ``claimant`` still holds (a lease may have run out and passed to someone else).
        A report recipient's delivery has no subscription."""
        return list(self.session.execute(
            select(DeliveryRow, ReceivedEventRow.payload, SubscriptionRow.secret)
            .outerjoin(SubscriptionRow, SubscriptionRow.id == DeliveryRow.subscription_id)
            .outerjoin(ReceivedEventRow, ReceivedEventRow.event_id == DeliveryRow.event_id)
            .where(DeliveryRow.id.in_(list(delivery_ids)), DeliveryRow.claimed_by == claimant)
            .order_by(DeliveryRow.id)))

    def finish(self, delivery_id, claimant, **outcome):
        """Record the outcome of an attempt and release the claim, if ``claimant`` still holds it."""
        result = self.session.execute(
            update(DeliveryRow).where(DeliveryRow.id == delivery_id, DeliveryRow.claimed_by == claimant)
            .values(claimed_by=None, claim_expires=None, **outcome))
        return result.rowcount == 1

    def find(self, filters, limit, after=None):
        conditions = _delivery_conditions(filters)
        total = self.session.scalar(select(func.count()).select_from(DeliveryRow).where(*conditions))
        query = select(DeliveryRow).where(*conditions).order_by(DeliveryRow.id.desc()).limit(limit + 1)
        if after is not None:
            query = query.where(DeliveryRow.id < after)
        rows = list(self.session.scalars(query))
        return rows[:limit], total, (encode_cursor(rows[limit - 1].id) if len(rows) > limit else None)

    def subscriptions_with_waiting(self, created_before):
        """Daily-digest subscriptions with notifications waiting from before ``created_before``."""
        return list(self.session.scalars(
            select(DeliveryRow.subscription_id).distinct()
            .where(DeliveryRow.status == DeliveryStatus.WAITING.value, DeliveryRow.created_at < created_before)))

    def has_digest(self, subscription_id, day):
        return self.session.scalar(select(DeliveryRow.id).where(
            DeliveryRow.subscription_id == subscription_id, DeliveryRow.digest_day == day)) is not None

    def bundle_waiting(self, subscription_id, created_before, digest_id):
        """Put the waiting notifications of a subscription into digest ``digest_id``; how many."""
        result = self.session.execute(
            update(DeliveryRow)
            .where(DeliveryRow.subscription_id == subscription_id,
                   DeliveryRow.status == DeliveryStatus.WAITING.value, DeliveryRow.created_at < created_before)
            .values(status=DeliveryStatus.BUNDLED.value, digest_id=digest_id))
        return result.rowcount

    def digest_items(self, digest_id):
        """(delivery, received event) of each notification bundled in a digest, oldest first."""
        return list(self.session.execute(
            select(DeliveryRow, ReceivedEventRow)
            .join(ReceivedEventRow, ReceivedEventRow.event_id == DeliveryRow.event_id)
            .where(DeliveryRow.digest_id == digest_id)
            .order_by(ReceivedEventRow.occurred_at, DeliveryRow.id)))

    def cancel_open(self, subscription_id):
        """Deliveries of an ended subscription that were not sent yet are not sent any more."""
        self.session.execute(
            update(DeliveryRow)
            .where(DeliveryRow.subscription_id == subscription_id,
                   DeliveryRow.status.in_([DeliveryStatus.PENDING.value, DeliveryStatus.WAITING.value]))
            .values(status=DeliveryStatus.CANCELLED.value, claimed_by=None, claim_expires=None))


def _delivery_conditions(filters):
    row = DeliveryRow
    conditions = []
    if filters.status:
        conditions.append(row.status.in_(list(filters.status)))
    for name in ("department", "channel", "event_type", "measure_id", "event_id", "subscription_id", "report_id"):
        value = getattr(filters, name)
        if value is not None:
            conditions.append(getattr(row, name) == value)
    return conditions


class InboxRepository:
    def __init__(self, session):
        self.session = session

    def add(self, **values):
        row = InboxEntryRow(**values)
        self.session.add(row)
        return row

    def page(self, department, audiences, principal, unread_only, limit, after=None):
        """(entries newest first, unread count, next cursor) of what ``principal`` sees in the inbox."""
        conditions = self._visible(department, audiences, principal)
        unread = self.session.scalar(
            select(func.count()).select_from(InboxEntryRow).where(*conditions, InboxEntryRow.read_at.is_(None)))
        if unread_only:
            conditions.append(InboxEntryRow.read_at.is_(None))
        query = select(InboxEntryRow).where(*conditions).order_by(InboxEntryRow.id.desc()).limit(limit + 1)
        if after is not None:
            query = query.where(InboxEntryRow.id < after)
        rows = list(self.session.scalars(query))
        return rows[:limit], unread, (encode_cursor(rows[limit - 1].id) if len(rows) > limit else None)

    def visible(self, entry_ids, department, audiences, principal):
        return list(self.session.scalars(select(InboxEntryRow).where(
            InboxEntryRow.id.in_(entry_ids), *self._visible(department, audiences, principal))))

    def mark_read(self, entry_ids, user, now):
        self.session.execute(
            update(InboxEntryRow).where(InboxEntryRow.id.in_(entry_ids), InboxEntryRow.read_at.is_(None))
            .values(read_at=now, read_by=user))

    @staticmethod
    def _visible(department, audiences, principal):
        # The SQL form of domain.is_own_change: an actor's own changes are left out of their view.
        own_change = and_(InboxEntryRow.actor_user == principal.user,
                          InboxEntryRow.actor_department == principal.department)
        conditions = [InboxEntryRow.audience.in_([audience.value for audience in audiences]), ~own_change]
        if department is not None:  # None: every department's (admins)
            conditions.append(InboxEntryRow.department == department)
        return conditions


def encode_cursor(last_id):
    return base64.urlsafe_b64encode(json.dumps({"before": last_id}).encode()).decode().rstrip("=")


def decode_cursor(cursor):
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        last_id = json.loads(base64.urlsafe_b64decode(padded.encode()))["before"]
        if not isinstance(last_id, int) or isinstance(last_id, bool):
            raise ValueError
        return last_id
    except (ValueError, KeyError, TypeError):
        raise ValidationError({"cursor": ["This is not a cursor returned by this service."]}) from None
