"""Alembic environment of the reporting database; run through ``measures db upgrade``."""

from services.common.migration_env import run_migrations
from services.reporting.storage.models import metadata

run_migrations(metadata)
