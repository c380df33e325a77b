"""Logging set-up of a service process."""

import logging


class CallerErrorsWithoutTraceback(logging.Filter):
    """nameko logs a declared (expected) exception with its traceback as a warning. Such errors
    are the caller's mistakes (a validation error, a version conflict): one line is enough."""

    def filter(self, record):
        if record.getMessage().startswith("(expected) error handling worker"):
            record.exc_info = None
            record.exc_text = None
        return True


def configure_logging(settings):
    logging.basicConfig(
        level=getattr(logging, str(settings["LOG_LEVEL"]).upper(), logging.INFO),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("nameko.containers").addFilter(CallerErrorsWithoutTraceback())
