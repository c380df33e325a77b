"""The unit of work of the measures service: one transaction in which a change, its journal entry
and its event are written together."""

from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from services.common.database import UnitOfWork
from services.common.outbox import new_event
from shared.errors import VersionConflict
from shared.events import (
    MEASURE_CREATED, MEASURE_FUNDING_CHANGED, MEASURE_PROGRESS_RECORDED, MEASURE_STATUS_CHANGED,
    MEASURE_UPDATED,
)

from ..domain import Action
from ..schemas import dump_measure
from .models import JournalRow, MeasureRow, outbox
from .repository import DepartmentRepository, MeasureRepository

EVENT_TYPES = {
    Action.CREATED: MEASURE_CREATED,
    Action.UPDATED: MEASURE_UPDATED,
    Action.STATUS_CHANGED: MEASURE_STATUS_CHANGED,
    Action.FUNDING_CHANGED: MEASURE_FUNDING_CHANGED,
    Action.PROGRESS_RECORDED: MEASURE_PROGRESS_RECORDED,
}


class SqlUnitOfWork(UnitOfWork):
    def __init__(self, session, headers=None):
        super().__init__(session, headers)
        self.measures = MeasureRepository(session)
        self.departments = DepartmentRepository(session)

    def commit_measure(self, measure, actor, is_new=False):
        """Store the measure and turn each change it recorded into a journal entry and an event."""
        if is_new:
            number, measure.id = self.measures.next_id()
            self.measures.add(number, measure)
        else:
            self.measures.save(measure)
        try:
            self.session.flush()
        except StaleDataError:
            # The failed flush ended this session's transaction: read the winner's version afresh.
            with self.session.get_bind().connect() as connection:
                current = connection.scalar(select(MeasureRow.version).where(MeasureRow.id == measure.id))
            raise VersionConflict(measure.id, measure.version - len(measure.recorded), current) from None
        for change in measure.recorded:
            self._journal(measure, change, actor)
            self._publish_later(measure, change, actor)
        measure.recorded.clear()

    def _journal(self, measure, change, actor):
        self.session.add(JournalRow(
            measure_id=measure.id, version=change.version, action=change.action.value,
            actor_user=actor.user, actor_department=actor.department, actor_role=actor.role.value,
            occurred_at=change.occurred_at, changes=change.changes, note=change.note,
        ))

    def _publish_later(self, measure, change, actor):
        payload = {
            "occurred_at": change.occurred_at.isoformat(),
            "actor": {"user": actor.user, "department": actor.department, "role": actor.role.value},
            "measure": dump_measure(measure),
            "department_chain": self.departments.chain(measure.department),
            "changes": change.changes,
            "note": change.note,
        }
        if change.action is Action.STATUS_CHANGED:
            payload.update(from_status=change.from_status.value, to_status=change.to_status.value)
        event_type = EVENT_TYPES[change.action]
        self.session.execute(new_event(outbox, event_type, payload, change.occurred_at, self.headers))
        self.events_written += 1
