"""`python -m services.reporting` runs the reporting service in the foreground."""

import warnings

warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")

import eventlet  # noqa: E402

eventlet.monkey_patch()  # before anything else opens a socket

from services.common.runner import main  # noqa: E402

main("reporting")
