"""Starts one service in the foreground: `python -m services.<name>`.

The process is monkey-patched by eventlet in the package's ``__main__`` before anything else is
imported. Configuration comes from ``shared.config``; the database must be migrated first.
SIGTERM stops gracefully: entrypoints stop taking work, workers in flight finish, then the process
exits.
"""

import importlib
import logging
import sys

from shared.config import ConfigError, load_settings

from .database import DatabaseNotMigrated
from .logs import configure_logging

#: Each service: its nameko class and its migrations, by dotted path (imported only when needed).
SERVICES = {
    "measures": ("services.measures.service:MeasuresService", "services.measures.migrations:MIGRATIONS"),
    "notifications": ("services.notifications.service:NotificationsService",
                      "services.notifications.migrations:MIGRATIONS"),
    "reporting": ("services.reporting.service:ReportingService", "services.reporting.migrations:MIGRATIONS"),
}

EX_CONFIG = 78  # sysexits.h: configuration error


def _resolve(path):
    module, _, attribute = path.partition(":")
    return getattr(importlib.import_module(module), attribute)


def service_class(name):
    return _resolve(SERVICES[name][0])


def migrations_of(name):
    return _resolve(SERVICES[name][1])


def declare_event_queues(name, settings):
    """Declare the durable queues of the service's event handlers, as the service itself would.

    Run by `measures db upgrade`: events published before a consumer's first start (the example
    programme, a measures service that came up first) then wait in its queues instead of being
    dropped by an exchange with nothing bound to it. Returns the queue names.
    """
    from kombu import Connection
    from nameko.containers import ServiceContainer
    from nameko.events import EventHandler

    container = ServiceContainer(service_class(name), settings.nameko_config(name))
    handlers = [entrypoint for entrypoint in container.entrypoints if isinstance(entrypoint, EventHandler)]
    if not handlers:
        return []
    with Connection(settings["AMQP_URI"], connect_timeout=5) as connection:
        channel = connection.default_channel
        for handler in handlers:
            handler.setup()  # builds the queue exactly as at service start; nothing is consumed
            handler.queue.bind(channel).declare()
    return [handler.queue.name for handler in handlers]


def run(service_cls, config):
    """Run one service until SIGTERM or Ctrl-C, then stop it gracefully.

    Like nameko's own ``run``, except that a repeated SIGTERM (orchestrators and impatient people
    send two) does not start a second stop, which would hang the first; a second Ctrl-C kills.
    """
    import errno
    import signal

    import eventlet
    from nameko.runners import ServiceRunner

    runner = ServiceRunner(config)
    runner.add_service(service_cls)
    stopping = False

    def shutdown(signum, _frame):
        nonlocal stopping
        # Signal handlers run in the main loop and must not block: act in a green thread.
        if not stopping:
            stopping = True
            eventlet.spawn_n(runner.stop)
        elif signum == signal.SIGINT:
            eventlet.spawn_n(runner.kill)

    signal.signal(signal.SIGTERM, shutdown)
    signal.signal(signal.SIGINT, shutdown)
    runner.start()
    waiting = eventlet.spawn(runner.wait)
    while True:
        try:
            waiting.wait()
            return
        except OSError as exc:  # a signal interrupted the hub's wait: keep waiting
            if exc.errno != errno.EINTR:
                raise


def main(name):
    try:
        settings = load_settings()
        configure_logging(settings, name)
        config = settings.nameko_config(name)
        run(service_class(name), config)
    except (ConfigError, DatabaseNotMigrated) as exc:
        print(f"{name}: {exc}", file=sys.stderr)
        sys.exit(EX_CONFIG)
    except OSError as exc:
        logging.getLogger(name).error("cannot start: %s", exc)
        print(f"{name}: cannot start: {exc}", file=sys.stderr)
        sys.exit(1)
