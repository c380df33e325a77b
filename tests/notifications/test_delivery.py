"""The service through real RabbitMQ and a real SMTP server: e-mail, redelivery, retries, failures,
a crash between receiving and acknowledging, and the metrics it keeps."""

import eventlet
import pytest
from sqlalchemy.exc import OperationalError

from services.notifications import handlers
from shared.errors import Forbidden, ValidationError

from .builders import event
from .conftest import received_body, registry_of, wait_until

pytestmark = [pytest.mark.rabbitmq]


def subscribe_ks_mailbox(notifications, client_for, **data):
    admin = notifications.rpc(client_for("admin", "LR"))
    request = {"department": "KS", "address": "klimaschutz@kreis.example", "role": "member", **data}
    return admin.subscribe(request)


def test_a_status_change_arrives_as_a_german_multipart_e_mail(notifications_db_url, start_notifications,
                                                              smtp_server, client_for):
    notifications = start_notifications(notifications_db_url)
    subscribe_ks_mailbox(notifications, client_for)
    payload = event(measure={"title": "Radwegenetz <b>ausbauen</b>"})
    notifications.publish(payload)

    [mail] = smtp_server.wait_for(1)
    assert mail["Subject"] == "Maßnahme M-0042 „Radwegenetz <b>ausbauen</b>“: jetzt in Umsetzung"
    assert mail["To"] == "klimaschutz@kreis.example"
    assert mail["X-Kreis-Event-Id"] == payload["event_id"]
    [delivery] = notifications.wait_for_deliveries(1, status="sent")
    assert mail["Message-ID"] == f"<notification-{delivery['id']}@kreis.example>"
    assert "&lt;b&gt;ausbauen&lt;/b&gt;" in received_body(mail, "html")
    assert "Radwegenetz <b>ausbauen</b>" in received_body(mail, "plain")
    assert (delivery["attempts"], delivery["last_error"]) == (1, None)


def test_an_english_subscription_gets_english_mail(notifications_postgres_url, start_notifications, smtp_server,
                                                   client_for):
    notifications = start_notifications(notifications_postgres_url)
    subscribe_ks_mailbox(notifications, client_for, language="en")
    notifications.publish(event())
    [mail] = smtp_server.wait_for(1)
    assert mail["Subject"] == "Measure M-0042 “Radwegenetz ausbauen”: now in progress"
    assert "Department" in received_body(mail, "plain")


def test_the_same_event_delivered_twice_sends_one_e_mail(notifications_postgres_url, start_notifications,
                                                         smtp_server, client_for):
    notifications = start_notifications(notifications_postgres_url)
    subscribe_ks_mailbox(notifications, client_for)
    payload = event()
    notifications.publish(payload)
    notifications.publish(payload)  # what RabbitMQ does after a lost ack
    smtp_server.wait_for(1)
    assert len(smtp_server.quiet_for(1.0)) == 1
    assert len(notifications.deliveries()) == 1
    metrics = registry_of(notifications)
    assert metrics.get_sample_value("notification_events_total",
                                    {"event_type": "measure_status_changed", "outcome": "duplicate"}) == 1


def test_smtp_down_then_up_is_retried_then_delivered(notifications_postgres_url, start_notifications, smtp_server,
                                                     client_for):
    notifications = start_notifications(notifications_postgres_url, DELIVERY_MAX_ATTEMPTS=20)
    subscribe_ks_mailbox(notifications, client_for)
    smtp_server.stop()
    notifications.publish(event())

    wait_until(lambda: (rows := notifications.deliveries()) and rows[0]["attempts"] >= 2, message="two attempts")
    [delivery] = notifications.deliveries()
    assert delivery["status"] == "pending" and "ConnectionRefusedError" in delivery["last_error"]
    smtp_server.start()
    smtp_server.wait_for(1)
    [delivery] = notifications.wait_for_deliveries(1, status="sent")
    assert delivery["attempts"] >= 2 and delivery["last_error"] is None
    assert registry_of(notifications).get_sample_value(
        "notifications_total", {"event_type": "measure_status_changed", "channel": "email", "outcome": "retry"}) >= 1


def test_smtp_down_for_good_fails_visibly_and_a_retry_by_hand_delivers(notifications_postgres_url,
                                                                       start_notifications, smtp_server,
                                                                       client_for):
    notifications = start_notifications(notifications_postgres_url, DELIVERY_MAX_ATTEMPTS=3)
    subscribe_ks_mailbox(notifications, client_for)
    smtp_server.stop()
    notifications.publish(event())

    [failed] = notifications.wait_for_deliveries(1, status="failed")
    assert failed["attempts"] == 3
    staff = notifications.rpc(client_for("staff", "KS"))
    page = staff.list_deliveries({"status": "failed"})
    assert [item["id"] for item in page["items"]] == [failed["id"]] and page["total"] == 1
    assert "ConnectionRefusedError" in page["items"][0]["last_error"]
    with pytest.raises(Forbidden):
        staff.retry_delivery(failed["id"])

    smtp_server.start()
    manager = notifications.rpc(client_for("manager", "KS"))
    assert manager.retry_delivery(failed["id"])["status"] == "pending"
    smtp_server.wait_for(1)
    notifications.wait_for_deliveries(1, status="sent")
    with pytest.raises(ValidationError):
        manager.retry_delivery(failed["id"])  # sent: nothing to retry


def test_a_mailbox_refused_for_good_fails_at_once(notifications_postgres_url, start_notifications, smtp_server,
                                                  client_for):
    smtp_server.stop()
    smtp_server.start(refuse=550)
    notifications = start_notifications(notifications_postgres_url, DELIVERY_MAX_ATTEMPTS=5)
    subscribe_ks_mailbox(notifications, client_for)
    notifications.publish(event())
    [failed] = notifications.wait_for_deliveries(1, status="failed")
    assert failed["attempts"] == 1 and failed["last_error"].startswith("SMTP 550")


def test_smtp_login_from_the_configuration(notifications_sqlite_url, start_notifications, smtp_server, client_for):
    smtp_server.stop()
    smtp_server.start(auth="kreis:geheim")
    notifications = start_notifications(notifications_sqlite_url, SMTP_USER="kreis", SMTP_PASSWORD="geheim")
    subscribe_ks_mailbox(notifications, client_for)
    notifications.publish(event())
    smtp_server.wait_for(1)


def test_a_service_killed_between_receiving_and_acknowledging_sends_one_e_mail(
        notifications_postgres_url, start_notifications, smtp_server, client_for, monkeypatch):
    """The first instance records the event and its delivery, then dies before acknowledging; the
    broker hands the event to the restarted instance, which recognises it: one e-mail, not two."""
    committed = eventlet.event.Event()
    never = eventlet.event.Event()
    real_record = handlers.record_event

    def record_then_hang(uow, notice, payload, now):
        recorded = real_record(uow, notice, payload, now)
        uow.session.commit()  # the transaction is durable; the ack has not been sent
        committed.send()
        never.wait()
        return recorded

    first = start_notifications(notifications_postgres_url, DELIVERY_POLL_SECONDS=60)
    subscribe_ks_mailbox(first, client_for)
    monkeypatch.setattr(handlers, "record_event", record_then_hang)
    payload = event()
    first.publish(payload)
    committed.wait()
    first.container.kill()  # no ack: the broker requeues the event when the connection drops
    monkeypatch.setattr(handlers, "record_event", real_record)

    second = start_notifications(notifications_postgres_url, source=first.source, name=first.name)
    smtp_server.wait_for(1)
    wait_until(lambda: registry_of(second).get_sample_value(
        "notification_events_total", {"event_type": "measure_status_changed", "outcome": "duplicate"}),
        message="the redelivered event")
    assert len(smtp_server.quiet_for(1.0)) == 1
    assert len(second.deliveries()) == 1


def test_a_passing_database_failure_puts_the_event_back_in_its_queue(
        notifications_sqlite_url, start_notifications, smtp_server, client_for, monkeypatch):
    notifications = start_notifications(notifications_sqlite_url)
    subscribe_ks_mailbox(notifications, client_for)
    real_record = handlers.record_event
    failures = []

    def database_down_once(uow, notice, payload, now):
        if not failures:
            failures.append(notice.event_id)
            raise OperationalError("INSERT ...", {}, Exception("could not connect to server"))
        return real_record(uow, notice, payload, now)

    monkeypatch.setattr(handlers, "record_event", database_down_once)
    notifications.publish(event())
    smtp_server.wait_for(1)
    assert len(failures) == 1 and notifications.dead_letters() == []
