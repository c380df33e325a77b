"""Use cases of the reporting service: take a report, run the schedule. Plain functions over the
database dependency, the measures data and a clock's ``now``: the same under nameko and in tests."""

import logging
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.exc import IntegrityError

from shared.events import REPORT_GENERATED

from .domain import ReportRequest, compose_report
from .rendering import FORMATS
from .schemas import dump_report
from .storage.repository import freeze

log = logging.getLogger(__name__)

#: After a failed scheduled report, wait this long before the next try, doubling up to the cap:
#: a measures service that is down should not be asked every minute.
RETRY_FIRST = timedelta(minutes=1)
RETRY_CAP = timedelta(minutes=30)
#: Who the archive names as the author of scheduled reports.
SCHEDULER = "schedule"


class DuplicateReport(Exception):
    """Another instance stored the report of this kind and slot first."""


def generate(db, measures, request, now):
    """Take the snapshot, compose, freeze and archive one report with its ``report_generated`` event."""
    previous = None
    if request.kind is not None:
        with db.read() as uow:
            row = uow.reports.previous(request.kind_name)
            if row is not None:
                previous = {"id": row.id, "taken_at": row.taken_at.isoformat(), "position": row.position}
    snapshot = measures.snapshot(request.filters, request.as_of, previous and previous["position"])
    document = compose_report(snapshot, request, previous and {"id": previous["id"], "taken_at": previous["taken_at"]})
    content, table, digest = freeze(document, snapshot.get("measures"))
    try:
        with db.unit_of_work() as uow:
            row = uow.reports.add(
                kind=request.kind_name, scheduled_for=request.scheduled_for, title=request.title,
                language=request.language, filters=snapshot["filters"], as_of=request.as_of, taken_at=datetime.fromisoformat(snapshot["taken_at"]),
                position=snapshot["position"], previous_id=previous and previous["id"],
                requested_by=request.requested_by, created_at=now, summary=summarise(document),
                content=content, measures_table=table, content_sha256=digest)
            uow.publish_later(REPORT_GENERATED, event_payload(row, request, now), now)
    except IntegrityError:
        if request.scheduled_for is None:
            raise
        raise DuplicateReport(f"{request.kind_name} at {request.scheduled_for.isoformat()}") from None
    return row


def generate_measured(db, measures, request, now, metrics):
    """``generate`` with its outcome and duration counted."""
    started = time.perf_counter()
    try:
        row = generate(db, measures, request, now)
    except DuplicateReport:
        metrics.generated(request.kind_name, "duplicate")
        raise
    except Exception:
        metrics.generated(request.kind_name, "failed")
        raise
    metrics.generated(request.kind_name, "ok", time.perf_counter() - started)
    return row


@dataclass
class Scheduler:
    """Takes each kind's report for its latest slot, once. Slots missed while no instance ran are
    not made up one by one: only the latest is taken (a missed run catches up once). The unique
    (kind, slot) of the archive keeps racing instances to one report; this instance skips a slot it
    sees archived, and backs off after a failure."""

    settings: object
    retry_at: dict = field(default_factory=dict)
    failures: dict = field(default_factory=dict)

    def run_due(self, db, measures, now, metrics):
        """Returns the reports taken in this run."""
        taken = []
        for kind in self.settings.kinds.values():
            slot = kind.slot_due(now, self.settings.timezone)
            if slot is None or self.retry_at.get(kind.name, now) > now:
                continue
            with db.read() as uow:
                if uow.reports.exists(kind.name, slot):
                    continue
            request = ReportRequest(
                title=kind.title, filters=kind.filters, as_of=slot.astimezone(ZoneInfo(self.settings.timezone)).date(),
                language=kind.language, requested_by=SCHEDULER, kind=kind, scheduled_for=slot,
                timezone=self.settings.timezone)
            try:
                taken.append(generate_measured(db, measures, request, now, metrics))
            except DuplicateReport:
                continue
            except Exception as exc:  # the next kinds still get their reports; this one is retried
                self._failed(kind.name, now, exc)
                continue
            self.failures.pop(kind.name, None)
            self.retry_at.pop(kind.name, None)
        return taken

    def _failed(self, name, now, exc):
        count = self.failures.get(name, 0) + 1
        self.failures[name] = count
        wait = min(RETRY_FIRST * 2 ** (count - 1), RETRY_CAP)
        self.retry_at[name] = now + wait
        log.warning("report %s failed (%s); next try in %s", name, exc, wait)


def summarise(document):
    """Headline figures kept beside the frozen document, for listings."""
    changes = document["changes"]
    return {"measures": document["totals"]["count"], "open": document["totals"]["open"],
            "overdue": document["late"]["total"], "funded": document["funding"]["total"],
            "changes": None if changes is None else changes["total"]}


def event_payload(row, request, now):
    """``report_generated``: what the notifications service needs to send the report: recipients,
    the formats to attach, and where to fetch them (``reporting.get_report(id, format)``). The
    contract is ``shared.events.ReportGeneratedSchema``; the relay adds ``event_id`` and ``event_type``."""
    kind = request.kind
    return {
        "occurred_at": now.isoformat(),
        "report": dump_report(row),
        "recipients": list(kind.recipients) if kind else [],
        "attachments": list(kind.attachments) if kind else [],
        "formats": list(FORMATS),
    }
