"""Benchmark of issue 3: from a status change to the e-mail in the mailbox.

    .venv/bin/python bench/notifications_latency.py [--changes 1000] [--rate 100] [--measures 50]

What it does, start to end:

1. creates two PostgreSQL databases (measures, notifications) of its own and migrates them;
2. starts a real SMTP server (aiosmtpd writing every message to a maildir), and the measures and
   notifications services, each as its own process, under service names of their own (so nothing
   else on the broker talks to them), and waits until both answer RPC;
3. as an admin, creates the department KS, subscribes its functional mailbox (immediate e-mail)
   and ``--measures`` measures; waits for their "created" e-mails;
4. sends ``--changes`` status changes at ``--rate`` per second, spread over the measures (each one
   planned -> cancelled -> planned ..., so every change is allowed), every change one event and
   one e-mail;
5. waits for every e-mail and prints, from the notifications database and the maildir:
   - events/s from the first status change to the last recorded delivery,
   - p50/p99/max latency from the change (the event's ``occurred_at``) to the delivery recorded,
   - p50/p99/max latency from the change to the e-mail received by the SMTP server,
   and the target of the issue (p99 under one second at 100 changes/s);
6. stops everything and drops both databases (also on errors and Ctrl-C).

With ``--serve measures|notifications`` the script is one of the service processes of step 2.
"""

import warnings

warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")

import eventlet  # noqa: E402
import eventlet.queue  # noqa: E402

eventlet.monkey_patch()  # before anything opens a socket: the services and the client are green

import argparse  # noqa: E402
import email  # noqa: E402
import os  # noqa: E402
import secrets  # noqa: E402
import shutil  # noqa: E402
import socket  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kombu import Connection  # noqa: E402
from sqlalchemy import create_engine, select, text  # noqa: E402

ADMIN_URL = os.environ.get("BENCH_POSTGRES_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres")
AMQP_URI = os.environ.get("AMQP_URI", "amqp://guest:guest@127.0.0.1:5672/")
MAILBOX = "klimaschutz@kreis.example"
#: RPC clients for the calls in flight: at 100 changes/s and ~20 ms a call a handful are busy.
CLIENTS = 20


def serve(kind, name, source):
    """Child mode: run one service under ``name`` (the notifications service listening to ``source``)."""
    from nameko.cli.run import run

    from services.common.logs import configure_logging
    from shared.config import load_settings

    settings = load_settings()
    configure_logging(settings, kind)
    if kind == "measures":
        from services.measures.service import MeasuresService

        service_cls = type("BenchMeasures", (MeasuresService,), {"name": name})
    else:
        from tests.helpers.isolation import isolated_service_class

        service_cls = isolated_service_class(name, source, reporting=f"{source}_reporting")
    run([service_cls], settings.nameko_config(kind))


class Run:
    """Everything the benchmark starts, so that it can all be stopped and dropped again."""

    def __init__(self, args):
        self.args = args
        self.suffix = secrets.token_hex(4)
        self.measures_name = f"measures_bench_{self.suffix}"
        self.notifications_name = f"notifications_bench_{self.suffix}"
        self.admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT", pool_size=1)
        self.databases = {}
        self.processes = []
        self.workdir = Path(tempfile.mkdtemp(prefix="bench-notifications-"))
        self.maildir = self.workdir / "maildir"
        self.token_secret = secrets.token_urlsafe(32)

    def create_databases(self):
        from services.common.database import make_engine
        from services.measures.migrations import MIGRATIONS as MEASURES
        from services.notifications.migrations import MIGRATIONS as NOTIFICATIONS

        for service, migrations in (("measures", MEASURES), ("notifications", NOTIFICATIONS)):
            name = f"bench_{service}_{self.suffix}"
            with self.admin.connect() as connection:
                connection.execute(text(f'CREATE DATABASE "{name}"'))
            url = self.admin.url.set(database=name).render_as_string(hide_password=False)
            self.databases[service] = url
            engine = make_engine(url)
            migrations.upgrade(engine)
            engine.dispose()

    def start_smtp(self):
        self.smtp_port = free_port()
        self.processes.append(subprocess.Popen(
            [sys.executable, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{self.smtp_port}",
             "-c", "aiosmtpd.handlers.Mailbox", str(self.maildir)], cwd=ROOT))
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.smtp_port), timeout=1).close()
                return
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("the SMTP server did not start")
                time.sleep(0.1)

    def start_services(self):
        env = {
            **os.environ, "AMQP_URI": AMQP_URI, "TOKEN_SECRET": self.token_secret, "LOG_LEVEL": "WARNING",
            "MEASURES_DATABASE_URL": self.databases["measures"],
            "NOTIFICATIONS_DATABASE_URL": self.databases["notifications"],
            "MEASURES_METRICS_PORT": "0", "NOTIFICATIONS_METRICS_PORT": "0", "VAR_DIR": str(self.workdir),
            "SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(self.smtp_port), "SMTP_SECURITY": "none",
            "MAX_WORKERS": str(self.args.workers), "OUTBOX_POLL_SECONDS": "1",
        }
        for kind, name in (("notifications", self.notifications_name), ("measures", self.measures_name)):
            self.processes.append(subprocess.Popen(
                [sys.executable, __file__, "--serve", kind, "--name", name, "--source", self.measures_name],
                cwd=ROOT, env=env))
        self.client = self._client("admin", "LR")
        for name, method in ((self.notifications_name, "list_subscriptions"), (self.measures_name, "list_departments")):
            wait_for(lambda: self._answers(name, method), 30, f"the {name} service")

    def _client(self, role, department):
        from shared.auth import issue_token
        from shared.client import Client

        client = Client(issue_token(self.token_secret, "bench", department, role), amqp_uri=AMQP_URI, timeout=30)
        return client.__enter__()

    def _answers(self, name, method):
        from shared.client import ServiceUnavailable

        try:
            getattr(getattr(self.client, name), method)()
            return True
        except ServiceUnavailable:
            return False

    def prepare(self):
        """KS, its subscribed mailbox and the measures; returns {measure id: version}."""
        measures = getattr(self.client, self.measures_name)
        measures.create_department({"code": "KS", "name": "Klimaschutzmanagement"})
        getattr(self.client, self.notifications_name).subscribe({"department": "KS", "address": MAILBOX})
        versions = {}
        for number in range(self.args.measures):
            measure = measures.create_measure({"title": f"Radwegenetz ausbauen, Abschnitt {number + 1}",
                                               "department": "KS"})
            versions[measure["id"]] = measure["version"]
        wait_for(lambda: len(self.mails()) >= self.args.measures, 60, "the 'created' e-mails")
        return versions

    def change_statuses(self, versions):
        """``--changes`` status changes at ``--rate`` per second; returns the seconds it took and how
        many succeeded. A client (connection and reply queue) serves one call at a time, so the calls
        in flight take clients from a pool."""
        clients = eventlet.queue.LightQueue()
        for _ in range(CLIENTS):
            clients.put(self._client("admin", "LR"))
        ids = list(versions)
        locks = {measure_id: eventlet.semaphore.Semaphore(1) for measure_id in ids}
        status = {measure_id: "planned" for measure_id in ids}
        errors = []

        def change(number):
            measure_id = ids[number % len(ids)]
            with locks[measure_id]:
                target = "cancelled" if status[measure_id] == "planned" else "planned"
                client = clients.get()
                try:
                    measure = getattr(client, self.measures_name).change_status(
                        measure_id, target, versions[measure_id], "Benchmark")
                except Exception as exc:  # counted and reported: the figures then cover fewer changes
                    errors.append(exc)
                    return
                finally:
                    clients.put(client)
                versions[measure_id], status[measure_id] = measure["version"], target

        pool = eventlet.GreenPool(200)
        started = time.monotonic()
        for number in range(self.args.changes):
            delay = started + number / self.args.rate - time.monotonic()
            if delay > 0:
                eventlet.sleep(delay)
            pool.spawn_n(change, number)
        pool.waitall()
        while not clients.empty():
            clients.get().__exit__(None, None, None)
        if errors:
            print(f"{len(errors)} status changes failed, e.g. {errors[0]!r}")
        return time.monotonic() - started, self.args.changes - len(errors)

    def publish_directly(self):
        """The notifications service alone: ``--changes`` status-change events published straight to
        its exchange at ``--rate`` per second, in the envelope the measures relay uses."""
        import uuid
        from datetime import datetime, timezone

        from kombu import Exchange

        exchange = Exchange(f"{self.measures_name}.events", type="topic", durable=True)
        with Connection(AMQP_URI) as connection:
            producer = connection.Producer(serializer="json")
            exchange(connection.default_channel).declare()
            started = time.monotonic()
            for number in range(self.args.changes):
                delay = started + number / self.args.rate - time.monotonic()
                if delay > 0:
                    eventlet.sleep(delay)
                target, previous = ("cancelled", "planned") if number % 2 == 0 else ("planned", "cancelled")
                producer.publish({
                    "event_id": str(uuid.uuid4()), "event_type": "measure_status_changed",
                    "occurred_at": datetime.now(timezone.utc).isoformat(),
                    "actor": {"user": "bench", "department": "LR", "role": "admin"},
                    "measure": {"id": f"M-{number % self.args.measures + 1:04d}", "title": "Radwegenetz ausbauen",
                                "department": "KS", "status": target, "progress": 0, "version": number + 2},
                    "department_chain": ["KS"], "changes": {"status": [previous, target]}, "note": "Benchmark",
                    "from_status": previous, "to_status": target,
                }, exchange=exchange, routing_key="measure_status_changed", delivery_mode=2)
            return time.monotonic() - started, self.args.changes

    def mails(self):
        directory = self.maildir / "new"
        return list(directory.iterdir()) if directory.exists() else []

    def figures(self, expected_mails, timeout):
        from services.notifications.storage.models import ReceivedEventRow

        wait_for(lambda: len(self.mails()) >= expected_mails, timeout, f"{expected_mails} e-mails")
        engine = create_engine(self.databases["notifications"])
        with engine.connect() as connection:
            events = {row.event_id: row for row in connection.execute(
                select(ReceivedEventRow.event_id, ReceivedEventRow.occurred_at, ReceivedEventRow.received_at)
                .where(ReceivedEventRow.event_type == "measure_status_changed"))}
        engine.dispose()
        received = {}
        for path in self.mails():
            with path.open("rb") as handle:
                headers = email.message_from_binary_file(handle)
            if headers["X-Kreis-Event-Type"] == "measure_status_changed":
                received[headers["X-Kreis-Event-Id"]] = path.stat().st_mtime
        # The measures side's part: from the change to its event published by the outbox relay.
        engine = create_engine(self.databases["measures"])
        with engine.connect() as connection:
            published = sorted((row.published_at - row.created_at).total_seconds() for row in connection.execute(
                text("SELECT created_at, published_at FROM outbox WHERE event_type = 'measure_status_changed'")))
        engine.dispose()
        if self.args.direct:
            published = [0.0] * len(events)  # no relay in the loop
        recorded = sorted((row.received_at - row.occurred_at).total_seconds() for row in events.values())
        delivered = sorted(received[event_id] - row.occurred_at.timestamp()
                           for event_id, row in events.items() if event_id in received)
        first = min(row.occurred_at for row in events.values())
        last = max(row.received_at for row in events.values())
        return {"events": len(events), "mails": len(delivered),
                "events_per_second": len(events) / (last - first).total_seconds(),
                "published": published, "recorded": recorded, "delivered": delivered}

    def close(self):
        for process in reversed(self.processes):
            if process.poll() is None:
                process.terminate()
        for process in self.processes:
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
        if getattr(self, "client", None) is not None:
            self.client.__exit__(None, None, None)
        for url in self.databases.values():
            with self.admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)'))
        self.admin.dispose()
        self._delete_queues()
        shutil.rmtree(self.workdir, ignore_errors=True)

    def _delete_queues(self):
        from services.notifications.entrypoints import dead_letter_queue
        from services.notifications.schemas import CONSUMED_EVENTS
        from shared.events import REPORT_GENERATED

        queues = [f"evt-{self.measures_name}-{event_type}--{self.notifications_name}.handle_measure_event"
                  for event_type in CONSUMED_EVENTS] + [dead_letter_queue(self.notifications_name)]
        queues += [f"evt-{self.measures_name}_reporting-{REPORT_GENERATED}--{self.notifications_name}"
                   ".handle_report_event", f"rpc-{self.notifications_name}", f"rpc-{self.measures_name}"]
        with Connection(AMQP_URI) as connection:
            for name in queues:
                try:
                    connection.channel().queue_delete(name)
                except Exception:  # never declared: nothing to delete
                    pass


def percentile(values, fraction):
    if not values:
        return float("nan")
    return values[min(len(values) - 1, max(0, round(fraction * len(values) + 0.5) - 1))]


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(condition, timeout, what):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise RuntimeError(f"gave up waiting for {what} after {timeout}s")
        eventlet.sleep(0.1)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--changes", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=100.0, help="status changes per second")
    parser.add_argument("--measures", type=int, default=50)
    parser.add_argument("--workers", type=int, default=20, help="MAX_WORKERS of each service")
    parser.add_argument("--direct", action="store_true",
                        help="publish the events straight to the notifications service (no measures service "
                             "and outbox relay in the loop): the notifications part alone")
    parser.add_argument("--serve", choices=["measures", "notifications"], help=argparse.SUPPRESS)
    parser.add_argument("--name", help=argparse.SUPPRESS)
    parser.add_argument("--source", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        return serve(args.serve, args.name, args.source)

    run = Run(args)
    try:
        run.create_databases()
        run.start_smtp()
        run.start_services()
        versions = run.prepare()
        mails_before = len(run.mails())
        seconds, succeeded = run.publish_directly() if args.direct else run.change_statuses(versions)
        result = run.figures(mails_before + succeeded, timeout=120)
    finally:
        run.close()

    ms = lambda values, q: f"{percentile(values, q) * 1000:7.1f} ms"  # noqa: E731
    what = "status-change events published directly" if args.direct else "status changes (RPC) made"
    print(f"\nnotifications benchmark: {succeeded} {what} in {seconds:.1f} s "
          f"({succeeded / seconds:.1f}/s, asked for {args.rate:.0f}/s), SMTP (aiosmtpd) in the loop, PostgreSQL")
    print(f"events recorded:             {result['events']}, e-mails received: {result['mails']}")
    print(f"throughput, change -> recorded delivery: {result['events_per_second']:.1f} events/s")
    for label, key in (("change -> event published", "published"), ("change -> delivery recorded", "recorded"),
                       ("change -> e-mail received", "delivered")):
        values = result[key]
        print(f"{label:<28} p50 {ms(values, 0.50)}   p99 {ms(values, 0.99)}   max {ms(values, 1.0)}")
    met = percentile(result["delivered"], 0.99) < 1.0 and result["mails"] == succeeded
    print(f"target p99 < 1 s at {args.rate:.0f} changes/s: {'met' if met else 'NOT met'}")


if __name__ == "__main__":
    main()
