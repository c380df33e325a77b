"""The measures service: system of record of a county's measures.

RPC (service name ``measures``): departments, measures, their lifecycle, funding, progress, history
and import. Every call needs the caller's token in the context data ``auth_token``.

Emits (source ``measures``, through the outbox): measure_created, measure_updated,
measure_status_changed, measure_funding_changed, measure_progress_recorded; and from the deadline
watch (run every DEADLINE_CHECK_SECONDS and at start): measure_due_soon, measure_overdue,
measure_escalated, measure_update_requested, grant_obligation_due, grant_obligation_missed.
Consumes: nothing.
"""

from nameko.rpc import rpc

from services.common.auth import Authentication
from services.common.clock import Clock
from services.common.database import Database
from services.common.logs import CallContext
from services.common.metrics import RpcMetrics
from services.common.schedule import every_configured
from shared.errors import CALLER_ERRORS, ValidationError
from shared.schemas import DepartmentSchema

from . import handlers, watch
from . import snapshot as report_data
from .dependencies import DeadlineRulesProvider
from .domain import ensure_admin
from .metrics import DeadlineGauges, MeasuresByStatus, MeasuresMetrics
from .migrations import MIGRATIONS
from .schemas import (
    AsOfSchema, FulfilmentSchema, ImportRowSchema, NewMeasureSchema, PageSchema, dump_journal, dump_measure, load,
    load_changes, load_filters, load_funding,
)
from .storage.models import outbox
from .storage.repository import MeasureFilter, decode_cursor
from .storage.unit_of_work import SqlUnitOfWork

MAX_IMPORT_ROWS = 10_000


class MeasuresService:
    name = "measures"

    db = Database(MIGRATIONS, SqlUnitOfWork, outbox=outbox, collectors=[MeasuresByStatus, DeadlineGauges])
    auth = Authentication()
    clock = Clock()
    metrics = RpcMetrics(MeasuresMetrics)
    log_context = CallContext()
    deadline_rules = DeadlineRulesProvider()

    @rpc(expected_exceptions=CALLER_ERRORS)
    def create_department(self, department):
        principal = self.auth.principal
        data = load(DepartmentSchema(), department)
        with self.db.unit_of_work() as uow:
            row = handlers.create_department(uow, principal, data)
            return DepartmentSchema().dump(row)

    @rpc(expected_exceptions=CALLER_ERRORS)
    def list_departments(self):
        self.auth.require()
        with self.db.read() as uow:
            return DepartmentSchema(many=True).dump(uow.departments.all())

    @rpc(expected_exceptions=CALLER_ERRORS)
    def create_measure(self, measure):
        principal = self.auth.principal
        data = load(NewMeasureSchema(), measure)
        with self.db.unit_of_work() as uow:
            created = handlers.create_measure(uow, principal, data, self.clock.now())
        return dump_measure(created)

    @rpc(expected_exceptions=CALLER_ERRORS)
    def get_measure(self, measure_id):
        self.auth.require()
        with self.db.read() as uow:
            return dump_measure(uow.measures.get(str(measure_id)))

    @rpc(expected_exceptions=CALLER_ERRORS)
    def list_measures(self, filters=None, limit=50, cursor=None):
        self.auth.require()
        page = load(PageSchema(), {"limit": limit, "cursor": cursor})
        criteria = MeasureFilter(**load_filters(filters))
        after = decode_cursor(page["cursor"]) if page["cursor"] else None
        with self.db.read() as uow:
            items, total, next_cursor = uow.measures.find(criteria, self.clock.today(), page["limit"], after)
        return {"items": [dump_measure(m) for m in items], "next_cursor": next_cursor, "total": total}

    @rpc(expected_exceptions=CALLER_ERRORS)
    def update_measure(self, measure_id, changes, expected_version, note=None):
        """``note`` is the reason, required when a due date or planned end that has passed moves."""
        principal = self.auth.principal
        changes = load_changes(changes)
        with self.db.unit_of_work() as uow:
            measure = handlers.update_measure(uow, principal, measure_id, changes, expected_version,
                                              self.clock.now(), note, self.clock.today())
        return dump_measure(measure)

    @rpc(expected_exceptions=CALLER_ERRORS)
    def change_status(self, measure_id, status, expected_version, note=None):
        principal = self.auth.principal
        with self.db.unit_of_work() as uow:
            measure, previous = handlers.change_status(
                uow, principal, measure_id, status, expected_version, note, self.clock.now())
        self.metrics.transition(previous, measure.status)
        return dump_measure(measure)

    @rpc(expected_exceptions=CALLER_ERRORS)
    def set_funding(self, measure_id, funding, expected_version):
        principal = self.auth.principal
        funding = load_funding(funding)
        with self.db.unit_of_work() as uow:
            measure = handlers.set_funding(uow, principal, measure_id, funding, expected_version, self.clock.now())
        return dump_measure(measure)

    @rpc(expected_exceptions=CALLER_ERRORS)
    def record_progress(self, measure_id, progress, expected_version, note=None):
        principal = self.auth.principal
        with self.db.unit_of_work() as uow:
            measure = handlers.record_progress(
                uow, principal, measure_id, progress, expected_version, note, self.clock.now())
        return dump_measure(measure)

    @rpc(expected_exceptions=CALLER_ERRORS)
    def fulfil_obligation(self, measure_id, obligation, expected_version, fulfilled_on=None, note=None):
        """Record that a grant obligation (e.g. ``final_proof``) was met; its reminders stop."""
        principal = self.auth.principal
        day = load(FulfilmentSchema(), {"fulfilled_on": fulfilled_on})["fulfilled_on"] or self.clock.today()
        with self.db.unit_of_work() as uow:
            measure = handlers.fulfil_obligation(uow, principal, measure_id, obligation, day, expected_version,
                                                 note, self.clock.now())
        return dump_measure(measure)

    @rpc(expected_exceptions=CALLER_ERRORS)
    def list_deadlines(self, department=None, as_of=None):
        """What is due soon, overdue, escalated, stale or owed to a funding body, by department."""
        self.auth.require()
        today = self._day(as_of)
        with self.db.read() as uow:
            return watch.deadline_overview(uow, today, self.deadline_rules, department)

    @rpc(expected_exceptions=CALLER_ERRORS)
    def check_deadlines(self, as_of=None, dry_run=False):
        """Run the deadline watch now (admins): as of another day to catch up, or as a dry run."""
        ensure_admin(self.auth.principal, "run the deadline watch")
        return self._watch(self._day(as_of), dry_run)

    @every_configured("DEADLINE_CHECK_SECONDS", 900)
    def watch_deadlines(self):
        self._watch(self.clock.today(), dry_run=False)

    def _watch(self, today, dry_run):
        with self.db.unit_of_work() as uow:
            emitted = watch.watch_deadlines(uow, today, self.clock.now(), self.deadline_rules, dry_run)
            if dry_run:
                uow.discard()
        if not dry_run:
            for notice in emitted:
                self.metrics.notice(notice["type"])
        return emitted

    def _day(self, as_of):
        return load(AsOfSchema(), {"as_of": as_of})["as_of"] or self.clock.today()

    @rpc(expected_exceptions=CALLER_ERRORS)
    def get_history(self, measure_id):
        self.auth.require()
        with self.db.read() as uow:
            return dump_journal(uow.measures.history(str(measure_id)))

    @rpc(expected_exceptions=CALLER_ERRORS)
    def import_measures(self, rows, dry_run=False):
        """Upsert by external_ref; applied only if every row is valid and ``dry_run`` is false."""
        principal = self.auth.principal
        if not isinstance(rows, list) or len(rows) > MAX_IMPORT_ROWS:
            raise ValidationError({"rows": [f"Send a list of at most {MAX_IMPORT_ROWS} rows."]})
        with self.db.unit_of_work() as uow:
            report = handlers.import_measures(
                uow, principal, rows, self.clock.now(), lambda row: load(ImportRowSchema(), row), self.clock.today())
            applied = not (dry_run or report.errors)
            if not applied:
                uow.discard()
        return report.as_dict(applied)

    @rpc(expected_exceptions=CALLER_ERRORS)
    def report_snapshot(self, filters=None, as_of=None, since=None, include_measures=False):
        """The data of a status report from one consistent snapshot (``snapshot.py``): totals per
        status, area, department and programme, overdue and funded measures, the changes after the
        journal position ``since``, and the measures table if asked. Any authenticated caller."""
        self.auth.require()
        request = report_data.load_request(filters, as_of, since, include_measures, self.clock.today())
        with self.db.read() as uow:
            return report_data.take_snapshot(uow.session, request, self.clock.now())
