"""The deadline watch against real storage, run on SQLite and on PostgreSQL.

Through ``watch.watch_deadlines``, the use cases in ``handlers`` and the ``SqlUnitOfWork``: each notice
is emitted once across restarts and concurrent instances, a late watch catches up without a flood,
escalations climb the department chain, fulfilled obligations and moved dates change what is watched
(and are journaled), a dry run writes nothing, and the overview groups what is current by department.
"""

from collections import Counter
from contextlib import contextmanager
from datetime import date, datetime, time, timedelta, timezone
from types import SimpleNamespace

import eventlet
import pytest
from nameko.testing.services import worker_factory
from sqlalchemy import select
from sqlalchemy.orm import Session

from services.common.database import make_engine, writer
from services.measures import handlers
from services.measures.domain.deadlines import DeadlineRules
from services.measures.schemas import NewMeasureSchema, load
from services.measures.service import MeasuresService
from services.measures.storage.models import DeadlineNoticeRow, outbox
from services.measures.storage.unit_of_work import SqlUnitOfWork
from services.measures.watch import deadline_overview, rules_from_config, watch_deadlines
from shared.auth import Principal
from shared.config import ConfigError
from shared.errors import ValidationError
from shared.events import DEADLINE_EVENTS
from shared.vocabulary import Role

TODAY = date(2026, 11, 22)
CREATED = datetime(2026, 11, 2, 9, 30, tzinfo=timezone.utc)
NOW = datetime(2026, 11, 22, 10, 15, tzinfo=timezone.utc)
RULES = DeadlineRules()
ADMIN = Principal("admin", "LR", Role.ADMIN)
STAFF = Principal("mueller.ks", "KS", Role.STAFF)
REASON = "Ausschreibung musste wiederholt werden"

#: Final proof due 30 November 2026, no interim proof (the period lies within one year).
GRANT = {"source": "grant", "programme": "NKI Kommunalrichtlinie", "reference": "03K17253",
         "amount_approved": "48000.00", "period_start": "2026-01-01", "period_end": "2026-05-31"}


@contextmanager
def unit_of_work(engine):
    """One transaction, as the service's ``unit_of_work()``: a writer, committed unless an exception
    escapes or the work was ``discard()``-ed."""
    with Session(writer(engine), expire_on_commit=False) as session, session.begin() as transaction:
        uow = SqlUnitOfWork(session)
        yield uow
        if uow.discarded:
            transaction.rollback()


@pytest.fixture
def db(engine):
    """The measures database with a two-level chain above KS: KS -> D2 -> LR (and AW beside KS)."""
    for code, name, parent in (("LR", "Landrat", None), ("D2", "Geschäftsbereich 2 – Bauen und Umwelt", "LR"),
                               ("KS", "Klimaschutzmanagement", "D2"), ("AW", "Abfallwirtschaft", "D2")):
        with unit_of_work(engine) as uow:
            handlers.create_department(uow, ADMIN, {"code": code, "name": name, "parent": parent})
    return engine


def create(engine, now=CREATED, **overrides):
    data = {"title": "Radwegenetz ausbauen", "department": "KS", "area": "Mobilität und Infrastruktur",
            "programme": "Klimaschutzkonzept 2023", **overrides}
    with unit_of_work(engine) as uow:
        return handlers.create_measure(uow, ADMIN, load(NewMeasureSchema(), data), now)


def morning(day):
    return datetime.combine(day, time(5, 0), timezone.utc)


def watch(engine, today=TODAY, dry_run=False):
    with unit_of_work(engine) as uow:
        return watch_deadlines(uow, today, morning(today), RULES, dry_run)


def watch_daily(engine, first, last):
    """Run the watch every morning from ``first`` to ``last``; (day, notice) of everything emitted."""
    emitted, day = [], first
    while day <= last:
        emitted += [(day, notice) for notice in watch(engine, day)]
        day += timedelta(days=1)
    return emitted


def deadline_events(engine):
    with engine.connect() as connection:
        rows = connection.execute(select(outbox).where(outbox.c.event_type.in_(DEADLINE_EVENTS))
                                  .order_by(outbox.c.id)).all()
    return [row.payload for row in rows]


def logged_notices(engine):
    with engine.connect() as connection:
        return connection.execute(select(DeadlineNoticeRow.__table__)).all()


def get(engine, measure_id):
    with unit_of_work(engine) as uow:
        return uow.measures.get(measure_id)


def journal(engine, measure_id):
    with unit_of_work(engine) as uow:
        return uow.measures.history(measure_id)


def brief(notices):
    return [(n["measure_id"], n["type"], n["kind"], n["date"]) for n in notices]


# --- once, and only once ---------------------------------------------------------------------------

def test_a_watch_run_again_on_the_same_day_after_a_restart_emits_nothing(db, database_url):
    create(db, due_date="2026-11-15")
    create(db, title="Ladeinfrastruktur Kreisverwaltung", due_date="2026-11-25")

    first = watch(db)
    restarted = make_engine(database_url)
    try:
        second = watch(restarted)
    finally:
        restarted.dispose()

    assert brief(first) == [("M-0001", "measure_overdue", "due_date", "2026-11-15"),
                            ("M-0002", "measure_due_soon", "due_date", "2026-11-25")]
    assert second == []
    events = {event["event_id"]: event["event_type"] for event in deadline_events(db)}
    assert sorted((row.measure_id, row.notice_key, events[row.event_id]) for row in logged_notices(db)) == [
        ("M-0001", "due_date@2026-11-15/overdue:0", "measure_overdue"),
        ("M-0002", "due_date@2026-11-25/remind:7", "measure_due_soon")]
    assert len(events) == 2


def test_two_watches_running_at_the_same_time_emit_each_notice_exactly_once(db, database_url):
    """As two service instances do: real threads, each with its own engine, started together."""
    threading = eventlet.patcher.original("threading")
    with unit_of_work(db) as uow:
        for n in range(200):
            handlers.create_measure(uow, ADMIN, {"title": f"Maßnahme {n}", "department": "KS",
                                                 "due_date": date(2026, 11, 1)}, CREATED)
    start, results = threading.Barrier(2, timeout=30), {}

    def instance(name):
        engine = make_engine(database_url)
        try:
            with Session(writer(engine), expire_on_commit=False) as session, session.begin():
                uow = SqlUnitOfWork(session)
                start.wait()
                results[name] = watch_deadlines(uow, TODAY, NOW, RULES)
        except Exception as exc:  # reported below, whatever it is
            results[name] = exc
        finally:
            engine.dispose()

    threads = [threading.Thread(target=instance, args=(name,)) for name in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)

    assert not any(isinstance(result, Exception) for result in results.values()), results
    assert len(results["a"]) + len(results["b"]) == 400  # overdue:2 and escalate:1 for each measure
    events = deadline_events(db)
    per_notice = Counter((e["measure"]["id"], e["event_type"], e["escalation_level"]) for e in events)
    assert len(per_notice) == 400 and set(per_notice.values()) == {1}
    assert sorted(row.event_id for row in logged_notices(db)) == sorted(e["event_id"] for e in events)


# --- catching up and escalating --------------------------------------------------------------------

def test_after_downtime_the_watch_sends_only_the_current_notices(db):
    create(db, due_date="2026-11-21")
    watch(db)

    later = date(2026, 12, 12)  # 20 days later: overdue:1 and :2 and escalation level 1 fell due meanwhile
    caught_up = watch(db, later)

    assert [(n["type"], n["days"], n["escalation_level"]) for n in caught_up] == [
        ("measure_overdue", -21, None), ("measure_escalated", -21, 1)]
    first, overdue, escalated = deadline_events(db)
    assert first["deadline"] == {"kind": "due_date", "date": "2026-11-21", "days": -1}
    assert overdue["deadline"] == {"kind": "due_date", "date": "2026-11-21", "days": -21}
    assert (overdue["event_type"], overdue["escalation_level"]) == ("measure_overdue", None)
    assert (escalated["event_type"], escalated["escalation_level"]) == ("measure_escalated", 1)
    for event in (overdue, escalated):
        assert event["department_chain"] == ["KS", "D2", "LR"]
        assert event["actor"]["user"] == "deadline-watch"
        assert event["occurred_at"] == morning(later).isoformat()
        assert (event["measure"]["id"], event["measure"]["due_date"]) == ("M-0001", "2026-11-21")


def test_an_overdue_measure_is_escalated_up_the_department_chain_on_the_right_days(db):
    create(db, due_date="2026-11-21")

    emitted = watch_daily(db, TODAY, date(2027, 1, 31))

    escalations = [(day, n["escalation_level"]) for day, n in emitted if n["type"] == "measure_escalated"]
    assert escalations == [(date(2026, 12, 6), 1), (date(2026, 12, 20), 2), (date(2027, 1, 3), 3)]
    chain = deadline_events(db)[0]["department_chain"]
    assert [chain[level - 1] for _, level in escalations] == ["KS", "D2", "LR"]


# --- grant obligations -----------------------------------------------------------------------------

def fulfil(engine, measure_id, obligation, version, on=date(2026, 11, 20), note="Verwendungsnachweis eingereicht"):
    with unit_of_work(engine) as uow:
        return handlers.fulfil_obligation(uow, STAFF, measure_id, obligation, on, version, note, NOW)


def test_a_fulfilled_obligation_is_no_longer_reminded_while_an_open_one_is(db):
    create(db, status="funded", funding=GRANT)
    create(db, status="funded", funding=GRANT, title="Energiemanagement einführen")
    assert brief(watch(db)) == [("M-0001", "grant_obligation_due", "final_proof", "2026-11-30"),
                                ("M-0002", "grant_obligation_due", "final_proof", "2026-11-30")]

    fulfil(db, "M-0001", "final_proof", 1)
    emitted = watch_daily(db, date(2026, 11, 23), date(2026, 12, 20))

    assert [(day, n["measure_id"], n["type"]) for day, n in emitted] == [
        (date(2026, 11, 23), "M-0002", "grant_obligation_due"),
        (date(2026, 12, 1), "M-0002", "grant_obligation_missed"),
        (date(2026, 12, 15), "M-0002", "measure_escalated"),
    ]
    assert get(db, "M-0001").obligations_fulfilled == {"final_proof": date(2026, 11, 20)}


def test_fulfilling_an_obligation_is_journaled_and_announced_as_an_update(db):
    create(db, status="funded", funding=GRANT)

    measure = fulfil(db, "M-0001", "final_proof", 1)

    entry = journal(db, "M-0001")[-1]
    assert (measure.version, entry.version, entry.action, entry.actor_user, entry.note) == (
        2, 2, "obligation_fulfilled", "mueller.ks", "Verwendungsnachweis eingereicht")
    assert entry.changes == {"obligations_fulfilled": [{}, {"final_proof": "2026-11-20"}]}
    with db.connect() as connection:
        last = connection.execute(select(outbox).order_by(outbox.c.id.desc())).first()
    assert (last.event_type, last.payload["changes"]) == ("measure_updated", entry.changes)


@pytest.mark.parametrize("obligation", ["interim_proof:2026", "Verwendungsnachweis", "final_proof"])
def test_an_unknown_or_already_fulfilled_obligation_is_refused(db, obligation):
    create(db, status="funded", funding=GRANT)
    fulfil(db, "M-0001", "final_proof", 1)

    with pytest.raises(ValidationError) as raised:
        fulfil(db, "M-0001", obligation, 2)

    assert list(raised.value.errors) == ["obligation"]
    assert (get(db, "M-0001").version, len(journal(db, "M-0001"))) == (2, 2)


# --- moving dates ----------------------------------------------------------------------------------

def move(engine, changes, note=None, version=1, today=TODAY):
    with unit_of_work(engine) as uow:
        return handlers.update_measure(uow, STAFF, "M-0001", changes, version, NOW, note=note, today=today)


@pytest.mark.parametrize("field", ["due_date", "planned_end"])
def test_moving_a_date_that_has_passed_without_a_reason_is_refused_and_changes_nothing(db, field):
    create(db, **{field: "2026-11-15"})

    for note in (None, "  "):
        with pytest.raises(ValidationError) as raised:
            move(db, {field: date(2026, 12, 15)}, note)
        assert list(raised.value.errors) == ["note"]

    measure = get(db, "M-0001")
    assert (getattr(measure, field), measure.version, len(journal(db, "M-0001"))) == (date(2026, 11, 15), 1, 1)


@pytest.mark.parametrize("field", ["due_date", "planned_end"])
def test_a_passed_date_moved_with_a_reason_is_stored_with_the_reason_in_the_journal(db, field):
    create(db, **{field: "2026-11-15"})

    move(db, {field: date(2026, 12, 15)}, REASON)

    entry = journal(db, "M-0001")[-1]
    assert getattr(get(db, "M-0001"), field) == date(2026, 12, 15)
    assert (entry.action, entry.note, entry.changes) == ("updated", REASON, {field: ["2026-11-15", "2026-12-15"]})


@pytest.mark.parametrize("old", ["2026-11-22", "2026-11-25"])
def test_moving_a_date_that_has_not_passed_needs_no_reason(db, old):
    create(db, due_date=old)

    move(db, {"due_date": date(2026, 12, 15)})

    assert (get(db, "M-0001").due_date, journal(db, "M-0001")[-1].note) == (date(2026, 12, 15), None)


def test_a_re_import_cannot_move_a_passed_date_without_a_reason(db):
    """Through the service's import entry point (nameko's ``worker_factory``, no broker needed): the
    import must tell the domain which day it is, or the rule is silently skipped."""
    service = worker_factory(MeasuresService, db=SimpleNamespace(unit_of_work=lambda: unit_of_work(db)),
                             auth=SimpleNamespace(principal=ADMIN),
                             clock=SimpleNamespace(now=lambda: NOW, today=lambda: TODAY))
    row = {"external_ref": "KSK-3.2", "title": "Radwegenetz ausbauen", "department": "KS"}
    create(db, **row, due_date="2026-11-15")

    report = service.import_measures([{**row, "due_date": "2026-12-15"}])

    assert [(error["row"], error["field"]) for error in report["errors"]] == [(1, "note")]
    assert (report["applied"], get(db, "M-0001").due_date) == (False, date(2026, 11, 15))


def test_after_a_move_the_watch_follows_the_new_date_and_forgets_the_old(db):
    create(db, due_date="2026-11-15")
    assert brief(watch(db)) == [("M-0001", "measure_overdue", "due_date", "2026-11-15")]

    move(db, {"due_date": date(2026, 11, 28)}, REASON)
    emitted = [(day, n["type"], n["date"]) for day, n in watch_daily(db, TODAY, date(2026, 12, 6))]

    assert emitted == [
        (TODAY, "measure_due_soon", "2026-11-28"),              # remind:7, six days ahead
        (date(2026, 11, 27), "measure_due_soon", "2026-11-28"),  # remind:1
        (date(2026, 11, 29), "measure_overdue", "2026-11-28"),  # overdue:0
        (date(2026, 12, 6), "measure_overdue", "2026-11-28"),   # overdue:1; the old date's would have been on 23 Nov
    ]


# --- dry run and overview --------------------------------------------------------------------------

def test_a_dry_run_reports_what_would_be_emitted_and_writes_nothing(db):
    create(db, due_date="2026-11-01")

    rehearsed = watch(db, dry_run=True)

    assert brief(rehearsed) == [("M-0001", "measure_overdue", "due_date", "2026-11-01"),
                                ("M-0001", "measure_escalated", "due_date", "2026-11-01")]
    assert (deadline_events(db), logged_notices(db)) == ([], [])
    assert watch(db) == rehearsed
    assert watch(db, dry_run=True) == []


def test_the_overview_lists_what_is_current_by_department_and_section(db):
    create(db, due_date="2026-11-25")                                                      # M-0001
    create(db, due_date="2026-11-15")                                                      # M-0002
    create(db, due_date="2026-11-01")                                                      # M-0003
    create(db, now=datetime(2026, 8, 1, 8, 0, tzinfo=timezone.utc), status="in_progress",
           funding={"source": "own_budget", "amount_approved": "80000"})                    # M-0004
    create(db, status="funded", funding=GRANT)                                             # M-0005
    create(db, department="AW", title="Bioabfall getrennt sammeln", due_date="2026-11-20")  # M-0006
    create(db, department="AW", title="Wertstoffhof", due_date="2026-11-01", status="done", note="erledigt")

    with unit_of_work(db) as uow:
        overview = deadline_overview(uow, TODAY, RULES)
        only_aw = deadline_overview(uow, TODAY, RULES, department="AW")

    def sections(department):
        return {section: [(e["measure_id"], e["kind"], e["date"], e["days"]) for e in entries]
                for section, entries in overview[department].items()}

    assert sorted(overview) == ["AW", "KS"]
    assert sections("KS") == {
        "due_soon": [("M-0001", "due_date", "2026-11-25", 3)],
        "overdue": [("M-0003", "due_date", "2026-11-01", -21), ("M-0002", "due_date", "2026-11-15", -7)],
        "escalated": [("M-0003", "due_date", "2026-11-01", -21)],
        "update_requested": [("M-0004", "stale", "2026-08-01", -113)],
        "obligations": [("M-0005", "final_proof", "2026-11-30", 8)],
    }
    assert overview["KS"]["escalated"][0]["escalation_level"] == 1
    assert sections("AW") == {"due_soon": [], "overdue": [("M-0006", "due_date", "2026-11-20", -2)],
                              "escalated": [], "update_requested": [], "obligations": []}
    assert only_aw == {"AW": overview["AW"]}
    assert (deadline_events(db), logged_notices(db)) == ([], [])  # looking is not announcing


# --- settings --------------------------------------------------------------------------------------

def test_the_deadline_settings_are_read_from_the_configuration():
    rules = rules_from_config({"REMINDER_DAYS": "1, 14,3", "OVERDUE_REPEAT_DAYS": "3", "INTERIM_PROOF_DUE": "06-30",
                               "FINAL_PROOF_MONTHS": 12})

    assert (rules.reminder_days, rules.overdue_repeat_days, rules.obligation_reminder_days) == ((14, 3, 1), 3, (30, 7))
    assert (rules.grant.interim_proof_due, rules.grant.final_proof_months) == ((6, 30), 12)


@pytest.mark.parametrize("setting", [
    {"OVERDUE_REPEAT_DAYS": 0}, {"ESCALATE_STEP_DAYS": 0}, {"STALE_AFTER_DAYS": 0},
    {"INTERIM_PROOF_DUE": "02-30"}, {"INTERIM_PROOF_DUE": "02-29"},  # 29 Feb exists in leap years only
])
def test_deadline_settings_that_would_break_every_watch_run_are_refused_at_start(setting):
    with pytest.raises(ConfigError):
        rules_from_config(setting)
