"""Persistence of the notifications service: tables, repositories, the unit of work."""
