"""The baseline of the benchmark: a nameko service whose one RPC does nothing.

    python bench/noop_service.py

Started the way the production services are (``python -m services.measures``): the process is
monkey-patched by eventlet first, the settings come from ``shared.config`` (``AMQP_URI``,
``MAX_WORKERS``, ``LOG_LEVEL``), and ``nameko.cli.run.run`` serves it in the foreground; SIGTERM
stops it gracefully. The service name is ``bench_noop`` unless ``BENCH_NOOP_SERVICE`` says otherwise.
"""

import warnings

warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")

import eventlet  # noqa: E402

eventlet.monkey_patch()  # before anything else opens a socket

import os  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from nameko.rpc import rpc  # noqa: E402

SERVICE_NAME = os.environ.get("BENCH_NOOP_SERVICE", "bench_noop")


class NoopService:
    name = SERVICE_NAME

    @rpc
    def ping(self):
        return None


def main():
    from nameko.cli.run import run

    from services.common.logs import configure_logging
    from shared.config import load_settings

    settings = load_settings()
    configure_logging(settings, SERVICE_NAME)
    run([NoopService], {
        "AMQP_URI": settings["AMQP_URI"],
        "max_workers": int(settings["MAX_WORKERS"]),
        "serializer": "json",
    })


if __name__ == "__main__":
    main()
