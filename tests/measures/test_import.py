"""Import of a programme of measures (upsert by ``external_ref``), on SQLite and on PostgreSQL.

Every row is checked, every error names its row (from 1) and field, and nothing is stored unless
every row is valid: the caller rolls back when the report has errors, as the service does.
"""

from contextlib import contextmanager
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from services.measures import handlers
from services.measures.schemas import ImportRowSchema, load
from services.measures.storage.models import JournalRow, MeasureRow, outbox
from services.measures.storage.unit_of_work import SqlUnitOfWork
from shared.auth import Principal
from shared.vocabulary import Role, Status

NOW = datetime(2024, 3, 1, 9, 30, tzinfo=timezone.utc)
LATER = NOW + timedelta(days=30)
ADMIN = Principal("admin", "LR", Role.ADMIN)
STAFF_KS = Principal("mueller.ks", "KS", Role.STAFF)
GRANT = {"source": "grant", "programme": "NKI Kommunalrichtlinie", "reference": "03K17253",
         "amount_approved": "48000.00", "period_start": "2021-10-01", "period_end": "2023-09-30"}


def radweg(**overrides):
    return {"external_ref": "KSK-3.2", "title": "Radwegenetz ausbauen", "department": "KS",
            "area": "Mobilität und Infrastruktur", "programme": "Klimaschutzkonzept 2023",
            "due_date": "2025-12-31", "budget_planned": "250000.00", **overrides}


def klimaschutzmanagement(**overrides):
    return {"external_ref": "KSK-1.4", "title": "Klimaschutzmanagement verstetigen", "department": "KS",
            "status": "funded", "funding": GRANT, **overrides}


def bioabfall(**overrides):
    return {"external_ref": "AWK-2", "title": "Bioabfall getrennt sammeln", "department": "AW",
            "area": "Abfallwirtschaft", "status": "done", "note": "Seit 2022 flächendeckend eingeführt", **overrides}


PROGRAMME = [radweg(), klimaschutzmanagement(), bioabfall()]


@contextmanager
def unit_of_work(engine):
    with Session(engine, expire_on_commit=False) as session, session.begin():
        yield SqlUnitOfWork(session)


@pytest.fixture
def db(engine):
    for code, name, parent in (("LR", "Landrat", None), ("KS", "Klimaschutzmanagement", "LR"),
                               ("AW", "Abfallwirtschaft", "LR")):
        with unit_of_work(engine) as uow:
            handlers.create_department(uow, ADMIN, {"code": code, "name": name, "parent": parent})
    return engine


def run_import(engine, rows, principal=ADMIN, now=NOW, dry_run=False):
    """What ``MeasuresService.import_measures`` does: one transaction, discarded unless all rows are fine."""
    with Session(engine, expire_on_commit=False) as session, session.begin() as transaction:
        report = handlers.import_measures(SqlUnitOfWork(session), principal, rows, now,
                                          lambda row: load(ImportRowSchema(), row))
        applied = not (dry_run or report.errors)
        if not applied:
            transaction.rollback()
    return report.as_dict(applied)


def errors(report):
    """(row, field) of every error, in report order."""
    return [(error["row"], error["field"]) for error in report["errors"]]


def get(engine, measure_id):
    with unit_of_work(engine) as uow:
        return uow.measures.get(measure_id)


def stored(engine):
    """How many measures, journal entries and events the database holds."""
    with engine.connect() as connection:
        return tuple(connection.scalar(select(func.count()).select_from(table))
                     for table in (MeasureRow.__table__, JournalRow.__table__, outbox))


# --- created, updated, unchanged -------------------------------------------------------------------

def test_a_first_import_creates_every_row_in_order(db):
    report = run_import(db, PROGRAMME)

    assert report == {"created": ["M-0001", "M-0002", "M-0003"], "updated": [], "unchanged": [], "errors": [],
                      "applied": True}
    assert get(db, "M-0001").external_ref == "KSK-3.2"
    assert get(db, "M-0002").status is Status.FUNDED
    assert (get(db, "M-0003").status, get(db, "M-0003").progress) == (Status.DONE, 100)
    assert stored(db) == (3, 3, 3)


def test_importing_the_same_file_again_changes_nothing(db):
    run_import(db, PROGRAMME)

    report = run_import(db, PROGRAMME, now=LATER)

    assert (report["created"], report["updated"], report["unchanged"]) == ([], [], ["M-0001", "M-0002", "M-0003"])
    assert stored(db) == (3, 3, 3)
    assert get(db, "M-0001").updated_at == NOW


def test_a_reimport_updates_changed_rows_creates_new_ones_and_counts_the_rest_unchanged(db):
    run_import(db, PROGRAMME)
    rows = [radweg(title="Radwegenetz Barnim ausbauen", note="Kreistag 12/2024"), klimaschutzmanagement(),
            bioabfall(), {"external_ref": "KSK-5.1", "title": "Ökostrom für Kreisliegenschaften", "department": "KS"}]

    report = run_import(db, rows, now=LATER)

    assert (report["created"], report["updated"], report["unchanged"]) == (["M-0004"], ["M-0001"],
                                                                           ["M-0002", "M-0003"])
    with unit_of_work(db) as uow:
        entry = uow.measures.history("M-0001")[-1]
    assert (entry.version, entry.action, entry.note) == (2, "updated", "Kreistag 12/2024")
    assert entry.changes == {"title": ["Radwegenetz ausbauen", "Radwegenetz Barnim ausbauen"]}


def test_a_reimport_may_move_a_measure_on_along_its_lifecycle_with_its_funding(db):
    run_import(db, [radweg()])

    report = run_import(db, [radweg(status="funded", funding=GRANT)], now=LATER)

    assert report["updated"] == ["M-0001"]
    measure = get(db, "M-0001")
    assert (measure.status, measure.funding.reference, measure.version) == (Status.FUNDED, "03K17253", 3)


def test_a_row_may_set_the_progress_of_a_new_measure(db):
    report = run_import(db, [klimaschutzmanagement(status="in_progress", progress=40)])

    assert report["created"] == ["M-0001"]
    assert (get(db, "M-0001").progress, stored(db)) == (40, (1, 2, 2))


def test_a_reimport_may_record_progress(db):
    run_import(db, [klimaschutzmanagement(status="in_progress")])

    report = run_import(db, [klimaschutzmanagement(status="in_progress", progress=60)], now=LATER)

    assert (report["updated"], get(db, "M-0001").progress) == (["M-0001"], 60)


# --- errors name row and field ---------------------------------------------------------------------

def test_each_error_names_its_row_counted_from_1_and_its_field(db):
    rows = [radweg(), klimaschutzmanagement(title=""), bioabfall(due_date="31.12.2025", farbe="grün")]

    report = run_import(db, rows)

    assert sorted(errors(report)) == [(2, "title"), (3, "due_date"), (3, "farbe")]
    assert all(error["messages"] for error in report["errors"])
    assert report["applied"] is False


def test_a_row_that_is_not_a_mapping_is_reported_as_a_whole(db):
    assert errors(run_import(db, [radweg(), "KSK-1.4;Klimaschutzmanagement"])) == [(2, "_schema")]


def test_a_row_without_external_reference_cannot_be_imported(db):
    row = radweg()
    del row["external_ref"]

    assert errors(run_import(db, [row])) == [(1, "external_ref")]


def test_an_external_reference_used_twice_in_one_file_is_an_error_in_the_later_row(db):
    report = run_import(db, [radweg(), bioabfall(), radweg(title="Radwege, zweiter Versuch")])

    assert errors(report) == [(3, "external_ref")]
    assert "row 1" in report["errors"][0]["messages"][0]


def test_an_unknown_department_is_an_error_of_its_row(db):
    assert errors(run_import(db, [radweg(), bioabfall(department="XY")])) == [(2, "department")]


@pytest.mark.parametrize("status", ["done", "cancelled"])
def test_a_measure_imported_as_closed_needs_a_note(db, status):
    assert errors(run_import(db, [bioabfall(status=status, note=None)])) == [(1, "note")]


def test_a_measure_imported_as_funded_needs_complete_funding(db):
    report = run_import(db, [klimaschutzmanagement(funding={**GRANT, "reference": None})])

    assert errors(report) == [(1, "funding.reference")]


def test_a_status_change_on_reimport_obeys_the_lifecycle(db):
    run_import(db, [radweg()])

    report = run_import(db, [radweg(status="done", note="fertig")], now=LATER)

    assert errors(report) == [(1, "status")]
    assert "funded, cancelled" in report["errors"][0]["messages"][0]
    assert (get(db, "M-0001").status, get(db, "M-0001").version) == (Status.PLANNED, 1)


def test_removing_the_funding_of_a_funded_measure_on_reimport_is_an_error(db):
    run_import(db, [klimaschutzmanagement()])

    assert errors(run_import(db, [klimaschutzmanagement(funding=None)], now=LATER)) == [(1, "funding")]


def test_staff_may_import_only_rows_of_their_own_department(db):
    report = run_import(db, [radweg(), bioabfall()], principal=STAFF_KS)

    assert errors(report) == [(2, "department")]


def test_staff_may_not_move_a_measure_to_another_department_by_reimport(db):
    run_import(db, [radweg()])

    assert errors(run_import(db, [radweg(department="AW")], principal=STAFF_KS, now=LATER)) == [(1, "department")]


# --- all or nothing --------------------------------------------------------------------------------

def test_nothing_is_stored_when_any_row_fails(db):
    report = run_import(db, [radweg(), klimaschutzmanagement(), bioabfall(department="XY")])

    assert (report["created"], report["applied"]) == (["M-0001", "M-0002"], False)
    assert stored(db) == (0, 0, 0)
    assert run_import(db, PROGRAMME)["created"] == ["M-0001", "M-0002", "M-0003"]


def test_a_failing_reimport_leaves_earlier_rows_unchanged_too(db):
    run_import(db, PROGRAMME)

    report = run_import(db, [radweg(title="Radwegenetz Barnim ausbauen"), bioabfall(status="planned")],
                        now=LATER)

    assert (report["updated"], errors(report)) == (["M-0001"], [(2, "status")])
    assert (get(db, "M-0001").title, stored(db)) == ("Radwegenetz ausbauen", (3, 3, 3))


def test_a_dry_run_reports_what_would_happen_and_stores_nothing(db):
    report = run_import(db, PROGRAMME, dry_run=True)

    assert (report["created"], report["errors"], report["applied"]) == (["M-0001", "M-0002", "M-0003"], [], False)
    assert stored(db) == (0, 0, 0)
