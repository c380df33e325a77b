"""Storage contract of the measures service, run on SQLite and on PostgreSQL.

Through the use cases in ``handlers`` and the ``SqlUnitOfWork``: ids, exact round trips, the
append-only journal, one outbox event per committed change and none for a failed one, optimistic
locking, the list filters with keyset pagination, and the invariants the database itself enforces.
"""

import uuid
from contextlib import contextmanager
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import eventlet
import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError, IntegrityError, StatementError
from sqlalchemy.orm import Session

from services.common.database import make_engine, writer
from services.measures import handlers
from services.measures.schemas import NewMeasureSchema, dump_measure, load, load_filters, load_funding
from services.measures.storage.models import outbox
from services.measures.storage.repository import MeasureFilter, decode_cursor
from services.measures.storage.unit_of_work import SqlUnitOfWork
from shared.auth import Principal
from shared.errors import InvalidTransition, NotFound, ValidationError, VersionConflict
from shared.events import MeasureEventSchema
from shared.vocabulary import Role

NOW = datetime(2024, 3, 1, 9, 30, 15, 123456, tzinfo=timezone.utc)
LATER = NOW + timedelta(hours=5)
ADMIN = Principal("admin", "LR", Role.ADMIN)
STAFF = Principal("mueller.ks", "KS", Role.STAFF)
MANAGER = Principal("schulz.ks", "KS", Role.MANAGER)
GRANT = {"source": "grant", "programme": "NKI Kommunalrichtlinie", "reference": "03K17253",
         "amount_approved": "1234567.89", "period_start": "2021-10-01", "period_end": "2023-09-30"}


@contextmanager
def unit_of_work(engine):
    """One transaction, as the service's ``unit_of_work()``: a writer (on SQLite it begins
    IMMEDIATE), committed unless an exception escapes."""
    with Session(writer(engine), expire_on_commit=False) as session, session.begin():
        yield SqlUnitOfWork(session)


def with_departments(engine):
    for code, name, parent in (("LR", "Landrat", None), ("KS", "Klimaschutzmanagement", "LR"),
                               ("AW", "Abfallwirtschaft", "LR")):
        with unit_of_work(engine) as uow:
            handlers.create_department(uow, ADMIN, {"code": code, "name": name, "parent": parent})
    return engine


@pytest.fixture
def db(engine):
    """The measures database with the department tree in place."""
    return with_departments(engine)


def create(engine, principal=STAFF, now=NOW, **overrides):
    data = {"title": "Radwegenetz ausbauen", "department": "KS", "area": "Mobilität und Infrastruktur",
            "programme": "Klimaschutzkonzept 2023", "planned_start": "2024-04-01", **overrides}
    with unit_of_work(engine) as uow:
        return handlers.create_measure(uow, principal, load(NewMeasureSchema(), data), now)


def get(engine, measure_id):
    with unit_of_work(engine) as uow:
        return uow.measures.get(measure_id)


def journal(engine, measure_id="M-0001"):
    with unit_of_work(engine) as uow:
        return uow.measures.history(measure_id)


def events(engine):
    with engine.connect() as connection:
        return connection.execute(select(outbox).order_by(outbox.c.id)).all()


def change_everything(engine):
    """Create, update, fund, start and progress M-0001: one change of each kind."""
    create(engine)
    with unit_of_work(engine) as uow:
        handlers.update_measure(uow, STAFF, "M-0001", {"title": "Radwegenetz Barnim ausbauen"}, 1, NOW)
        handlers.set_funding(uow, STAFF, "M-0001", load_funding(GRANT), 2, NOW)
        handlers.change_status(uow, MANAGER, "M-0001", "funded", 3, "Zuwendungsbescheid liegt vor", LATER)
        handlers.record_progress(uow, STAFF, "M-0001", 20, 4, "Planung beauftragt", LATER)


# --- ids and round trips ---------------------------------------------------------------------------

def test_measures_are_numbered_in_the_order_they_are_created(db):
    assert [create(db, title=f"Maßnahme {n}").id for n in range(3)] == ["M-0001", "M-0002", "M-0003"]


def test_a_rolled_back_create_uses_up_no_number_so_committed_ids_have_no_gaps(db):
    with pytest.raises(RuntimeError), unit_of_work(db) as uow:
        handlers.create_measure(uow, STAFF, {"title": "Verworfen", "department": "KS"}, NOW)
        raise RuntimeError("the caller's transaction fails after the insert")

    assert [create(db).id, create(db).id] == ["M-0001", "M-0002"]
    assert get(db, "M-0001").title == "Radwegenetz ausbauen"


def test_every_field_survives_a_round_trip_exactly(db):
    made = create(db, external_ref="KSK-3.2", description="Lückenschluss B2 – Bernau", priority="high",
                  partners=["Stadt Bernau", "Landesbetrieb Straßenwesen"], planned_end="2025-10-31",
                  due_date="2025-12-31", budget_planned="1234567.89", funding=GRANT, status="funded",
                  note="übernommen")

    loaded = get(db, made.id)

    assert loaded.snapshot() == made.snapshot()
    assert loaded.funding.amount_approved == Decimal("1234567.89")
    assert loaded.created_at == NOW and loaded.created_at.utcoffset() == timedelta(0)


@pytest.mark.parametrize("amount", ["0.01", "0.10", "1234567.89", "99999999999.99"])
def test_amounts_keep_their_cents(db, amount):
    create(db, budget_planned=amount)

    assert str(get(db, "M-0001").budget_planned) == amount


def test_an_instant_in_another_time_zone_is_stored_as_the_same_instant_in_utc(db):
    berlin = timezone(timedelta(hours=1))
    create(db, now=datetime(2024, 3, 1, 10, 30, tzinfo=berlin))

    assert get(db, "M-0001").created_at == datetime(2024, 3, 1, 9, 30, tzinfo=timezone.utc)


def test_fractions_of_a_cent_never_reach_the_database(db):
    with pytest.raises(StatementError, match="more than two decimal places"), unit_of_work(db) as uow:
        handlers.create_measure(uow, STAFF, {"title": "Radweg", "department": "KS",
                                             "budget_planned": Decimal("1.005")}, NOW)
    with pytest.raises(NotFound):
        get(db, "M-0001")


def test_an_unknown_measure_is_not_found(db):
    with pytest.raises(NotFound):
        get(db, "M-9999")
    with pytest.raises(NotFound):
        journal(db, "M-9999")


# --- journal ---------------------------------------------------------------------------------------

def test_every_change_appends_a_journal_entry_with_actor_old_and_new_values_and_note(db):
    change_everything(db)

    entries = [(e.version, e.action, e.actor_user, e.actor_role, e.note) for e in journal(db)]
    assert entries == [
        (1, "created", "mueller.ks", "staff", None),
        (2, "updated", "mueller.ks", "staff", None),
        (3, "funding_changed", "mueller.ks", "staff", None),
        (4, "status_changed", "schulz.ks", "manager", "Zuwendungsbescheid liegt vor"),
        (5, "progress_recorded", "mueller.ks", "staff", "Planung beauftragt"),
    ]
    created, updated, funded, status, progress = journal(db)
    assert created.changes["title"] == [None, "Radwegenetz ausbauen"]
    assert updated.changes == {"title": ["Radwegenetz ausbauen", "Radwegenetz Barnim ausbauen"]}
    assert funded.changes["funding"][1]["amount_approved"] == "1234567.89"
    assert (status.changes, status.occurred_at) == ({"status": ["planned", "funded"]}, LATER)
    assert (progress.changes, progress.actor_department) == ({"progress": [0, 20]}, "KS")


def test_an_update_that_changes_nothing_writes_no_journal_entry_and_no_event(db):
    create(db)
    with unit_of_work(db) as uow:
        measure = handlers.update_measure(uow, STAFF, "M-0001", {"title": "Radwegenetz ausbauen"}, 1, LATER)

    assert (measure.version, len(journal(db)), len(events(db))) == (1, 1, 1)


@pytest.mark.parametrize("statement", ["UPDATE journal_entries SET note = 'geschönt'",
                                       "DELETE FROM journal_entries"])
def test_the_database_refuses_to_change_or_delete_journal_entries(db, statement):
    create(db)

    with pytest.raises(DBAPIError, match="append-only"), db.begin() as connection:
        connection.execute(text(statement))

    assert [(e.version, e.note) for e in journal(db)] == [(1, None)]


# --- outbox ----------------------------------------------------------------------------------------

def test_every_change_writes_exactly_one_event_of_its_kind_and_only_status_events_name_the_statuses(db):
    change_everything(db)

    assert [(row.event_type, "from_status" in row.payload, "to_status" in row.payload) for row in events(db)] == [
        ("measure_created", False, False), ("measure_updated", False, False),
        ("measure_funding_changed", False, False), ("measure_status_changed", True, True),
        ("measure_progress_recorded", False, False)]


def test_a_status_event_carries_id_time_actor_the_measure_after_the_change_and_the_statuses(db):
    change_everything(db)

    row = events(db)[3]
    payload = row.payload
    assert payload["event_id"] == row.event_id == str(uuid.UUID(row.event_id))
    assert payload["occurred_at"] == LATER.isoformat()
    assert payload["actor"] == {"user": "schulz.ks", "department": "KS", "role": "manager"}
    assert payload["department_chain"] == ["KS", "LR"]
    assert payload["measure"] == {**dump_measure(get(db, "M-0001")), "version": 4, "progress": 0,
                                  "updated_at": LATER.isoformat()}
    assert payload["changes"] == {"status": ["planned", "funded"]}
    assert (payload["from_status"], payload["to_status"]) == ("planned", "funded")
    assert payload["note"] == "Zuwendungsbescheid liegt vor"
    assert row.published_at is None


def test_every_event_is_valid_under_the_published_event_schema(db):
    change_everything(db)

    for row in events(db):
        MeasureEventSchema().load(row.payload)  # what a consumer does; raises on a broken contract


def test_a_refused_status_change_writes_neither_journal_entry_nor_event(db):
    create(db)

    with pytest.raises(InvalidTransition), unit_of_work(db) as uow:
        handlers.change_status(uow, STAFF, "M-0001", "done", 1, "fertig", LATER)

    assert (get(db, "M-0001").status.value, len(journal(db)), len(events(db))) == ("planned", 1, 1)


def test_a_failure_after_the_change_was_written_rolls_back_change_journal_and_event(db):
    create(db)

    with pytest.raises(RuntimeError), unit_of_work(db) as uow:
        handlers.record_progress(uow, STAFF, "M-0001", 30, 1, None, LATER)
        uow.session.flush()
        assert uow.session.scalar(select(func.count()).select_from(outbox)) == 2  # written, not committed
        raise RuntimeError("e.g. the worker is killed before the commit")

    measure = get(db, "M-0001")
    assert (measure.progress, measure.version, len(journal(db)), len(events(db))) == (0, 1, 1, 1)


# --- optimistic locking ----------------------------------------------------------------------------

def test_of_two_callers_who_read_the_same_version_only_the_first_changes_the_measure(db):
    create(db)
    with unit_of_work(db) as uow:
        handlers.record_progress(uow, STAFF, "M-0001", 30, 1, None, LATER)

    with pytest.raises(VersionConflict) as raised, unit_of_work(db) as uow:
        handlers.record_progress(uow, MANAGER, "M-0001", 50, 1, None, LATER)

    assert (raised.value.expected_version, raised.value.current_version) == (1, 2)
    assert (get(db, "M-0001").progress, [e.version for e in journal(db)]) == (30, [1, 2])


def test_two_overlapping_writers_on_separate_connections_end_in_one_change_and_a_version_conflict(db):
    """As two service instances (or the CLI beside a service) do: real threads, no in-process lock."""
    threading, real_time = eventlet.patcher.original("threading"), eventlet.patcher.original("time")
    create(db)
    first_wrote, outcome = threading.Event(), {}

    def first():
        with unit_of_work(db) as uow:
            handlers.record_progress(uow, STAFF, "M-0001", 30, 1, None, LATER)
            uow.session.flush()
            first_wrote.set()
            real_time.sleep(0.5)  # the second writer starts meanwhile
        outcome["first"] = "committed"

    def second():
        first_wrote.wait(10)
        try:
            with unit_of_work(db) as uow:
                handlers.record_progress(uow, MANAGER, "M-0001", 50, 1, None, LATER)
            outcome["second"] = "committed"
        except Exception as exc:  # reported below, whatever it is
            outcome["second"] = exc

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert outcome["first"] == "committed"
    assert isinstance(outcome["second"], VersionConflict), outcome["second"]
    assert get(db, "M-0001").progress == 30


@pytest.fixture
def pg(postgres_url):
    engine = make_engine(postgres_url)
    yield with_departments(engine)
    engine.dispose()


def test_a_stale_copy_cannot_overwrite_a_newer_version(pg):
    # PostgreSQL only: SQLite cannot hold two write transactions open in one thread; the threaded
    # test above covers it.
    create(pg)
    with Session(pg) as first_session, Session(pg) as second_session:
        first, second = SqlUnitOfWork(first_session), SqlUnitOfWork(second_session)
        mine, theirs = first.measures.get("M-0001"), second.measures.get("M-0001")
        mine.record_progress(30, LATER)
        first.commit_measure(mine, STAFF)
        first_session.commit()
        theirs.record_progress(50, LATER)

        with pytest.raises(VersionConflict) as raised:
            second.commit_measure(theirs, MANAGER)

    assert (raised.value.expected_version, raised.value.current_version) == (1, 2)
    assert (get(pg, "M-0001").progress, len(events(pg))) == (30, 2)


# --- list and find ---------------------------------------------------------------------------------

TODAY = date(2024, 6, 15)
PROGRAMME = [
    dict(title="Radwegenetz ausbauen", due_date="2024-05-31", external_ref="KSK-3.2"),
    dict(title="Ladeinfrastruktur Kreisverwaltung", due_date="2024-12-31", status="funded",
         funding={"source": "own_budget", "amount_approved": "80000"}),
    dict(title="Bioabfall getrennt sammeln", department="AW", area="Abfallwirtschaft", programme="AWK 2020",
         due_date="2024-01-31", status="done", note="seit 2022 flächendeckend"),
    dict(title="100% Ökostrom für Kreisliegenschaften", area="Energie", status="in_progress",
         funding={"source": "third_party", "amount_approved": "1"}),
    dict(title="Photovoltaik auf Schuldächern", department="AW", area="Energie", due_date="2024-06-15"),
    dict(title="ÖPNV-Takt verdichten", description="Öffentlicher Nahverkehr im Stundentakt"),
]


@pytest.fixture
def programme(db):
    for measure in PROGRAMME:
        create(db, ADMIN, **measure)
    return db


def found(engine, limit=50, after=None, **filters):
    with unit_of_work(engine) as uow:
        measures, total, cursor = uow.measures.find(MeasureFilter(**load_filters(filters)), TODAY, limit, after)
    return [m.id for m in measures]


@pytest.mark.parametrize("filters, ids", [
    ({}, ["M-0001", "M-0002", "M-0003", "M-0004", "M-0005", "M-0006"]),
    ({"status": "planned"}, ["M-0001", "M-0005", "M-0006"]),
    ({"status": ["funded", "in_progress"]}, ["M-0002", "M-0004"]),
    ({"department": "AW"}, ["M-0003", "M-0005"]),
    ({"area": "Energie"}, ["M-0004", "M-0005"]),
    ({"programme": "AWK 2020"}, ["M-0003"]),
    ({"overdue": True}, ["M-0001"]),
    ({"overdue": False}, ["M-0002", "M-0003", "M-0004", "M-0005", "M-0006"]),
    ({"due_before": "2024-06-15"}, ["M-0001", "M-0003"]),
    ({"department": "KS", "status": "planned"}, ["M-0001", "M-0006"]),
    ({"q": "radweg"}, ["M-0001"]),
    ({"q": "ksk-3"}, ["M-0001"]),
    ({"q": "M-0005"}, ["M-0005"]),
    ({"q": "stundentakt"}, ["M-0006"]),
    ({"q": "100%"}, ["M-0004"]),
    ({"q": "%"}, ["M-0004"]),
    ({"q": "_"}, []),
    ({"q": "Rad%weg"}, []),
])
def test_each_filter_selects_exactly_the_matching_measures(programme, filters, ids):
    assert found(programme, **filters) == ids


def test_the_text_search_ignores_the_case_of_umlauts(programme):
    assert found(programme, q="öffentlicher") == found(programme, q="ÖFFENTLICHER") == ["M-0006"]


def test_pages_follow_each_other_by_cursor_and_each_counts_all_matches(programme):
    pages, after = [], None
    with unit_of_work(programme) as uow:
        while True:
            items, total, cursor = uow.measures.find(MeasureFilter(), TODAY, 4 if after is None else 2, after)
            pages.append(([m.id for m in items], total))
            if cursor is None:
                break
            after = decode_cursor(cursor)

    assert pages == [(["M-0001", "M-0002", "M-0003", "M-0004"], 6), (["M-0005", "M-0006"], 6)]


def test_paging_through_a_filter_stays_within_it(programme):
    with unit_of_work(programme) as uow:
        first, total, cursor = uow.measures.find(MeasureFilter(department="KS"), TODAY, 2)
        second, _, last = uow.measures.find(MeasureFilter(department="KS"), TODAY, 2, decode_cursor(cursor))

    assert ([m.id for m in first + second], total, last) == (["M-0001", "M-0002", "M-0004", "M-0006"], 4, None)


@pytest.mark.parametrize("cursor", ["kaputt", "e30", "eyJhZnRlciI6ICJ4In0"])
def test_a_cursor_not_made_by_the_service_is_rejected(cursor):
    with pytest.raises(ValidationError) as raised:
        decode_cursor(cursor)
    assert list(raised.value.errors) == ["cursor"]


# --- invariants in the database --------------------------------------------------------------------

@pytest.mark.parametrize("assignment", [
    "status = 'done', progress = 50",
    "status = 'funded'",
    "status = 'erledigt'",
    "priority = 'dringend'",
    "progress = 101",
    "budget_planned_cents = -1",
    "funding_source = 'lotto'",
    "planned_end = '2024-03-31'",
    "department = 'XY'",
])
def test_the_database_rejects_a_measure_the_domain_would_reject(db, assignment):
    create(db)

    with pytest.raises(IntegrityError), db.begin() as connection:
        connection.execute(text(f"UPDATE measures SET {assignment} WHERE id = 'M-0001'"))


def test_the_database_accepts_a_consistent_hand_written_fix(db):
    create(db)

    with db.begin() as connection:
        connection.execute(text("UPDATE measures SET status = 'done', progress = 100 WHERE id = 'M-0001'"))

    assert get(db, "M-0001").progress == 100
