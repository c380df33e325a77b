"""The unit of work of the measures service: one transaction in which a change, its journal entry
and its event are written together."""

import uuid

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
from .repository import DepartmentRepository, MeasureRepository, NoticeLog

EVENT_TYPES = {
    Action.CREATED: MEASURE_CREATED,
    Action.UPDATED: MEASURE_UPDATED,
    Action.STATUS_CHANGED: MEASURE_STATUS_CHANGED,
    Action.FUNDING_CHANGED: MEASURE_FUNDING_CHANGED,
    Action.PROGRESS_RECORDED: MEASURE_PROGRESS_RECORDED,
    Action.OBLIGATION_FULFILLED: MEASURE_UPDATED,
}

#: The author of deadline notices: the watch, not a person (so nobody's own-change filter hides them).
WATCH_ACTOR = {"user": "deadline-watch", "department": "-", "role": "staff"}


class SqlUnitOfWork(UnitOfWork):
    def __init__(self, session, headers=None):
        super().__init__(session, headers)
        self.measures = MeasureRepository(session)
        self.departments = DepartmentRepository(session)
        self.notices = NoticeLog(session)

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

    def announce_notice(self, measure, notice, chain, now):
        """Emit a deadline notice unless some instance already did; True if this call emitted it."""
        event_id = str(uuid.uuid4())
        if not self.notices.record(measure.id, notice, event_id, now):
            return False
        self._write_event(notice.type.value, measure, now, WATCH_ACTOR, chain, event_id=event_id,
                          deadline=notice.as_payload(), escalation_level=notice.escalation_level)
        return True

    def _publish_later(self, measure, change, actor):
        statuses = {}
        if change.action is Action.STATUS_CHANGED:
            statuses = {"from_status": change.from_status.value, "to_status": change.to_status.value}
        self._write_event(
            EVENT_TYPES[change.action], measure, change.occurred_at,
            {"user": actor.user, "department": actor.department, "role": actor.role.value},
            self.departments.chain(measure.department), changes=change.changes, note=change.note, **statuses)

    def _write_event(self, event_type, measure, occurred_at, actor, chain, changes=None, note=None, **extra):
        payload = {
            "occurred_at": occurred_at.isoformat(),
            "actor": actor,
            "measure": dump_measure(measure),
            "department_chain": chain,
            "changes": changes or {},
            "note": note,
            **extra,
        }
        self.session.execute(new_event(outbox, event_type, payload, occurred_at, self.headers))
        self.events_written += 1
