"""`measures notify ...` and `measures inbox`: arguments become the right RPC calls, answers read
well in German and English, service errors become exit codes. The service is a fake here; the
RPC side is tested against the real service in the other modules."""

import json

import pytest
from click.testing import CliRunner

from cli.context import EXIT_DENIED, EXIT_VALIDATION, CliContext
from cli.main import main
from shared.errors import Forbidden, ValidationError

SUBSCRIPTION = {"id": 3, "department": "KS", "role": "member", "channel": "email",
                "address": "klimaschutz@kreis.example", "event_types": [], "digest": "immediate", "language": "de",
                "active": True, "created_at": "2026-03-02T10:00:00+00:00", "created_by": "admin", "ended_at": None}
FAILED = {"id": 17, "kind": "event", "event_id": "e1", "event_type": "measure_status_changed", "measure_id": "M-0042",
          "digest_day": None, "digest_id": None, "subscription_id": 3, "department": "KS", "role": "member",
          "channel": "email", "target": "klimaschutz@kreis.example", "reason": "", "status": "failed",
          "attempts": 8, "next_attempt_at": None, "last_error": "SMTP 550: mailbox unknown",
          "occurred_at": "2026-03-02T10:00:00+00:00", "created_at": "2026-03-02T10:00:00+00:00", "sent_at": None}
ENTRY = {"id": 5, "department": "KS", "role": "member", "event_id": "e1", "event_type": "measure_status_changed",
         "measure_id": "M-0042", "measure_title": "Radwegenetz ausbauen", "summary": "jetzt in Umsetzung",
         "actor": {"user": "schmidt.ks", "department": "KS"}, "occurred_at": "2026-03-02T10:15:00+00:00",
         "read": False, "read_at": None}


class FakeNotifications:
    def __init__(self):
        self.calls = []
        self.error = None

    def __getattr__(self, method):
        def call(*args):
            self.calls.append((method, args))
            if self.error:
                raise self.error
            return ANSWERS[method](*args)

        return call


ANSWERS = {
    "subscribe": lambda request: {**SUBSCRIPTION, **{k: v for k, v in request.items() if k != "role"},
                                  "role": request["role"],
                                  **({"secret": "s3cr3t-s3cr3t-s3cr3t"} if request["channel"] == "webhook" else {})},
    "list_subscriptions": lambda department, include_ended: [SUBSCRIPTION],
    "unsubscribe": lambda subscription_id: {**SUBSCRIPTION, "active": False},
    "list_deliveries": lambda filters, limit: {"items": [FAILED], "total": 1, "next_cursor": None},
    "retry_delivery": lambda delivery_id: {**FAILED, "status": "pending", "attempts": 0},
    "inbox": lambda department, unread_only, limit, cursor: {"department": "KS", "items": [ENTRY], "unread": 1,
                                                              "next_cursor": None},
    "mark_read": lambda ids: {"marked": len(ids)},
}


@pytest.fixture
def service(monkeypatch):
    fake = FakeNotifications()

    class FakeClient:
        notifications = fake

        def __enter__(self):
            return self

        def __exit__(self, *exc_info):
            return False

    monkeypatch.setattr(CliContext, "client", lambda self: FakeClient())
    return fake


def run(*args):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_subscribe_a_functional_mailbox(service):
    result = run("notify", "subscribe", "--department", "KS", "--email", "klimaschutz@kreis.example",
                 "--role", "member", "--event", "measure_status_changed", "--digest", "daily")
    assert result.exit_code == 0, result.output
    [(method, (request,))] = service.calls
    assert method == "subscribe"
    assert request == {"department": "KS", "channel": "email", "address": "klimaschutz@kreis.example",
                       "role": "member", "event_types": ["measure_status_changed"], "digest": "daily",
                       "language": None, "secret": None}
    assert "Abonnement 3 angelegt: KS (Mitglieder) per email an klimaschutz@kreis.example." in result.output


def test_subscribing_a_webhook_shows_its_secret_once(service):
    result = run("--lang", "en", "notify", "subscribe", "--department", "KS", "--url", "https://chat.kreis.example/h")
    assert service.calls[0][1][0]["channel"] == "webhook"
    assert "shown only now: s3cr3t-s3cr3t-s3cr3t" in result.output


def test_an_inbox_takes_no_address(service):
    result = run("notify", "subscribe", "--department", "KS", "--channel", "inbox", "--email", "ks@kreis.example")
    assert result.exit_code == 2 and service.calls == []
    assert run("notify", "subscribe", "--department", "KS", "--channel", "inbox").exit_code == 0
    assert service.calls[0][1][0]["address"] is None


def test_list_unsubscribe_failures_and_retry(service):
    listed = run("notify", "list")
    assert "klimaschutz@kreis.example" in listed.output and "sofort" in listed.output
    assert "Abonnement 3 beendet." in run("notify", "unsubscribe", "3").output
    failures = run("notify", "failures", "--department", "KS")
    assert "SMTP 550" in failures.output and "measures notify retry ID" in failures.output
    assert ("list_deliveries", ({"status": "failed", "department": "KS"}, 50)) in service.calls
    assert "Zustellung 17 wird erneut gesendet." in run("notify", "retry", "17").output


def test_the_inbox_lists_and_marks_read(service):
    result = run("inbox", "--mark-read")
    assert "Radwegenetz ausbauen" in result.output and "jetzt in Umsetzung" in result.output
    assert "1 als gelesen markiert." in result.output and "0 ungelesen in KS." in result.output
    assert ("mark_read", ([5],)) in service.calls


def test_json_output_for_scripts(service):
    result = run("--json", "inbox")
    assert json.loads(result.output)["items"][0]["measure_id"] == "M-0042"


def test_service_errors_become_exit_codes_in_german(service):
    service.error = Forbidden("staff may not manage the notifications of department KS")
    denied = CliRunner().invoke(main, ["notify", "unsubscribe", "3"])
    assert denied.exit_code == EXIT_DENIED and "Keine Berechtigung" in denied.output
    service.error = ValidationError({"address": ["Already subscribed as subscription 3."]})
    invalid = CliRunner().invoke(main, ["notify", "subscribe", "--department", "KS", "--email", "ks@kreis.example"])
    assert invalid.exit_code == EXIT_VALIDATION and "Schon abonniert (Abonnement 3)." in invalid.output
