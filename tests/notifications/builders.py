"""Builders of test data with recognisable German examples; every field can be overridden."""

import uuid
from datetime import datetime, timezone

from services.notifications.domain import Actor, Audience, Channel, DigestMode, Notice, Subscription
from shared.events import MEASURE_STATUS_CHANGED, REPORT_FORMATS, REPORT_GENERATED


def measure(**overrides):
    data = {
        "id": "M-0042", "external_ref": "KS-7", "title": "Radwegenetz ausbauen",
        "description": "Lückenschluss der Radwege zwischen den Verbandsgemeinden.",
        "programme": "Klimaschutzkonzept 2023", "area": "Mobilität und Infrastruktur", "department": "KS",
        "partners": [], "priority": "high", "planned_start": "2026-01-01", "planned_end": "2027-12-31",
        "due_date": "2027-12-31", "budget_planned": "250000.00", "funding": None, "status": "in_progress",
        "progress": 10, "version": 3, "created_at": "2026-01-05T08:00:00+00:00",
        "updated_at": "2026-03-02T10:15:00+00:00",
    }
    data.update(overrides)
    return data


def event(event_type=MEASURE_STATUS_CHANGED, **overrides):
    """An event payload as the measures service publishes it (a status change by default)."""
    payload = {
        "event_id": str(uuid.uuid4()),
        "event_type": event_type,
        "occurred_at": datetime.now(timezone.utc).isoformat(),
        "actor": {"user": "mueller.ks", "department": "KS", "role": "staff"},
        "measure": measure(),
        "department_chain": ["KS", "D2", "LR"],
        "changes": {"status": ["funded", "in_progress"]} if event_type == MEASURE_STATUS_CHANGED else {},
        "note": None,
        "from_status": "funded" if event_type == MEASURE_STATUS_CHANGED else None,
        "to_status": "in_progress" if event_type == MEASURE_STATUS_CHANGED else None,
    }
    measure_overrides = overrides.pop("measure", None)
    if measure_overrides:
        payload["measure"] = measure(**measure_overrides)
    payload.update(overrides)
    return payload


def report(**overrides):
    """An archived report as ``reporting.list_reports`` and ``report_generated`` describe it."""
    data = {
        "id": 3, "kind": "kreistag", "title": "Sachstand Programm des Landrats",
        "scheduled_for": "2026-11-01T06:00:00+00:00", "taken_at": "2026-11-01T06:00:02+00:00",
        "as_of": "2026-11-01", "language": "de",
        "filters": {"programmes": ["Programm des Landrats 2024–2029"], "departments": [], "areas": []},
        "requested_by": "schedule", "created_at": "2026-11-01T06:00:03+00:00", "previous_id": 1,
        "summary": {"measures": 169, "open": 64, "overdue": 1, "funded": 4, "changes": 2},
        "sha256": "ab" * 32,
    }
    data.update(overrides)
    return data


def report_event(**overrides):
    """A ``report_generated`` payload as the reporting service publishes it."""
    payload = {
        "event_id": str(uuid.uuid4()),
        "event_type": REPORT_GENERATED,
        "occurred_at": "2026-11-01T06:00:03+00:00",
        "report": report(**overrides.pop("report", {})),
        "recipients": ["gremien@kreis.example"],
        "attachments": ["pdf"],
        "formats": list(REPORT_FORMATS),
    }
    payload.update(overrides)
    return payload


def notice(event_type=MEASURE_STATUS_CHANGED, **overrides):
    values = dict(
        event_id=str(uuid.uuid4()), event_type=event_type, occurred_at=datetime(2026, 3, 2, 10, 15, tzinfo=timezone.utc),
        measure_id="M-0042", measure_title="Radwegenetz ausbauen", department="KS",
        actor=Actor("mueller.ks", "KS", "staff"), department_chain=("KS", "D2", "LR"),
    )
    values.update(overrides)
    return Notice(**values)


_ids = iter(range(1, 1_000_000))


def subscription(department="KS", audience=Audience.MEMBER, channel=Channel.EMAIL, **overrides):
    values = dict(id=next(_ids), department=department, audience=Audience(audience), channel=Channel(channel),
                  address=None if Channel(channel) is Channel.INBOX else f"{department.lower()}-{audience}@kreis.example",
                  digest=DigestMode.IMMEDIATE)
    values.update(overrides)
    return Subscription(**values)
