"""The service through real RabbitMQ: digests on a fixed clock, signed webhooks, the dead-letter
queue, the inbox and the RPC contract."""

import json
from datetime import datetime, timedelta, timezone

import pytest

from services.common.clock import FixedClock
from services.notifications.channels import verify_signature
from shared.errors import Forbidden, NotFound, Unauthenticated, ValidationError
from shared.events import MEASURE_CREATED

from .builders import event
from .conftest import received_body, registry_of, wait_until, webhook_json

pytestmark = [pytest.mark.rabbitmq]

# 06:30 in Berlin (CET): before the digest hour of 07:00.
MORNING = datetime(2026, 3, 3, 5, 30, tzinfo=timezone.utc)


def test_a_daily_digest_bundles_everything_since_the_last_one_into_one_message(
        notifications_postgres_url, start_notifications, smtp_server, client_for):
    clock = FixedClock(MORNING - timedelta(hours=12))
    notifications = start_notifications(notifications_postgres_url, clock=clock)
    admin = notifications.rpc(client_for("admin", "LR"))
    admin.subscribe({"department": "KS", "address": "klimaschutz@kreis.example", "digest": "daily"})
    for title in ("Radwegenetz ausbauen", "Abfall-App einführen", "Schulhof entsiegeln"):
        notifications.publish(event(measure={"title": title}))
    notifications.wait_for_deliveries(3, status="waiting")
    assert smtp_server.quiet_for(0.6) == []  # nothing goes out before the digest hour

    clock.instant = MORNING + timedelta(hours=1)  # 07:30: today's digest is due
    [digest_mail] = smtp_server.wait_for(1)
    assert digest_mail["Subject"] == "Tagesübersicht vom 03.03.2026: 3 Meldungen zu Maßnahmen"
    text = received_body(digest_mail, "plain")
    assert all(title in text for title in ("Radwegenetz ausbauen", "Abfall-App einführen", "Schulhof entsiegeln"))

    notifications.publish(event(measure={"title": "Nach dem Versand"}))
    notifications.wait_for_deliveries(1, status="waiting")
    assert len(smtp_server.quiet_for(0.6)) == 1  # waits for tomorrow

    clock.instant = MORNING + timedelta(days=1, hours=1)
    mails = smtp_server.wait_for(2)
    assert mails[1]["Subject"] == "Tagesübersicht vom 04.03.2026: 1 Meldung zu Maßnahmen"
    assert "Nach dem Versand" in received_body(mails[1], "plain")
    assert len(notifications.deliveries(status="bundled")) == 4


def test_a_webhook_is_posted_as_json_with_a_signature_the_receiver_verifies(
        notifications_sqlite_url, start_notifications, webhook_receiver, client_for):
    notifications = start_notifications(notifications_sqlite_url)
    manager = notifications.rpc(client_for("manager", "KS"))
    subscription = manager.subscribe({"department": "KS", "channel": "webhook", "address": webhook_receiver.url})
    secret = subscription["secret"]
    assert len(secret) >= 32
    assert "secret" not in manager.list_subscriptions("KS")[0]  # shown once only
    payload = event()
    notifications.publish(payload)

    wait_until(lambda: webhook_receiver.requests, message="the webhook call")
    [request] = webhook_receiver.requests
    assert verify_signature(secret, request["body"], request["headers"]["X-Kreis-Signature"])
    assert not verify_signature("a-secret-somebody-guessed", request["body"], request["headers"]["X-Kreis-Signature"])
    document = webhook_json(request)
    assert document["event_id"] == payload["event_id"]
    assert document["subject"] == "Maßnahme M-0042 „Radwegenetz ausbauen“: jetzt in Umsetzung"
    assert document["measure"]["title"] == "Radwegenetz ausbauen"
    assert request["headers"]["X-Kreis-Delivery"] == str(document["delivery_id"])
    notifications.wait_for_deliveries(1, status="sent")


def test_a_webhook_answering_404_fails_at_once(notifications_sqlite_url, start_notifications, webhook_receiver,
                                               client_for):
    webhook_receiver.status = "404 Not Found"
    notifications = start_notifications(notifications_sqlite_url)
    notifications.rpc(client_for("admin", "LR")).subscribe(
        {"department": "KS", "channel": "webhook", "address": webhook_receiver.url, "secret": "s" * 32})
    notifications.publish(event())
    [failed] = notifications.wait_for_deliveries(1, status="failed")
    assert failed["attempts"] == 1 and "HTTP 404" in failed["last_error"]


def test_a_malformed_event_is_dead_lettered_and_later_events_are_still_processed(
        notifications_postgres_url, start_notifications, smtp_server, client_for):
    notifications = start_notifications(notifications_postgres_url)
    notifications.rpc(client_for("admin", "LR")).subscribe({"department": "KS", "address": "ks@kreis.example"})
    broken = event()
    del broken["measure"]["title"]
    broken["occurred_at"] = "yesterday"
    notifications.publish(broken)
    notifications.publish({"not": "an event"}, routing_key="measure_created")
    notifications.publish(event())

    smtp_server.wait_for(1)
    parked = wait_until(lambda: (found := notifications.dead_letters()) and len(found) == 2 and found,
                        message="two dead letters")
    first = json.loads(parked[0].body)
    assert first == broken or json.loads(parked[1].body) == broken
    headers = [message.headers for message in parked]
    assert {h["x-death-reason"] for h in headers} == {"malformed"}
    assert any("occurred_at" in h["x-death-error"] for h in headers)
    assert {h["x-death-routing-key"] for h in headers} == {"measure_status_changed", "measure_created"}
    assert len(notifications.deliveries()) == 1
    assert registry_value(notifications, "notification_dead_letters_total", reason="malformed") == 2


def test_the_inbox_shows_the_departments_notifications_but_not_the_callers_own(
        notifications_sqlite_url, start_notifications, client_for):
    notifications = start_notifications(notifications_sqlite_url)
    notifications.rpc(client_for("admin", "LR")).subscribe({"department": "KS", "channel": "inbox"})
    notifications.publish(event(actor={"user": "mueller.ks", "department": "KS", "role": "staff"}))
    notifications.publish(event(MEASURE_CREATED, actor={"user": "schmidt.ks", "department": "KS", "role": "staff"},
                                measure={"id": "M-0043", "title": "Abfall-App einführen"}))
    notifications.wait_for_deliveries(2)

    mueller = notifications.rpc(client_for("staff", "KS", user="mueller.ks"))
    inbox = mueller.inbox()
    assert [item["measure_id"] for item in inbox["items"]] == ["M-0043"]  # not their own change
    assert inbox["unread"] == 1 and inbox["department"] == "KS"
    assert inbox["items"][0]["summary"] == "neu angelegt"

    weber = notifications.rpc(client_for("staff", "KS", user="weber.ks"))
    assert len(weber.inbox(limit=1)["items"]) == 1 and weber.inbox(limit=1)["next_cursor"]
    ids = [item["id"] for item in weber.inbox()["items"]]
    assert weber.mark_read(ids) == {"marked": 2}
    assert weber.inbox()["items"] == [] and len(weber.inbox(unread_only=False)["items"]) == 2
    with pytest.raises(NotFound):
        weber.mark_read([ids[0] + 1000])
    with pytest.raises(Forbidden):
        weber.inbox(department="MOB")


def test_the_rpc_contract_checks_tokens_roles_and_input(notifications_sqlite_url, start_notifications, client_for):
    notifications = start_notifications(notifications_sqlite_url)
    with pytest.raises(Unauthenticated):
        notifications.rpc(client_for(token="not-a-token")).list_subscriptions()
    staff = notifications.rpc(client_for("staff", "KS"))
    with pytest.raises(Forbidden):
        staff.subscribe({"department": "KS", "address": "ks@kreis.example"})
    manager = notifications.rpc(client_for("manager", "KS"))
    with pytest.raises(Forbidden):
        manager.subscribe({"department": "MOB", "address": "mob@kreis.example"})
    with pytest.raises(ValidationError) as invalid:
        manager.subscribe({"department": "KS", "address": "kein-mail", "event_types": ["measure_exploded"],
                           "digest": "hourly"})
    assert set(invalid.value.errors) == {"event_types.0", "digest"}
    with pytest.raises(ValidationError, match="address: Not a valid e-mail address"):
        manager.subscribe({"department": "KS", "address": "kein-mail"})
    with pytest.raises(ValidationError, match="address: An inbox belongs to the department"):
        manager.subscribe({"department": "KS", "channel": "inbox", "address": "ks@kreis.example"})

    created = manager.subscribe({"department": "KS", "address": "ks@kreis.example", "role": "manager",
                                 "event_types": ["measure_escalated"]})
    assert created["role"] == "manager" and created["event_types"] == ["measure_escalated"]
    assert created["language"] == "de" and created["created_by"] == "manager.ks"
    assert [s["id"] for s in staff.list_subscriptions()] == [created["id"]]
    with pytest.raises(Forbidden):
        staff.unsubscribe(created["id"])
    assert manager.unsubscribe(created["id"])["active"] is False
    assert staff.list_subscriptions() == []
    assert len(staff.list_subscriptions(include_ended=True)) == 1
    with pytest.raises(NotFound):
        manager.unsubscribe(999)
    with pytest.raises(ValidationError):
        staff.list_deliveries({"status": "lost"})
    with pytest.raises(ValidationError):
        staff.inbox(cursor="nonsense")


def registry_value(notifications, name, **labels):
    return registry_of(notifications).get_sample_value(name, labels)
