"""End to end, every service real and under names of its own: the reporting service takes a report
of a kind with recipients from the measures service's data, its ``report_generated`` travels through
the outbox and RabbitMQ, the notifications service fetches the formats the kind asks for from the
reporting service, and the e-mails arrive at the SMTP server with the report attached."""

import csv
import io
import uuid

import pytest
from pypdf import PdfReader

from services.measures.service import MeasuresService
from shared.events import REPORT_GENERATED
from tests.conftest import TOKEN_SECRET

from .conftest import received_body, registry_of, wait_until

pytestmark = [pytest.mark.rabbitmq, pytest.mark.postgres]

KREISTAG = {"title": "Sachstand Kreistag", "departments": ["KS"],
            "recipients": ["gremien@kreis.example", "buero-landrat@kreis.example"], "attachments": ["pdf", "csv"]}
MEASURES = ("Radwegenetz ausbauen", "Lastenräder für die Kreisverwaltung")


@pytest.fixture
def measures(postgres_url, amqp_uri, broker_cleanup, run_container, client_for):
    """The measures service under a name of its own, with department KS and two of its measures."""
    name = f"measures_t{uuid.uuid4().hex[:8]}"
    queues, exchanges = broker_cleanup
    queues.append(f"rpc-{name}")
    exchanges.append(f"{name}.events")
    run_container(type("IsolatedMeasures", (MeasuresService,), {"name": name}), {
        "AMQP_URI": amqp_uri, "DATABASE_URL": postgres_url, "TOKEN_SECRET": TOKEN_SECRET, "METRICS_PORT": 0,
        "OUTBOX_POLL_SECONDS": 0.2, "serializer": "json", "max_workers": 10,
    })
    service = getattr(client_for("admin", "LR"), name)
    service.create_department({"code": "KS", "name": "Klimaschutzmanagement"})
    for title in MEASURES:
        service.create_measure({"title": title, "department": "KS"})
    return name


def attached(mail):
    return {part.get_filename(): part.get_content() for part in mail.iter_attachments()}


def pdf_text(data):
    return " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages).split())


def test_a_report_of_a_kind_arrives_once_by_e_mail_with_its_pdf_and_csv_attached(
        notifications_postgres_url, reporting_postgres_url, measures, start_notifications, start_reporting,
        smtp_server, client_for, event_listener):
    reporting = f"reporting_t{uuid.uuid4().hex[:8]}"
    notifications = start_notifications(notifications_postgres_url, reporting=reporting)
    events = event_listener(reporting, (REPORT_GENERATED,))
    start_reporting(reporting, reporting_postgres_url, measures=measures, kinds={"kreistag": KREISTAG})

    report = getattr(client_for("admin", "LR"), reporting).generate_report("kreistag", as_of="2026-11-01")

    mails = smtp_server.wait_for(2, timeout=20)
    assert sorted(mail["To"] for mail in mails) == ["buero-landrat@kreis.example", "gremien@kreis.example"]
    stem = f"report-{report['id']}-kreistag-2026-11-01"
    for mail in mails:
        assert mail["Subject"] == "Sachstandsbericht „Sachstand Kreistag“, Stichtag 01.11.2026"
        assert mail["X-Kreis-Report"] == str(report["id"])
        assert f"measures report show {report['id']}" in received_body(mail, "plain")
        files = attached(mail)
        assert sorted(files) == [f"{stem}.csv", f"{stem}.pdf"]
        text = pdf_text(files[f"{stem}.pdf"])
        assert text.startswith("Sachstand Kreistag") and "Stichtag 01.11.2026" in text
        rows = list(csv.DictReader(io.StringIO(files[f"{stem}.csv"]), delimiter=";"))
        assert sorted(row["Titel"] for row in rows) == sorted(MEASURES)

    # The relay publishes an event again when the broker's confirm was lost: still one e-mail each.
    [(_type, payload, _headers)] = events.wait_for(1)
    notifications.publish(payload, source=reporting)
    wait_until(lambda: registry_of(notifications).get_sample_value(
        "notification_events_total", {"event_type": REPORT_GENERATED, "outcome": "duplicate"}),
        message="the event a second time")
    assert len(smtp_server.quiet_for(1.0)) == 2
    assert [row["status"] for row in notifications.deliveries()] == ["sent", "sent"]


def test_a_report_sent_while_the_reporting_service_is_down_is_retried_then_delivered(
        notifications_postgres_url, reporting_postgres_url, measures, start_notifications, start_reporting,
        smtp_server, client_for, event_listener):
    reporting = f"reporting_t{uuid.uuid4().hex[:8]}"
    kinds = {"kreistag": {**KREISTAG, "recipients": ["gremien@kreis.example"], "attachments": ["pdf"]}}
    settings = {"reporting": reporting, "REPORT_FETCH_TIMEOUT_SECONDS": 0.5, "DELIVERY_MAX_ATTEMPTS": 20}
    first = start_notifications(notifications_postgres_url, **settings)
    first.container.kill()  # down for now; its queue keeps the report's event until it is back
    events = event_listener(reporting, (REPORT_GENERATED,))
    archive = start_reporting(reporting, reporting_postgres_url, measures=measures, kinds=kinds)
    report = getattr(client_for("admin", "LR"), reporting).generate_report("kreistag", as_of="2026-11-01")
    events.wait_for(1)  # published: in the notifications queue as well
    archive.kill()  # the reporting service goes down; its request queue stays

    notifications = start_notifications(notifications_postgres_url, source=first.source, name=first.name,
                                        **settings)
    wait_until(lambda: (rows := notifications.deliveries()) and rows[0]["attempts"] >= 2, timeout=15,
               message="two attempts")
    [delivery] = notifications.deliveries()
    assert delivery["status"] == "pending" and "RpcTimeout" in delivery["last_error"]
    assert smtp_server.messages() == []

    start_reporting(reporting, reporting_postgres_url, measures=measures, kinds=kinds)
    [mail] = smtp_server.wait_for(1, timeout=20)
    assert list(attached(mail)) == [f"report-{report['id']}-kreistag-2026-11-01.pdf"]
    [delivery] = notifications.wait_for_deliveries(1, status="sent")
    assert delivery["attempts"] >= 2 and delivery["last_error"] is None
