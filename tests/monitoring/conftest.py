"""Fixtures of the monitoring tests: the three services as processes, started as in production
(`python -m services.<name>`) on migrated PostgreSQL databases of their own, a scripted scenario
through the Python client, and the binaries of the Debian package ``prometheus``.

The services keep their production names (measures, notifications, reporting), so their RPC and
event queues are the production ones on the test broker: like tests/test_operations.py, these
tests expect no other measures platform on that broker (point TEST_AMQP_URI at a broker or virtual
host of their own where others work on the same one). Queues the stack declared that were not there
before are deleted afterwards.

Outside CI a missing promtool or prometheus skips the tests that need it; with CI=true it fails them.
"""

import shutil
import subprocess
import time
import urllib.request
from datetime import date, timedelta

import pytest
from amqp.exceptions import NotFound as AmqpNotFound
from kombu import Connection

from services.common.runner import migrations_of, service_class
from shared.auth import issue_token
from tests.conftest import IN_CI, TOKEN_SECRET
from tests.helpers.processes import ServiceProcess, free_port
from tests.notifications.conftest import SmtpServer

from .promql import exported_series

SERVICES = ("measures", "notifications", "reporting")

REPORT_KINDS = """\
kinds:
  monatsbericht:
    title: Monatsbericht Programm des Landrats
    recipients: [gremien@kreis.example]
    schedule: "0 7 1 * *"
"""


def binary(name):
    path = shutil.which(name)
    if path is None:
        message = f"{name} is not installed (Debian package prometheus; .ci/run installs it)"
        if IN_CI:
            pytest.fail(f"{message} (CI=true: monitoring tests are not skipped)")
        pytest.skip(message)
    return path


@pytest.fixture(scope="session")
def promtool():
    return binary("promtool")


@pytest.fixture(scope="session")
def prometheus_binary():
    return binary("prometheus")


def wait_until(condition, timeout, message, interval=0.2):
    """Poll ``condition`` until it returns something truthy; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout} s waiting for {message}")
        time.sleep(interval)


class Stack:
    """The three running services: their processes and metrics ports."""

    def __init__(self, processes, ports, smtp):
        self.processes = processes
        self.ports = ports
        self.smtp = smtp

    def scrape(self, name):
        with urllib.request.urlopen(f"http://127.0.0.1:{self.ports[name]}/metrics", timeout=10) as response:
            assert response.status == 200
            return response.read().decode()

    def series(self, name):
        """{series name: has samples} of one service's /metrics now."""
        return exported_series(self.scrape(name))

    def logs(self):
        return "\n".join(f"--- {name}\n{process.output[-3000:]}" for name, process in self.processes.items())


def broker_queues(env):
    """The queues the three services declare: RPC, event handlers, the dead-letter queue."""
    from nameko.containers import ServiceContainer
    from nameko.events import EventHandler

    from services.notifications.entrypoints import dead_letter_queue
    from shared.config import load_settings

    settings = load_settings(environ=env)
    names = {dead_letter_queue("notifications")}
    for name in SERVICES:
        names.add(f"rpc-{name}")
        container = ServiceContainer(service_class(name), settings.nameko_config(name))
        for entrypoint in container.entrypoints:
            if isinstance(entrypoint, EventHandler):
                entrypoint.setup()  # builds the queue as at service start; declares nothing
                names.add(entrypoint.queue.name)
    return names


def existing_queues(amqp_uri, names):
    found = set()
    with Connection(amqp_uri, connect_timeout=5) as connection:
        for name in names:
            channel = connection.channel()
            try:
                channel.queue_declare(name, passive=True)
                found.add(name)
                channel.close()
            except AmqpNotFound:  # not there; the broker closed the channel
                pass
    return found


def delete_queues(amqp_uri, names):
    with Connection(amqp_uri, connect_timeout=5) as connection:
        for name in names:
            channel = connection.channel()
            channel.queue_delete(name)
            channel.close()


@pytest.fixture(scope="package")
def stack(amqp_uri, postgres, tmp_path_factory):
    """measures, notifications and reporting as processes, each on its own migrated database, with
    an SMTP sink for the e-mails; measures comes up first so that reporting's catch-up of its
    scheduled report at start finds it."""
    directory = tmp_path_factory.mktemp("stack")
    smtp = SmtpServer(directory / "mail").start()
    databases = {name: postgres.create(migrations_of(name)) for name in SERVICES}
    (directory / "report-kinds.yaml").write_text(REPORT_KINDS)
    ports = {name: free_port() for name in SERVICES}
    env = {
        "AMQP_URI": amqp_uri, "TOKEN_SECRET": TOKEN_SECRET, "CONFIG_FILE": "", "VAR_DIR": str(directory),
        **{f"{name.upper()}_DATABASE_URL": url for name, url in databases.items()},
        **{f"{name.upper()}_METRICS_PORT": str(port) for name, port in ports.items()},
        "METRICS_HOST": "127.0.0.1", "LANGUAGE": "de", "TIMEZONE": "Europe/Berlin", "LOG_FORMAT": "text",
        "SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(smtp.port), "SMTP_SECURITY": "none",
        "OUTBOX_POLL_SECONDS": "0.2", "DELIVERY_POLL_SECONDS": "0.2", "DEADLINE_CHECK_SECONDS": "1",
        "REPORT_KINDS_FILE": str(directory / "report-kinds.yaml"),
    }
    queues = broker_queues(env)
    queues_before = existing_queues(amqp_uri, queues)
    processes = {}
    try:
        for group in (("measures", "notifications"), ("reporting",)):
            for name in group:
                processes[name] = ServiceProcess(name, env, directory / f"{name}.log")
            for name in group:
                processes[name].wait_for_output("Connected to amqp", timeout=30)
        yield Stack(processes, ports, smtp)
    finally:
        # One SIGTERM each, all at once so that they stop in parallel, then SIGKILL whatever has
        # not exited.
        for process in processes.values():
            if process.process.poll() is None:
                process.process.terminate()
        for process in processes.values():
            try:
                process.process.wait(20)
            except subprocess.TimeoutExpired:
                pass
            process.kill()  # kills a process still running; closes the log
        smtp.stop()
        delete_queues(amqp_uri, queues - queues_before)
        for url in databases.values():
            postgres.drop(url)


class Scenario:
    """What the scripted scenario did, for the tests to compare with the metrics."""

    status_changes = 0
    departments = ()


@pytest.fixture(scope="package")
def scenario(stack, amqp_uri):
    """A short working day: departments, measures (one overdue, one with a grant obligation due in
    20 days), status changes and progress, a conflict, an e-mail subscription, a report on demand.
    Returns once the e-mails went out and every service shows the effects on /metrics."""
    from shared.client import Client
    from shared.errors import VersionConflict

    done = Scenario()
    today = date.today()
    admin_token = issue_token(TOKEN_SECRET, "admin", "LR", "admin", ttl=timedelta(hours=2))
    staff_token = issue_token(TOKEN_SECRET, "mueller.ks", "KS", "staff", ttl=timedelta(hours=2))
    with Client(admin_token, amqp_uri=amqp_uri, timeout=20) as admin, \
            Client(staff_token, amqp_uri=amqp_uri, timeout=20) as staff:
        for department in ({"code": "LR", "name": "Landrat", "parent": None},
                           {"code": "KS", "name": "Klimaschutzmanagement", "parent": "LR"},
                           {"code": "MOB", "name": "Mobilität", "parent": "LR"}):
            admin.measures.create_department(department)
        done.departments = ("LR", "KS", "MOB")
        admin.notifications.subscribe({"department": "KS", "address": "klimaschutz@kreis.example"})

        late = staff.measures.create_measure({"title": "Radwegenetz ausbauen", "department": "KS",
                                              "due_date": (today - timedelta(days=3)).isoformat()})
        solar = staff.measures.create_measure({"title": "PV-Anlage Kreishaus", "department": "KS"})
        bus = admin.measures.create_measure({"title": "Rufbus im Westkreis", "department": "MOB"})
        solar = staff.measures.set_funding(solar["id"], {
            "source": "grant", "programme": "NKI Kommunalrichtlinie", "reference": "03K17253",
            "amount_approved": "48000.00", "period_start": (today - timedelta(days=300)).isoformat(),
            "period_end": (today + timedelta(days=20)).isoformat()}, solar["version"])
        solar = staff.measures.change_status(solar["id"], "funded", solar["version"])
        solar = staff.measures.change_status(solar["id"], "in_progress", solar["version"])
        solar = staff.measures.record_progress(solar["id"], 40, solar["version"], "Dach geprüft")
        stale_version = late["version"]
        late = staff.measures.change_status(late["id"], "cancelled", late["version"], "Keine Fördermittel")
        with pytest.raises(VersionConflict):  # an expected error: outcome VersionConflict, not error
            staff.measures.change_status(late["id"], "funded", stale_version)
        late = admin.measures.change_status(late["id"], "planned", late["version"])  # reactivated, still late
        admin.measures.change_status(bus["id"], "cancelled", bus["version"], "Ausschreibung ohne Angebot")
        done.status_changes = 5
        admin.reporting.generate_report(title="Sachstand Klimaschutz", filters={"departments": ["KS"]})

    stack.smtp.wait_for(1, timeout=20)

    def effects_visible():
        measures, notifications, reporting = (stack.series(name) for name in SERVICES)
        return (measures.get("measures_deadline_notices_total") and measures.get("measures_overdue")
                and notifications.get("notification_delivery_latency_seconds_bucket")
                and reporting.get("reports_generated_total"))

    wait_until(effects_visible, 30, f"the scenario's effects on /metrics\n{stack.logs()}")
    return done
