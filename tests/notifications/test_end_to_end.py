"""End to end: the measures service changes a status, its outbox relay publishes the event, the
notifications service records it and the e-mail arrives at the SMTP server."""

import uuid

import pytest

from services.measures.service import MeasuresService
from tests.conftest import TOKEN_SECRET

from .conftest import received_body

pytestmark = [pytest.mark.rabbitmq, pytest.mark.postgres]


def test_a_status_change_in_the_measures_service_arrives_as_e_mail(
        notifications_postgres_url, postgres_url, start_notifications, amqp_uri, run_container, smtp_server,
        client_for):
    source = f"measures_t{uuid.uuid4().hex[:8]}"
    notifications = start_notifications(notifications_postgres_url, source=source)
    measures_cls = type("IsolatedMeasures", (MeasuresService,), {"name": source})
    run_container(measures_cls, {
        "AMQP_URI": amqp_uri, "DATABASE_URL": postgres_url, "TOKEN_SECRET": TOKEN_SECRET, "METRICS_PORT": 0,
        "OUTBOX_POLL_SECONDS": 0.2, "serializer": "json", "max_workers": 10,
    })
    admin_client = client_for("admin", "LR")
    measures = getattr(admin_client, source)
    measures.create_department({"code": "KS", "name": "Klimaschutzmanagement"})
    notifications.rpc(admin_client).subscribe(
        {"department": "KS", "address": "klimaschutz@kreis.example", "role": "manager"})
    staff = getattr(client_for("staff", "KS", user="mueller.ks"), source)
    measure = staff.create_measure({"title": "Radwegenetz ausbauen", "department": "KS"})
    measure = staff.change_status(measure["id"], "cancelled", measure["version"], "Keine Fördermittel")

    [mail] = smtp_server.wait_for(1, timeout=15)
    assert mail["Subject"] == f"Maßnahme {measure['id']} „Radwegenetz ausbauen“: jetzt verworfen"
    assert mail["To"] == "klimaschutz@kreis.example"
    assert "Vermerk: Keine Fördermittel" in received_body(mail, "plain")
    assert "mueller.ks (KS)" in received_body(mail, "plain")
    # the manager subscription hears of the closing only, not of the creation
    assert len(smtp_server.quiet_for(0.5)) == 1


def test_an_overdue_measure_escalates_by_e_mail_up_the_chain_of_command(
        notifications_postgres_url, postgres_url, start_notifications, amqp_uri, run_container, smtp_server,
        client_for):
    from datetime import datetime, timedelta, timezone

    from services.common.clock import FixedClock

    source = f"measures_t{uuid.uuid4().hex[:8]}"
    notifications = start_notifications(notifications_postgres_url, source=source)
    clock = FixedClock(datetime(2026, 11, 22, 8, 0, tzinfo=timezone.utc))
    measures_cls = type("IsolatedMeasures", (MeasuresService,), {"name": source})
    run_container(measures_cls, {
        "AMQP_URI": amqp_uri, "DATABASE_URL": postgres_url, "TOKEN_SECRET": TOKEN_SECRET, "METRICS_PORT": 0,
        "OUTBOX_POLL_SECONDS": 0.2, "serializer": "json", "max_workers": 10, "DEADLINE_CHECK_SECONDS": 3600,
    }, clock=clock)
    admin_client = client_for("admin", "LR")
    measures = getattr(admin_client, source)
    for code, name, parent in (("LR", "Landrat", None), ("D2", "Bauen und Umwelt", "LR"),
                               ("KS", "Klimaschutzmanagement", "D2")):
        measures.create_department({"code": code, "name": name, "parent": parent})
    subscribe = notifications.rpc(admin_client).subscribe
    subscribe({"department": "KS", "address": "leitung-ks@kreis.example", "role": "manager"})
    subscribe({"department": "D2", "address": "geschaeftsbereich2@kreis.example", "role": "manager"})
    measure = measures.create_measure({"title": "Radwegenetz ausbauen", "department": "KS",
                                       "due_date": "2026-11-02"})  # 20 days overdue

    measures.check_deadlines()
    [first] = smtp_server.wait_for(1, timeout=15)
    clock.advance(timedelta(days=14))
    measures.check_deadlines()
    mails = smtp_server.wait_for(3, timeout=15)

    assert first["To"] == "leitung-ks@kreis.example"
    assert first["Subject"] == (f"Maßnahme {measure['id']} „Radwegenetz ausbauen“: eskaliert (Stufe 1): "
                                "überfällig seit 02.11.2026 (20 Tage)")
    level_two = sorted(mail["To"] for mail in mails[1:])
    assert level_two == ["geschaeftsbereich2@kreis.example", "leitung-ks@kreis.example"]
    assert all("eskaliert (Stufe 2)" in mail["Subject"] for mail in mails[1:])
    assert len(smtp_server.quiet_for(0.5)) == 3  # the weekly overdue notices go to members: none here
