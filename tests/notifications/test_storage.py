"""The use cases over real storage, on SQLite and PostgreSQL alike: de-duplication, claims, digests,
inbox visibility, retries by hand, reports for the recipients of their kind."""

import contextlib
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from services.common.database import make_engine
from services.notifications import handlers
from services.notifications.domain import DigestSlot
from services.notifications.schemas import read_event, read_report_event
from services.notifications.storage.repository import DeliveryFilter
from services.notifications.storage.unit_of_work import NotificationsUnitOfWork
from shared.auth import Principal
from shared.errors import Forbidden, NotFound, ValidationError
from shared.vocabulary import Role

from .builders import event, report_event

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=timezone.utc)
ADMIN = Principal("admin", "LR", Role.ADMIN)
KS_MANAGER = Principal("leitung.ks", "KS", Role.MANAGER)
KS_STAFF = Principal("mueller.ks", "KS", Role.STAFF)
KS_COLLEAGUE = Principal("schmidt.ks", "KS", Role.STAFF)


@pytest.fixture
def engine(notifications_db_url):
    engine = make_engine(notifications_db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def unit_of_work(engine):
    @contextlib.contextmanager
    def open_unit():
        with Session(engine, expire_on_commit=False) as session, session.begin():
            yield NotificationsUnitOfWork(session)

    return open_unit


def subscribe(unit_of_work, **data):
    request = {"department": "KS", "channel": "email", "address": "klimaschutz@kreis.example", "role": "member",
               "event_types": [], "digest": "immediate", "language": None, "secret": None, **data}
    with unit_of_work() as uow:
        row, _secret = handlers.subscribe(uow, ADMIN, request, NOW, "de")
    return row


def record(unit_of_work, payload, now=NOW):
    notice, body = read_event(payload)
    with unit_of_work() as uow:
        return handlers.record_event(uow, notice, body, now)


def test_the_same_event_twice_has_one_effect(unit_of_work):
    subscribe(unit_of_work)
    payload = event()
    first = record(unit_of_work, payload)
    second = record(unit_of_work, payload)
    assert len(first.deliveries) == 1 and second is None
    with unit_of_work() as uow:
        assert uow.events.get(payload["event_id"]).deliveries == 1


def test_each_channel_starts_in_its_own_state(unit_of_work):
    subscribe(unit_of_work)
    subscribe(unit_of_work, address="digest@kreis.example", digest="daily")
    subscribe(unit_of_work, channel="inbox", address=None)
    recorded = record(unit_of_work, event())
    assert sorted((row.channel, row.status) for row in recorded.deliveries) == [
        ("email", "pending"), ("email", "waiting"), ("inbox", "sent")]
    assert recorded.to_send


def test_two_instances_never_claim_the_same_delivery(unit_of_work):
    subscribe(unit_of_work)
    for _ in range(5):
        record(unit_of_work, event())
    lease = timedelta(seconds=60)
    with unit_of_work() as uow:
        first = uow.deliveries.claim_due(NOW, "instance-a", lease, 3)
    with unit_of_work() as uow:
        second = uow.deliveries.claim_due(NOW, "instance-b", lease, 3)
    with unit_of_work() as uow:
        third = uow.deliveries.claim_due(NOW, "instance-c", lease, 3)
    assert len(first) == 3 and len(second) == 2 and third == []
    assert not set(first) & set(second)


def test_a_claim_left_by_a_crashed_instance_is_taken_over_when_its_lease_ends(unit_of_work):
    subscribe(unit_of_work)
    record(unit_of_work, event())
    lease = timedelta(seconds=60)
    with unit_of_work() as uow:
        [claimed] = uow.deliveries.claim_due(NOW, "crashed", lease, 10)
    with unit_of_work() as uow:
        assert uow.deliveries.claim_due(NOW + timedelta(seconds=59), "other", lease, 10) == []
    with unit_of_work() as uow:
        assert uow.deliveries.claim_due(NOW + timedelta(seconds=61), "other", lease, 10) == [claimed]
        row = uow.deliveries.get(claimed)
        assert (row.claimed_by, row.attempts) == ("other", 2)


def test_a_delivery_is_not_claimed_before_its_next_attempt(unit_of_work):
    subscribe(unit_of_work)
    [row] = record(unit_of_work, event()).deliveries
    with unit_of_work() as uow:
        uow.deliveries.get(row.id).next_attempt_at = NOW + timedelta(minutes=5)
    with unit_of_work() as uow:
        assert uow.deliveries.claim_due(NOW, "a", timedelta(seconds=60), 10) == []
        assert uow.deliveries.claim_due(NOW + timedelta(minutes=5), "a", timedelta(seconds=60), 10) == [row.id]


def test_a_digest_bundles_what_waited_and_is_made_once_per_day(unit_of_work):
    subscription = subscribe(unit_of_work, digest="daily")
    for minutes in (0, 30, 60):
        record(unit_of_work, event(), now=NOW + timedelta(minutes=minutes))
    slot = DigestSlot(day=NOW.date(), due_at=NOW + timedelta(minutes=45))
    with unit_of_work() as uow:
        [digest] = handlers.bundle_digests(uow, slot, NOW + timedelta(hours=1))
    with unit_of_work() as uow:
        assert handlers.bundle_digests(uow, slot, NOW + timedelta(hours=2)) == []
        items = uow.deliveries.digest_items(digest.id)
        later = uow.deliveries.find(DeliveryFilter(subscription_id=subscription.id, status=("waiting",)), 10)[0]
    assert len(items) == 2 and all(item.status == "bundled" for item, _event in items)
    assert len(later) == 1  # recorded after the slot: waits for tomorrow's digest
    next_day = DigestSlot(day=NOW.date() + timedelta(days=1), due_at=NOW + timedelta(days=1))
    with unit_of_work() as uow:
        [tomorrow] = handlers.bundle_digests(uow, next_day, NOW + timedelta(days=1))
        assert len(uow.deliveries.digest_items(tomorrow.id)) == 1


def test_the_actor_does_not_see_their_own_change_in_the_inbox_but_colleagues_do(unit_of_work):
    subscribe(unit_of_work, channel="inbox", address=None)
    record(unit_of_work, event())  # by mueller.ks
    with unit_of_work() as uow:
        _dep, own, own_unread, _ = handlers.inbox_page(uow, KS_STAFF, None, True, 50, None)
        _dep, colleague, unread, _ = handlers.inbox_page(uow, KS_COLLEAGUE, None, True, 50, None)
    assert (own, own_unread) == ([], 0)
    assert [entry.summary for entry in colleague] == ["jetzt in Umsetzung"] and unread == 1


def test_managers_entries_are_for_managers(unit_of_work):
    subscribe(unit_of_work, channel="inbox", address=None, role="manager")
    record(unit_of_work, event(from_status="in_progress", to_status="done", note="fertig"))
    with unit_of_work() as uow:
        assert handlers.inbox_page(uow, KS_COLLEAGUE, None, True, 50, None)[1] == []
        assert len(handlers.inbox_page(uow, KS_MANAGER, None, True, 50, None)[1]) == 1


def test_another_departments_inbox_is_for_admins_only(unit_of_work):
    with unit_of_work() as uow, pytest.raises(Forbidden):
        handlers.inbox_page(uow, KS_STAFF, "MOB", True, 50, None)
    with unit_of_work() as uow:
        assert handlers.inbox_page(uow, ADMIN, "MOB", True, 50, None)[0] == "MOB"


def test_marking_read_is_all_or_nothing_and_shared_by_the_department(unit_of_work):
    subscribe(unit_of_work, channel="inbox", address=None)
    record(unit_of_work, event())
    with unit_of_work() as uow:
        [entry] = handlers.inbox_page(uow, KS_COLLEAGUE, None, True, 50, None)[1]
    with unit_of_work() as uow, pytest.raises(NotFound):
        handlers.mark_read(uow, KS_COLLEAGUE, [entry.id, entry.id + 1000], NOW)
    with unit_of_work() as uow:
        assert handlers.mark_read(uow, KS_COLLEAGUE, [entry.id], NOW) == 1
    with unit_of_work() as uow:
        third = Principal("weber.ks", "KS", Role.STAFF)
        assert handlers.inbox_page(uow, third, None, True, 50, None)[1] == []
        assert len(handlers.inbox_page(uow, third, None, False, 50, None)[1]) == 1


def test_ending_a_subscription_cancels_what_it_had_not_sent(unit_of_work):
    subscription = subscribe(unit_of_work)
    [row] = record(unit_of_work, event()).deliveries
    with unit_of_work() as uow:
        handlers.unsubscribe(uow, KS_MANAGER, subscription.id, NOW)
    with unit_of_work() as uow:
        assert uow.deliveries.get(row.id).status == "cancelled"
        assert uow.subscriptions.active_for({"KS"}) == []
        ended = handlers.unsubscribe(uow, KS_MANAGER, subscription.id, NOW + timedelta(hours=1))
        assert ended.ended_at == NOW  # ending twice changes nothing


def test_only_admins_and_the_departments_managers_manage_its_subscriptions(unit_of_work):
    request = {"department": "KS", "channel": "email", "address": "ks@kreis.example", "role": "member",
               "event_types": [], "digest": "immediate", "language": None, "secret": None}
    with unit_of_work() as uow:
        with pytest.raises(Forbidden):
            handlers.subscribe(uow, KS_STAFF, request, NOW, "de")
        with pytest.raises(Forbidden):
            handlers.subscribe(uow, Principal("leitung.mob", "MOB", Role.MANAGER), request, NOW, "de")
        row, _ = handlers.subscribe(uow, KS_MANAGER, request, NOW, "de")
        with pytest.raises(ValidationError, match=f"Already subscribed as subscription {row.id}"):
            handlers.subscribe(uow, ADMIN, request, NOW, "de")


def test_a_failed_delivery_retried_by_hand_gets_its_attempts_again(unit_of_work):
    subscribe(unit_of_work)
    [row] = record(unit_of_work, event()).deliveries
    with unit_of_work() as uow, pytest.raises(ValidationError, match="this one is pending"):
        handlers.retry_delivery(uow, KS_MANAGER, row.id, NOW)
    with unit_of_work() as uow:
        failed = uow.deliveries.get(row.id)
        failed.status, failed.attempts, failed.last_error = "failed", 8, "SMTP 550"
    with unit_of_work() as uow:
        retried = handlers.retry_delivery(uow, KS_MANAGER, row.id, NOW + timedelta(hours=1))
        assert (retried.status, retried.attempts, retried.next_attempt_at) == ("pending", 0, NOW + timedelta(hours=1))
        assert retried.last_error == "SMTP 550"


def record_report(unit_of_work, payload, now=NOW):
    report, body = read_report_event(payload)
    with unit_of_work() as uow:
        return handlers.record_report(uow, report, body, now)


def test_a_report_is_delivered_once_to_each_recipient_of_its_kind_without_a_subscription(unit_of_work):
    subscribe(unit_of_work)  # subscriptions play no part in who receives a report
    payload = report_event(recipients=["gremien@kreis.example", "buero-landrat@kreis.example",
                                       "GREMIEN@kreis.example"], report={"language": "en"})
    first = record_report(unit_of_work, payload)
    second = record_report(unit_of_work, payload)

    assert second is None and first.to_send
    assert sorted(row.target for row in first.deliveries) == ["buero-landrat@kreis.example", "gremien@kreis.example"]
    for row in first.deliveries:
        assert (row.subscription_id, row.department, row.audience) == (None, None, None)
        assert (row.report_id, row.channel, row.language, row.status) == (3, "email", "en", "pending")
        assert row.reason == "recipient of report kind kreistag"
    with unit_of_work() as uow:
        stored = uow.events.get(payload["event_id"])
        assert (stored.deliveries, stored.measure_id, stored.event_type) == (2, None, "report_generated")
        rows, total, _ = uow.deliveries.find(DeliveryFilter(report_id=3), 10)
        assert total == 2 and all(row.event_id == payload["event_id"] for row in rows)


def test_a_report_of_no_kind_is_recorded_and_sent_to_nobody(unit_of_work):
    payload = report_event(recipients=[], attachments=[], report={"kind": None, "title": None})
    assert record_report(unit_of_work, payload).deliveries == []
    assert record_report(unit_of_work, payload) is None


def test_the_sender_claims_a_report_delivery_like_any_other(unit_of_work):
    [row] = record_report(unit_of_work, report_event()).deliveries
    with unit_of_work() as uow:
        assert uow.deliveries.claim_due(NOW, "sender", timedelta(seconds=60), 10) == [row.id]
    with unit_of_work() as uow:
        [(claimed, payload, secret)] = uow.deliveries.claimed([row.id], "sender")
    assert (claimed.id, claimed.report_id, secret) == (row.id, 3, None)
    assert payload["report"]["title"] == "Sachstand Programm des Landrats"


def test_a_delivery_comes_from_a_subscription_or_a_report_never_from_neither(unit_of_work):
    payload = report_event(recipients=[])
    record_report(unit_of_work, payload)
    with pytest.raises(IntegrityError), unit_of_work() as uow:
        uow.deliveries.add(event_id=payload["event_id"], channel="email", target="irgendwer@kreis.example",
                           language="de", reason="", status="pending", attempts=0, created_at=NOW)
    subscription = subscribe(unit_of_work)
    with pytest.raises(IntegrityError), unit_of_work() as uow:
        uow.deliveries.add(event_id=payload["event_id"], subscription_id=subscription.id, report_id=3,
                           department="KS", audience="member", channel="email", target="ks@kreis.example",
                           language="de", reason="", status="pending", attempts=0, created_at=NOW)


def test_a_failed_report_delivery_is_retried_by_hand_by_admins(unit_of_work):
    [row] = record_report(unit_of_work, report_event()).deliveries
    with unit_of_work() as uow:
        failed = uow.deliveries.get(row.id)
        failed.status, failed.last_error = "failed", "report 3 no longer exists in the reporting service"
    with unit_of_work() as uow, pytest.raises(Forbidden):
        handlers.retry_delivery(uow, KS_MANAGER, row.id, NOW)
    with unit_of_work() as uow:
        assert handlers.retry_delivery(uow, ADMIN, row.id, NOW).status == "pending"
