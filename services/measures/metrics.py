"""Metrics of the measures service beyond the common RPC and outbox ones."""

from prometheus_client import Counter
from prometheus_client.core import GaugeMetricFamily
from sqlalchemy import func, select

from shared.vocabulary import Status

from .storage.models import MeasureRow


class MeasuresMetrics:
    def __init__(self, registry):
        self._transitions = Counter(
            "measures_transitions", "Status changes committed, by from and to status.",
            ["from_status", "to_status"], registry=registry)

    def transition(self, from_status, to_status):
        self._transitions.labels(from_status.value, to_status.value).inc()


class MeasuresByStatus:
    """How many measures are in each status, counted in the database when scraped."""

    def __init__(self, engine):
        self.engine = engine

    def collect(self):
        with self.engine.connect() as connection:
            counts = dict(connection.execute(
                select(MeasureRow.status, func.count()).group_by(MeasureRow.status)).all())
        gauge = GaugeMetricFamily("measures_by_status", "Measures currently in each status.", labels=["status"])
        for status in Status:
            gauge.add_metric([status.value], counts.get(status.value, 0))
        yield gauge
