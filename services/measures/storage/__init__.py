"""Persistence of the measures service: tables, repositories, the unit of work, migrations."""
