"""Metrics of the measures service beyond the common RPC and outbox ones."""

import collections

from prometheus_client import Counter
from prometheus_client.core import GaugeMetricFamily
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from services.common.clock import SystemClock
from shared.vocabulary import Status

from .domain.deadlines import NoticeType, current_notices
from .domain.obligations import next_obligation
from .storage.models import MeasureRow
from .storage.repository import MeasureRepository
from .watch import rules_from_config


class MeasuresMetrics:
    def __init__(self, registry):
        self._transitions = Counter(
            "measures_transitions", "Status changes committed, by from and to status.",
            ["from_status", "to_status"], registry=registry)

        self._notices = Counter(
            "measures_deadline_notices", "Reminders, overdue notices and escalations emitted, by type.",
            ["type"], registry=registry)

    def transition(self, from_status, to_status):
        self._transitions.labels(from_status.value, to_status.value).inc()

    def notice(self, notice_type):
        self._notices.labels(notice_type).inc()


class MeasuresByStatus:
    """How many measures are in each status, per department, counted in the database when scraped."""

    def __init__(self, engine, config):
        self.engine = engine

    def collect(self):
        with self.engine.connect() as connection:
            counts = connection.execute(
                select(MeasureRow.department, MeasureRow.status, func.count())
                .group_by(MeasureRow.department, MeasureRow.status)).all()
        gauge = GaugeMetricFamily("measures_by_status", "Measures currently in each status, by department.",
                                  labels=["status", "department"])
        by_department = collections.defaultdict(dict)
        for department, status, count in counts:
            by_department[department][status] = count
        for department, statuses in sorted(by_department.items()):
            for status in Status:  # every status, so a dashboard shows a 0 rather than a gap
                gauge.add_metric([status.value, department], statuses.get(status.value, 0))
        yield gauge


class DeadlineGauges:
    """Overdue and stale measures by department and grant obligations due soon, as of today."""

    #: The horizon of the "obligations due" gauge: what a department must prepare this month.
    OBLIGATION_HORIZON_DAYS = 30

    def __init__(self, engine, config):
        self.engine = engine
        self.clock = SystemClock(config.get("TIMEZONE", "Europe/Berlin"))
        self.rules = rules_from_config(config)

    def collect(self):
        today = self.clock.today()
        overdue = collections.Counter()
        stale = collections.Counter()
        obligations_due = collections.Counter()
        with Session(self.engine) as session:
            measures = MeasureRepository(session)
            for batch in measures.deadline_candidates(today, self.rules):
                for measure in batch:
                    if measure.is_overdue(today):
                        overdue[measure.department] += 1
                    for notice in current_notices(measure, (measure.department,), today, self.rules):
                        if notice.type is NoticeType.UPDATE_REQUESTED:
                            stale[measure.department] += 1
                    upcoming = next_obligation(measure.funding, set(measure.obligations_fulfilled), self.rules.grant)
                    if upcoming and 0 <= (upcoming.due - today).days <= self.OBLIGATION_HORIZON_DAYS:
                        obligations_due[measure.department] += 1
        yield _by_department("measures_overdue", "Open measures past their due date.", overdue)
        yield _by_department("measures_stale", "Measures in progress without any change for too long.", stale)
        yield _by_department("measures_grant_obligations_due",
                             f"Grant obligations due within {self.OBLIGATION_HORIZON_DAYS} days.", obligations_due)


def _by_department(name, documentation, counts):
    gauge = GaugeMetricFamily(name, documentation, labels=["department"])
    for department, count in sorted(counts.items()):
        gauge.add_metric([department], count)
    return gauge
