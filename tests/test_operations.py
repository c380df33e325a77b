"""What operations rely on: graceful shutdown, health endpoints, JSON logs that carry the call id."""

import json
import urllib.error
import urllib.request

import eventlet
import pytest

from services.common.database import make_engine
from shared.errors import NotFound
from tests.conftest import TOKEN_SECRET
from tests.helpers.processes import ServiceProcess, free_port
from tests.measures.conftest import DEPARTMENTS, radweg


@pytest.fixture
def start_measures(postgres_url, amqp_uri, tmp_path):
    """Start measures service processes on one PostgreSQL database."""
    processes = []

    def start(**env):
        port = free_port()
        process = ServiceProcess("measures", {
            "AMQP_URI": amqp_uri, "MEASURES_DATABASE_URL": postgres_url, "TOKEN_SECRET": TOKEN_SECRET,
            "MEASURES_METRICS_PORT": str(port), "VAR_DIR": str(tmp_path), **env,
        }, tmp_path / f"measures-{len(processes)}.log")
        process.metrics_port = port
        processes.append(process)
        process.wait_for_output("Connected to amqp")
        return process

    yield start
    for process in processes:
        process.kill()


def test_sigterm_lets_calls_in_flight_finish_and_loses_none(start_measures, client_for, event_listener, postgres_url):
    first = start_measures()
    admin = client_for("admin", "LR", "admin")
    for department in DEPARTMENTS:
        admin.measures.create_department(department)
    workers = [client_for("staff", "KS", f"sachbearbeitung{n}") for n in range(10)]
    measures = [admin.measures.create_measure(radweg(title=f"Radweg {n}")) for n in range(10)]
    listener = event_listener(routing_keys=["measure_progress_recorded"])

    def record(client, measure):
        version = measure["version"]
        for percent in range(1, 21):
            version = client.measures.record_progress(measure["id"], percent, version)["version"]
        return version

    calls = [eventlet.spawn(record, client, measure) for client, measure in zip(workers, measures)]
    eventlet.sleep(0.3)  # the calls are under way
    assert first.stop() == 0
    second = start_measures()  # picks up what was still queued

    assert [call.wait() for call in calls] == [21] * 10
    events = listener.wait_for(200, timeout=30)
    assert len({payload["event_id"] for _, payload, _ in events}) == 200
    assert "stopping services: measures" in first.output
    engine = make_engine(postgres_url)
    with engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT count(*) FROM outbox WHERE published_at IS NULL").scalar() == 0
    engine.dispose()
    second.stop()


def test_a_repeated_sigterm_does_not_hang_the_stop(start_measures):
    import signal
    import time

    service = start_measures()

    service.process.send_signal(signal.SIGTERM)
    time.sleep(0.01)  # an orchestrator and an impatient operator, both at once
    service.process.send_signal(signal.SIGTERM)

    assert service.process.wait(20) == 0


def test_health_reports_database_and_broker(start_measures):
    service = start_measures()

    with urllib.request.urlopen(f"http://127.0.0.1:{service.metrics_port}/health", timeout=5) as response:
        report = json.load(response)

    assert response.status == 200
    assert report == {"service": "measures", "status": "ok", "checks": {"broker": "ok", "database": "ok"}}


def test_health_fails_when_the_database_is_gone(start_measures, postgres, postgres_url):
    service = start_measures()
    postgres.drop(postgres_url)

    with pytest.raises(urllib.error.HTTPError) as raised:
        urllib.request.urlopen(f"http://127.0.0.1:{service.metrics_port}/health", timeout=5)

    report = json.load(raised.value)
    assert raised.value.code == 503
    assert report["status"] == "failing" and report["checks"]["broker"] == "ok"
    assert report["checks"]["database"].startswith("failed:")


def test_json_logs_name_the_call_they_belong_to(start_measures, client_for):
    service = start_measures(LOG_FORMAT="json")
    admin = client_for("admin", "LR", "admin")

    with pytest.raises(NotFound):
        admin.measures.get_measure("M-4711")

    service.stop()
    lines = [json.loads(line) for line in service.output.splitlines() if line.startswith("{")]
    failed_call = next(line for line in lines if "M-4711" in line["message"])
    assert failed_call["service"] == "measures" and failed_call["level"] == "WARNING"
    assert failed_call["call_id"].startswith("measures.get_measure.")
    assert failed_call["call_id_stack"][-1] == failed_call["call_id"]
