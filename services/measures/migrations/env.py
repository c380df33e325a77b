"""Alembic environment of the measures database; run through ``measures db upgrade``."""

from services.common.migration_env import run_migrations
from services.measures.storage.models import metadata

run_migrations(metadata)
