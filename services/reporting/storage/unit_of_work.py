"""The unit of work of the reporting service: a frozen report and its event commit together."""

from services.common.database import UnitOfWork
from services.common.outbox import new_event

from .models import outbox
from .repository import ReportRepository


class ReportingUnitOfWork(UnitOfWork):
    def __init__(self, session, headers=None):
        super().__init__(session, headers)
        self.reports = ReportRepository(session)

    def publish_later(self, event_type, payload, occurred_at):
        """Write an event to the outbox in this transaction; the relay publishes it after commit."""
        self.session.execute(new_event(outbox, event_type, payload, occurred_at, self.headers))
        self.events_written += 1
