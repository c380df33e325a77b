"""The notifications service (see its issue); not built yet."""
