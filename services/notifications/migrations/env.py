"""Alembic environment of the notifications database; run through ``measures db upgrade``."""

from services.common.migration_env import run_migrations
from services.notifications.storage.models import metadata

run_migrations(metadata)
