"""Use cases of the notifications service over a unit of work: record an event and what it causes
(a measure event for its subscribers, a report for the recipients of its kind), manage
subscriptions, read the inbox, retry a delivery, bundle the daily digests.

Plain functions, so they run the same under nameko, in a script or in a test with SQLite.
"""

import secrets
from dataclasses import dataclass

from shared.errors import NotFound, ValidationError

from .domain import (
    Audience, Channel, DeliveryStatus, DigestMode, audiences, ensure_may_manage, ensure_may_retry,
    inbox_audiences, inbox_department, recipients, report_recipients, summary,
)


@dataclass(frozen=True)
class Recorded:
    """What recording an event caused: one delivery row per recipient."""

    deliveries: list

    @property
    def to_send(self):
        return any(row.status == DeliveryStatus.PENDING.value for row in self.deliveries)


def record_event(uow, notice, payload, now):
    """Record ``notice`` and one delivery per recipient; None if the event was recorded before.

    The event id is inserted first: a redelivered event finds its key taken and changes nothing,
    and the deliveries it would cause commit together with that key or not at all.
    """
    if not uow.events.record(notice, payload, now):
        return None
    addressed = audiences(notice)
    subscriptions = uow.subscriptions.active_for({department for department, _ in addressed})
    rows = [_deliver(uow, notice, recipient, now) for recipient in recipients(notice, subscriptions)]
    uow.events.count_deliveries(notice.event_id, len(rows))
    return Recorded(rows)


def record_report(uow, report, payload, now):
    """Record ``report`` (a ``ReportNotice``) and one e-mail delivery per recipient of its kind;
    None if the event was recorded before. The same rule as ``record_event``: the event id and the
    deliveries commit together or not at all. The report itself is fetched when sending."""
    if not uow.events.record(report, payload, now):
        return None
    reason = f"recipient of report kind {report.kind}"[:200]
    rows = [uow.deliveries.add(
        event_id=report.event_id, report_id=report.report_id, channel=Channel.EMAIL.value, target=address,
        language=report.language, event_type=report.event_type, occurred_at=report.occurred_at, reason=reason,
        created_at=now, status=DeliveryStatus.PENDING.value, attempts=0, next_attempt_at=now,
    ) for address in report_recipients(report)]
    uow.events.count_deliveries(report.event_id, len(rows))
    return Recorded(rows)


def _deliver(uow, notice, recipient, now):
    subscription = recipient.subscription
    row = uow.deliveries.add(
        event_id=notice.event_id, subscription_id=subscription.id, department=subscription.department,
        audience=subscription.audience.value, channel=subscription.channel.value, target=subscription.target,
        language=subscription.language, event_type=notice.event_type, measure_id=notice.measure_id,
        occurred_at=notice.occurred_at, reason=recipient.reason, created_at=now, **_first_state(subscription, now),
    )
    if subscription.channel is Channel.INBOX:
        uow.inbox.add(
            delivery_id=row.id, event_id=notice.event_id, department=subscription.department,
            audience=subscription.audience.value, event_type=notice.event_type, measure_id=notice.measure_id,
            measure_title=notice.measure_title[:300], summary=summary(notice, subscription.language)[:500],
            actor_user=notice.actor.user, actor_department=notice.actor.department, occurred_at=notice.occurred_at,
        )
    return row


def _first_state(subscription, now):
    if subscription.channel is Channel.INBOX:  # written here and now: delivered with the event
        return dict(status=DeliveryStatus.SENT.value, attempts=1, sent_at=now)
    if subscription.digest is DigestMode.DAILY:
        return dict(status=DeliveryStatus.WAITING.value, attempts=0)
    return dict(status=DeliveryStatus.PENDING.value, attempts=0, next_attempt_at=now)


def subscribe(uow, principal, data, now, default_language):
    """Add a subscription; returns (row, secret) where the secret is that of a webhook, shown once."""
    ensure_may_manage(principal, data["department"])
    channel = Channel(data["channel"])
    duplicate = uow.subscriptions.active_duplicate(data["department"], data["role"], channel.value, data["address"])
    if duplicate is not None:
        raise ValidationError({"address": [f"Already subscribed as subscription {duplicate.id}."]})
    secret = None
    if channel is Channel.WEBHOOK:
        secret = data["secret"] or secrets.token_urlsafe(32)
    row = uow.subscriptions.add(
        department=data["department"], audience=Audience(data["role"]).value, channel=channel.value,
        address=data["address"], secret=secret, event_types=sorted(set(data["event_types"])),
        digest=data["digest"], language=data["language"] or default_language, created_at=now,
        created_by=principal.user,
    )
    return row, secret


def unsubscribe(uow, principal, subscription_id, now):
    """End a subscription; what it had not yet sent is cancelled. Ending it twice changes nothing."""
    row = uow.subscriptions.get(subscription_id)
    ensure_may_manage(principal, row.department)
    if row.active:
        row.active = False
        row.ended_at = now
        row.ended_by = principal.user
        uow.deliveries.cancel_open(row.id)
    return row


def retry_delivery(uow, principal, delivery_id, now):
    """Give a failed delivery its attempts again, due at once; the last error stays for the record."""
    row = uow.deliveries.get(delivery_id)
    ensure_may_retry(principal, row.department)
    if row.status != DeliveryStatus.FAILED.value:
        raise ValidationError({"delivery_id": [f"Only failed deliveries are retried by hand; this one is {row.status}."]})
    row.status = DeliveryStatus.PENDING.value
    row.attempts = 0
    row.next_attempt_at = now
    row.claimed_by = None
    row.claim_expires = None
    return row


def inbox_page(uow, principal, department, unread_only, limit, after):
    """(department, entries, unread count, next cursor) of the inbox the caller may read."""
    department = inbox_department(principal, department)
    return (department, *uow.inbox.page(department, inbox_audiences(principal), principal, unread_only, limit, after))


def mark_read(uow, principal, entry_ids, now):
    """Mark inbox entries read (for the whole department: an inbox is shared); all or nothing."""
    wanted = sorted(set(entry_ids))
    department = None if principal.is_admin else principal.department
    visible = {row.id for row in uow.inbox.visible(wanted, department, inbox_audiences(principal), principal)}
    missing = [entry_id for entry_id in wanted if entry_id not in visible]
    if missing:
        raise NotFound("notification", missing[0])
    uow.inbox.mark_read(wanted, principal.user, now)
    return len(wanted)


def bundle_digests(uow, slot, now):
    """Create the digest of ``slot`` for every daily subscription with notifications waiting from
    before the slot; one digest per subscription and day, however often or wherever this runs."""
    digests = []
    for subscription_id in uow.deliveries.subscriptions_with_waiting(slot.due_at):
        subscription = uow.subscriptions.lock(subscription_id)
        if uow.deliveries.has_digest(subscription_id, slot.day):
            continue
        digest = uow.deliveries.add(
            digest_day=slot.day, subscription_id=subscription.id, department=subscription.department,
            audience=subscription.audience, channel=subscription.channel, target=subscription.address,
            language=subscription.language, reason="daily digest", status=DeliveryStatus.PENDING.value,
            attempts=0, next_attempt_at=now, created_at=now,
        )
        uow.deliveries.bundle_waiting(subscription_id, slot.due_at, digest.id)
        digests.append(digest)
    return digests
