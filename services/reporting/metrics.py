"""Metrics of the reporting service beyond the common RPC and outbox ones.

reports_generated_total{kind, outcome}              ok, failed, duplicate (another instance was first)
report_generation_duration_seconds{kind}            snapshot, composition and archiving of one report
report_seconds_since_last_success{kind}             read from the archive when scraped
report_overdue_seconds{kind}                        how long the latest scheduled slot of a kind has
                                                    been waiting for its report (0: taken)

Ad-hoc reports (no kind) count under the kind ``adhoc``.
"""

from datetime import datetime, timezone

from prometheus_client import Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .settings import ReportingSettings
from .storage.models import ReportRow
from .storage.repository import ReportRepository

ADHOC = "adhoc"
#: From a small programme in a fraction of a second to a very large one in a minute.
DURATION_BUCKETS = (0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 120.0)


class ReportingMetrics:
    def __init__(self, registry):
        self._generated = Counter("reports_generated", "Reports taken, by kind and outcome.",
                                  ["kind", "outcome"], registry=registry)
        self._duration = Histogram("report_generation_duration_seconds",
                                   "Time to take, compose and archive one report.", ["kind"],
                                   buckets=DURATION_BUCKETS, registry=registry)

    def generated(self, kind, outcome, seconds=None):
        self._generated.labels(kind or ADHOC, outcome).inc()
        if seconds is not None:
            self._duration.labels(kind or ADHOC).observe(seconds)


class SinceLastReport:
    """Seconds since each kind's latest archived report: alert when a monthly report is overdue."""

    def __init__(self, engine, config=None):
        self.engine = engine

    def collect(self):
        with self.engine.connect() as connection:
            latest = connection.execute(select(ReportRow.kind, func.max(ReportRow.created_at))
                                        .group_by(ReportRow.kind)).all()
        gauge = GaugeMetricFamily("report_seconds_since_last_success",
                                  "Seconds since the latest report of each kind was archived.", labels=["kind"])
        now = datetime.now(timezone.utc)
        for kind, created_at in latest:
            if created_at.tzinfo is None:  # SQLite hands timestamps back without their zone
                created_at = created_at.replace(tzinfo=timezone.utc)
            gauge.add_metric([kind or ADHOC], max((now - created_at).total_seconds(), 0.0))
        yield gauge


class OverdueReports:
    """For every scheduled kind: seconds since its latest due slot if that slot has no report yet.

    Unlike the age of the last report this needs no knowledge of the schedule in the alert rules,
    and it also covers a kind that never produced a report."""

    def __init__(self, engine, config):
        self.engine = engine
        self.settings = ReportingSettings.from_config(config)

    def collect(self):
        gauge = GaugeMetricFamily("report_overdue_seconds",
                                  "Seconds the latest scheduled report of each kind has been due without "
                                  "being taken (0 when it was).", labels=["kind"])
        now = datetime.now(timezone.utc)
        with Session(self.engine) as session:
            reports = ReportRepository(session)
            for kind in self.settings.kinds.values():
                slot = kind.slot_due(now, self.settings.timezone)
                if slot is None:
                    continue
                waiting = 0.0 if reports.exists(kind.name, slot) else (now - slot).total_seconds()
                gauge.add_metric([kind.name], waiting)
        yield gauge
