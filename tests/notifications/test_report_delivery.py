"""Reports by e-mail through real RabbitMQ and a real SMTP server: the event handler's reliability
rules hold for ``report_generated``, a report without attachments goes out as text, and a report
the reporting service no longer has fails for good and waits for an admin."""

import uuid

import pytest

from shared.errors import Forbidden

from .builders import report_event
from .conftest import received_body

pytestmark = [pytest.mark.rabbitmq]


def test_a_report_event_that_cannot_be_read_is_parked_and_the_next_one_is_sent(
        notifications_sqlite_url, start_notifications, smtp_server):
    notifications = start_notifications(notifications_sqlite_url)
    broken = report_event()
    del broken["report"]
    notifications.publish(broken, source=notifications.reporting)
    notifications.publish(report_event(attachments=[]), source=notifications.reporting)

    [mail] = smtp_server.wait_for(1)
    assert mail["Subject"] == "Sachstandsbericht „Sachstand Programm des Landrats“, Stichtag 01.11.2026"
    assert mail.get_content_type() == "multipart/alternative"  # a kind may ask for no attachments
    assert "measures report show 3" in received_body(mail, "plain")
    [parked] = notifications.dead_letters()
    assert parked.headers["x-death-reason"] == "malformed" and "report" in parked.headers["x-death-error"]
    assert len(notifications.deliveries()) == 1


def test_a_report_that_no_longer_exists_fails_at_once_and_only_an_admin_retries_it(
        notifications_postgres_url, reporting_postgres_url, start_notifications, start_reporting, smtp_server,
        client_for):
    reporting = f"reporting_t{uuid.uuid4().hex[:8]}"
    start_reporting(reporting, reporting_postgres_url)  # an empty archive: report 3 is not there
    notifications = start_notifications(notifications_postgres_url, reporting=reporting, DELIVERY_MAX_ATTEMPTS=5)
    notifications.publish(report_event(), source=reporting)

    [failed] = notifications.wait_for_deliveries(1, status="failed")
    assert failed["attempts"] == 1
    assert failed["last_error"] == "report 3 no longer exists in the reporting service"
    admin = notifications.rpc(client_for("admin", "LR"))
    page = admin.list_deliveries({"status": "failed", "report_id": 3})
    assert page["total"] == 1
    listed = page["items"][0]
    assert (listed["kind"], listed["report_id"], listed["target"]) == ("report", 3, "gremien@kreis.example")
    assert (listed["subscription_id"], listed["department"], listed["role"]) == (None, None, None)
    with pytest.raises(Forbidden):
        notifications.rpc(client_for("manager", "KS")).retry_delivery(failed["id"])

    assert admin.retry_delivery(failed["id"])["status"] == "pending"
    [again] = notifications.wait_for_deliveries(1, status="failed")
    assert again["attempts"] == 1 and smtp_server.messages() == []
