"""Fixtures of the notifications tests: a migrated notifications database (SQLite, PostgreSQL), a
real SMTP server (aiosmtpd in its own process), a webhook receiver, the service running in
process under a name of its own, and the reporting service whose reports it sends.

Each test's service instance gets a unique service name and listens to unique event sources (for
measure events and for reports, whose archive it reads from a reporting service of that name), so
its queues, its dead-letter queue and the events it sees are its own, even with other suites
using the same broker; the queues and exchanges are deleted after the test.
"""

import email
import email.policy
import json
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import eventlet
import eventlet.wsgi
import pytest
import yaml
from kombu import Connection, Exchange, Queue
from sqlalchemy import select

from services.common.clock import Clock
from services.common.database import make_engine
from services.common.metrics import MetricsRegistry
from services.notifications.entrypoints import dead_letter_queue
from services.notifications.migrations import MIGRATIONS as NOTIFICATIONS_MIGRATIONS
from services.notifications.schemas import CONSUMED_EVENTS
from services.notifications.storage.models import DeliveryRow
from services.reporting.dependencies import MeasuresData
from services.reporting.migrations import MIGRATIONS as REPORTING_MIGRATIONS
from services.reporting.service import ReportingService
from shared.events import REPORT_GENERATED
from tests.conftest import TOKEN_SECRET, migrated_sqlite
from tests.helpers.isolation import isolated_service_class

ROOT = Path(__file__).resolve().parents[2]


def wait_until(condition, timeout=10.0, interval=0.05, message="condition"):
    """Poll ``condition`` until it returns something truthy; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout}s waiting for {message}")
        eventlet.sleep(interval)


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def notifications_sqlite_url(tmp_path):
    return migrated_sqlite(tmp_path, NOTIFICATIONS_MIGRATIONS, "notifications")


@pytest.fixture
def notifications_postgres_url(postgres):
    url = postgres.create(NOTIFICATIONS_MIGRATIONS)
    yield url
    postgres.drop(url)


@pytest.fixture(params=["sqlite", "postgres"])
def notifications_db_url(request):
    """A migrated notifications database on each supported backend."""
    return request.getfixturevalue(f"notifications_{request.param}_url")


class SmtpServer:
    """The test SMTP server process; ``stop()`` and ``start()`` again take it down and up."""

    def __init__(self, directory):
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.process = None

    def start(self, auth=None, refuse=None):
        command = [sys.executable, "-m", "tests.notifications.smtp_sink", "--port", str(self.port),
                   "--dir", str(self.directory)]
        if auth:
            command += ["--auth", auth]
        if refuse:
            command += ["--refuse", str(refuse)]
        self.process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True)
        line = self.process.stdout.readline()
        assert line.strip() == "ready", f"the SMTP test server did not start: {line!r}"
        return self

    def stop(self):
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)
        self.process = None

    def messages(self):
        """The messages received so far, oldest first; each knows ``received_ns``."""
        found = []
        for path in sorted(self.directory.glob("*.eml"), key=lambda p: int(p.name.split("-")[0])):
            message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            message.received_ns = int(path.name.split("-")[0])
            found.append(message)
        return found

    def wait_for(self, count, timeout=10.0):
        wait_until(lambda: len(self.messages()) >= count, timeout, message=f"{count} e-mail(s)")
        return self.messages()

    def quiet_for(self, seconds):
        """What arrived after waiting ``seconds`` more: to show that nothing else comes."""
        eventlet.sleep(seconds)
        return self.messages()


@pytest.fixture
def smtp_server(tmp_path):
    server = SmtpServer(tmp_path / "mail").start()
    yield server
    server.stop()


class WebhookReceiver:
    """An HTTP endpoint in the test process that keeps every request and answers ``status``."""

    def __init__(self):
        self.requests = []
        self.status = "204 No Content"
        self._socket = eventlet.listen(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._socket.getsockname()[1]}/hooks/kreis"
        self._server = eventlet.spawn(eventlet.wsgi.server, self._socket, self._app, log_output=False)

    def _app(self, environ, start_response):
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        headers = {key[5:].replace("_", "-").title(): value for key, value in environ.items()
                   if key.startswith("HTTP_")}
        self.requests.append({"path": environ["PATH_INFO"], "headers": headers, "body": body})
        start_response(self.status, [("Content-Type", "text/plain")])
        return [b""]

    def close(self):
        self._server.kill()
        self._socket.close()


@pytest.fixture
def webhook_receiver():
    receiver = WebhookReceiver()
    yield receiver
    receiver.close()


class RunningNotifications:
    """One notifications instance of a test: its names, its database, and ways to feed and read it."""

    def __init__(self, container, source, reporting, amqp_uri, database_url):
        self.container = container
        self.name = container.service_name
        self.source = source
        #: The name of the reporting service whose reports this instance sends.
        self.reporting = reporting
        self.amqp_uri = amqp_uri
        self.engine = make_engine(database_url)

    def publish(self, payload, routing_key=None, raw=None, source=None):
        """Publish an event as the measures relay does (or ``raw`` bytes as a broken producer might);
        ``source=self.reporting`` as the reporting service's relay does."""
        exchange = Exchange(f"{source or self.source}.events", type="topic", durable=True)
        with Connection(self.amqp_uri) as connection:
            producer = connection.Producer(serializer="json")
            body = payload if raw is None else raw
            options = {} if raw is None else {"content_type": "application/json", "content_encoding": "utf-8"}
            producer.publish(body, exchange=exchange, routing_key=routing_key or payload["event_type"],
                             declare=[exchange], delivery_mode=2, **options)

    def deliveries(self, **conditions):
        with self.engine.connect() as connection:
            query = select(DeliveryRow.__table__).order_by(DeliveryRow.id)
            for name, value in conditions.items():
                query = query.where(getattr(DeliveryRow, name) == value)
            return connection.execute(query).mappings().all()

    def wait_for_deliveries(self, count, timeout=10.0, **conditions):
        return wait_until(lambda: (rows := self.deliveries(**conditions)) and len(rows) >= count and rows,
                          timeout, message=f"{count} deliveries {conditions}")

    def set_clock(self, clock):
        for extension in self.container.dependencies:
            if isinstance(extension, Clock):
                extension.clock = clock

    def rpc(self, client):
        """The RPC proxy of this instance through a ``shared.client.Client``."""
        return getattr(client, self.name)

    def dead_letters(self):
        with Connection(self.amqp_uri) as connection:
            queue = Queue(dead_letter_queue(self.name), durable=True)(connection.channel())
            queue.declare()
            messages = []
            while (message := queue.get(no_ack=True)) is not None:
                messages.append(message)
            return messages


def notifications_config(amqp_uri, database_url, smtp_port, **overrides):
    config = {
        "AMQP_URI": amqp_uri,
        "DATABASE_URL": database_url,
        "TOKEN_SECRET": TOKEN_SECRET,
        "METRICS_PORT": 0,
        "serializer": "json",
        "max_workers": 10,
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": smtp_port,
        "MAIL_FROM": "Maßnahmen Landkreis <massnahmen@kreis.example>",
        "LANGUAGE": "de",
        "TIMEZONE": "Europe/Berlin",
        "DIGEST_HOUR": 7,
        "DIGEST_CHECK_SECONDS": 0.2,
        "DELIVERY_MAX_ATTEMPTS": 3,
        "DELIVERY_BACKOFF_SECONDS": 0.2,
        "DELIVERY_BACKOFF_MAX_SECONDS": 1.0,
        "DELIVERY_POLL_SECONDS": 0.2,
        "DELIVERY_LEASE_SECONDS": 5,
        "WEBHOOK_TIMEOUT_SECONDS": 3,
        "EVENT_RETRY_SECONDS": 0.2,
        "REPORT_FETCH_TIMEOUT_SECONDS": 10,
    }
    config.update(overrides)
    return config


@pytest.fixture
def broker_cleanup(amqp_uri):
    """Queues and exchanges a test created under its unique names, deleted afterwards."""
    queues, exchanges = [], []
    yield queues, exchanges
    with Connection(amqp_uri) as connection:
        for name in queues:
            channel = connection.channel()
            try:
                channel.queue_delete(name)
            except Exception:  # already gone with the test's connection
                pass
        for name in exchanges:
            channel = connection.channel()
            try:
                channel.exchange_delete(name)
            except Exception:
                pass


@pytest.fixture
def start_notifications(amqp_uri, broker_cleanup, smtp_server, run_container):
    """``start_notifications(database_url, source=None, name=None, reporting=None, **config)`` runs an
    instance.

    Calling it again with the same ``source``, ``reporting`` and ``name`` starts a second instance
    (or a restarted one) on the same queues. (``broker_cleanup`` comes before ``run_container`` so that
    the queues are deleted after the containers stopped; a test names its database fixtures
    before this one, so that they are dropped after the containers stopped.)
    """
    queues, exchanges = broker_cleanup

    def start(database_url, source=None, name=None, reporting=None, clock=None, **overrides):
        suffix = uuid.uuid4().hex[:8]
        name = name or f"notifications_t{suffix}"
        source = source or f"measures_t{suffix}"
        reporting = reporting or f"reporting_t{suffix}"
        service_cls = isolated_service_class(name, source, reporting)
        config = notifications_config(amqp_uri, database_url, smtp_server.port, **overrides)
        container = run_container(service_cls, config)
        running = RunningNotifications(container, source, reporting, amqp_uri, database_url)
        if clock is not None:
            running.set_clock(clock)
        queues.extend(f"evt-{source}-{event_type}--{name}.handle_measure_event" for event_type in CONSUMED_EVENTS)
        queues.append(f"evt-{reporting}-{REPORT_GENERATED}--{name}.handle_report_event")
        queues.extend([dead_letter_queue(name), f"rpc-{name}"])
        exchanges.extend([f"{source}.events", f"{reporting}.events"])
        return running

    return start


def registry_of(notifications):
    """The Prometheus registry of a running instance."""
    for extension in notifications.container.extensions:
        if isinstance(extension, MetricsRegistry):
            return extension.registry
    raise AssertionError("no metrics registry")


def received_body(message, subtype):
    """The text of the ``text/plain`` or ``text/html`` part of a received e-mail."""
    return message.get_body(preferencelist=(subtype,)).get_content()


def webhook_json(request):
    return json.loads(request["body"])


@pytest.fixture
def reporting_postgres_url(postgres):
    url = postgres.create(REPORTING_MIGRATIONS)
    yield url
    postgres.drop(url)


@pytest.fixture
def start_reporting(amqp_uri, broker_cleanup, run_container, tmp_path):
    """``start_reporting(name, database_url, measures="measures", kinds=None)`` runs the reporting
    service under ``name`` (its events go to ``<name>.events``), reading from the measures service
    named ``measures``, with ``kinds`` as its report kinds. Calling it again with the same name and
    database starts another instance (or a restarted one) of the same service."""
    queues, exchanges = broker_cleanup

    def start(name, database_url, measures="measures", kinds=None):
        kinds_file = tmp_path / f"{name}-kinds.yaml"
        kinds_file.write_text(yaml.safe_dump({"kinds": kinds or {}}, allow_unicode=True), encoding="utf-8")
        service_cls = type(f"Reporting_{name}", (ReportingService,), {"name": name, "measures": MeasuresData(measures)})
        container = run_container(service_cls, {
            "AMQP_URI": amqp_uri, "DATABASE_URL": database_url, "TOKEN_SECRET": TOKEN_SECRET, "METRICS_PORT": 0,
            "OUTBOX_POLL_SECONDS": 0.2, "serializer": "json", "max_workers": 10, "TIMEZONE": "Europe/Berlin",
            "LANGUAGE": "de", "REPORT_CHECK_SECONDS": 3600, "REPORT_KINDS_FILE": str(kinds_file)})
        queues.append(f"rpc-{name}")
        exchanges.append(f"{name}.events")
        return container

    return start
