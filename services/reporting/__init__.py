"""The reporting service (see its issue); not built yet."""
