"""Fixtures for tests of the measures service running in a real nameko container."""

import pytest

from services.measures.service import MeasuresService

DEPARTMENTS = (
    {"code": "LR", "name": "Landrat", "parent": None},
    {"code": "D2", "name": "Geschäftsbereich 2 – Bauen und Umwelt", "parent": "LR"},
    {"code": "KS", "name": "Klimaschutzmanagement", "parent": "D2"},
    {"code": "AW", "name": "Abfallwirtschaft", "parent": "D2"},
)


@pytest.fixture
def measures_service(service_config, run_container):
    # service_config first: its database must outlive the container at teardown.
    return run_container(MeasuresService, service_config)


@pytest.fixture
def admin(measures_service, client_for):
    """An admin client of a running measures service with the department tree in place."""
    client = client_for("admin", "LR", "admin")
    for department in DEPARTMENTS:
        client.measures.create_department(department)
    return client


def radweg(**overrides):
    """A new measure as a caller sends it."""
    return {"title": "Radwegenetz ausbauen", "department": "KS", "area": "Mobilität und Infrastruktur",
            "programme": "Klimaschutzkonzept", **overrides}


GRANT = {
    "source": "grant", "programme": "NKI Kommunalrichtlinie", "reference": "03K17253",
    "amount_approved": "48000.00", "period_start": "2021-10-01", "period_end": "2023-09-30",
}
