"""Dependency providers of the reporting service: its settings and the measures data.

The reporting service reads measures data only through the measures service's RPC
``report_snapshot``, never from its tables. It calls as itself (user ``svc.reporting``, role
staff: everyone authenticated reads everything), with a short-lived token signed with the shared
secret, so a scheduled report needs no user's token and an on-demand one does not act with the
caller's rights.
"""

from dataclasses import dataclass
from datetime import timedelta

import eventlet
from nameko.exceptions import RpcTimeout
from nameko.extensions import DependencyProvider
from nameko.rpc import RpcProxy, ServiceProxy

from shared.auth import AUTH_CONTEXT_KEY, issue_token
from shared.vocabulary import Role

from .handlers import Scheduler
from .settings import SERVICE_USER, ReportingSettings

MEASURES_SERVICE = "measures"
#: A fresh token per call, valid long enough for the slowest snapshot.
TOKEN_TTL = timedelta(minutes=10)


@dataclass(frozen=True)
class Setup:
    settings: ReportingSettings
    scheduler: Scheduler


class ReportingSetup(DependencyProvider):
    """The settings and report kinds, read once per container (a bad kinds file stops the start),
    and the container's scheduler, which remembers its failures between runs."""

    def setup(self):
        settings = ReportingSettings.from_config(self.container.config)
        self.setup_ = Setup(settings, Scheduler(settings))

    def get_dependency(self, worker_ctx):
        return self.setup_


class MeasuresData(RpcProxy):
    """``self.measures.snapshot(...)``: the measures service's ``report_snapshot`` answer."""

    def __init__(self, target_service=MEASURES_SERVICE):
        super().__init__(target_service)

    def setup(self):
        super().setup()
        config = self.container.config
        self.secret = config["TOKEN_SECRET"]
        self.timeout = float(config.get("REPORT_SNAPSHOT_TIMEOUT_SECONDS") or 60.0)

    def get_dependency(self, worker_ctx):
        return MeasuresClient(self, worker_ctx)


class MeasuresClient:
    def __init__(self, provider, worker_ctx):
        self._provider = provider
        self._worker_ctx = worker_ctx

    def snapshot(self, filters, as_of, since, include_measures=True):
        provider = self._provider
        # A timer fires as the container starts, possibly before the reply queue consumes; a reply
        # sent to a queue not yet declared is lost and the call would wait out its timeout.
        provider.rpc_reply_listener.queue_consumer._consumers_ready.wait()
        token = issue_token(provider.secret, SERVICE_USER, "-", Role.STAFF, ttl=TOKEN_TTL)
        proxy = ServiceProxy(_AsService(self._worker_ctx, token), provider.target_service,
                             provider.rpc_reply_listener)
        reply = proxy.report_snapshot.call_async(filters, as_of.isoformat(), since, include_measures)
        try:
            with eventlet.Timeout(provider.timeout):
                return reply.result()
        except eventlet.Timeout:
            raise RpcTimeout(provider.timeout) from None


class _AsService:
    """The worker context as nameko's RPC proxy reads it, with the service's own token in place
    of the caller's: the call keeps the caller's call-id chain for tracing."""

    def __init__(self, worker_ctx, token):
        self.container = worker_ctx.container
        self.context_data = {**worker_ctx.context_data, AUTH_CONTEXT_KEY: token}
