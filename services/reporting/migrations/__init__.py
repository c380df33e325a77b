"""Alembic migrations of the reporting database."""

from pathlib import Path

from services.common.database import Migrations

MIGRATIONS = Migrations(directory=Path(__file__).parent, version_table="alembic_version_reporting")
