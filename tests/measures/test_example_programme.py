"""The example programme that `make run` seeds loads cleanly, completely and idempotently."""

from collections import Counter
from datetime import date, datetime, timezone
from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cli.tabular import _plain
from services.common.database import make_engine
from services.measures.seed import load_programme
from services.measures.storage.models import DepartmentRow, MeasureRow

PROGRAMME_FILE = Path(__file__).resolve().parents[2] / "examples" / "programme.yaml"
NOW = datetime(2026, 11, 22, 9, 0, tzinfo=timezone.utc)

# Counted by hand from shared/seeds/000 (programme of the Landrat) and 001 (NKI project).
ACHIEVED_ITEMS = 105  # "Was wurde bereits erreicht und umgesetzt?" -> done
GOAL_ITEMS = 64       # "Was sind meine weiteren Ziele?" -> planned
NKI_PROJECT = 1       # seed 001, funding period over -> done
DEMO_FUNDED = 1       # goal LR24-SK-Z07 (Notstromversorgung Kreishaus), illustrative
DEMO_IN_PROGRESS = 3  # goals LR24-KS-Z02 (KIPKI), LR24-SCH-Z02 (Sickingen-Gymnasium), LR24-SK-Z02 (Sirenen)

EXPECTED_TOTAL = ACHIEVED_ITEMS + GOAL_ITEMS + NKI_PROJECT  # 170
EXPECTED_BY_STATUS = {
    "done": ACHIEVED_ITEMS + NKI_PROJECT,                      # 106
    "planned": GOAL_ITEMS - DEMO_FUNDED - DEMO_IN_PROGRESS,    # 60
    "funded": DEMO_FUNDED,                                     # 1
    "in_progress": DEMO_IN_PROGRESS,                           # 3
}
# Achieved + goal items per area (Handlungsfeld) in seed 000; Klimaschutz also holds the NKI project.
EXPECTED_BY_AREA = {
    "Abfallwirtschaft": 13 + 10,
    "Bürgernahe Verwaltung": 11 + 6,
    "Gesundheit und Pflege": 6 + 5,
    "Interkommunale Zusammenarbeit": 6 + 3,
    "Jugend, Familie und Soziales": 9 + 7,
    "Klimaschutz": 9 + 5 + NKI_PROJECT,
    "Kreisentwicklung": 8 + 3,
    "Kultur und Partnerschaften": 7 + 5,
    "Mobilität und Infrastruktur": 9 + 5,
    "Schulen": 9 + 4,
    "Sicherheit und Katastrophenschutz": 12 + 7,
    "Wirtschaftsförderung": 6 + 4,
}


@pytest.fixture(scope="module")
def programme():
    """The file as `measures seed` reads it."""
    return _plain(yaml.safe_load(PROGRAMME_FILE.read_text(encoding="utf-8")))


@pytest.fixture
def seeded(sqlite_url, programme):
    engine = make_engine(sqlite_url)
    report = load_programme(engine, programme, NOW)
    yield engine, report
    engine.dispose()


def test_the_file_matches_the_hand_counts(programme):
    measures = programme["measures"]
    assert len(measures) == EXPECTED_TOTAL
    assert Counter(m["status"] for m in measures) == EXPECTED_BY_STATUS
    assert Counter(m["area"] for m in measures) == EXPECTED_BY_AREA
    assert len({m["external_ref"] for m in measures}) == len(measures)
    codes = [d["code"] for d in programme["departments"]]
    assert len(set(codes)) == len(codes)
    for index, department in enumerate(programme["departments"]):
        assert department["parent"] is None or department["parent"] in codes[:index], department
    assert {m["department"] for m in measures} <= set(codes)


def test_the_example_programme_loads_completely(seeded, programme):
    engine, report = seeded
    assert report.errors == []
    assert len(report.created) == len(programme["measures"]) == EXPECTED_TOTAL
    assert report.updated == [] and report.unchanged == []

    with Session(engine) as session:
        by_status = dict(session.execute(select(MeasureRow.status, func.count()).group_by(MeasureRow.status)).all())
        by_area = dict(session.execute(select(MeasureRow.area, func.count()).group_by(MeasureRow.area)).all())
        departments = set(session.scalars(select(DepartmentRow.code)))
        used = set(session.scalars(select(MeasureRow.department).distinct()))
        refs = set(session.scalars(select(MeasureRow.external_ref)))
        unfinished_done = session.scalar(select(func.count()).where(MeasureRow.status == "done",
                                                                    MeasureRow.progress != 100))
    assert by_status == EXPECTED_BY_STATUS
    assert by_area == EXPECTED_BY_AREA
    assert departments == {d["code"] for d in programme["departments"]}
    assert used <= departments
    assert refs == {m["external_ref"] for m in programme["measures"]}
    assert unfinished_done == 0


def test_the_nki_grant_project_has_its_funding_period(seeded):
    engine, _ = seeded
    with Session(engine) as session:
        row = session.scalars(select(MeasureRow).where(MeasureRow.funding_reference == "03K17253")).one()
        assert row.id.startswith("M-")
        assert row.status == "done"
        assert row.programme == "Klimaschutzkonzept" and row.area == "Klimaschutz" and row.department == "KS"
        assert row.funding_source == "grant"
        assert row.funding_programme == "Nationale Klimaschutzinitiative (NKI) – Kommunalrichtlinie"
        assert (row.funding_period_start, row.funding_period_end) == (date(2021, 10, 1), date(2023, 9, 30))
        assert (row.planned_start, row.planned_end) == (date(2021, 10, 1), date(2023, 9, 30))
        assert row.funding_amount_approved > Decimal("0")
        assert sorted(row.partners) == ["VG Enkenbach-Alsenborn", "VG Landstuhl", "VG Ramstein-Miesenbach"]


def test_the_demo_measures_give_deadlines_content(seeded):
    engine, _ = seeded
    today = NOW.date()
    with Session(engine) as session:
        open_rows = session.scalars(select(MeasureRow).where(MeasureRow.status.in_(("funded", "in_progress")))).all()
    assert all(row.funding_source and row.funding_amount_approved > 0 for row in open_rows)
    overdue = [row.external_ref for row in open_rows if row.due_date and row.due_date < today]
    due_soon = [row.external_ref for row in open_rows if row.due_date and 0 <= (row.due_date - today).days <= 60]
    assert overdue == ["LR24-SK-Z02"]
    assert sorted(due_soon) == ["LR24-KS-Z02", "LR24-SCH-Z02"]
    kipki = next(row for row in open_rows if row.external_ref == "LR24-KS-Z02")
    assert kipki.funding_source == "grant" and kipki.funding_reference and kipki.funding_period_end
    assert kipki.funding_programme.startswith("KIPKI")


def test_loading_again_changes_nothing(seeded, programme):
    engine, _ = seeded
    again = load_programme(engine, programme, NOW)
    assert again.errors == []
    assert again.created == [] and again.updated == []
    assert len(again.unchanged) == EXPECTED_TOTAL
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(MeasureRow)) == EXPECTED_TOTAL
        assert session.scalar(select(func.max(MeasureRow.version))) <= 2  # created (+ progress), nothing more
