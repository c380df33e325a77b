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
