"""Concurrent callers: one of two racing writers wins, and slow database calls do not block others."""

import time

import eventlet
import pytest
from nameko.rpc import rpc
from sqlalchemy import text

from services.measures.service import MeasuresService
from shared.errors import VersionConflict
from tests.measures.conftest import radweg


def test_of_two_concurrent_updates_with_the_same_version_exactly_one_wins(admin, client_for):
    first, second = client_for("staff", "KS", "erste"), client_for("staff", "KS", "zweite")
    measures = [admin.measures.create_measure(radweg(title=f"Radweg {n}")) for n in range(10)]

    def update(client, measure, title):
        try:
            return client.measures.update_measure(measure["id"], {"title": title}, measure["version"])
        except VersionConflict as conflict:
            return conflict

    for measure in measures:
        racers = [eventlet.spawn(update, first, measure, "von eins"), eventlet.spawn(update, second, measure, "von zwei")]
        outcomes = [racer.wait() for racer in racers]

        winners = [o for o in outcomes if isinstance(o, dict)]
        losers = [o for o in outcomes if isinstance(o, VersionConflict)]
        assert (len(winners), len(losers)) == (1, 1)
        assert losers[0].current_version == 2
        stored = admin.measures.get_measure(measure["id"])
        assert (stored["title"], stored["version"]) == (winners[0]["title"], 2)
        assert len(admin.measures.get_history(measure["id"])) == 2


class SlowMeasuresService(MeasuresService):
    """The measures service with one extra call that waits in PostgreSQL."""

    @rpc
    def wait_in_database(self, seconds):
        with self.db.read() as uow:
            uow.session.execute(text("SELECT pg_sleep(:seconds)"), {"seconds": seconds})


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_two_slow_database_calls_run_concurrently(service_config, run_container, amqp_uri):
    from nameko.standalone.rpc import ClusterRpcProxy

    run_container(SlowMeasuresService, service_config)
    config = {"AMQP_URI": amqp_uri, "serializer": "json"}

    def call():
        with ClusterRpcProxy(config) as proxy:
            proxy.measures.wait_in_database(1.0)

    started = time.monotonic()
    calls = [eventlet.spawn(call) for _ in range(2)]
    for pending in calls:
        pending.wait()
    elapsed = time.monotonic() - started

    assert elapsed < 1.8, f"two 1 s queries took {elapsed:.2f} s: they ran one after the other"
