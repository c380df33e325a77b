"""Prometheus metrics and health: one registry and one small HTTP endpoint per service container.

``MetricsRegistry`` is shared by every extension of a container that wants to register metrics or a
health check; it serves ``/metrics`` (Prometheus) and ``/health`` (JSON: database and broker
reachable? 200 or 503) on ``METRICS_PORT``. ``RpcMetrics`` counts and times every RPC call by method
and outcome, and hands the service its own metrics object.
"""

import json
import logging
import time

import eventlet
import eventlet.wsgi
from nameko.extensions import DependencyProvider, SharedExtension
from nameko.rpc import Rpc
from prometheus_client import (
    CollectorRegistry, Counter, Histogram, ProcessCollector, disable_created_metrics, make_wsgi_app,
)

log = logging.getLogger(__name__)

# The *_created series double every counter for no use on our dashboards.
disable_created_metrics()

#: RPC latency buckets: most calls take milliseconds; anything past a few seconds is a problem.
LATENCY_BUCKETS = (0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class MetricsRegistry(SharedExtension):
    """The container's Prometheus registry, served on ``METRICS_HOST:METRICS_PORT`` (0 = off)."""

    _registry = None
    _server = None
    _health_checks = None

    @property
    def registry(self):
        # Created on first use: nameko sets extensions up in no fixed order, and the providers
        # that register metrics may come before this one.
        if self._registry is None:
            self._registry = CollectorRegistry()
            ProcessCollector(registry=self._registry)
        return self._registry

    def add_health_check(self, name, check):
        """``check()`` raises if ``name`` (e.g. "database") is not usable."""
        if self._health_checks is None:
            self._health_checks = {}
        self._health_checks[name] = check

    def setup(self):
        self.port = int(self.container.config.get("METRICS_PORT") or 0)
        self.host = self.container.config.get("METRICS_HOST", "127.0.0.1")
        self.add_health_check("broker", lambda: _check_broker(self.container.config["AMQP_URI"]))

    def start(self):
        if not self.port:
            return
        self._socket = eventlet.listen((self.host, self.port))
        self.port = self._socket.getsockname()[1]
        app = _router(make_wsgi_app(self.registry), self.health)
        self._server = self.container.spawn_managed_thread(
            lambda: eventlet.wsgi.server(self._socket, app, log_output=False, debug=False),
            identifier="metrics_http")
        log.info("metrics of %s on http://%s:%s/metrics", self.container.service_name, self.host, self.port)

    def stop(self):
        if self._server is not None:
            self._server.kill()
            self._socket.close()
            self._server = None

    def kill(self):
        self.stop()


    def health(self):
        """(healthy, report): every check with "ok" or the reason it failed."""
        report, healthy = {"service": self.container.service_name, "checks": {}}, True
        for name, check in sorted((self._health_checks or {}).items()):
            try:
                check()
                report["checks"][name] = "ok"
            except Exception as exc:  # a health check reports failures, it does not raise them
                report["checks"][name] = f"failed: {exc}"
                healthy = False
        report["status"] = "ok" if healthy else "failing"
        return healthy, report


def _router(metrics_app, health):
    def app(environ, start_response):
        if environ.get("PATH_INFO") == "/health":
            healthy, report = health()
            body = json.dumps(report).encode()
            start_response("200 OK" if healthy else "503 Service Unavailable",
                           [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
            return [body]
        return metrics_app(environ, start_response)

    return app


def _check_broker(amqp_uri):
    from kombu import Connection

    with Connection(amqp_uri, connect_timeout=2) as connection:
        connection.ensure_connection(max_retries=1)


class RpcMetrics(DependencyProvider):
    """Records every RPC call; ``factory(registry)`` builds the service's own metrics object,
    which is what the service sees as its dependency."""

    registry = MetricsRegistry()

    def __init__(self, factory=None):
        self.factory = factory

    def setup(self):
        registry = self.registry.registry
        self.calls = Counter("rpc_requests", "RPC calls handled, by method and outcome.",
                             ["method", "outcome"], registry=registry)
        self.latency = Histogram("rpc_request_duration_seconds", "Time to handle an RPC call.",
                                 ["method"], buckets=LATENCY_BUCKETS, registry=registry)
        self.service_metrics = self.factory(registry) if self.factory else None
        self._started = {}

    def get_dependency(self, worker_ctx):
        return self.service_metrics

    def worker_setup(self, worker_ctx):
        self._started[worker_ctx] = time.perf_counter()

    def worker_result(self, worker_ctx, result=None, exc_info=None):
        started = self._started.pop(worker_ctx, None)
        entrypoint = worker_ctx.entrypoint
        if not isinstance(entrypoint, Rpc) or started is None:
            return
        method = entrypoint.method_name
        self.latency.labels(method).observe(time.perf_counter() - started)
        self.calls.labels(method, outcome(entrypoint, exc_info)).inc()


def outcome(entrypoint, exc_info):
    """``ok``, the name of an expected (caller) error, or ``error`` for a crash."""
    if exc_info is None:
        return "ok"
    exc = exc_info[1]
    if isinstance(exc, entrypoint.expected_exceptions or ()):
        return type(exc).__name__
    return "error"
