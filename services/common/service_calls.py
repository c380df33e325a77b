"""Calls from one service to another, made as the calling service itself.

Work a service does on its own (a timer, an event) has no user's token to pass on, and a call made
on a user's request should not borrow the user's rights either. ``ServiceCall`` is a nameko
``RpcProxy`` that signs a fresh short-lived token for the service's own user on every call (with
the shared ``TOKEN_SECRET``) and waits for the answer at most the time a setting allows:

    class ReportingService:
        measures = ServiceCall("measures", "svc.reporting", "REPORT_SNAPSHOT_TIMEOUT_SECONDS")

        def work(self):
            snapshot = self.measures.report_snapshot(filters, as_of)   # raises RpcTimeout when slow

The call keeps the worker's call-id chain, so the logs follow it into the other service.
"""

from datetime import timedelta

import eventlet
from nameko.exceptions import RpcTimeout
from nameko.rpc import RpcProxy, ServiceProxy

from shared.auth import AUTH_CONTEXT_KEY, issue_token
from shared.config import ConfigError
from shared.vocabulary import Role

#: Long enough for the slowest answer; a token per call is never reused, so never stale.
TOKEN_TTL = timedelta(minutes=10)
#: A service belongs to no department; as staff it reads everything and changes nothing of a
#: department's.
SERVICE_DEPARTMENT = "-"


class ServiceCall(RpcProxy):
    """``self.<attribute>.<method>(*args, **kwargs)`` calls ``method`` of ``target_service`` as
    ``user`` (role staff) and returns its result, or raises what it raised (shared errors come back
    as their own class), ``UnknownService`` when no such service ever ran, or ``RpcTimeout`` after
    ``config[timeout_setting]`` seconds (``default_timeout`` when unset)."""

    def __init__(self, target_service, user, timeout_setting, default_timeout=60.0, **options):
        super().__init__(target_service, **options)
        self.user = user
        self.timeout_setting = timeout_setting
        self.default_timeout = default_timeout

    def setup(self):
        super().setup()
        config = self.container.config
        self.secret = config["TOKEN_SECRET"]
        self.timeout = _seconds(config, self.timeout_setting, self.default_timeout)

    def get_dependency(self, worker_ctx):
        return ServiceCaller(self, worker_ctx)


class ServiceCaller:
    """What a worker sees: the target service's methods, called as the service's own user."""

    def __init__(self, provider, worker_ctx):
        self._provider = provider
        self._worker_ctx = worker_ctx

    def __getattr__(self, method):
        def call(*args, **kwargs):
            return self._call(method, args, kwargs)

        return call

    def _call(self, method, args, kwargs):
        provider = self._provider
        # A timer fires as the container starts, possibly before the reply queue consumes; a reply
        # sent to a queue not yet declared is lost and the call would wait out its timeout.
        provider.rpc_reply_listener.queue_consumer._consumers_ready.wait()
        token = issue_token(provider.secret, provider.user, SERVICE_DEPARTMENT, Role.STAFF, ttl=TOKEN_TTL)
        # A request still queued when the caller gives up expires rather than being worked on later
        # for nobody (the target's queue outlives the target: a stopped service collects them).
        proxy = ServiceProxy(_AsService(self._worker_ctx, token), provider.target_service,
                             provider.rpc_reply_listener, expiration=provider.timeout, **provider.options)
        reply = getattr(proxy, method).call_async(*args, **kwargs)
        try:
            with eventlet.Timeout(provider.timeout):
                return reply.result()
        except eventlet.Timeout:
            raise RpcTimeout(provider.timeout) from None


def _seconds(config, key, default):
    """A positive number of seconds from the config; a bad value stops the start, naming the key."""
    value = config.get(key)
    if value in (None, ""):
        return float(default)
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{key} must be a number of seconds, not {value!r}") from None
    if seconds <= 0:
        raise ConfigError(f"{key} must be greater than 0")
    return seconds


class _AsService:
    """The worker context as nameko's RPC proxy reads it, with the service's own token in place
    of the caller's: the call keeps the caller's call-id chain for tracing."""

    def __init__(self, worker_ctx, token):
        self.container = worker_ctx.container
        self.context_data = {**worker_ctx.context_data, AUTH_CONTEXT_KEY: token}
