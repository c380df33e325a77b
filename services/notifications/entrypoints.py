"""nameko entrypoints with the reliability rules of this service.

``measure_event_handler``: a nameko event handler (at-least-once: acknowledged after the worker),
used for every event this service consumes (measure events and ``report_generated`` alike), that
decides per outcome instead of dropping the message on any error:

    worker succeeded                    -> ack
    passing failure (database down)     -> pause, then requeue: the event is not lost
    anything else (malformed, a bug)    -> park the original message in the dead-letter queue, ack:
                                           it is not looped on and does not hold up the others

``delivery_loop``: runs its method when woken (``SenderBell.ring()`` after new deliveries were
recorded) or every DELIVERY_POLL_SECONDS. One run at a time per instance.
"""

import logging
import threading
from datetime import datetime, timezone

import eventlet
from eventlet.semaphore import Semaphore
from kombu import Connection, Exchange, Queue
from nameko.events import EventHandler
from nameko.extensions import DependencyProvider, Entrypoint, SharedExtension
from prometheus_client import Counter
from sqlalchemy import exc as sql_errors

from services.common.metrics import MetricsRegistry

log = logging.getLogger(__name__)

#: Errors that say "not now" rather than "never": the database is unreachable, restarting or
#: locked, or the connection pool is exhausted. The same event will very likely succeed later.
PASSING_FAILURES = (sql_errors.OperationalError, sql_errors.InterfaceError, sql_errors.TimeoutError,
                    sql_errors.DisconnectionError)
#: Upper bound of an error text in a dead-letter header.
ERROR_HEADER_MAX = 1000


def dead_letter_queue(service_name):
    """``notifications.dead-letter`` for the service; a test instance under its own name has its own."""
    return f"{service_name}.dead-letter"


def is_passing(exc):
    return isinstance(exc, PASSING_FAILURES) or getattr(exc, "connection_invalidated", False)


class DeadLetters(SharedExtension):
    """Parks messages that cannot be processed in the durable queue ``notifications.dead-letter``:
    the original body and headers, plus why and where from in ``x-death-*`` headers, for a person to
    inspect and, once fixed, to shovel back. Counted in ``notification_dead_letters_total``."""

    metrics_registry = MetricsRegistry()

    def setup(self):
        self.amqp_uri = self.container.config["AMQP_URI"]
        self.name = dead_letter_queue(self.container.service_name)
        self.queue = Queue(self.name, exchange=Exchange(""), routing_key=self.name, durable=True)
        self.counter = Counter("notification_dead_letters", "Messages parked in the dead-letter queue, by reason.",
                               ["reason"], registry=self.metrics_registry.registry)
        self._lock = Semaphore(1)
        self._connection = None

    def park(self, message, error, reason):
        """Publish ``message`` to the dead-letter queue with confirms; raises if the broker did not take it."""
        headers = dict(message.headers or {})
        delivery = message.delivery_info or {}
        headers.update({
            "x-death-reason": reason,
            "x-death-error": f"{type(error).__name__}: {error}"[:ERROR_HEADER_MAX],
            "x-death-exchange": delivery.get("exchange", ""),
            "x-death-routing-key": delivery.get("routing_key", ""),
            "x-death-consumer": self.container.service_name,
            "x-death-time": datetime.now(timezone.utc).isoformat(),
        })
        with self._lock:  # one channel, used by one green thread at a time
            try:
                self._producer().publish(
                    message.body, routing_key=self.name, exchange="", headers=headers,
                    content_type=message.content_type, content_encoding=message.content_encoding,
                    delivery_mode=2, declare=[self.queue], retry=False)
            except Exception:
                self._close()
                raise
        self.counter.labels(reason).inc()

    def _producer(self):
        if self._connection is None:
            self._connection = Connection(self.amqp_uri, transport_options={"confirm_publish": True},
                                          connect_timeout=5)
            self._connection.ensure_connection(max_retries=1)
            self._producer_ = self._connection.Producer()
        return self._producer_

    def _close(self):
        if self._connection is not None:
            try:
                self._connection.release()
            except Exception:  # a dead connection may fail to close; it is dropped either way
                pass
            self._connection = None

    def stop(self):
        self._close()

    def kill(self):
        self._close()


class MeasureEventHandler(EventHandler):
    """An event handler that requeues passing failures and dead-letters everything else."""

    dead_letters = DeadLetters()

    def setup(self):
        self.retry_pause = float(self.container.config.get("EVENT_RETRY_SECONDS") or 2.0)
        super().setup()

    def handle_result(self, message, worker_ctx, result=None, exc_info=None):
        if exc_info is None:
            self.queue_consumer.ack_message(message)
            return result, exc_info
        error = exc_info[1]
        if is_passing(error):
            self._requeue_later(message, error)
            return result, exc_info
        reason = getattr(error, "dead_letter_reason", "unprocessable")
        try:
            self.dead_letters.park(message, error, reason)
        except Exception as park_error:  # the broker did not take it: keep it rather than lose it
            log.warning("could not dead-letter a %s event (%s); requeued", self.event_type, park_error)
            self._requeue_later(message, error)
            return result, exc_info
        log.warning("%s event parked in %s: %s", self.event_type, self.dead_letters.name, error)
        self.queue_consumer.ack_message(message)
        return result, exc_info

    def _requeue_later(self, message, error):
        # The pause keeps a database outage from turning into a tight redelivery loop; it holds a
        # worker, which also slows down taking in more events that would fail the same way.
        log.warning("%s event: %s; back to the queue in %.1fs", self.event_type, error, self.retry_pause)
        eventlet.sleep(self.retry_pause)
        self.queue_consumer.requeue_message(message)


def measure_event_handler(source, event_types, **kwargs):
    """Decorate one method as the handler of several event types (one durable queue per type)."""

    def decorate(method):
        for event_type in event_types:
            method = MeasureEventHandler.decorator(source, event_type, **kwargs)(method)
        return method

    return decorate


class Doorbell(SharedExtension):
    """Wakes the delivery loop of this container: rung after new deliveries were recorded."""

    def setup(self):
        self.event = threading.Event()

    def ring(self):
        self.event.set()

    def wait(self, timeout):
        self.event.wait(timeout)
        self.event.clear()


class Periodic(Entrypoint):
    """Runs the decorated method every ``interval_setting`` seconds (read from the config), one run
    at a time per instance (instances share the work through claims and unique keys)."""

    def __init__(self, interval_setting, default_interval, **kwargs):
        self.interval_setting = interval_setting
        self.default_interval = default_interval
        super().__init__(**kwargs)

    def setup(self):
        self.interval = float(self.container.config.get(self.interval_setting) or self.default_interval)
        self.running = False
        self.finished = threading.Event()
        self.stopping = threading.Event()
        self.gt = None

    def start(self):
        self.running = True
        self.gt = self.container.spawn_managed_thread(self._run, identifier=self.method_name)

    def stop(self):
        self.running = False
        self.stopping.set()
        if self.gt is not None:
            self.gt.wait()

    def kill(self):
        self.running = False
        if self.gt is not None:
            self.gt.kill()

    def wait(self):
        self.stopping.wait(self.interval)

    def _run(self):
        while self.running:
            self.wait()
            if not self.running:
                break
            self.finished.clear()
            self.container.spawn_worker(self, (), {}, handle_result=self._handle_result)
            self.finished.wait()

    def _handle_result(self, worker_ctx, result, exc_info):
        self.finished.set()
        return result, exc_info


class DeliveryLoop(Periodic):
    """A ``Periodic`` that also runs as soon as the doorbell rings: new deliveries go out at once."""

    doorbell = Doorbell()

    def stop(self):
        self.doorbell.ring()
        super().stop()

    def wait(self):
        self.doorbell.wait(self.interval)


def delivery_loop(method):
    return DeliveryLoop.decorator("DELIVERY_POLL_SECONDS", 2.0)(method)


class SenderBell(DependencyProvider):
    """``self.sender.ring()``: tell this instance's delivery loop that there is something to send."""

    doorbell = Doorbell()

    def get_dependency(self, worker_ctx):
        return self.doorbell
