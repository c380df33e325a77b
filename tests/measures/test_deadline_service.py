"""The deadline watch inside the running service, on a clock the test sets: notices once, catch-up
after a restart, two instances, the RPC calls around it."""

from datetime import datetime, timedelta, timezone

import eventlet
import pytest

from services.common.clock import FixedClock
from services.measures.service import MeasuresService
from shared.errors import Forbidden, ValidationError
from shared.events import DEADLINE_EVENTS
from tests.measures.conftest import DEPARTMENTS, GRANT, radweg

# 09:00 in Kaiserslautern on Sunday, 22 November 2026.
MORNING = datetime(2026, 11, 22, 8, 0, tzinfo=timezone.utc)


@pytest.fixture
def start(service_config, run_container):
    """Start a measures service whose clock shows ``at``."""

    def start_at(at, config=None):
        clock = FixedClock(at)
        container = run_container(MeasuresService, {**service_config, **(config or {})}, clock=clock)
        return container, clock

    return start_at


@pytest.fixture
def deadline_listener(event_listener):
    """Hears the deadline watch only, not the creation events of the test's own set-up."""
    return lambda: event_listener(routing_keys=DEADLINE_EVENTS)


@pytest.fixture
def admin(client_for):
    return client_for("admin", "LR", "admin")


def plant(admin):
    """The department tree, a measure 52 days overdue and one due in a week, in KS."""
    for department in DEPARTMENTS:
        admin.measures.create_department(department)
    late = admin.measures.create_measure(radweg(title="Radweg Landstuhl–Ramstein", due_date="2026-10-01"))
    soon = admin.measures.create_measure(radweg(title="Lastenradverleih", due_date="2026-11-29"))
    return late["id"], soon["id"]


def summary(events):
    return sorted((kind, payload["measure"]["id"], payload.get("escalation_level")) for kind, payload, _ in events)


def test_the_watch_announces_each_notice_once(start, admin, deadline_listener):
    start(MORNING)
    late, soon = plant(admin)
    listener = deadline_listener()

    reported = admin.measures.check_deadlines()

    events = listener.wait_for(3)
    assert summary(events) == [
        ("measure_due_soon", soon, None),
        ("measure_escalated", late, 3),  # 52 days late: levels KS, D2 and LR have all come due
        ("measure_overdue", late, None),
    ]
    assert len(reported) == 3
    escalation = next(payload for kind, payload, _ in events if kind == "measure_escalated")
    assert escalation["department_chain"] == ["KS", "D2", "LR"]
    assert escalation["deadline"] == {"kind": "due_date", "date": "2026-10-01", "days": -52}
    assert escalation["actor"]["user"] == "deadline-watch"

    assert admin.measures.check_deadlines() == []
    assert summary(listener.quiet_for(0.5)) == summary(events)


def test_a_restarted_service_catches_up_without_repeating(start, admin, deadline_listener):
    first, _ = start(MORNING)
    late, soon = plant(admin)
    listener = deadline_listener()
    admin.measures.check_deadlines()
    listener.wait_for(3)
    listener.events.clear()

    first.stop()  # down for eight days; the new instance's watch runs at start
    start(MORNING + timedelta(days=8))

    assert summary(listener.wait_for(2)) == [
        ("measure_overdue", late, None),  # the second weekly overdue notice, not the missed daily ones
        ("measure_overdue", soon, None),
    ]
    assert summary(listener.quiet_for(1.0)) == [("measure_overdue", late, None), ("measure_overdue", soon, None)]


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_two_instances_send_each_notice_once(start, admin, client_for, deadline_listener):
    start(MORNING, {"DEADLINE_CHECK_SECONDS": 3600})
    start(MORNING, {"DEADLINE_CHECK_SECONDS": 3600})
    for department in DEPARTMENTS:
        admin.measures.create_department(department)
    ids = [admin.measures.create_measure(radweg(title=f"Radweg {n}", due_date="2026-10-01"))["id"] for n in range(30)]
    listener = deadline_listener()

    other_admin = client_for("admin", "LR", "admin2")  # a client runs one call at a time
    runs = [eventlet.spawn(client.measures.check_deadlines) for client in (admin, other_admin)]
    reported = [run.wait() for run in runs]

    events = listener.wait_for(60, timeout=20)
    assert sorted(summary(listener.quiet_for(0.5))) == sorted(
        [("measure_escalated", i, 3) for i in ids] + [("measure_overdue", i, None) for i in ids])
    assert len(events) == 60
    assert sum(len(r) for r in reported) == 60


def test_only_admins_run_the_watch_and_a_dry_run_sends_nothing(start, admin, client_for, deadline_listener):
    start(MORNING)
    late, _ = plant(admin)
    listener = deadline_listener()

    with pytest.raises(Forbidden):
        client_for("manager", "KS").measures.check_deadlines()
    planned = admin.measures.check_deadlines(dry_run=True)

    assert {(n["type"], n["measure_id"]) for n in planned} >= {("measure_overdue", late)}
    assert listener.quiet_for(0.5) == []
    assert len(admin.measures.check_deadlines()) == len(planned)


def test_the_watch_can_look_at_another_day(start, admin):
    start(MORNING)
    late, soon = plant(admin)

    ahead = admin.measures.check_deadlines(as_of="2026-11-28", dry_run=True)

    assert {(n["type"], n["measure_id"], n["days"]) for n in ahead if n["measure_id"] == soon} == {
        ("measure_due_soon", soon, 1)}
    with pytest.raises(ValidationError):
        admin.measures.check_deadlines(as_of="next tuesday")


def test_the_overview_lists_deadlines_by_department(start, admin, client_for):
    start(MORNING)
    late, soon = plant(admin)
    admin.measures.create_measure(radweg(title="Gelbe Tonne prüfen", department="AW", due_date="2026-11-23"))

    overview = client_for("staff", "KS").measures.list_deadlines()

    assert set(overview) == {"KS", "AW"}
    assert [entry["measure_id"] for entry in overview["KS"]["overdue"]] == [late]
    assert [entry["measure_id"] for entry in overview["KS"]["due_soon"]] == [soon]
    assert overview["AW"]["due_soon"][0]["days"] == 1
    assert set(client_for("staff", "KS").measures.list_deadlines("AW")) == {"AW"}


def test_a_fulfilled_obligation_is_not_reported_missed(start, admin, deadline_listener):
    _, clock = start(MORNING)
    for department in DEPARTMENTS:
        admin.measures.create_department(department)
    grant = {**GRANT, "period_start": "2025-01-01", "period_end": "2026-05-31"}  # final proof due 2026-11-30
    measures = []
    for title in ("Radweg A", "Radweg B"):
        measure = admin.measures.create_measure(radweg(title=title))
        measure = admin.measures.set_funding(measure["id"], grant, measure["version"])
        measures.append(admin.measures.fulfil_obligation(measure["id"], "interim_proof:2025", measure["version"],
                                                         "2026-04-28"))
    fulfilled, forgotten = measures
    admin.measures.fulfil_obligation(fulfilled["id"], "final_proof", fulfilled["version"], "2026-11-20",
                                     "Verwendungsnachweis an den Projektträger Jülich")
    listener = deadline_listener()

    clock.advance(timedelta(days=9))  # 1 December: the final proof was due the day before
    admin.measures.check_deadlines()

    events = listener.wait_for(1)
    assert summary(listener.quiet_for(0.5)) == [("grant_obligation_missed", forgotten["id"], 1)]
    assert events[0][1]["deadline"] == {"kind": "final_proof", "date": "2026-11-30", "days": -1,
                                        "obligation": "final_proof"}
    history = admin.measures.get_history(fulfilled["id"])
    assert (history[-1]["action"], history[-1]["note"]) == (
        "obligation_fulfilled", "Verwendungsnachweis an den Projektträger Jülich")


def test_moving_a_passed_due_date_over_rpc_needs_a_reason(start, admin):
    start(MORNING)
    late, _ = plant(admin)

    with pytest.raises(ValidationError) as raised:
        admin.measures.update_measure(late, {"due_date": "2027-03-31"}, 1)
    moved = admin.measures.update_measure(late, {"due_date": "2027-03-31"}, 1, "Lieferverzug beim Belag")

    assert "note" in raised.value.errors
    assert moved["due_date"] == "2027-03-31"
    assert admin.measures.get_history(late)[-1]["note"] == "Lieferverzug beim Belag"
