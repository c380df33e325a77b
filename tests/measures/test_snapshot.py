"""The report snapshot of the measures service, on SQLite and PostgreSQL: group totals in SQL,
department subtrees, overdue measures with the reason a date was moved, funding with the next
obligation, exact changes after a journal position, the PostgreSQL gate, and the RPC."""

import json
from contextlib import contextmanager
from datetime import date, datetime, timedelta, timezone

import eventlet
import pytest
from sqlalchemy.orm import Session

from services.common.database import writer
from services.measures import handlers
from services.measures import snapshot as report_data
from services.measures.schemas import NewMeasureSchema, load
from services.measures.storage.unit_of_work import SqlUnitOfWork
from shared.auth import Principal
from shared.errors import Unauthenticated, ValidationError
from shared.vocabulary import Role

NOW = datetime(2026, 11, 22, 9, 0, tzinfo=timezone.utc)
AS_OF = date(2026, 11, 22)
ADMIN = Principal("admin", "LR", Role.ADMIN)
GRANT = {"source": "grant", "programme": "NKI Kommunalrichtlinie", "reference": "03K17253",
         "amount_approved": "48000.00", "period_start": "2025-10-01", "period_end": "2027-09-30"}


@contextmanager
def unit_of_work(engine):
    with Session(writer(engine), expire_on_commit=False) as session, session.begin():
        yield SqlUnitOfWork(session)


def create(engine, **overrides):
    data = {"title": "Radwegenetz ausbauen", "department": "KS", "area": "Mobilität und Infrastruktur",
            "programme": "Klimaschutzkonzept", **overrides}
    with unit_of_work(engine) as uow:
        return handlers.create_measure(uow, ADMIN, load(NewMeasureSchema(), data), NOW)


def take(engine, filters=None, since=None, include_measures=False, as_of=AS_OF):
    request = report_data.load_request(filters, as_of.isoformat(), since, include_measures, AS_OF)
    with Session(engine) as session, session.begin():
        return report_data.take_snapshot(session, request, NOW)


@pytest.fixture
def db(engine):
    for code, name, parent in (("LR", "Landrat", None), ("D2", "Bauen und Umwelt", "LR"),
                               ("KS", "Klimaschutzmanagement", "D2"), ("AW", "Abfallwirtschaft", "D2"),
                               ("JA", "Jugendamt", "LR")):
        with unit_of_work(engine) as uow:
            handlers.create_department(uow, ADMIN, {"code": code, "name": name, "parent": parent})
    return engine


def test_groups_are_summed_in_sql_per_status_area_department_and_programme(db):
    create(db, budget_planned="1000.10")
    create(db, budget_planned="2000.20")
    create(db, department="AW", area="Abfallwirtschaft", status="funded", funding={**GRANT})
    create(db, department="JA", area=None, programme=None)

    groups = take(db)["groups"]

    assert sorted(groups, key=str) == sorted([
        ["planned", "Mobilität und Infrastruktur", "KS", "Klimaschutzkonzept", 2, 300030, 0],
        ["funded", "Abfallwirtschaft", "AW", "Klimaschutzkonzept", 1, 0, 4800000],
        ["planned", None, "JA", None, 1, 0, 0],
    ], key=str)


def test_a_department_filter_takes_the_departments_below_it(db):
    create(db)
    create(db, department="AW")
    create(db, department="JA")

    assert sum(g[4] for g in take(db, {"departments": ["D2"]})["groups"]) == 2
    assert sum(g[4] for g in take(db, {"departments": ["JA"], "programmes": ["Klimaschutzkonzept"]})["groups"]) == 1
    assert take(db, {"areas": ["Abfallwirtschaft"]})["groups"] == []
    with pytest.raises(ValidationError) as error:
        take(db, {"departments": ["XX"]})
    assert error.value.errors == {"filters.departments": ["Unknown department XX."]}


def test_overdue_measures_with_days_and_the_reason_a_date_was_moved(db):
    late = create(db, due_date="2026-10-01")
    create(db, due_date="2026-11-30")
    create(db, due_date="2026-09-01", status="done", note="fertig")
    with unit_of_work(db) as uow:
        handlers.update_measure(uow, ADMIN, late.id, {"due_date": date(2026, 11, 1)}, late.version,
                                NOW + timedelta(hours=1), "Lieferverzug beim Auftragnehmer", date(2026, 10, 15))

    overdue = take(db)["overdue"]

    assert overdue["total"] == 1
    item = overdue["items"][0]
    assert (item["id"], item["due_date"], item["days_overdue"]) == (late.id, "2026-11-01", 21)
    assert item["moved"]["note"] == "Lieferverzug beim Auftragnehmer"
    assert (item["moved"]["field"], item["moved"]["from"], item["moved"]["to"]) == ("due_date", "2026-10-01", "2026-11-01")
    assert take(db, as_of=date(2026, 11, 1))["overdue"]["total"] == 0  # counted to the reference date


def test_funded_measures_carry_their_next_grant_obligation(db):
    funded = create(db, status="funded", funding={**GRANT}, note=None)
    create(db, funding={"source": "own_budget", "amount_approved": "100.00"})

    funding = take(db)["funded"]

    assert funding["total"] == 2
    grant = next(item for item in funding["items"] if item["id"] == funded.id)
    assert grant["amount_approved_cents"] == 4800000 and grant["reference"] == "03K17253"
    # Funding years 2025 and 2026 owe interim proofs by 30 April of the next year: 2026 first.
    assert grant["next_obligation"] == {"kind": "interim_proof", "key": "interim_proof:2025", "due": "2026-04-30"}


def test_changes_after_a_position_are_exact_and_then_empty(db):
    kept = create(db)
    dropped = create(db)
    first = take(db, since=0)
    assert first["changes"]["counts"] == {"created": 2, "status_changed": 0}
    with unit_of_work(db) as uow:
        handlers.change_status(uow, ADMIN, dropped.id, "cancelled", dropped.version, "Vom Kreistag gestrichen", NOW)
    added = create(db, department="AW")

    second = take(db, since=first["position"])

    items = [(c["measure_id"], c["action"], c["from_status"], c["to_status"], c["note"])
             for c in second["changes"]["items"]]
    assert items == [(dropped.id, "status_changed", "planned", "cancelled", "Vom Kreistag gestrichen"),
                     (added.id, "created", None, "planned", None)]
    assert take(db, since=second["position"])["changes"]["items"] == []
    assert [c["measure_id"] for c in take(db, {"departments": ["AW"]}, since=first["position"])["changes"]["items"]] \
        == [added.id]
    assert kept.id not in {c["measure_id"] for c in second["changes"]["items"]}


def test_the_measures_table_is_only_sent_when_asked_for(db):
    create(db, due_date="2026-10-01", budget_planned="12.34")
    assert "measures" not in take(db)
    table = take(db, include_measures=True)["measures"]
    row = dict(zip(table["columns"], json.loads(table["rows"])[0]))  # JSON text built by the database
    assert (row["id"], row["status"], row["due_date"], row["budget_planned_cents"]) == ("M-0001", "planned",
                                                                                       "2026-10-01", 1234)


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_on_postgresql_a_change_committing_during_the_snapshot_is_in_it_or_after_its_position(db):
    """A writer that journaled before the snapshot but commits after it would be missed by both
    reports if positions were instants; the gate waits for it instead."""
    create(db)
    session = Session(writer(db), expire_on_commit=False)
    session.begin()
    late_writer = handlers.create_measure(SqlUnitOfWork(session), ADMIN,
                                          load(NewMeasureSchema(), {"title": "Spät", "department": "KS"}), NOW)
    SqlUnitOfWork(session).session.flush()  # its journal entry is written, not committed

    reader = eventlet.spawn(take, db, None, 0)
    eventlet.sleep(0.5)
    assert not reader.dead  # waiting at the gate
    session.commit()
    session.close()
    snapshot = reader.wait()

    assert {c["measure_id"] for c in snapshot["changes"]["items"]} == {"M-0001", late_writer.id}


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_rpc_answers_any_authenticated_caller(measures_service, admin, client_for):
    admin.measures.create_measure({"title": "Radwegenetz ausbauen", "department": "KS", "due_date": "2020-01-01"})
    staff = client_for("staff", "AW")

    snapshot = staff.measures.report_snapshot({"departments": ["D2"]}, None, 0, True)

    assert snapshot["overdue"]["total"] == 1 and snapshot["changes"]["counts"]["created"] == 1
    assert len(json.loads(snapshot["measures"]["rows"])) == 1
    with pytest.raises(Unauthenticated):
        client_for(token="not-a-token").measures.report_snapshot()
