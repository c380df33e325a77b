"""The Python client of the platform.

    from shared.client import Client

    with Client(token) as client:
        measure = client.measures.get_measure("M-0042")
        client.measures.change_status("M-0042", "in_progress", measure["version"])

Service errors arrive as the classes of ``shared.errors`` (``VersionConflict``, ``NotFound``, ...);
a broker that cannot be reached or a service that does not answer raises ``ServiceUnavailable``.
"""

import socket

from kombu.exceptions import OperationalError
from nameko.exceptions import RpcTimeout, UnknownService
from nameko.standalone.rpc import ClusterRpcProxy

import shared.errors  # noqa: F401  (registers the error classes with nameko)
from shared.auth import AUTH_CONTEXT_KEY

DEFAULT_TIMEOUT = 30


class ServiceUnavailable(Exception):
    """RabbitMQ or the called service could not be reached in time."""


class Client:
    def __init__(self, token, amqp_uri=None, timeout=DEFAULT_TIMEOUT):
        if amqp_uri is None:
            from shared.config import load_settings

            amqp_uri = load_settings()["AMQP_URI"]
        self.amqp_uri = amqp_uri
        self._proxy = ClusterRpcProxy(
            {"AMQP_URI": amqp_uri, "serializer": "json"},
            context_data={AUTH_CONTEXT_KEY: token}, timeout=timeout,
        )
        self._cluster = None

    def __enter__(self):
        try:
            self._cluster = self._proxy.start()
        except (OSError, OperationalError, socket.timeout) as exc:
            raise ServiceUnavailable(f"RabbitMQ at {_safe(self.amqp_uri)} is not reachable: {exc}") from None
        return self

    def __exit__(self, *exc_info):
        self._proxy.stop()
        return False

    def __getattr__(self, service_name):
        if service_name.startswith("_") or self._cluster is None:
            raise AttributeError(service_name)
        return _ServiceProxy(getattr(self._cluster, service_name), service_name)


class _ServiceProxy:
    """Turns transport failures into ``ServiceUnavailable``; service errors pass through typed."""

    def __init__(self, proxy, service_name):
        self._proxy = proxy
        self._service_name = service_name

    def __getattr__(self, method):
        remote = getattr(self._proxy, method)

        def call(*args, **kwargs):
            try:
                return remote(*args, **kwargs)
            except UnknownService:
                raise ServiceUnavailable(f"the {self._service_name} service is not running") from None
            except RpcTimeout:
                raise ServiceUnavailable(f"the {self._service_name} service did not answer in time") from None
            except (OSError, OperationalError) as exc:
                raise ServiceUnavailable(f"lost the connection to RabbitMQ: {exc}") from None

        call.__name__ = method
        return call


def _safe(uri):
    """The URI without its password, for messages."""
    if "@" not in uri:
        return uri
    scheme, _, rest = uri.partition("://")
    return f"{scheme}://{rest.split('@', 1)[1]}"
