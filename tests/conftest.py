"""Test fixtures: the real RabbitMQ and PostgreSQL of the machine, SQLite in a temp dir.

Services run in-process as nameko containers, so the process is monkey-patched by eventlet before
anything else is imported. Each test gets its own PostgreSQL database, copied from a migrated
template, and its own queues; nothing on the machine's broker or server is reconfigured.

Outside CI a missing broker or server skips the tests that need it; with CI=true it fails them.
"""

import warnings

warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")

import eventlet  # noqa: E402

eventlet.monkey_patch()  # must precede every other import that opens sockets

import itertools  # noqa: E402
import os  # noqa: E402
import uuid  # noqa: E402
from datetime import datetime, timedelta, timezone  # noqa: E402

import pytest  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402

from services.common.database import make_engine  # noqa: E402
from services.measures.migrations import MIGRATIONS as MEASURES_MIGRATIONS  # noqa: E402
from shared.auth import issue_token  # noqa: E402



IN_CI = os.environ.get("CI", "").lower() == "true"
AMQP_URI = os.environ.get("TEST_AMQP_URI", "amqp://guest:guest@127.0.0.1:5672/")
POSTGRES_ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres")
TOKEN_SECRET = "test-secret-" + uuid.uuid4().hex
SESSION_STARTED = datetime.now(timezone.utc)


def unavailable(what, error):
    message = f"{what} is not reachable: {error}"
    if IN_CI:
        pytest.fail(f"{message} (CI=true: tests are not skipped for missing services)")
    pytest.skip(message)


#: Broker objects the services declare under their production names during the tests; removed
#: at the end of the session when nothing uses them, so the broker is left as it was found.
PRODUCTION_QUEUES = ("rpc-measures", "rpc-notifications", "rpc-reporting")
PRODUCTION_EXCHANGES = ("measures.events", "reporting.events", "nameko-rpc")


@pytest.fixture(scope="session")
def amqp_uri():
    from kombu import Connection

    try:
        with Connection(AMQP_URI, connect_timeout=3) as connection:
            connection.ensure_connection(max_retries=1)
    except Exception as exc:
        unavailable("RabbitMQ", exc)
    yield AMQP_URI
    _remove_unused(AMQP_URI)


def _remove_isolated(uri, names):
    from kombu import Connection

    with Connection(uri, connect_timeout=3) as connection:
        for name in names:
            for delete, target in ((lambda c, n: c.queue_delete(n), f"rpc-{name}"),
                                   (lambda c, n: c.exchange_delete(n, if_unused=True), f"{name}.events")):
                try:
                    delete(connection.channel(), target)
                except Exception:  # never declared, or still bound: nothing to remove
                    pass


def _remove_unused(uri):
    from kombu import Connection

    with Connection(uri, connect_timeout=3) as connection:
        for name in PRODUCTION_QUEUES:
            try:
                connection.channel().queue_delete(name, if_unused=True, if_empty=True)
            except Exception:  # in use by a running instance, not empty, or never declared: keep it
                pass
        for name in PRODUCTION_EXCHANGES:
            try:
                connection.channel().exchange_delete(name, if_unused=True)
            except Exception:
                pass


class PostgresDatabases:
    """Creates a database per test from a migrated template per service, and drops them after."""

    def __init__(self, admin_url):
        self.admin = create_engine(admin_url, isolation_level="AUTOCOMMIT", pool_size=1)
        self.prefix = f"kreis_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
        self.templates = {}
        self.created = []
        self.counter = itertools.count(1)

    def drop_abandoned(self):
        """Drop the databases of earlier runs that were killed before they could clean up."""
        with self.admin.connect() as connection:
            names = connection.execute(text(
                "SELECT datname FROM pg_database WHERE datname LIKE 'kreis_test_%'")).scalars().all()
        for name in names:
            pid = int(name.split("_")[2])
            if not _process_alive(pid):
                self._execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def url(self, name):
        return self.admin.url.set(database=name).render_as_string(hide_password=False)

    def create(self, migrations):
        template = self.templates.get(migrations)
        if template is None:
            template = f"{self.prefix}_tpl_{len(self.templates)}"
            self._execute(f'CREATE DATABASE "{template}"')
            self.created.append(template)
            engine = make_engine(self.url(template))
            migrations.upgrade(engine)
            engine.dispose()
            self.templates[migrations] = template
        name = f"{self.prefix}_{next(self.counter)}"
        self._execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        self.created.append(name)
        return self.url(name)

    def drop(self, url):
        name = url.rsplit("/", 1)[-1]
        self._execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if name in self.created:
            self.created.remove(name)

    def close(self):
        for name in reversed(self.created):
            self._execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self.admin.dispose()

    def _execute(self, statement):
        with self.admin.connect() as connection:
            connection.execute(text(statement))


def _process_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True


@pytest.fixture(scope="session")
def postgres():
    try:
        databases = PostgresDatabases(POSTGRES_ADMIN_URL)
        databases.drop_abandoned()
    except Exception as exc:
        unavailable("PostgreSQL", exc)
    yield databases
    databases.close()


@pytest.fixture
def postgres_url(postgres):
    url = postgres.create(MEASURES_MIGRATIONS)
    yield url
    postgres.drop(url)


def migrated_sqlite(directory, migrations, name):
    """The URL of a SQLite database ``name`` in ``directory``, migrated to the code's revision."""
    url = f"sqlite:///{directory}/{name}.db"
    engine = make_engine(url)
    migrations.upgrade(engine)
    engine.dispose()
    return url


@pytest.fixture
def sqlite_url(tmp_path):
    return migrated_sqlite(tmp_path, MEASURES_MIGRATIONS, "measures")


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request):
    """A migrated measures database on each supported backend."""
    return request.getfixturevalue(f"{request.param}_url")


@pytest.fixture
def engine(database_url):
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def make_token():
    """Tokens signed with the services' test secret; the same arguments give the same token."""

    def make(role="staff", department="KS", user=None):
        return issue_token(TOKEN_SECRET, user or f"{role}.{department.lower()}", department, role,
                           ttl=timedelta(hours=24), now=SESSION_STARTED)

    return make


@pytest.fixture
def service_config(amqp_uri, database_url):
    return {
        "AMQP_URI": amqp_uri,
        "DATABASE_URL": database_url,
        "TOKEN_SECRET": TOKEN_SECRET,
        "METRICS_PORT": 0,
        "OUTBOX_POLL_SECONDS": 0.2,
        "serializer": "json",
        "max_workers": 10,
    }


@pytest.fixture
def run_container():
    """Start a nameko container for a service class; killed after the test.

    A graceful stop waits up to a second per consumer for kombu's drain loop; by teardown every
    call of the test has returned, so killing loses nothing and keeps the suite fast. Tests of
    graceful shutdown call ``container.stop()`` themselves."""
    from nameko.containers import ServiceContainer
    from nameko.testing.services import replace_dependencies

    containers = []

    def run(service_cls, config, **replacements):
        """``replacements`` swap dependencies before the start, e.g. ``clock=FixedClock(...)``."""
        container = ServiceContainer(service_cls, config)
        if replacements:
            replace_dependencies(container, **replacements)
        container.start()
        containers.append(container)
        return container

    yield run
    for container in reversed(containers):
        container.kill()
    isolated = {c.service_name for c in containers} - {"measures", "notifications", "reporting"}
    if isolated:  # a service renamed for one test: its queue and exchange go with it
        _remove_isolated(containers[0].config["AMQP_URI"], isolated)


@pytest.fixture(scope="session")
def _open_clients(amqp_uri):
    """Clients are kept open for the session: closing one waits a second for kombu's drain loop."""
    clients = {}
    yield clients
    for client in clients.values():
        client.__exit__(None, None, None)


@pytest.fixture
def client_for(amqp_uri, make_token, _open_clients):
    """``client_for(role, department)`` gives a ``shared.client.Client`` with such a token."""
    from shared.client import Client

    def open_client(role="staff", department="KS", user=None, token=None):
        token = token or make_token(role, department, user)
        if token not in _open_clients:
            client = Client(token, amqp_uri=amqp_uri, timeout=20)
            client.__enter__()
            _open_clients[token] = client
        return _open_clients[token]

    return open_client


@pytest.fixture
def event_listener(amqp_uri):
    """Collects events a service publishes, through a private queue bound to its exchange."""
    from tests.helpers.events import EventListener

    listeners = []

    def listen(source="measures", routing_keys=("#",), temporary_exchange=False):
        listener = EventListener(amqp_uri, source, routing_keys, temporary_exchange)
        listeners.append(listener)
        return listener

    yield listen
    for listener in listeners:
        listener.close()
