"""Reports by e-mail, without broker or database: who receives a report, how its e-mail reads in
German and English, how attachments are built, how the archive's answers count as failures, and
who may retry a report's delivery."""

import base64
import email
import email.policy
from types import SimpleNamespace

import pytest
from nameko.exceptions import RemoteError, RpcTimeout, UnknownService

from services.notifications.channels import Attachment, PermanentFailure, TemporaryFailure, build_message
from services.notifications.domain import ensure_may_retry, report_recipients
from services.notifications.rendering import render_report, report_view
from services.notifications.report_archive import ReportArchive, ReportFetcher
from services.notifications.schemas import MalformedEvent, read_report_event
from shared.auth import Principal
from shared.config import ConfigError
from shared.errors import Forbidden, NotFound, ValidationError
from shared.events import ReportGeneratedSchema
from shared.vocabulary import Role

from .builders import report_event

PDF = Attachment("report-3-kreistag-2026-11-01.pdf", "application/pdf", b"%PDF-1.4 Sachstand")
CSV = Attachment("report-3-kreistag-2026-11-01.csv", "text/csv; charset=utf-8", b"Nr.;Titel\nM-0087;Ausbau\n")


def rendered(language="de", attachments=(PDF,), **overrides):
    notice, _payload = read_report_event(report_event(**overrides))
    return render_report(report_view(notice, attachments, language, "Europe/Berlin"), language)


def test_the_builder_keeps_to_the_shared_contract():
    ReportGeneratedSchema().load(report_event())


def test_each_mailbox_of_the_report_kind_receives_the_report_once():
    notice, _ = read_report_event(report_event(
        recipients=["gremien@kreis.example", "buero-landrat@kreis.example", "Gremien@Kreis.example"]))
    assert report_recipients(notice) == ["gremien@kreis.example", "buero-landrat@kreis.example"]


def test_a_report_event_with_fields_added_by_a_newer_producer_is_read():
    payload = report_event(channel="email", report={"pages": 12})
    payload["report"]["summary"]["escalated"] = 1
    notice, _ = read_report_event(payload)
    assert notice.report_id == 3 and notice.summary["overdue"] == 1


def test_a_report_event_without_its_report_is_malformed():
    payload = report_event()
    del payload["report"]
    with pytest.raises(MalformedEvent, match="report"):
        read_report_event(payload)
    with pytest.raises(MalformedEvent):
        read_report_event(report_event(attachments=["docx"]))


def test_the_german_report_mail_names_the_report_its_figures_and_how_to_open_it():
    message = rendered("de", attachments=(PDF, CSV))
    assert message.subject == "Sachstandsbericht „Sachstand Programm des Landrats“, Stichtag 01.11.2026"
    for text in (message.text, message.html):
        assert "01.11.2026" in text and "01.11.2026 07:00" in text  # data taken, in county time
        assert "measures report show 3" in text
        assert "report-3-kreistag-2026-11-01.pdf, report-3-kreistag-2026-11-01.csv" in text
        assert "kreistag" in text
    assert "überfällig:                           1" in message.text
    assert "Änderungen seit dem letzten Bericht:  2" in message.text


def test_the_english_report_mail_reads_english():
    message = rendered("en", report={"summary": {"measures": 13, "open": 9, "overdue": 0, "funded": 1,
                                                 "changes": None}})
    assert message.subject == "Status report “Sachstand Programm des Landrats”, as of 2026-11-01"
    assert "Changes since the previous report:  first report of this kind" in message.text
    assert "Stichtag" not in message.text and "Stichtag" not in message.html


def test_a_report_without_a_title_is_named_by_its_date():
    assert rendered("de", report={"title": None}).subject == "Sachstandsbericht, Stichtag 01.11.2026"


def test_a_report_title_with_markup_is_escaped_in_the_html_part():
    message = rendered("de", report={"title": "<script>alert(1)</script> & Co"})
    assert "<script>" not in message.html and "&lt;script&gt;alert(1)&lt;/script&gt; &amp; Co" in message.html
    assert "„<script>alert(1)</script> & Co“" in message.text


def test_the_report_mail_carries_its_attachments_after_the_text_and_html_parts():
    message = build_message(21, "Maßnahmen Landkreis <massnahmen@kreis.example>", "gremien@kreis.example",
                            rendered("de"), "kreis.example", {"X-Kreis-Report": "3"}, attachments=(PDF, CSV))
    parsed = email.message_from_bytes(message.as_bytes(), policy=email.policy.default)
    assert parsed.get_content_type() == "multipart/mixed" and parsed["Message-ID"] == "<notification-21@kreis.example>"
    assert parsed["X-Kreis-Report"] == "3"
    assert parsed.get_body(preferencelist=("plain",)).get_content().startswith("Sachstandsbericht „")
    files = {part.get_filename(): part for part in parsed.iter_attachments()}
    assert files["report-3-kreistag-2026-11-01.pdf"].get_content_type() == "application/pdf"
    assert files["report-3-kreistag-2026-11-01.pdf"].get_content() == b"%PDF-1.4 Sachstand"
    assert files["report-3-kreistag-2026-11-01.csv"].get_content_charset() == "utf-8"
    assert files["report-3-kreistag-2026-11-01.csv"].get_content() == "Nr.;Titel\nM-0087;Ausbau\n"


class FakeReporting:
    """Answers ``get_report`` as the reporting service does, or raises ``error``."""

    def __init__(self, error=None):
        self.error = error
        self.calls = []

    def get_report(self, report_id, fmt):
        self.calls.append((report_id, fmt))
        if self.error:
            raise self.error
        if fmt == "pdf":
            return {"format": fmt, "media_type": "application/pdf", "filename": f"report-{report_id}.pdf",
                    "encoding": "base64", "content": base64.b64encode(b"%PDF-1.4").decode()}
        return {"format": fmt, "media_type": "text/csv; charset=utf-8", "filename": f"report-{report_id}.csv",
                "encoding": "utf-8", "content": "Nr.;Titel\n"}


def test_the_archive_answer_becomes_attachments_in_the_order_asked_for():
    reporting = FakeReporting()
    attachments = ReportFetcher(reporting).attachments(3, ("pdf", "csv"))
    assert reporting.calls == [(3, "pdf"), (3, "csv")]
    assert [(a.filename, a.content) for a in attachments] == [("report-3.pdf", b"%PDF-1.4"),
                                                              ("report-3.csv", b"Nr.;Titel\n")]


@pytest.mark.parametrize("error", [NotFound("report", 3), ValidationError({"format": ["Must be one of: pdf."]})])
def test_a_report_the_archive_does_not_have_or_refuses_fails_for_good(error):
    with pytest.raises(PermanentFailure):
        ReportFetcher(FakeReporting(error)).attachments(3, ("pdf",))


@pytest.mark.parametrize("error", [UnknownService("reporting"), RpcTimeout(10.0), ConnectionRefusedError(111),
                                   RemoteError("OperationalError", "database restarting")])
def test_a_reporting_service_down_slow_or_failing_is_tried_again(error):
    with pytest.raises(TemporaryFailure, match="reporting service, report 3 as pdf"):
        ReportFetcher(FakeReporting(error)).attachments(3, ("pdf", "csv"))


@pytest.mark.parametrize("value, expected", [(None, 60.0), ("", 60.0), ("2.5", 2.5)])
def test_the_fetch_timeout_comes_from_its_setting(value, expected):
    archive = ReportArchive()
    archive.container = SimpleNamespace(config={"TOKEN_SECRET": "x" * 32, "REPORT_FETCH_TIMEOUT_SECONDS": value})
    archive.setup()
    assert archive.timeout == expected


@pytest.mark.parametrize("value", ["eine Minute", "0", "-5"])
def test_a_fetch_timeout_that_is_no_positive_number_stops_the_start_and_says_which_setting(value):
    archive = ReportArchive()
    archive.container = SimpleNamespace(config={"TOKEN_SECRET": "x" * 32, "REPORT_FETCH_TIMEOUT_SECONDS": value})
    with pytest.raises(ConfigError, match="REPORT_FETCH_TIMEOUT_SECONDS"):
        archive.setup()


def test_only_admins_retry_a_report_delivery_which_belongs_to_no_department():
    ensure_may_retry(Principal("admin", "LR", Role.ADMIN), None)
    with pytest.raises(Forbidden, match="admins may"):
        ensure_may_retry(Principal("leitung.ks", "KS", Role.MANAGER), None)
    ensure_may_retry(Principal("leitung.ks", "KS", Role.MANAGER), "KS")
