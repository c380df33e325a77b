"""Persistence of the reporting service: the archive of frozen reports and its outbox."""
