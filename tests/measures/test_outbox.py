"""Events are never lost and never sent for a rolled-back change: the outbox and its relay."""

import time
import uuid
from datetime import datetime, timezone
from urllib.parse import urlparse

import eventlet
import pytest
from nameko.events import get_event_exchange
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from services.common.database import make_engine
from services.common.outbox import OutboxRelay, new_event
from services.measures import handlers
from services.measures.schemas import NewMeasureSchema, load
from services.measures.service import MeasuresService
from services.measures.storage.models import outbox
from services.measures.storage.unit_of_work import SqlUnitOfWork
from shared.auth import Principal
from shared.errors import InvalidTransition
from shared.events import MeasureEventSchema
from shared.vocabulary import Role
from tests.helpers.tcp_proxy import TcpProxy
from tests.measures.conftest import GRANT, radweg

ADMIN = Principal("admin", "LR", Role.ADMIN)


def unpublished(engine):
    with engine.connect() as connection:
        return connection.scalar(select(func.count()).select_from(outbox).where(outbox.c.published_at.is_(None)))


def test_every_committed_change_is_announced_once_in_order(event_listener, admin):
    listener = event_listener()
    measure = admin.measures.create_measure(radweg())
    measure = admin.measures.update_measure(measure["id"], {"priority": "high"}, measure["version"])
    measure = admin.measures.set_funding(measure["id"], GRANT, measure["version"])
    measure = admin.measures.change_status(measure["id"], "funded", measure["version"], "Bescheid liegt vor")
    admin.measures.record_progress(measure["id"], 10, measure["version"])

    events = listener.wait_for(5)

    assert [routing_key for routing_key, _, _ in events] == [
        "measure_created", "measure_updated", "measure_funding_changed", "measure_status_changed",
        "measure_progress_recorded"]
    payloads = [MeasureEventSchema().load(payload) for _, payload, _ in events]
    assert [p["measure"]["version"] for p in payloads] == [1, 2, 3, 4, 5]
    assert len({p["event_id"] for p in payloads}) == 5
    status_event = payloads[3]
    assert (status_event["from_status"], status_event["to_status"], status_event["note"]) == (
        "planned", "funded", "Bescheid liegt vor")
    assert status_event["actor"] == {"user": "admin", "department": "LR", "role": "admin"}
    assert status_event["department_chain"] == ["KS", "D2", "LR"]
    assert listener.quiet_for(0.5) == events


def test_a_failed_change_is_not_announced(service_config, event_listener, admin):
    listener = event_listener()
    measure = admin.measures.create_measure(radweg())
    listener.wait_for(1)
    listener.events.clear()

    with pytest.raises(InvalidTransition):
        admin.measures.change_status(measure["id"], "done", measure["version"], "fertig")

    assert listener.quiet_for(1.0) == []
    engine = make_engine(service_config["DATABASE_URL"])
    with engine.connect() as connection:
        assert connection.scalar(select(func.count()).select_from(outbox)) == 1  # the creation only
    engine.dispose()


def test_an_event_leaves_at_once_after_the_commit_not_on_the_next_poll(
        service_config, run_container, client_for, event_listener):
    run_container(MeasuresService, {**service_config, "OUTBOX_POLL_SECONDS": 60})
    admin = client_for("admin", "LR", "admin")
    admin.measures.create_department({"code": "KS", "name": "Klimaschutzmanagement"})
    listener = event_listener()

    started = time.monotonic()
    admin.measures.create_measure(radweg())
    listener.wait_for(1, timeout=5)

    assert len(listener.events) == 1
    assert time.monotonic() - started < 0.5


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_two_relays_publish_each_event_exactly_once(database_url, engine, amqp_uri, event_listener):
    with engine.begin() as connection:
        for number in range(600):
            connection.execute(new_event(outbox, "measure_created", {"n": number}, datetime.now(timezone.utc)))
    source = f"relay_test_{uuid.uuid4().hex[:8]}"  # bare test payloads stay off the real exchange
    listener = event_listener(source, temporary_exchange=True)
    relays = [OutboxRelay(engine, outbox, amqp_uri, get_event_exchange(source, {})) for _ in range(2)]

    def drain(relay):
        claimed = 0
        while (batch := relay.publish_pending()) > 0:
            claimed += batch
        return claimed

    threads = [eventlet.spawn(drain, relay) for relay in relays]
    claimed = [thread.wait() for thread in threads]

    events = listener.wait_for(600, timeout=20)
    numbers = [payload["n"] for _, payload, _ in listener.quiet_for(0.5)]
    assert sorted(numbers) == list(range(600))
    assert sum(claimed) == 600 and all(count > 0 for count in claimed)  # both relays took part
    assert len(events) == 600
    assert unpublished(engine) == 0


@pytest.fixture
def broker_proxy(amqp_uri):
    """A proxy in front of the broker; requested before the container so it outlives it."""
    broker = urlparse(amqp_uri)
    proxy = TcpProxy(broker.hostname, broker.port)
    yield proxy
    proxy.close()


def test_changes_made_while_the_broker_is_away_go_out_when_it_is_back(
        service_config, broker_proxy, run_container, amqp_uri, event_listener, client_for):
    run_container(MeasuresService, {**service_config, "AMQP_URI": broker_proxy.proxied(amqp_uri)})
    admin = client_for("admin", "LR", "admin")
    admin.measures.create_department({"code": "KS", "name": "Klimaschutzmanagement"})
    listener = event_listener()  # connected directly, not through the proxy

    broker_proxy.cut()
    engine = make_engine(service_config["DATABASE_URL"])
    with Session(engine) as session, session.begin():
        uow = SqlUnitOfWork(session)
        for number in range(3):
            data = load(NewMeasureSchema(), radweg(title=f"Radweg Abschnitt {number}"))
            handlers.create_measure(uow, ADMIN, data, datetime.now(timezone.utc))
    eventlet.sleep(1.5)  # the relay tries, fails and backs off; the changes stay committed
    assert unpublished(engine) == 3
    assert listener.drain() == []

    broker_proxy.restore()
    events = listener.wait_for(3, timeout=40)

    assert sorted(payload["measure"]["title"] for _, payload, _ in events) == [
        f"Radweg Abschnitt {number}" for number in range(3)]
    assert unpublished(engine) == 0
    engine.dispose()


def test_events_carry_the_call_id_of_the_change_for_tracing(event_listener, admin):
    listener = event_listener()
    admin.measures.create_measure(radweg())

    (_, _, headers), = listener.wait_for(1)

    call_ids = headers["nameko.call_id_stack"]
    assert call_ids and call_ids[-1].startswith("measures.create_measure.")
    uuid.UUID(call_ids[-1].rsplit(".", 1)[1])


def test_commits_do_not_cut_a_backoff_short_while_the_broker_is_away(sqlite_url):
    from tests.helpers.processes import free_port

    engine = make_engine(sqlite_url)
    with engine.begin() as connection:
        connection.execute(new_event(outbox, "measure_created", {"n": 1}, datetime.now(timezone.utc)))
    relay = OutboxRelay(engine, outbox, f"amqp://guest:guest@127.0.0.1:{free_port()}/",
                        get_event_exchange("measures", {}), poll_seconds=0.05)
    thread = eventlet.spawn(relay.run)
    for _ in range(30):  # a busy service commits, and wakes the relay, all the time
        eventlet.sleep(0.05)
        relay.wake()
    relay.stop()
    thread.wait()

    with engine.connect() as connection:
        attempts = connection.scalar(select(outbox.c.attempts))
    engine.dispose()
    # 1.5 s with a backoff of 0.5 s, then 1 s: a handful of attempts, not one per commit
    assert 2 <= attempts <= 5
