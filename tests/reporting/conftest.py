"""Fixtures of the reporting tests: the example programme in a measures database, a migrated
reporting database (SQLite, PostgreSQL), both services running in process on the real broker with
one fixed clock, and report kinds written to a YAML file."""

from datetime import datetime, timezone
from pathlib import Path

import pytest
import yaml
from nameko.extensions import DependencyProvider

from cli.tabular import _plain
from services.common.clock import FixedClock
from services.common.database import make_engine
from services.measures.seed import load_programme
from services.measures.service import MeasuresService
from services.reporting.migrations import MIGRATIONS as REPORTING_MIGRATIONS
from services.reporting.service import ReportingService
from tests.conftest import TOKEN_SECRET, migrated_sqlite

ROOT = Path(__file__).resolve().parents[2]
PROGRAMME_FILE = ROOT / "examples" / "programme.yaml"
#: The example programme's dates are illustrative as of this day ("today is 2026-11-22").
NOW = datetime(2026, 11, 22, 9, 0, tzinfo=timezone.utc)


class FixedClockProvider(DependencyProvider):
    """Hands every worker the same clock; tests move it with ``clock.advance``."""

    def __init__(self, clock):
        self.clock = clock

    def get_dependency(self, worker_ctx):
        return self.clock


@pytest.fixture
def clock():
    return FixedClock(NOW)


@pytest.fixture(scope="session")
def programme():
    return _plain(yaml.safe_load(PROGRAMME_FILE.read_text(encoding="utf-8")))


def seed(url, programme):
    engine = make_engine(url)
    report = load_programme(engine, programme, NOW)
    engine.dispose()
    assert report.errors == []
    return url


@pytest.fixture
def reporting_sqlite_url(tmp_path):
    return migrated_sqlite(tmp_path, REPORTING_MIGRATIONS, "reporting")


@pytest.fixture
def reporting_postgres_url(postgres):
    url = postgres.create(REPORTING_MIGRATIONS)
    yield url
    postgres.drop(url)


@pytest.fixture(params=["sqlite", "postgres"])
def backend(request):
    """Both databases (measures and reporting) on one backend: SQLite files or PostgreSQL."""
    return request.param


@pytest.fixture
def measures_url(backend, request, programme):
    return seed(request.getfixturevalue(f"{backend}_url"), programme)


@pytest.fixture
def reporting_url(backend, request):
    return request.getfixturevalue(f"reporting_{backend}_url")


@pytest.fixture
def kinds_file(tmp_path):
    """``write(kinds)`` puts report kinds into a REPORT_KINDS_FILE and returns its path."""

    def write(kinds):
        path = tmp_path / "report-kinds.yaml"
        path.write_text(yaml.safe_dump({"kinds": kinds}, allow_unicode=True), encoding="utf-8")
        return str(path)

    return write


def config(amqp_uri, database_url, **extra):
    return {"AMQP_URI": amqp_uri, "DATABASE_URL": database_url, "TOKEN_SECRET": TOKEN_SECRET, "METRICS_PORT": 0,
            "OUTBOX_POLL_SECONDS": 0.2, "serializer": "json", "max_workers": 10, "TIMEZONE": "Europe/Berlin",
            "LANGUAGE": "de", "REPORT_CHECK_SECONDS": 3600, **extra}


@pytest.fixture
def start_measures(amqp_uri, measures_url, run_container, clock):
    """Start the measures service (on the seeded example programme) with the test clock."""

    def start():
        service = type("MeasuresService", (MeasuresService,), {"clock": FixedClockProvider(clock)})
        return run_container(service, config(amqp_uri, measures_url))

    return start


@pytest.fixture
def start_reporting(amqp_uri, reporting_url, run_container, clock):
    """``start(kinds_file=None, **config)`` starts a reporting instance with the test clock."""

    def start(kinds_file=None, **extra):
        service = type("ReportingService", (ReportingService,), {"clock": FixedClockProvider(clock)})
        return run_container(service, config(amqp_uri, reporting_url, REPORT_KINDS_FILE=kinds_file, **extra))

    return start


@pytest.fixture
def services(start_measures, start_reporting, client_for):
    """Both services running; returns a client with an admin token."""
    start_measures()
    start_reporting()
    return client_for("admin", "LR", "admin")
