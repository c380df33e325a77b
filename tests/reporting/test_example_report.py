"""The numbers of a report on the example programme, against expectations computed by hand from
examples/programme.yaml (170 measures of Landkreis Kaiserslautern, "today" 22 Nov 2026)."""

from datetime import date

import pytest
from sqlalchemy.orm import Session

from services.common.database import make_engine
from services.measures import snapshot as report_data
from services.reporting.domain import ReportRequest, compose_report
from services.reporting.rendering import render
from tests.reporting.conftest import NOW, seed

AS_OF = date(2026, 11, 22)
# The four illustrative measures with money (programme.yaml): KIPKI (grant 1,500,000.00, no budget),
# Sickingen-Gymnasium (budget = own funds 4,800,000.00), sirens (380,000.00), emergency power
# (650,000.00); and the NKI project (grant 150,000.00, done).
BUDGET = (4_800_000 + 380_000 + 650_000) * 100
FUNDING = (1_500_000 + 4_800_000 + 380_000 + 650_000 + 150_000) * 100


@pytest.fixture
def document(sqlite_url, programme):
    engine = make_engine(seed(sqlite_url, programme))
    request = report_data.load_request({}, AS_OF.isoformat(), None, True, AS_OF)
    with Session(engine) as session, session.begin():
        snapshot = report_data.take_snapshot(session, request, NOW)
    engine.dispose()
    return compose_report(snapshot, ReportRequest(title=None, filters={}, as_of=AS_OF, language="de",
                                                  requested_by="test"))


def test_totals_by_status(document):
    by_status = {row["key"]: (row["count"], row["budget_planned_cents"], row["funding_approved_cents"])
                 for row in document["by_status"]}
    assert by_status == {
        "planned": (60, 0, 0),                                   # 64 goals less the 4 shown further along
        "funded": (1, 650_000_00, 650_000_00),                   # emergency power supply
        "in_progress": (3, (4_800_000 + 380_000) * 100, (1_500_000 + 4_800_000 + 380_000) * 100),
        "done": (106, 0, 150_000_00),                            # 105 achieved items + the NKI project
        "cancelled": (0, 0, 0),
    }
    assert document["totals"] == {"count": 170, "open": 64, "budget_planned_cents": BUDGET,
                                  "funding_approved_cents": FUNDING}


def test_totals_by_area_department_and_programme(document):
    by_area = {row["key"]: row["count"] for row in document["by_area"]}
    assert by_area["Klimaschutz"] == 9 + 5 + 1 and by_area["Sicherheit und Katastrophenschutz"] == 12 + 7
    assert sum(by_area.values()) == 170 and len(by_area) == 12
    safety = next(row for row in document["by_area"] if row["key"] == "Sicherheit und Katastrophenschutz")
    assert (safety["budget_planned_cents"], safety["funding_approved_cents"]) == ((380_000 + 650_000) * 100,) * 2
    by_programme = {row["key"]: row["count"] for row in document["by_programme"]}
    assert by_programme == {"Klimaschutzkonzept": 1, "Programm des Landrats 2024–2029": 169}
    departments = {row["key"]: row for row in document["by_department"]}
    assert departments["KAT"]["funding_approved_cents"] == (380_000 + 650_000) * 100
    assert departments["KS"]["name"] == "Klimaschutzmanagement"
    assert departments["GM"]["budget_planned_cents"] == 4_800_000_00


def test_late_and_funding(document):
    late = document["late"]
    assert late["total"] == 1
    siren = late["items"][0]
    # Due 30 Sep 2026: 31 days of October and 22 of November later.
    assert (siren["title"], siren["due_date"], siren["days_overdue"]) == (
        "Abschluss und weiterer Ausbau des digitalen Sirenen-Warnsystems", "2026-09-30", 31 + 22)
    funded = {item["reference"] or item["title"][:20]: item for item in document["funding"]["items"]}
    assert document["funding"]["total"] == 5
    kipki = funded["KIPKI-DEMO-001"]
    assert (kipki["amount_approved_cents"], kipki["period_end"]) == (1_500_000_00, "2026-12-31")
    # Funding years 2023 to 2025 owe interim proofs by 30 April of the following year; none is recorded
    # as fulfilled in the example, so the earliest one is the next obligation.
    assert kipki["next_obligation"]["kind"] in ("interim_proof", "period_end")
    assert funded["03K17253"]["period_end"] == "2023-09-30"


def test_the_rendered_report_shows_the_hand_computed_sums(document):
    page = render(document, 1, "html").content.decode()
    assert "5.830.000,00 €" in page and "7.480.000,00 €" in page and ">53<" in page
    english = render(document, 1, "md", "en").content.decode()
    assert "€5,830,000.00" in english and "| 170 | 64 |" in english
