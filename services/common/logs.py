"""Logging set-up of a service process."""

import logging


def configure_logging(settings):
    logging.basicConfig(
        level=getattr(logging, str(settings["LOG_LEVEL"]).upper(), logging.INFO),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
