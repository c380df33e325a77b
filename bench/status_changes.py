"""Benchmark of issue 2: `change_status` on PostgreSQL beside a no-op nameko RPC, in one run.

    .venv/bin/python bench/status_changes.py [--calls 2000] [--concurrency 20] [--keep-db]

What it does, start to end:

1. creates its own PostgreSQL database ``bench_measures_<random>`` and migrates it;
2. starts the measures service with the production command ``python -m services.measures`` against
   that database, and the no-op service ``bench/noop_service.py`` (one ``ping`` RPC that returns
   None), each as its own process started the same way, and waits until both answer RPC;
3. as an admin, creates a department (with a parent) and ``--measures`` measures;
4. measures four scenarios, each ``--calls`` calls after ``--warmup`` unmeasured ones: ``ping`` and
   ``change_status`` with 1 call in flight, then with ``--concurrency`` calls in flight. Every
   client worker is a green thread with its own standalone ``ClusterRpcProxy`` (own connection and
   reply queue); a worker times each call it makes. With N in flight, worker i owns measure i alone
   and moves it planned -> cancelled (with a note) -> planned (reactivation, allowed for admins) ...
   sending the version the previous reply returned, so no call can be a VersionConflict. With one
   call in flight the single worker goes round all measures;
5. after each ``change_status`` scenario, polls the outbox table until every event is published,
   and reports how long that took after the last reply and the delay from each change to the
   broker's confirm of its event;
6. prints the table, the ratios and the target of the issue (status changes at no less than half
   the no-op throughput); stops both services and drops the database (also on errors and Ctrl-C).

The exit code is 0 when the run completed, whether or not the target was met (``--require-target``
makes a miss exit 1), and 1 when the run itself failed.
"""

import warnings

warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")

import eventlet  # noqa: E402

eventlet.monkey_patch()  # the client's green threads need green sockets, before anything opens one

import argparse  # noqa: E402
import json  # noqa: E402
import logging  # noqa: E402
import math  # noqa: E402
import os  # noqa: E402
import platform  # noqa: E402
import resource  # noqa: E402
import secrets  # noqa: E402
import shutil  # noqa: E402
import signal  # noqa: E402
import socket  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import urllib.request  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import kombu.pools  # noqa: E402
from kombu import Connection  # noqa: E402
from nameko.exceptions import RpcTimeout, UnknownService  # noqa: E402
from nameko.standalone.rpc import ClusterRpcProxy  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402

import shared.errors  # noqa: E402,F401  (registers the typed errors with nameko)
from services.common.database import make_engine  # noqa: E402
from services.measures.migrations import MIGRATIONS  # noqa: E402
from shared.auth import AUTH_CONTEXT_KEY, issue_token  # noqa: E402
from shared.config import load_settings  # noqa: E402

#: The issue's target: status changes at no less than this fraction of the no-op throughput.
TARGET_RATIO = 0.5
NOOP_SERVICE = "bench_noop"
DEFAULT_POSTGRES_URL = "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres"
CALL_TIMEOUT = 30
READY_TIMEOUT = 60


class BenchError(Exception):
    """The benchmark could not run; the message says why."""


# --- measuring -------------------------------------------------------------------------------------


@dataclass
class Result:
    scenario: str
    in_flight: int
    calls: int = 0
    errors: int = 0
    seconds: float = 0.0
    latencies: list = field(default_factory=list, repr=False)
    first_errors: list = field(default_factory=list)
    service_cpu: float = 0.0  # seconds of CPU the serving process used during the scenario
    client_cpu: float = 0.0
    machine_busy: float = 0.0  # share of all cores busy during the scenario, 0..1
    server_handler_ms: float | None = None  # mean from the service's own rpc_request_duration_seconds
    outbox: dict | None = None

    @property
    def rate(self):
        return self.calls / self.seconds if self.seconds else 0.0

    def percentile(self, p):
        """Nearest-rank percentile of the call latencies, in milliseconds."""
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)] * 1000

    def as_dict(self):
        return {
            "scenario": self.scenario, "in_flight": self.in_flight, "calls": self.calls, "errors": self.errors,
            "seconds": round(self.seconds, 4), "calls_per_second": round(self.rate, 1),
            "p50_ms": round(self.percentile(50), 3), "p99_ms": round(self.percentile(99), 3),
            "service_cpu_ms_per_call": round(1000 * self.service_cpu / max(self.calls, 1), 3),
            "client_cpu_ms_per_call": round(1000 * self.client_cpu / max(self.calls, 1), 3),
            "machine_busy": round(self.machine_busy, 3), "server_handler_ms": self.server_handler_ms,
            "outbox": self.outbox, "first_errors": self.first_errors,
        }


def drive(workers, total_calls):
    """Run ``total_calls`` calls spread over ``workers`` (one green thread each, so as many calls in
    flight as workers). Each worker's ``call()`` makes one RPC; it is timed from just before the
    request is sent until the reply is decoded. Returns (latencies, errors, first_errors, seconds)."""
    remaining = [total_calls]
    latencies = []
    errors = []

    def loop(worker):
        while remaining[0] > 0:
            remaining[0] -= 1  # green threads switch only on I/O, so this needs no lock
            started = time.perf_counter()
            try:
                worker.call()
            except Exception as exc:  # counted and shown; the worker resynchronises
                errors.append(f"{type(exc).__name__}: {exc}")
                try:
                    worker.recover()
                except Exception as again:  # this worker cannot go on; the others finish the run
                    errors.append(f"{type(again).__name__} while resynchronising: {again}")
                    return
                continue
            latencies.append(time.perf_counter() - started)

    pool = eventlet.GreenPool(len(workers))
    started = time.perf_counter()
    for worker in workers:
        pool.spawn(loop, worker)
    pool.waitall()
    seconds = time.perf_counter() - started
    return latencies, len(errors), errors[:5], seconds


class PingWorker:
    def __init__(self, proxy):
        self.service = getattr(proxy, NOOP_SERVICE)

    def call(self):
        self.service.ping()

    def recover(self):
        pass


class StatusWorker:
    """Moves its own measures planned -> cancelled -> planned ..., always with the current version."""

    def __init__(self, proxy, measures):
        self.service = proxy.measures
        self.measures = measures  # [{"id", "status", "version"}], owned by this worker alone
        self.turn = 0

    def call(self):
        measure = self.measures[self.turn % len(self.measures)]
        self.turn += 1
        if measure["status"] == "planned":
            reply = self.service.change_status(measure["id"], "cancelled", measure["version"],
                                               note="Benchmark: verworfen")
        else:
            reply = self.service.change_status(measure["id"], "planned", measure["version"])
        measure["status"], measure["version"] = reply["status"], reply["version"]

    def recover(self):
        for measure in self.measures:
            current = self.service.get_measure(measure["id"])
            measure["status"], measure["version"] = current["status"], current["version"]


class Usage:
    """CPU used by the service processes, this client and the whole machine between two points."""

    def __init__(self, pids):
        self.pids = pids
        self.start = self._read()

    def _read(self):
        ticks = os.sysconf("SC_CLK_TCK")
        per_pid = {}
        for pid in self.pids:
            try:
                fields_ = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                per_pid[pid] = (int(fields_[11]) + int(fields_[12])) / ticks  # utime + stime
            except (OSError, IndexError, ValueError):
                per_pid[pid] = 0.0
        own = resource.getrusage(resource.RUSAGE_SELF)
        try:
            cpu = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
            idle, total = cpu[3] + cpu[4], sum(cpu[:8])
        except (OSError, ValueError, IndexError):
            idle = total = 0
        return per_pid, own.ru_utime + own.ru_stime, idle, total

    def stop(self):
        (pids0, own0, idle0, total0), (pids1, own1, idle1, total1) = self.start, self._read()
        busy = 1 - (idle1 - idle0) / (total1 - total0) if total1 > total0 else 0.0
        return {pid: pids1[pid] - pids0[pid] for pid in self.pids}, own1 - own0, busy


# --- the database ----------------------------------------------------------------------------------


class BenchDatabase:
    """A fresh database for this run, migrated; dropped again by ``drop()``."""

    def __init__(self, admin_url):
        self.admin = create_engine(admin_url, isolation_level="AUTOCOMMIT", pool_size=1)
        self.name = f"bench_measures_{secrets.token_hex(4)}"
        self.url = self.admin.url.set(database=self.name).render_as_string(hide_password=False)
        self.created = False
        self.engine = None

    def create(self):
        try:
            self._execute(f'CREATE DATABASE "{self.name}"')
        except Exception as exc:
            raise BenchError(f"cannot create a database on {self.admin.url.render_as_string()}: {exc}") from None
        self.created = True
        engine = make_engine(self.url)
        MIGRATIONS.upgrade(engine)
        engine.dispose()
        self.engine = create_engine(self.url, pool_size=2)

    def pending_events(self):
        with self.engine.connect() as connection:
            return connection.scalar(text("SELECT count(*) FROM outbox WHERE published_at IS NULL"))

    def last_event_id(self):
        with self.engine.connect() as connection:
            return connection.scalar(text("SELECT coalesce(max(id), 0) FROM outbox"))

    def event_delays(self, after_id):
        """Events written after ``after_id``: count, and p50/p99/max seconds from the change
        (``created_at``) to the broker's confirm (``published_at``)."""
        with self.engine.connect() as connection:
            row = connection.execute(text(
                "SELECT count(*), "
                "percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM published_at - created_at)), "
                "percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM published_at - created_at)), "
                "max(extract(epoch FROM published_at - created_at)) "
                "FROM outbox WHERE id > :after AND event_type = 'measure_status_changed'"), {"after": after_id}).one()
        return row[0], *(float(value or 0) for value in row[1:])

    def drop(self):
        if self.engine is not None:
            self.engine.dispose()
        if self.created:
            self._execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
            self.created = False
        self.admin.dispose()

    def _execute(self, statement):
        with self.admin.connect() as connection:
            connection.execute(text(statement))


def wait_outbox_drained(database, service=None, timeout=120):
    """Poll until no unpublished event is left; (backlog at the first look, seconds it took)."""
    started = time.perf_counter()
    backlog = pending = database.pending_events()
    while pending:
        if time.perf_counter() - started > timeout:
            tail = f"; the end of the service's log:\n{service.log_tail(10)}" if service else ""
            raise BenchError(f"the outbox still holds {pending} unpublished events after {timeout}s{tail}")
        eventlet.sleep(0.005)
        pending = database.pending_events()
    return backlog, time.perf_counter() - started


# --- the services ----------------------------------------------------------------------------------


class ServiceProcess:
    def __init__(self, name, argv, env, log_dir):
        self.name = name
        self.log_path = Path(log_dir) / f"{name}.log"
        self._log = open(self.log_path, "wb")
        # A session of its own: Ctrl-C reaches the benchmark only, which then stops the services.
        self.process = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=self._log, stderr=subprocess.STDOUT,
                                        start_new_session=True)

    @property
    def pid(self):
        return self.process.pid

    def check_alive(self):
        code = self.process.poll()
        if code is not None:
            raise BenchError(f"the {self.name} service exited with code {code}:\n{self.log_tail()}")

    def log_tail(self, lines=25):
        self._log.flush()
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def stop(self, timeout=15):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        self._log.close()


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def queue_consumers(amqp_uri, queue):
    """(consumers, messages) of a queue on the broker, or None when the queue does not exist."""
    with Connection(amqp_uri, connect_timeout=5) as connection:
        channel = connection.channel()
        try:
            ok = channel.queue_declare(queue=queue, passive=True)
        except connection.channel_errors:
            return None
        finally:
            try:
                channel.close()
            except Exception:  # the broker closes the channel itself after a failed passive declare
                pass
        return ok.consumer_count, ok.message_count


def ensure_queue_free(amqp_uri, service, wait=60):
    """Wait until nobody else consumes the service's RPC queue: another instance (a `make run`, a
    test session) would take a share of our calls, and ours a share of theirs."""
    deadline = time.monotonic() + wait
    said = False
    while True:
        state = queue_consumers(amqp_uri, f"rpc-{service}")
        if not (state and state[0]):
            return
        if time.monotonic() > deadline:
            raise BenchError(
                f"{state[0]} consumer(s) still serve rpc-{service} on this broker after {wait}s (a running "
                f"`make run`, a test session?); they would take part of the calls. Stop them, or point "
                f"AMQP_URI at another virtual host.")
        if not said:
            print(f"waiting up to {wait}s for the {state[0]} other consumer(s) of rpc-{service} to go ...",
                  flush=True)
            said = True
        eventlet.sleep(0.5)


def ensure_only_ours(amqp_uri):
    """Our two services, and nobody else, serve the two RPC queues."""
    for service in ("measures", NOOP_SERVICE):
        state = queue_consumers(amqp_uri, f"rpc-{service}")
        if not state or state[0] != 1:
            raise BenchError(f"rpc-{service} has {state and state[0]} consumers, expected only our service: "
                             f"another instance joined the broker and the figures would be mixed")


def wait_until_answers(amqp_uri, token, service, method, process):
    """Call ``service.method()`` with a fresh short-lived proxy until it answers."""
    deadline = time.monotonic() + READY_TIMEOUT
    last = None
    while time.monotonic() < deadline:
        process.check_alive()
        proxy = ClusterRpcProxy({"AMQP_URI": amqp_uri, "serializer": "json"},
                                context_data={AUTH_CONTEXT_KEY: token}, timeout=3)
        try:
            getattr(getattr(proxy.start(), service), method)()
            return
        except (UnknownService, RpcTimeout, OSError) as exc:
            last = exc
        finally:
            try:
                proxy.stop()
            except Exception:
                pass
        eventlet.sleep(0.2)
    raise BenchError(f"the {service} service did not answer within {READY_TIMEOUT}s ({last!r}):\n"
                     f"{process.log_tail()}")


def scrape(port):
    """{(metric sample name, labels...)} -> value from a /metrics endpoint."""
    from prometheus_client.parser import text_string_to_metric_families

    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as response:
        body = response.read().decode()
    samples = {}
    for family in text_string_to_metric_families(body):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def handler_seconds(samples, method):
    key = (("method", method),)
    return (samples.get(("rpc_request_duration_seconds_sum", key), 0.0),
            samples.get(("rpc_request_duration_seconds_count", key), 0.0))


# --- the run ---------------------------------------------------------------------------------------


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description="change_status throughput and latency on PostgreSQL beside a no-op nameko RPC (issue 2).")
    parser.add_argument("--calls", type=int, default=2000, help="measured calls per scenario (default 2000)")
    parser.add_argument("--concurrency", type=int, default=20,
                        help="calls in flight in the concurrent scenarios (default 20); 1 is always measured")
    parser.add_argument("--measures", type=int, default=30,
                        help="measures to create (default 30; at least --concurrency)")
    parser.add_argument("--warmup", type=int, default=200, help="unmeasured calls before each scenario (default 200)")
    parser.add_argument("--max-workers", type=int, default=None,
                        help="MAX_WORKERS of both services (default: the setting, 10)")
    parser.add_argument("--postgres-url", default=os.environ.get("BENCH_POSTGRES_URL", DEFAULT_POSTGRES_URL),
                        help="an existing database to connect to for CREATE/DROP DATABASE "
                             "(default $BENCH_POSTGRES_URL or %(default)s)")
    parser.add_argument("--keep-db", action="store_true", help="do not drop the benchmark database at the end")
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    parser.add_argument("--require-target", action="store_true", help="exit 1 when the target is not met")
    args = parser.parse_args(argv)
    if args.calls < 1 or args.concurrency < 1 or args.warmup < 0:
        parser.error("--calls and --concurrency must be positive, --warmup not negative")
    args.measures = max(args.measures, args.concurrency)
    return args


def main(argv=None):
    args = parse_args(argv)
    # py-amqp warns about a publisher confirm that arrives while a probe proxy closes its channel.
    logging.getLogger("amqp").setLevel(logging.ERROR)
    settings = load_settings()
    amqp_uri = settings["AMQP_URI"]
    max_workers = args.max_workers or int(settings["MAX_WORKERS"])
    secret = secrets.token_urlsafe(32)
    token = issue_token(secret, "bench.admin", "BENCH", "admin")
    metrics_port = free_port()
    # One producer connection per green thread: the client's publishes must not queue behind
    # kombu's default pool limit of 10 (the services keep their own default).
    kombu.pools.set_limit(max(10, args.concurrency + 2))

    def on_sigterm(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_sigterm)
    # Also when started in the background by a shell, which leaves SIGINT ignored.
    signal.signal(signal.SIGINT, signal.default_int_handler)

    database = BenchDatabase(args.postgres_url)
    log_dir = tempfile.mkdtemp(prefix="bench_measures_")
    services, proxies = [], []
    failed = True
    try:
        ensure_queue_free(amqp_uri, "measures")
        ensure_queue_free(amqp_uri, NOOP_SERVICE)
        print(f"database {database.name}: creating and migrating ...", flush=True)
        database.create()

        env = dict(os.environ)
        env.pop("CONFIG_FILE", None)
        env.update(AMQP_URI=amqp_uri, MEASURES_DATABASE_URL=database.url, TOKEN_SECRET=secret,
                   MEASURES_METRICS_PORT=str(metrics_port), MAX_WORKERS=str(max_workers),
                   BENCH_NOOP_SERVICE=NOOP_SERVICE, PYTHONUNBUFFERED="1")
        measures_service = ServiceProcess("measures", [sys.executable, "-m", "services.measures"], env, log_dir)
        services.append(measures_service)
        noop_service = ServiceProcess("noop", [sys.executable, str(ROOT / "bench" / "noop_service.py")], env, log_dir)
        services.append(noop_service)
        print(f"services starting (measures pid {measures_service.pid}, noop pid {noop_service.pid}, "
              f"MAX_WORKERS={max_workers}) ...", flush=True)
        wait_until_answers(amqp_uri, token, "measures", "list_departments", measures_service)
        wait_until_answers(amqp_uri, token, NOOP_SERVICE, "ping", noop_service)
        ensure_only_ours(amqp_uri)

        config = {"AMQP_URI": amqp_uri, "serializer": "json"}
        for _ in range(args.concurrency):
            proxy = ClusterRpcProxy(config, context_data={AUTH_CONTEXT_KEY: token}, timeout=CALL_TIMEOUT)
            proxies.append(proxy)
            proxy.cluster = proxy.start()
        admin = proxies[0].cluster.measures
        admin.create_department({"code": "BENCH", "name": "Benchmark"})
        admin.create_department({"code": "BENCH-1", "name": "Benchmark, Sachgebiet 1", "parent": "BENCH"})
        measures = []
        for number in range(1, args.measures + 1):
            created = admin.create_measure({
                "title": f"Benchmark-Maßnahme {number}", "department": "BENCH-1",
                "programme": "Benchmark", "area": "Benchmark", "description": "Angelegt vom Benchmark.",
            })
            measures.append({"id": created["id"], "status": created["status"], "version": created["version"]})
        wait_outbox_drained(database, measures_service, timeout=30)  # fails early when events cannot go out
        print(f"created 2 departments and {len(measures)} measures; measuring {args.calls} calls per scenario "
              f"after {args.warmup} warm-up calls ...", flush=True)

        pids = {"ping": noop_service.pid, "change_status": measures_service.pid}
        results = []
        for in_flight in (1, args.concurrency) if args.concurrency > 1 else (1,):
            clusters = [proxy.cluster for proxy in proxies[:in_flight]]
            scenarios = (
                ("ping", [PingWorker(cluster) for cluster in clusters]),
                ("change_status", [StatusWorker(cluster, measures if in_flight == 1 else [measures[i]])
                                   for i, cluster in enumerate(clusters)]),
            )
            for name, workers in scenarios:
                if args.warmup:
                    drive(workers, args.warmup)
                    if name == "change_status":
                        wait_outbox_drained(database, measures_service)
                result = Result(name, in_flight)
                before = scrape(metrics_port) if name == "change_status" else None
                last_event = database.last_event_id() if before else 0
                usage = Usage([pids[name]])
                result.latencies, result.errors, result.first_errors, result.seconds = drive(workers, args.calls)
                per_pid, result.client_cpu, result.machine_busy = usage.stop()
                result.service_cpu = per_pid[pids[name]]
                result.calls = len(result.latencies)
                if name == "change_status":
                    backlog, drain = wait_outbox_drained(database, measures_service)
                    events, p50, p99, worst = database.event_delays(last_event)
                    result.outbox = {"events": events, "backlog_after_last_reply": backlog,
                                     "drained_seconds_after_last_reply": round(drain, 4),
                                     "delay_p50_ms": round(1000 * p50, 1), "delay_p99_ms": round(1000 * p99, 1),
                                     "delay_max_ms": round(1000 * worst, 1)}
                    total_seconds, count = (a - b for a, b in zip(handler_seconds(scrape(metrics_port), name),
                                                                  handler_seconds(before, name)))
                    result.server_handler_ms = round(1000 * total_seconds / count, 3) if count else None
                ensure_only_ours(amqp_uri)
                results.append(result)
                print(f"  {name:<14} {in_flight:>3} in flight: {result.rate:8.1f} calls/s, "
                      f"p50 {result.percentile(50):7.2f} ms, p99 {result.percentile(99):7.2f} ms"
                      + (f", {result.errors} errors" if result.errors else ""), flush=True)

        report(results, args, max_workers, database)
        if args.json:
            args.json.parent.mkdir(parents=True, exist_ok=True)
            args.json.write_text(json.dumps({
                "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
                "max_workers": max_workers, "measures": len(measures), "target_ratio": TARGET_RATIO,
                "results": [r.as_dict() for r in results]}, indent=2))
        failed = any(r.errors for r in results)
        met = all(ratio >= TARGET_RATIO for ratio in ratios(results).values())
        return 1 if failed or (args.require_target and not met) else 0
    except BenchError as exc:
        print(f"benchmark failed: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\ninterrupted; cleaning up", file=sys.stderr)
        failed = False  # nothing to look into
        return 130
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not leave a database behind
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        for proxy in proxies:
            try:
                proxy.stop()
            except Exception:
                pass
        for service in reversed(services):
            service.stop()
        if args.keep_db and database.created:
            print(f"database kept: {database.url}")
            if database.engine is not None:
                database.engine.dispose()
            database.admin.dispose()
        else:
            try:
                database.drop()
            except Exception as exc:
                print(f"could not drop database {database.name}: {exc}", file=sys.stderr)
        if failed and services:
            print(f"service logs kept in {log_dir}", file=sys.stderr)
        else:
            shutil.rmtree(log_dir, ignore_errors=True)


def ratios(results):
    by_key = {(r.scenario, r.in_flight): r for r in results}
    return {in_flight: by_key[("change_status", in_flight)].rate / by_key[("ping", in_flight)].rate
            for (scenario, in_flight) in by_key if scenario == "ping" and by_key[("ping", in_flight)].rate}


def report(results, args, max_workers, database):
    print()
    print(f"change_status vs no-op RPC -- PostgreSQL, {os.cpu_count()} CPUs, MAX_WORKERS={max_workers}, "
          f"{args.measures} measures, {args.calls} calls per scenario")
    header = (f"{'scenario':<15}{'in flight':>10}{'calls':>8}{'errors':>8}{'calls/s':>10}{'p50 ms':>9}"
              f"{'p99 ms':>9}{'svc CPU ms/call':>17}{'client CPU ms/call':>20}{'machine busy':>14}")
    print(header)
    print("-" * len(header))
    for r in results:
        print(f"{r.scenario:<15}{r.in_flight:>10}{r.calls:>8}{r.errors:>8}{r.rate:>10.1f}"
              f"{r.percentile(50):>9.2f}{r.percentile(99):>9.2f}"
              f"{1000 * r.service_cpu / max(r.calls, 1):>17.2f}{1000 * r.client_cpu / max(r.calls, 1):>20.2f}"
              f"{100 * r.machine_busy:>13.0f}%")
    print()
    for in_flight, ratio in ratios(results).items():
        verdict = "met" if ratio >= TARGET_RATIO else "NOT met"
        print(f"ratio change_status / no-op throughput, {in_flight:>2} in flight: {ratio:5.2f}  "
              f"(target >= {TARGET_RATIO:.2f}: {verdict})")
    print()
    for r in results:
        if r.outbox:
            o = r.outbox
            print(f"outbox, change_status {r.in_flight:>2} in flight: {o['events']} events; "
                  f"{o['backlog_after_last_reply']} unpublished at the last reply, all published "
                  f"{1000 * o['drained_seconds_after_last_reply']:.0f} ms after it; change -> confirmed publish "
                  f"p50 {o['delay_p50_ms']:.0f} ms, p99 {o['delay_p99_ms']:.0f} ms, max {o['delay_max_ms']:.0f} ms")
    for r in results:
        if r.server_handler_ms is not None:
            print(f"change_status inside the service (rpc_request_duration_seconds), {r.in_flight:>2} in flight: "
                  f"mean {r.server_handler_ms:.2f} ms of the client's p50 {r.percentile(50):.2f} ms")
    for r in results:
        for message in r.first_errors:
            print(f"error in {r.scenario} x{r.in_flight}: {message}")


if __name__ == "__main__":
    sys.exit(main())
