"""Schedules and catch-up with an injectable clock: cron slots in the county's time zone, one
report per slot, a missed run caught up once, and a back-off after failures."""

from contextlib import contextmanager
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from services.common.clock import FixedClock
from services.common.database import make_engine, writer
from services.reporting.domain import CronError, CronSchedule, ReportKind, ReportRequest
from services.reporting.handlers import DuplicateReport, Scheduler, generate
from services.reporting.settings import ReportingSettings, load_kinds
from services.reporting.storage.models import outbox
from services.reporting.storage.unit_of_work import ReportingUnitOfWork
from shared.config import ConfigError

BERLIN = "Europe/Berlin"


def utc(*args):
    return datetime(*args, tzinfo=timezone.utc)


def slot(expression, now):
    return CronSchedule.parse(expression).latest_slot(now, BERLIN)


def test_monthly_at_seven_is_seven_in_berlin_in_winter_and_in_summer():
    assert slot("0 7 1 * *", utc(2026, 11, 22, 9)) == utc(2026, 11, 1, 6)   # CET = UTC+1
    assert slot("0 7 1 * *", utc(2026, 7, 15)) == utc(2026, 7, 1, 5)        # CEST = UTC+2
    assert slot("0 7 1 * *", utc(2026, 12, 1, 5, 59)) == utc(2026, 11, 1, 6)
    assert slot("0 7 1 * *", utc(2026, 12, 1, 6, 0)) == utc(2026, 12, 1, 6)


def test_weekdays_ranges_steps_names_and_shorthands():
    assert slot("0 7 * * mon", utc(2026, 11, 22, 9)) == utc(2026, 11, 16, 6)  # 22 Nov 2026 is a Sunday
    assert slot("30 8-18/2 * * 1-5", utc(2026, 11, 20, 12)) == utc(2026, 11, 20, 11, 30)  # Fri 12:30 Berlin
    assert slot("@monthly", utc(2026, 11, 22)) == utc(2026, 10, 31, 23)
    assert slot("0 7 29 feb *", utc(2026, 11, 22)) == utc(2024, 2, 29, 6)
    assert slot("0 7 31 feb *", utc(2026, 11, 22)) is None
    # Day of month or weekday when both are given, as in cron: the 13th or any Friday.
    assert slot("0 0 13 * fri", utc(2026, 11, 22)) == utc(2026, 11, 19, 23)


def test_the_skipped_hour_has_no_slot_and_the_repeated_hour_one():
    # 29 March 2026, 02:30 does not exist in Berlin; the day before it did (CET).
    assert slot("30 2 * * *", utc(2026, 3, 29, 12)) == utc(2026, 3, 28, 1, 30)
    # 25 October 2026, 02:30 happens twice; the first (CEST) counts, the second is no new slot.
    assert slot("30 2 * * *", utc(2026, 10, 25, 1, 45)) == utc(2026, 10, 25, 0, 30)


@pytest.mark.parametrize("expression", ["0 7 1 *", "61 7 * * *", "0 7 1 13 *", "0 7 x * *", "*/0 * * * *"])
def test_a_bad_cron_expression_names_the_problem(expression):
    with pytest.raises(CronError):
        CronSchedule.parse(expression)


def test_a_bad_kinds_file_stops_the_start_with_the_kind_named(tmp_path):
    path = tmp_path / "kinds.yaml"
    path.write_text("kinds:\n  kreistag:\n    title: Kreistag\n    schedule: '0 25 * * *'\n")
    with pytest.raises(ConfigError, match="kreistag.*schedule"):
        load_kinds(str(path))
    path.write_text("kinds:\n  Kreis Tag:\n    title: x\n")
    with pytest.raises(ConfigError, match="lower-case"):
        load_kinds(str(path))


class ArchiveDb:
    """The reporting database as a worker sees it (``read``, ``unit_of_work``), without nameko."""

    def __init__(self, url):
        self.engine = make_engine(url)

    @contextmanager
    def read(self):
        with Session(self.engine) as session, session.begin():
            yield ReportingUnitOfWork(session)

    @contextmanager
    def unit_of_work(self):
        with Session(writer(self.engine), expire_on_commit=False) as session, session.begin():
            yield ReportingUnitOfWork(session)


class FakeMeasures:
    """Answers ``snapshot`` like the measures service, with a journal that grows by one per call."""

    def __init__(self, clock):
        self.clock = clock
        self.calls = []
        self.down = False

    def snapshot(self, filters, as_of, since, include_measures=True):
        if self.down:
            raise ConnectionError("measures service unreachable")
        self.calls.append((as_of, since))
        position = len(self.calls)
        changes = None if since is None else {"since": since, "counts": {"created": 0, "status_changed": 0},
                                              "items": []}
        return {"taken_at": self.clock.now().isoformat(), "as_of": as_of.isoformat(), "position": position,
                "since": since, "filters": filters, "departments": {}, "groups": [["planned", "Klimaschutz", "KS",
                                                                                   None, 1, 0, 0]],
                "overdue": {"total": 0, "items": []}, "funded": {"total": 0, "items": []}, "changes": changes,
                "measures": {"columns": [], "rows": [], "delay_reasons": {}}}


class Outcomes:
    def __init__(self):
        self.seen = []

    def generated(self, kind, outcome, seconds=None):
        self.seen.append((kind, outcome))


@pytest.fixture
def world(reporting_sqlite_url):
    clock = FixedClock(utc(2026, 11, 22, 9))
    kinds = {"kreistag": ReportKind("kreistag", "Sachstand Kreistag", schedule=CronSchedule.parse("0 7 1 * *")),
             "auf-abruf": ReportKind("auf-abruf", "Nur auf Abruf")}
    settings = ReportingSettings(kinds=kinds, timezone=BERLIN, language="de", check_seconds=60, snapshot_timeout=60)
    db = ArchiveDb(reporting_sqlite_url)
    yield clock, Scheduler(settings), db, FakeMeasures(clock), Outcomes()
    db.engine.dispose()


def run(world):
    clock, scheduler, db, measures, outcomes = world
    return [(row.kind, row.scheduled_for, row.as_of.isoformat()) for row in
            scheduler.run_due(db, measures, clock.now(), outcomes)]


def test_the_latest_slot_is_taken_once_and_only_scheduled_kinds_run(world):
    assert run(world) == [("kreistag", utc(2026, 11, 1, 6), "2026-11-01")]  # caught up at start
    assert run(world) == []
    world[0].advance(timedelta(days=8, hours=20, minutes=59))  # 1 Dec, 06:59 Berlin
    assert run(world) == []
    world[0].advance(timedelta(minutes=1))
    assert run(world) == [("kreistag", utc(2026, 12, 1, 6), "2026-12-01")]
    assert world[3].calls[-1][1] == 1  # compared with the November report's journal position


def test_a_service_down_for_months_catches_up_once(world):
    run(world)
    world[0].advance(timedelta(days=120))  # 22 March 2027: the December, January, February, March runs missed
    assert run(world) == [("kreistag", utc(2027, 3, 1, 6), "2027-03-01")]
    assert run(world) == []
    assert len(world[3].calls) == 2


def test_after_a_failure_the_slot_is_retried_with_back_off(world):
    clock, _, _, measures, outcomes = world
    measures.down = True
    assert run(world) == [] and outcomes.seen == [("kreistag", "failed")]
    measures.down = False
    clock.advance(timedelta(seconds=30))
    assert run(world) == []  # backing off: no call at all
    clock.advance(timedelta(seconds=30))
    assert run(world) == [("kreistag", utc(2026, 11, 1, 6), "2026-11-01")]
    assert outcomes.seen[-1] == ("kreistag", "ok")


def test_a_second_instance_finds_the_slot_taken(world):
    clock, _, db, measures, outcomes = world
    other = Scheduler(world[1].settings)
    run(world)
    assert other.run_due(db, measures, clock.now(), outcomes) == []
    assert len(measures.calls) == 1


def test_a_lost_race_for_a_slot_stores_nothing_and_announces_nothing(world):
    clock, scheduler, db, measures, _ = world
    kind = scheduler.settings.kinds["kreistag"]
    request = ReportRequest(title=kind.title, filters=kind.filters, as_of=clock.today(), language="de",
                            requested_by="schedule", kind=kind, scheduled_for=utc(2026, 11, 1, 6))
    generate(db, measures, request, clock.now())  # the other instance was first

    with pytest.raises(DuplicateReport):
        generate(db, measures, request, clock.now())

    with db.read() as uow:
        assert len(uow.reports.find("kreistag")) == 1
        assert uow.session.scalar(select(func.count()).select_from(outbox)) == 1
