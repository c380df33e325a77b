"""`python -m services.measures` runs the measures service in the foreground."""

import eventlet

eventlet.monkey_patch()  # before anything else opens a socket

from services.common.runner import main  # noqa: E402

main("measures")
