"""Engines, migrations and the per-worker database dependency of every service.

PostgreSQL goes through psycopg2, which eventlet's monkey patch makes cooperative (it installs a wait
callback), so a slow query parks only its own green thread; service entry points patch first thing.
SQLite, the embedded default, blocks the process while a statement runs; write transactions are
therefore serialised in-process, which keeps one instance from waiting on its own lock.
"""

import contextlib
import logging
from dataclasses import dataclass
from pathlib import Path

import eventlet
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from eventlet.semaphore import Semaphore
from nameko.events import get_event_exchange
from nameko.extensions import DependencyProvider
from sqlalchemy import create_engine, event
from sqlalchemy.orm import sessionmaker

from .metrics import MetricsRegistry
from .outbox import OutboxMetrics, OutboxRelay

log = logging.getLogger(__name__)

DATABASE_URL_KEY = "DATABASE_URL"
#: How long a stopping service waits for the relay's last pass before leaving the rest in the outbox.
RELAY_STOP_SECONDS = 10
SQLITE_BEGIN = "sqlite_begin"


class DatabaseNotMigrated(RuntimeError):
    """The database schema is not the one this code expects."""


def make_engine(url, pool_size=10):
    """An engine for ``url`` with the settings each backend needs to behave under load."""
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        # pysqlite's own transaction handling skips BEGIN before SELECT and commits before DDL;
        # SQLAlchemy's documented remedy is to switch it off and emit BEGIN ourselves. Writers
        # begin IMMEDIATE: they take the write lock first, so a writer from another process waits
        # (busy_timeout) instead of failing with "database is locked" when it upgrades a read.
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    if url.startswith("postgresql"):
        return create_engine(url, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True,
                             pool_recycle=1800)
    return create_engine(url)


def _sqlite_begin(connection):
    mode = connection.get_execution_options().get(SQLITE_BEGIN, "")
    connection.exec_driver_sql(f"BEGIN {mode}".strip())


def writer(engine):
    """The engine for write transactions: the same pool; on SQLite they begin IMMEDIATE."""
    return engine.execution_options(**{SQLITE_BEGIN: "IMMEDIATE"})


def _sqlite_pragmas(dbapi_connection, _record):
    dbapi_connection.isolation_level = None
    # SQLite's lower() folds ASCII only; searches must find "Öffentlich" from "öffentlich".
    dbapi_connection.create_function("lower", 1, lambda text: None if text is None else text.lower(),
                                     deterministic=True)
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")  # SQLite ignores foreign keys unless asked
    cursor.execute("PRAGMA journal_mode=WAL")  # readers do not wait for the writer
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


@dataclass(frozen=True)
class Migrations:
    """One service's Alembic scripts and the version table that records how far a database is."""

    directory: Path
    version_table: str

    def _config(self, connection=None):
        config = Config()
        config.set_main_option("script_location", str(self.directory))
        config.attributes["version_table"] = self.version_table
        if connection is not None:
            config.attributes["connection"] = connection
        return config

    def head(self):
        return ScriptDirectory.from_config(self._config()).get_current_head()

    def current(self, engine):
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"version_table": self.version_table})
            return context.get_current_revision()

    def upgrade(self, engine, revision="head"):
        with engine.begin() as connection:
            command.upgrade(self._config(connection), revision)

    def ensure_current(self, engine):
        current, head = self.current(engine), self.head()
        if current != head:
            raise DatabaseNotMigrated(
                f"the database {engine.url.render_as_string(hide_password=True)} is at schema "
                f"revision {current or 'none (empty)'}, this version needs {head}: "
                f"run `measures db upgrade` first"
            )


class UnitOfWork:
    """Base of a service's unit of work: a session in a transaction, the headers its events carry,
    and ``discard()`` to roll back on purpose (dry runs, imports with errors)."""

    def __init__(self, session, headers=None):
        self.session = session
        self.headers = headers or {}
        self.events_written = 0
        self.discarded = False

    def discard(self):
        self.discarded = True


class Database(DependencyProvider):
    """Gives each worker a ``WorkerDatabase``; owns the engine and, if asked, the outbox relay.

    ``unit_of_work`` is the service's class wrapping a session in a transaction; the relay is woken
    after every commit so events leave at once rather than on the next poll. ``collectors`` build
    Prometheus collectors from the engine and the service config.
    """

    metrics = MetricsRegistry()

    def __init__(self, migrations, unit_of_work, outbox=None, collectors=()):
        self.migrations = migrations
        self.unit_of_work = unit_of_work
        self.outbox = outbox
        self.collectors = collectors
        self.relay = None

    def setup(self):
        config = self.container.config
        self.engine = make_engine(config[DATABASE_URL_KEY], pool_size=int(config.get("max_workers", 10)) + 2)
        self.migrations.ensure_current(self.engine)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        self.writing_sessions = sessionmaker(writer(self.engine), expire_on_commit=False)
        self.write_lock = _sqlite_write_lock(self.engine)
        if self.outbox is not None:
            self.relay = OutboxRelay(
                writer(self.engine), self.outbox, config["AMQP_URI"],
                get_event_exchange(self.container.service_name, config),
                poll_seconds=float(config.get("OUTBOX_POLL_SECONDS", 1.0)),
                write_lock=self.write_lock,
            )
            self.relay.metrics = OutboxMetrics(self.metrics.registry, self.relay)
        self.metrics.add_health_check("database", self._check_database)
        for make_collector in self.collectors:  # gauges read from the database at scrape time
            self.metrics.registry.register(make_collector(self.engine, config))

    def _check_database(self):
        with self.engine.connect() as connection:
            connection.exec_driver_sql("SELECT 1")

    def start(self):
        if self.relay is not None:
            self._relay_thread = self.container.spawn_managed_thread(self.relay.run, identifier="outbox_relay")

    def stop(self):
        """Runs after the last worker finished: let the relay publish their events, then close."""
        if self.relay is not None:
            self.relay.stop()
            with eventlet.Timeout(RELAY_STOP_SECONDS, False):
                self._relay_thread.wait()
        self.engine.dispose()

    def kill(self):
        if self.relay is not None:
            self.relay.stop()
        self.engine.dispose()

    def get_dependency(self, worker_ctx):
        return WorkerDatabase(self, worker_ctx)


class WorkerDatabase:
    """What a worker sees: ``unit_of_work()`` for changes, ``read()`` for queries."""

    def __init__(self, provider, worker_ctx):
        self._provider = provider
        self._worker_ctx = worker_ctx

    @contextlib.contextmanager
    def read(self):
        """A unit of work for reading only: no write lock, always rolled back."""
        with self._provider.sessions() as session, session.begin() as transaction:
            yield self._provider.unit_of_work(session)
            transaction.rollback()

    @contextlib.contextmanager
    def unit_of_work(self):
        """Commit on success, roll back on an exception or when the work was ``discard()``-ed;
        wake the relay after a commit that wrote events."""
        provider = self._provider
        with provider.write_lock, provider.writing_sessions() as session:
            uow = provider.unit_of_work(session, headers=_trace_headers(self._worker_ctx))
            with session.begin() as transaction:
                yield uow
                if uow.discarded:
                    transaction.rollback()
        if provider.relay is not None and uow.events_written and not uow.discarded:
            provider.relay.wake()


def _trace_headers(worker_ctx):
    """Carry the call id chain into events so one user action can be followed across services."""
    return {"nameko.call_id_stack": list(worker_ctx.call_id_stack)}


_SQLITE_LOCKS = {}


def _sqlite_write_lock(engine):
    """One lock per SQLite file and process (shared by all containers in it); none for servers."""
    if engine.dialect.name != "sqlite":
        return contextlib.nullcontext()
    return _SQLITE_LOCKS.setdefault(str(engine.url), Semaphore(1))
