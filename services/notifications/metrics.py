"""Metrics of the notifications service beyond the common RPC ones.

notifications_total{event_type, channel, outcome}     sent, retry (a failed attempt to be retried), failed
notification_events_total{event_type, outcome}         recorded, duplicate (a redelivered event)
notification_delivery_latency_seconds{channel}         from the event's occurred_at to sent (not digests)
notification_deliveries{status, channel}               pending, waiting and failed, counted at scrape
notification_dead_letters_total{reason}                see entrypoints.DeadLetters
"""

from prometheus_client import Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from sqlalchemy import func, select

from .domain import Channel, DeliveryStatus
from .storage.models import DeliveryRow

#: From a second (immediate e-mail) to hours (a receiver that was down and came back).
LATENCY_BUCKETS = (0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0, 3600.0, 14400.0)
#: Statuses that mean work to do or a person to look.
BACKLOG_STATUSES = (DeliveryStatus.PENDING, DeliveryStatus.WAITING, DeliveryStatus.FAILED)


class NotificationsMetrics:
    def __init__(self, registry):
        self._notifications = Counter(
            "notifications", "Notifications by event type, channel and outcome (sent, retry, failed).",
            ["event_type", "channel", "outcome"], registry=registry)
        self._events = Counter(
            "notification_events", "Events taken in, by type and outcome (recorded, duplicate).",
            ["event_type", "outcome"], registry=registry)
        self._latency = Histogram(
            "notification_delivery_latency_seconds", "Time from the change (occurred_at) to the notification sent.",
            ["channel"], buckets=LATENCY_BUCKETS, registry=registry)

    def event(self, event_type, recorded):
        """An event was handled: ``recorded`` is the handler's result (None for a duplicate)."""
        self._events.labels(event_type, "duplicate" if recorded is None else "recorded").inc()
        for row in (recorded.deliveries if recorded else ()):
            if row.status == DeliveryStatus.SENT.value:  # inbox entries are delivered on the spot
                self._notifications.labels(event_type, row.channel, "sent").inc()

    def delivered(self, job, now):
        self._notifications.labels(_kind(job), job.channel.value, "sent").inc()
        if job.digest_day is None and job.occurred_at is not None:
            self._latency.labels(job.channel.value).observe(max((now - job.occurred_at).total_seconds(), 0.0))

    def failed_attempt(self, job, gave_up):
        self._notifications.labels(_kind(job), job.channel.value, "failed" if gave_up else "retry").inc()


def _kind(job):
    return "digest" if job.digest_day is not None else job.event_type


class DeliveryBacklog:
    """Pending, waiting and failed deliveries by channel, counted in the database when scraped."""

    def __init__(self, engine, _config=None):
        self.engine = engine

    def collect(self):
        statuses = [status.value for status in BACKLOG_STATUSES]
        with self.engine.connect() as connection:
            counts = dict(((status, channel), count) for status, channel, count in connection.execute(
                select(DeliveryRow.status, DeliveryRow.channel, func.count())
                .where(DeliveryRow.status.in_(statuses)).group_by(DeliveryRow.status, DeliveryRow.channel)))
        gauge = GaugeMetricFamily("notification_deliveries", "Deliveries waiting to be sent or failed.",
                                  labels=["status", "channel"])
        for status in statuses:
            for channel in Channel:
                if channel is not Channel.INBOX:
                    gauge.add_metric([status, channel.value], counts.get((status, channel.value), 0))
        yield gauge
