"""A test-side consumer of a service's events, bound before the service publishes."""

import time
import uuid

from kombu import Connection, Queue
from nameko.events import get_event_exchange


class EventListener:
    """Binds a private queue to ``<source>.events`` for the given routing keys (event types)."""

    def __init__(self, amqp_uri, source, routing_keys=("#",), temporary_exchange=False):
        self.temporary_exchange = temporary_exchange
        self.connection = Connection(amqp_uri)
        self.exchange = get_event_exchange(source, {})
        self.channel = self.connection.channel()
        self.exchange.bind(self.channel).declare()
        self.queue = Queue(f"test-listener-{uuid.uuid4().hex}", exclusive=True, auto_delete=True).bind(self.channel)
        self.queue.declare()
        for routing_key in routing_keys:
            self.queue.bind_to(self.exchange, routing_key)
        self.events = []

    def drain(self):
        while True:
            message = self.queue.get(no_ack=True)
            if message is None:
                return self.events
            self.events.append((message.delivery_info["routing_key"], message.decode(), message.headers))

    def wait_for(self, count, timeout=10.0):
        """Wait until ``count`` events arrived in total; returns them as (type, payload, headers)."""
        deadline = time.monotonic() + timeout
        while len(self.drain()) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return list(self.events)

    def quiet_for(self, seconds):
        """Collect for ``seconds`` more; used to show that no further event arrives."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            self.drain()
            time.sleep(0.05)
        return list(self.events)

    def close(self):
        try:
            if self.temporary_exchange:  # made up for one test: leave the broker as it was
                self.channel.exchange_delete(self.exchange.name)
            self.channel.close()
        finally:
            self.connection.release()
