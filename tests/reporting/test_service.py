"""The reporting service through RabbitMQ, with the measures service on the example programme:
every format parses, changes since the previous report of a kind, frozen reports re-render
identically, user text is escaped, and two instances take one report per scheduled slot."""

import base64
import csv
import io
import json
import time
from html.parser import HTMLParser

import pytest
from pypdf import PdfReader

from shared.errors import NotFound, Unauthenticated, ValidationError
from shared.events import REPORT_GENERATED, ReportGeneratedSchema

FORMATS = ("html", "pdf", "md", "csv", "json")
LANDRAT = "Programm des Landrats 2024–2029"


class Html(HTMLParser):
    """Collects the text and the tags of a page; fails on nothing, so checks are explicit."""

    def __init__(self, page):
        super().__init__()
        self.text, self.tags, self.links = [], [], []
        self.feed(page)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.links += [value for name, value in attrs if name in ("src", "href")]

    def handle_data(self, data):
        self.text.append(data)

    @property
    def plain(self):
        return " ".join(" ".join(self.text).split())


def content(client, report_id, fmt, language=None):
    rendered = client.reporting.get_report(report_id, fmt, language)
    if rendered["encoding"] == "base64":
        return base64.b64decode(rendered["content"])
    return rendered["content"]


def pdf_text(data):
    return " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages).split())


def test_a_report_in_every_format_parses(services):
    report = services.reporting.generate_report()
    assert report["as_of"] == "2026-11-22" and report["kind"] is None and report["summary"]["measures"] == 170

    page = Html(content(services, report["id"], "html"))
    assert {"svg", "rect", "table"} <= set(page.tags)
    assert page.links == []  # self-contained: no external stylesheet, script or image
    assert "Sachstandsbericht" in page.plain and "in Umsetzung" in page.plain and "5.830.000,00 €" in page.plain

    text = pdf_text(content(services, report["id"], "pdf"))
    assert "Sachstandsbericht" in text and "Überblick" in text and "in Umsetzung" in text and "03K17253" in text

    markdown = content(services, report["id"], "md")
    assert markdown.startswith("# Sachstandsbericht\n") and "## Verzug" in markdown
    assert "| in Umsetzung | 3 | 5\\.180\\.000,00 € |" not in markdown  # dots in numbers are not escaped
    assert "| in Umsetzung | 3 | 5.180.000,00 € | 6.680.000,00 € |" in markdown

    rows = list(csv.DictReader(io.StringIO(content(services, report["id"], "csv")), delimiter=";"))
    assert len(rows) == 170
    siren = next(row for row in rows if row["Externe Nummer"] == "LR24-SK-Z02")
    assert (siren["Status"], siren["Fällig"], siren["Tage überfällig"]) == ("in Umsetzung", "30.09.2026", "53")

    document = json.loads(content(services, report["id"], "json"))
    assert document["report_id"] == report["id"] and document["totals"]["count"] == 170

    assert [listed["id"] for listed in services.reporting.list_reports()] == [report["id"]]


def test_english_is_selectable(services):
    report = services.reporting.generate_report(language="en")

    page = Html(content(services, report["id"], "html")).plain
    assert "Status report" in page and "in progress" in page and "€5,830,000.00" in page
    assert "Sachstandsbericht" in Html(content(services, report["id"], "html", "de")).plain
    rows = list(csv.DictReader(io.StringIO(content(services, report["id"], "csv")), delimiter=","))
    assert rows[0]["Status"] == "done"


def test_changes_since_the_previous_report_and_the_frozen_report_unchanged(
        start_measures, start_reporting, kinds_file, client_for, clock):
    from datetime import timedelta

    start_measures()
    start_reporting(kinds_file({"kreistag": {"title": "Sachstand Kreistag", "programmes": [LANDRAT]}}))
    admin = client_for("admin", "LR", "admin")
    first = admin.reporting.generate_report("kreistag")
    frozen = {fmt: content(admin, first["id"], fmt) for fmt in FORMATS}
    assert json.loads(frozen["json"])["changes"] is None  # nothing to compare the first one with

    clock.advance(timedelta(days=3))
    measures = admin.measures
    funded = measures.get_measure("M-0159")
    measures.change_status("M-0159", "in_progress", funded["version"], "Auftrag erteilt")
    planned = measures.list_measures({"status": "planned", "programme": LANDRAT}, 2)["items"]
    measures.change_status(planned[0]["id"], "cancelled", planned[0]["version"], "Vom Kreistag gestrichen")
    new = measures.create_measure({"title": "Lastenräder für die Kreisverwaltung", "department": "KS",
                                   "programme": LANDRAT, "area": "Klimaschutz"})
    measures.create_measure({"title": "Anderes Programm", "department": "KS", "programme": "Klimaschutzkonzept"})
    admin.reporting.generate_report()  # an ad-hoc report in between is no report of the kind

    second = admin.reporting.generate_report("kreistag")

    changes = json.loads(content(admin, second["id"], "json"))["changes"]
    assert [(c["measure_id"], c["to_status"]) for c in changes["new"]] == [(new["id"], "planned")]
    assert [(c["measure_id"], c["from_status"], c["to_status"], c["note"]) for c in changes["status"]] == [
        ("M-0159", "funded", "in_progress", "Auftrag erteilt")]
    assert [(c["measure_id"], c["note"]) for c in changes["cancelled"]] == [
        (planned[0]["id"], "Vom Kreistag gestrichen")]
    assert changes["total"] == 3 and second["summary"]["changes"] == 3 and second["previous_id"] == first["id"]
    assert "Vom Kreistag gestrichen" in pdf_text(content(admin, second["id"], "pdf"))

    assert {fmt: content(admin, first["id"], fmt) for fmt in FORMATS} == frozen
    third = admin.reporting.generate_report("kreistag")
    assert json.loads(content(admin, third["id"], "json"))["changes"]["total"] == 0


def test_a_title_with_markup_is_escaped_in_every_format(services):
    measure = services.measures.create_measure({
        "title": '<img src=x onerror="alert(1)"> Radweg | *fett*', "department": "KS", "due_date": "2026-11-01"})
    title = "<script>alert('x')</script> Bericht & Co"

    report = services.reporting.generate_report(title=title)

    page = content(services, report["id"], "html")
    assert "<script>" not in page and "<img" not in page
    assert "&lt;script&gt;" in page and "&lt;img src=x" in page and "Bericht &amp; Co" in page
    markdown = content(services, report["id"], "md")
    assert "<script>" not in markdown and "<img" not in markdown and "\\| \\*fett\\*" in markdown
    assert "<script>alert('x')</script> Bericht & Co" in pdf_text(content(services, report["id"], "pdf"))
    rows = list(csv.DictReader(io.StringIO(content(services, report["id"], "csv")), delimiter=";"))
    assert next(row for row in rows if row["Nr."] == measure["id"])["Titel"].startswith("<img")


def test_caller_mistakes_are_typed_errors(services, client_for):
    with pytest.raises(NotFound):
        services.reporting.generate_report("gibt-es-nicht")
    with pytest.raises(ValidationError) as unknown:
        services.reporting.generate_report(filters={"departments": ["XX"]})
    assert "filters.departments" in unknown.value.errors
    with pytest.raises(ValidationError):
        services.reporting.get_report(1, "docx")
    with pytest.raises(NotFound):
        services.reporting.get_report(999, "html")
    with pytest.raises(Unauthenticated):
        client_for(token="not-a-token").reporting.list_reports()


def test_two_instances_take_one_report_per_slot_and_announce_it_once(
        start_measures, start_reporting, kinds_file, client_for, event_listener):
    events = event_listener("reporting")
    start_measures()
    kinds = kinds_file({"kreistag": {"title": "Sachstand Kreistag", "schedule": "0 7 1 * *",
                                     "recipients": ["gremien@kreis.example"], "attachments": ["pdf", "csv"]}})
    start_reporting(kinds)
    start_reporting(kinds)  # both look at start (catch-up): the slot of 1 Nov, 07:00 has no report yet
    admin = client_for("admin", "LR", "admin")

    reports = wait_for(lambda: admin.reporting.list_reports("kreistag"))
    received = events.quiet_for(1.5)

    assert len(admin.reporting.list_reports("kreistag")) == 1
    assert reports[0]["scheduled_for"] == "2026-11-01T06:00:00+00:00" and reports[0]["as_of"] == "2026-11-01"
    assert len(received) == 1
    event_type, payload, _ = received[0]
    assert event_type == "report_generated" and payload["report"]["id"] == reports[0]["id"]
    assert payload["recipients"] == ["gremien@kreis.example"] and payload["attachments"] == ["pdf", "csv"]

    start_reporting(kinds)  # a restart finds the slot taken
    assert len(events.quiet_for(1.0)) == 1 and len(admin.reporting.list_reports("kreistag")) == 1


def test_report_generated_keeps_to_the_shared_contract(start_measures, start_reporting, kinds_file, client_for,
                                                      event_listener):
    events = event_listener("reporting", (REPORT_GENERATED,))
    start_measures()
    start_reporting(kinds_file({"kreistag": {"title": "Sachstand Kreistag", "programmes": [LANDRAT],
                                             "recipients": ["gremien@kreis.example", "buero-landrat@kreis.example"],
                                             "attachments": ["pdf", "csv"]}}))
    admin = client_for("admin", "LR", "admin")
    of_kind = admin.reporting.generate_report("kreistag")
    ad_hoc = admin.reporting.generate_report()

    received = [payload for _type, payload, _headers in events.wait_for(2)]

    schema = ReportGeneratedSchema()  # strict: a field the contract does not describe is refused too
    first, second = sorted((schema.load(payload) for payload in received), key=lambda event: event["report"]["id"])
    assert first["report"]["id"] == of_kind["id"] and first["report"]["summary"] == of_kind["summary"]
    assert first["report"]["kind"] == "kreistag" and first["report"]["title"] == "Sachstand Kreistag"
    assert first["recipients"] == ["gremien@kreis.example", "buero-landrat@kreis.example"]
    assert first["attachments"] == ["pdf", "csv"]
    assert second["report"]["id"] == ad_hoc["id"] and second["report"]["kind"] is None
    assert (second["recipients"], second["attachments"]) == ([], [])


def wait_for(condition, timeout=20.0):
    deadline = time.monotonic() + timeout
    while not (result := condition()):
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)
    return result
