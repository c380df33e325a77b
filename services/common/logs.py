"""Logging of a service process: plain text or JSON lines that carry the call id.

nameko gives every call a call id and passes the chain of them along RPC calls and (through our
outbox) events, so ``call_id_stack`` in a log line lets operations follow one user action through
measures, notifications and reporting. ``CallContext`` makes the running worker's chain available to
every log line written while it works.
"""

import json
import logging
import threading
from datetime import datetime, timezone

from nameko.extensions import DependencyProvider

# Green-thread local under eventlet's monkey patch: each worker sees its own call.
_current = threading.local()


class CallContext(DependencyProvider):
    """Declare on a service so that its log lines name the call they belong to."""

    def worker_setup(self, worker_ctx):
        _current.call_id_stack = list(worker_ctx.call_id_stack)

    def worker_teardown(self, worker_ctx):
        _current.call_id_stack = None

    def get_dependency(self, worker_ctx):
        return None


class CallIdFilter(logging.Filter):
    def filter(self, record):
        stack = getattr(_current, "call_id_stack", None) or []
        record.call_id = stack[-1] if stack else None
        record.call_id_stack = stack
        record.call = f" [{record.call_id}]" if record.call_id else ""
        return True


class CallerErrorsWithoutTraceback(logging.Filter):
    """nameko logs a declared (expected) exception with its traceback as a warning. Such errors
    are the caller's mistakes (a validation error, a version conflict): one line is enough."""

    def filter(self, record):
        if record.getMessage().startswith("(expected) error handling worker"):
            record.exc_info = None
            record.exc_text = None
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line, for log shippers (Loki, Elasticsearch, journald)."""

    def __init__(self, service):
        super().__init__()
        self.service = service

    def format(self, record):
        line = {
            "time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "service": self.service,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if getattr(record, "call_id", None):
            line["call_id"] = record.call_id
            line["call_id_stack"] = record.call_id_stack
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)


def configure_logging(settings, service):
    handler = logging.StreamHandler()
    handler.addFilter(CallIdFilter())
    if str(settings.get("LOG_FORMAT", "text")).lower() == "json":
        handler.setFormatter(JsonFormatter(service))
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s%(call)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(getattr(logging, str(settings["LOG_LEVEL"]).upper(), logging.INFO))
    logging.getLogger("nameko.containers").addFilter(CallerErrorsWithoutTraceback())
