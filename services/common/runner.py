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
}

EX_CONFIG = 78  # sysexits.h: configuration error


def _resolve(path):
    module, _, attribute = path.partition(":")
    return getattr(importlib.import_module(module), attribute)


def service_class(name):
    return _resolve(SERVICES[name][0])


def migrations_of(name):
    return _resolve(SERVICES[name][1])


def main(name):
    from nameko.cli.run import run

    try:
        settings = load_settings()
        configure_logging(settings, name)
        config = settings.nameko_config(name)
        run([service_class(name)], config)
    except (ConfigError, DatabaseNotMigrated) as exc:
        print(f"{name}: {exc}", file=sys.stderr)
        sys.exit(EX_CONFIG)
    except OSError as exc:
        logging.getLogger(name).error("cannot start: %s", exc)
        print(f"{name}: cannot start: {exc}", file=sys.stderr)
        sys.exit(1)
