"""Repositories: load and store domain objects, translating to and from table rows."""

import base64
import json
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from shared.errors import NotFound, ValidationError
from shared.vocabulary import FundingSource, Priority, Status

from ..domain import Funding, Measure
from .models import DeadlineNoticeRow, DepartmentRow, IdCounter, JournalRow, MeasureRow

_PLAIN_FIELDS = (
    "id", "external_ref", "title", "description", "programme", "area", "department", "planned_start",
    "planned_end", "due_date", "budget_planned", "progress", "version", "created_at", "updated_at",
)
_FUNDING_FIELDS = ("source", "programme", "reference", "amount_approved", "period_start", "period_end")
_CLOSED = (Status.DONE.value, Status.CANCELLED.value)


@dataclass(frozen=True)
class MeasureFilter:
    status: tuple = ()
    department: str | None = None
    area: str | None = None
    programme: str | None = None
    overdue: bool | None = None
    due_before: object = None
    q: str | None = None


class MeasureRepository:
    def __init__(self, session):
        self.session = session
        self._rows = {}

    def get(self, measure_id):
        row = self.session.get(MeasureRow, measure_id)
        if row is None:
            raise NotFound("measure", measure_id)
        return self._track(row)

    def get_by_external_ref(self, external_ref):
        row = self.session.scalars(select(MeasureRow).where(MeasureRow.external_ref == external_ref)).first()
        return None if row is None else self._track(row)

    def owner_of_external_ref(self, external_ref):
        return self.session.scalar(select(MeasureRow.id).where(MeasureRow.external_ref == external_ref))

    def next_id(self):
        """The next human-readable id; the counter row is locked until commit, so ids never repeat."""
        number = self.session.execute(
            update(IdCounter).where(IdCounter.name == "measure").values(value=IdCounter.value + 1)
            .returning(IdCounter.value)
        ).scalar_one()
        return number, f"M-{number:04d}"

    def add(self, number, measure):
        row = MeasureRow(number=number)
        _copy_to_row(measure, row)
        self.session.add(row)
        self._rows[measure.id] = row

    def save(self, measure):
        _copy_to_row(measure, self._rows[measure.id])

    def find(self, filters, today, limit, after=None):
        """(measures, total) matching ``filters``, ordered by id number, starting after a cursor."""
        conditions = _conditions(filters, today)
        total = self.session.scalar(select(func.count()).select_from(MeasureRow).where(*conditions))
        query = select(MeasureRow).where(*conditions).order_by(MeasureRow.number).limit(limit + 1)
        if after is not None:
            query = query.where(MeasureRow.number > after)
        rows = list(self.session.scalars(query))
        more = len(rows) > limit
        rows = rows[:limit]
        cursor = encode_cursor(rows[-1].number) if more else None
        return [_to_domain(row) for row in rows], total, cursor

    def history(self, measure_id):
        if self.session.get(MeasureRow, measure_id) is None:
            raise NotFound("measure", measure_id)
        return list(self.session.scalars(
            select(JournalRow).where(JournalRow.measure_id == measure_id).order_by(JournalRow.version)))

    def deadline_candidates(self, today, rules, batch=500):
        """Measures that may owe a notice on ``today``, in batches: open ones whose watched dates are
        near or past, stale-looking ones in progress, and every grant-funded one not cancelled."""
        row = MeasureRow
        horizon = today + timedelta(days=max(rules.reminder_days, default=0))
        idle_since = datetime.combine(today - timedelta(days=rules.stale_after_days - 1), time(), timezone.utc)
        open_ = row.status.not_in(_CLOSED)
        condition = or_(
            open_ & (row.due_date <= horizon),
            open_ & (row.planned_end <= horizon),
            (row.status == Status.IN_PROGRESS.value) & (row.updated_at < idle_since),
            (row.funding_source == FundingSource.GRANT.value) & row.funding_period_end.is_not(None)
            & (row.status != Status.CANCELLED.value),
        )
        after = 0
        while True:
            rows = list(self.session.scalars(
                select(MeasureRow).where(condition, row.number > after).order_by(row.number).limit(batch)))
            if not rows:
                return
            after = rows[-1].number
            yield [self._track(r) for r in rows]

    def _track(self, row):
        self._rows[row.id] = row
        return _to_domain(row)


class NoticeLog:
    """The notices emitted; recording one that exists already is a no-op that says so."""

    def __init__(self, session):
        self.session = session

    def record(self, measure_id, notice, event_id, now):
        """True if this call recorded the notice (so its event is to be sent), False if it was known."""
        dialect = self.session.get_bind().dialect.name
        insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
        result = self.session.execute(insert(DeadlineNoticeRow).values(
            measure_id=measure_id, notice_key=notice.key, notice_type=notice.type.value, emitted_at=now,
            event_id=event_id,
        ).on_conflict_do_nothing())
        return result.rowcount == 1

    def known(self, measure_id, key):
        return self.session.get(DeadlineNoticeRow, (measure_id, key)) is not None


class DepartmentRepository:
    def __init__(self, session):
        self.session = session

    def get(self, code):
        return self.session.get(DepartmentRow, code)

    def add(self, code, name, parent):
        row = DepartmentRow(code=code, name=name, parent=parent)
        self.session.add(row)
        return row

    def all(self):
        return list(self.session.scalars(select(DepartmentRow).order_by(DepartmentRow.code)))

    def chain(self, code):
        """The department and its parents up to the root: who is above, for escalations.

        Cached per process and database: departments are created, never moved in the tree, so a
        chain once complete stays true (a department not yet known is looked up again)."""
        key = (str(self.session.get_bind().url), code)
        known = _CHAINS.get(key)
        if known is not None:
            return list(known)
        chain, complete = [], True
        while code is not None and code not in chain:
            chain.append(code)
            row = self.get(code)
            complete = row is not None
            code = row.parent if complete else None
        if chain and complete:
            _CHAINS[key] = tuple(chain)
        return chain


_CHAINS = {}


def encode_cursor(number):
    return base64.urlsafe_b64encode(json.dumps({"after": number}).encode()).decode().rstrip("=")


def decode_cursor(cursor):
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        number = json.loads(base64.urlsafe_b64decode(padded.encode()))["after"]
        if not isinstance(number, int):
            raise ValueError
        return number
    except (ValueError, KeyError, TypeError):
        raise ValidationError({"cursor": ["This is not a cursor returned by list_measures."]}) from None


def _conditions(filters, today):
    row = MeasureRow
    conditions = []
    if filters.status:
        conditions.append(row.status.in_([Status(s).value for s in filters.status]))
    for name in ("department", "area", "programme"):
        value = getattr(filters, name)
        if value:
            conditions.append(getattr(row, name) == value)
    if filters.overdue is True:
        conditions += [row.due_date < today, row.status.not_in(_CLOSED)]
    elif filters.overdue is False:
        conditions.append(or_(row.due_date.is_(None), row.due_date >= today, row.status.in_(_CLOSED)))
    if filters.due_before:
        conditions.append(row.due_date < filters.due_before)
    if filters.q:
        pattern = "%" + filters.q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        conditions.append(or_(*(column.ilike(pattern, escape="\\") for column in (
            row.id, row.external_ref, row.title, row.description, row.area, row.programme))))
    return conditions


def _to_domain(row):
    funding = None
    if row.funding_source is not None:
        funding = Funding(
            source=FundingSource(row.funding_source),
            **{name: getattr(row, f"funding_{name}") for name in _FUNDING_FIELDS if name != "source"},
        )
    return Measure(
        **{name: getattr(row, name) for name in _PLAIN_FIELDS},
        partners=list(row.partners or []),
        obligations_fulfilled={key: date.fromisoformat(day) for key, day in (row.obligations_fulfilled or {}).items()},
        priority=Priority(row.priority),
        status=Status(row.status),
        funding=funding,
    )


def _copy_to_row(measure, row):
    for name in _PLAIN_FIELDS:
        setattr(row, name, getattr(measure, name))
    row.partners = list(measure.partners)
    row.obligations_fulfilled = {key: day.isoformat() for key, day in measure.obligations_fulfilled.items()}
    row.priority = measure.priority.value
    row.status = measure.status.value
    for name in _FUNDING_FIELDS:
        value = getattr(measure.funding, name) if measure.funding else None
        setattr(row, f"funding_{name}", value.value if name == "source" and value else value)
