"""Transactional outbox: events are written in the transaction of the change and published after.

A change and its event commit together or not at all, so no event is lost and none is sent for a
rolled-back change. The relay publishes with publisher confirms and marks rows published only after
the broker confirmed them. Instances claim rows with a lease taken in one statement (``FOR UPDATE
SKIP LOCKED`` on PostgreSQL; SQLite has a single writer), so two relays never publish the same batch;
a relay that dies mid-batch leaves a lease that expires and the events go out again, which is why
every event carries an ``event_id`` for consumers to de-duplicate.
"""

import json
import logging
import threading
import time
import uuid
from datetime import datetime, timedelta, timezone

import amqp
import eventlet
from kombu import Connection
from sqlalchemy import (
    JSON, BigInteger, Column, Index, Integer, String, Table, Text, delete, func, select, update,
)

from .types import UtcDateTime

log = logging.getLogger(__name__)

#: A claimed row is someone else's until its lease ends; long enough for a slow broker confirm.
CLAIM_SECONDS = 30
BATCH_SIZE = 200
#: A single publish that takes longer than this counts as a failed broker.
PUBLISH_TIMEOUT_SECONDS = 10
#: Back off after a failure, doubling up to this, so an outage does not turn into a busy loop.
MAX_BACKOFF_SECONDS = 30
#: After a wake-up, how long further commits may join the batch; far below the "promptly" the
#: events owe, enough to turn a burst of changes into one claim.
GATHER_SECONDS = 0.01
#: Published rows are kept this long for inspection, then removed.
RETENTION = timedelta(days=7)


def outbox_table(metadata, name="outbox"):
    table = Table(
        name, metadata,
        Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
        Column("event_id", String(36), nullable=False, unique=True),
        Column("event_type", String(64), nullable=False),
        Column("payload", JSON, nullable=False),
        Column("headers", JSON, nullable=False),
        Column("created_at", UtcDateTime, nullable=False),
        Column("published_at", UtcDateTime),
        Column("claimed_by", String(64)),
        Column("claim_expires", UtcDateTime),
        Column("attempts", Integer, nullable=False, default=0),
        Column("last_error", Text),
    )
    Index(f"ix_{name}_pending", table.c.id,
          postgresql_where=table.c.published_at.is_(None), sqlite_where=table.c.published_at.is_(None))
    return table


def new_event(table, event_type, payload, occurred_at, headers=None):
    """The insert that puts one event in the outbox; run it in the transaction of the change."""
    event_id = payload.setdefault("event_id", str(uuid.uuid4()))
    payload.setdefault("event_type", event_type)
    return table.insert().values(
        event_id=event_id, event_type=event_type, payload=payload, headers=headers or {},
        created_at=occurred_at, attempts=0,
    )


class OutboxRelay:
    """Publishes pending outbox rows to the service's event exchange.

    ``wake()`` after a commit publishes at once; a slow poll picks up what other instances or
    failed attempts left behind.
    """

    def __init__(self, engine, table, amqp_uri, exchange, poll_seconds=1.0, write_lock=None,
                 metrics=None, clock=None):
        """``exchange``: the service's event exchange as nameko declares it (``get_event_exchange``),
        so that the relay and nameko's event handlers never declare it with different arguments."""
        self.engine = engine
        self.table = table
        self.amqp_uri = amqp_uri
        self.exchange = exchange
        self.poll_seconds = poll_seconds
        self.write_lock = write_lock or _NoLock()
        self.metrics = metrics
        self.clock = clock or (lambda: datetime.now(timezone.utc))
        self.relay_id = f"{uuid.uuid4().hex[:12]}"
        self._wakeup = threading.Event()
        self._running = False
        self._connection = None
        self._last_cleanup = None

    def wake(self):
        self._wakeup.set()

    def stop(self):
        """Finish: one last pass publishes what the last workers wrote, then the loop ends."""
        self._running = False
        self._wakeup.set()

    def run(self):
        """The relay loop; run it in a managed green thread."""
        self._running = True
        backoff = 0.0
        while True:
            if backoff:
                self._sleep(backoff)  # commits do not cut a backoff short: no retry storm
            else:
                self._wakeup.wait(self.poll_seconds)
                # Let the commits of a busy moment gather: one claim for many events costs a
                # fraction of one claim each.
                eventlet.sleep(GATHER_SECONDS)
            self._wakeup.clear()
            stopping = not self._running
            try:
                while self.publish_pending() == BATCH_SIZE:
                    pass
                backoff = 0.0
                if not stopping:
                    self._cleanup()
            except Exception as exc:  # the relay must outlive any broker or database failure
                backoff = min(max(backoff * 2, 0.5), MAX_BACKOFF_SECONDS)
                log.warning("outbox relay: %s; retrying in %.1fs", exc, backoff)
            if stopping:  # whatever could not go out stays in the outbox for the next start
                break
        self._close()

    def _sleep(self, seconds):
        """Wait ``seconds`` unless the relay is stopped meanwhile."""
        deadline = time.monotonic() + seconds
        while self._running and (left := deadline - time.monotonic()) > 0:
            self._wakeup.wait(left)
            self._wakeup.clear()

    def publish_pending(self):
        """Claim a batch, publish it, wait for the broker's confirms of the whole batch, mark it
        published; returns the count claimed. Without every confirm nothing is marked: the
        batch goes out again later (consumers recognise a repeat by its event_id)."""
        rows = self._claim()
        if not rows:
            return 0
        try:
            with eventlet.Timeout(PUBLISH_TIMEOUT_SECONDS):
                self._publish_confirmed(rows)
        except (Exception, eventlet.Timeout) as exc:
            self._close()
            self._release([row.id for row in rows], repr(exc))
            if self.metrics:
                self.metrics.failed()
            raise RuntimeError(f"publishing to RabbitMQ failed: {exc!r}") from exc
        self._mark_published([row.id for row in rows])
        if self.metrics:
            for row in rows:
                self.metrics.published(row.event_type)
        return len(rows)

    def pending_stats(self):
        """(number of unpublished events, age in seconds of the oldest) for the metrics."""
        t = self.table
        with self.engine.connect() as conn:
            count, oldest = conn.execute(
                select(func.count(), func.min(t.c.created_at)).where(t.c.published_at.is_(None))
            ).one()
        if oldest is None:
            return count, 0.0
        return count, max(0.0, (self.clock() - oldest).total_seconds())

    def _claim(self):
        t = self.table
        now = self.clock()
        claimable = (
            select(t.c.id)
            .where(t.c.published_at.is_(None))
            .where((t.c.claim_expires.is_(None)) | (t.c.claim_expires < now))
            .order_by(t.c.id)
            .limit(BATCH_SIZE)
            .with_for_update(skip_locked=True)
        )
        statement = (
            update(t)
            .where(t.c.id.in_(claimable.scalar_subquery()))
            .values(claimed_by=self.relay_id, claim_expires=now + timedelta(seconds=CLAIM_SECONDS),
                    attempts=t.c.attempts + 1)
            .returning(t.c.id, t.c.event_type, t.c.payload, t.c.headers)
        )
        with self.write_lock, self.engine.begin() as conn:
            rows = conn.execute(statement).all()
        return sorted(rows, key=lambda row: row.id)

    def _publish_confirmed(self, rows):
        """Publish every row, then wait once for the confirms of all of them.

        Waiting for each message's confirm in turn costs a round trip per event, and in a busy
        service each of those waits also waits for the workers' turn on the event loop."""
        channel = self._channel()
        for row in rows:
            message = amqp.Message(json.dumps(row.payload), content_type="application/json",
                                   content_encoding="utf-8", application_headers=row.headers, delivery_mode=2)
            channel.basic_publish(message, exchange=self.exchange.name, routing_key=row.event_type)
            self._sent += 1  # the channel numbers its messages 1, 2, ...: this one's delivery tag
            self._unconfirmed.add(self._sent)
        while self._unconfirmed:
            if self._refused:
                raise RuntimeError("the broker refused (nack) an event")
            self._connection.drain_events(timeout=PUBLISH_TIMEOUT_SECONDS)

    def _channel(self):
        if self._connection is None:
            self._connection = Connection(self.amqp_uri, connect_timeout=5)
            self._connection.ensure_connection(max_retries=1)
            channel = self._connection.default_channel
            self.exchange.bind(channel).declare()
            channel.confirm_select()
            channel.events["basic_ack"].add(self._on_ack)
            channel.events["basic_nack"].add(self._on_nack)
            self._sent = 0
            self._unconfirmed = set()
            self._refused = False
        return self._connection.default_channel

    def _on_ack(self, delivery_tag, multiple):
        # "multiple" confirms every message up to this tag at once.
        if multiple:
            self._unconfirmed = {tag for tag in self._unconfirmed if tag > delivery_tag}
        else:
            self._unconfirmed.discard(delivery_tag)

    def _on_nack(self, delivery_tag, multiple):
        self._refused = True

    def _mark_published(self, ids):
        if not ids:
            return
        t = self.table
        with self.write_lock, self.engine.begin() as conn:
            conn.execute(update(t).where(t.c.id.in_(ids)).values(
                published_at=self.clock(), claimed_by=None, claim_expires=None, last_error=None))

    def _release(self, ids, error):
        if not ids:
            return
        t = self.table
        with self.write_lock, self.engine.begin() as conn:
            conn.execute(update(t).where(t.c.id.in_(ids)).where(t.c.claimed_by == self.relay_id)
                         .values(claimed_by=None, claim_expires=None, last_error=error[:2000]))

    def _cleanup(self):
        now = self.clock()
        if self._last_cleanup and now - self._last_cleanup < timedelta(hours=1):
            return
        self._last_cleanup = now
        t = self.table
        with self.write_lock, self.engine.begin() as conn:
            conn.execute(delete(t).where(t.c.published_at < now - RETENTION))

    def _close(self):
        if self._connection is not None:
            try:
                self._connection.release()
            except Exception:  # a dead connection may fail to close; it is dropped either way
                pass
            self._connection = None


class _NoLock:
    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        return False


class OutboxMetrics:
    """Published and failed counters, and the backlog read from the database at scrape time."""

    def __init__(self, registry, relay):
        from prometheus_client import Counter
        from prometheus_client.core import GaugeMetricFamily

        self._published = Counter("outbox_published_events", "Events the relay published, by type.",
                                  ["event_type"], registry=registry)
        self._failures = Counter("outbox_publish_failures", "Publish attempts that failed (broker down or slow).",
                                 registry=registry)

        class BacklogCollector:
            def collect(self):
                count, age = relay.pending_stats()
                yield GaugeMetricFamily("outbox_pending_events", "Events written but not yet published.", count)
                yield GaugeMetricFamily("outbox_oldest_pending_age_seconds",
                                        "Age of the oldest unpublished event (0 when none).", age)

        registry.register(BacklogCollector())

    def published(self, event_type):
        self._published.labels(event_type).inc()

    def failed(self):
        self._failures.inc()
