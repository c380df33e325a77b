"""The data of a status report, read in one consistent snapshot of the measures database.

The reporting service owns no measures data; it asks for this through the RPC ``report_snapshot``.
Everything that can be summed is summed here, in SQL: the answer holds group totals, bounded lists
(overdue, funded, changes) and, only when asked for, the measures table of the CSV report.

Consistency. All queries run in one transaction that sees one snapshot: on SQLite a read
transaction (WAL), on PostgreSQL a REPEATABLE READ, READ ONLY transaction.

Exact "changes since". The answer carries ``position``, the id of the last journal entry it saw;
the next report passes it back as ``since`` and gets exactly the entries after it. An instant would
not be exact: a change's time is taken before it commits, so a change made just before one snapshot
but committed just after it would fall between two reports. Ids are exact only if every entry with
an id up to ``position`` is visible. SQLite guarantees that (one writer at a time, and a writer's
ids are above every committed one). On PostgreSQL, sequence values are handed out before commit, so
the snapshot is taken behind a short gate: a helper transaction takes ``SHARE`` on the journal,
which waits until every transaction that wrote journal entries has ended and holds new writers back
for the moment it takes to export its snapshot; the read-only transaction imports that snapshot and
the gate opens again. Writers wait for milliseconds, never for the whole report.

``as_of`` is the report's reference date (Stichtag): overdue and days overdue are counted to it.
The data is always the current data, labelled with that date; the measures service does not
reconstruct the past from the journal (a frozen report is the record of the past).
"""

from dataclasses import dataclass
from datetime import date

from marshmallow import Schema, fields, validate
from sqlalchemy import BigInteger, Text, cast, func, select, text, type_coerce
from sqlalchemy.dialects.postgresql import aggregate_order_by

from shared.errors import ValidationError
from shared.events import MEASURE_ESCALATED as ESCALATED
from shared.vocabulary import FundingSource, Status

from .domain import Action, Funding
from .domain.obligations import next_obligation
from .schemas import load
from .storage.models import DeadlineNoticeRow, DepartmentRow, JournalRow, MeasureRow

#: Lists (overdue, funded, changes) are cut here; their totals are always complete. A council
#: report that lists thousands of rows is not read; the CSV table holds every measure.
LIST_LIMIT = 1000
#: How long the PostgreSQL gate waits for journal writers (a large import) before giving up; the
#: reporting service retries later. New writers queue behind a waiting gate, so keep it short.
GATE_LOCK_TIMEOUT = "10s"

_CLOSED = (Status.DONE.value, Status.CANCELLED.value)
#: Fields whose change means "a date was moved" (the reason is the journal note).
_DATE_FIELDS = ("due_date", "planned_end")
#: Columns of the measures table, in order; amounts in whole cents, dates ISO.
TABLE_COLUMNS = (
    "id", "external_ref", "title", "status", "progress", "department", "area", "programme", "priority",
    "planned_start", "planned_end", "due_date", "budget_planned_cents", "funding_source",
    "funding_programme", "funding_reference", "funding_amount_approved_cents", "funding_period_end",
)


class SnapshotFilterSchema(Schema):
    """Which measures a report covers; empty lists mean all. A department includes its sub-departments."""

    programmes = fields.List(fields.String(validate=validate.Length(min=1, max=200)), load_default=list)
    departments = fields.List(fields.String(validate=validate.Length(min=1, max=32)), load_default=list)
    areas = fields.List(fields.String(validate=validate.Length(min=1, max=200)), load_default=list)


class SnapshotRequestSchema(Schema):
    filters = fields.Nested(SnapshotFilterSchema, load_default=dict)
    as_of = fields.Date(load_default=None, allow_none=True)
    since = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(min=0))
    include_measures = fields.Boolean(load_default=False)


@dataclass(frozen=True)
class SnapshotRequest:
    filters: dict
    as_of: date
    since: int | None
    include_measures: bool


def load_request(filters, as_of, since, include_measures, today):
    data = load(SnapshotRequestSchema(), {"filters": filters or {}, "as_of": as_of, "since": since,
                                          "include_measures": include_measures})
    return SnapshotRequest(data["filters"], data["as_of"] or today, data["since"], data["include_measures"])


def take_snapshot(session, request, taken_at):
    """Everything a report needs, from one snapshot. ``session`` must be in a fresh transaction."""
    _begin_consistent_read(session)
    departments = {row.code: {"name": row.name, "parent": row.parent}
                   for row in session.scalars(select(DepartmentRow).order_by(DepartmentRow.code))}
    scope = _scope(request.filters, departments)
    position = session.scalar(select(func.coalesce(func.max(JournalRow.id), 0)))
    overdue_total, overdue = _overdue(session, scope, request.as_of)
    snapshot = {
        "taken_at": taken_at.isoformat(),
        "as_of": request.as_of.isoformat(),
        "position": position,
        "since": request.since,
        "filters": request.filters,
        "departments": departments,
        "groups": _groups(session, scope),
        "overdue": {"total": overdue_total, "items": overdue},
        "funded": _funded(session, scope),
        "changes": None if request.since is None else _changes(session, scope, request.since, position),
    }
    if request.include_measures:
        snapshot["measures"] = _table(session, scope, request.as_of)
    return snapshot


def _begin_consistent_read(session):
    if session.get_bind().dialect.name != "postgresql":
        session.connection()  # SQLite: the read transaction (BEGIN) starts here and holds one snapshot
        return
    with session.get_bind().connect() as gate:
        gate.execute(text(f"SET LOCAL lock_timeout = '{GATE_LOCK_TIMEOUT}'"))
        gate.execute(text(f"LOCK TABLE {JournalRow.__tablename__} IN SHARE MODE"))
        snapshot_id = gate.scalar(text("SELECT pg_export_snapshot()"))
        reader = session.connection(execution_options={"isolation_level": "REPEATABLE READ",
                                                       "postgresql_readonly": True})
        reader.execute(text("SET TRANSACTION SNAPSHOT :id"), {"id": snapshot_id})
        gate.rollback()  # the gate opens; the reader keeps the exported snapshot


def _scope(filters, departments):
    """The WHERE conditions of the measures in the report."""
    conditions = []
    if filters["programmes"]:
        conditions.append(MeasureRow.programme.in_(filters["programmes"]))
    if filters["areas"]:
        conditions.append(MeasureRow.area.in_(filters["areas"]))
    if filters["departments"]:
        unknown = sorted(set(filters["departments"]) - set(departments))
        if unknown:
            raise ValidationError({"filters.departments": [f"Unknown department {code}." for code in unknown]})
        conditions.append(MeasureRow.department.in_(sorted(_with_descendants(filters["departments"], departments))))
    return conditions


def _with_descendants(codes, departments):
    children = {}
    for code, department in departments.items():
        children.setdefault(department["parent"], []).append(code)
    found, pending = set(), list(codes)
    while pending:
        code = pending.pop()
        if code not in found:
            found.add(code)
            pending.extend(children.get(code, ()))
    return found


def _cents(column):
    """The raw whole-cents value of a money column (no Decimal conversion per row)."""
    return type_coerce(column, BigInteger)


def _groups(session, scope):
    """Counts and sums per (status, area, department, programme); the report adds up the margins."""
    m = MeasureRow
    keys = (m.status, m.area, m.department, m.programme)
    query = (select(*keys, func.count(), func.coalesce(func.sum(_cents(m.budget_planned)), 0),
                    func.coalesce(func.sum(_cents(m.funding_amount_approved)), 0))
             .where(*scope).group_by(*keys).order_by(*keys))
    return [[status, area, department, programme, count, int(budget), int(funding)]
            for status, area, department, programme, count, budget, funding in session.execute(query)]


def _open_and_overdue(as_of):
    return [MeasureRow.due_date < as_of, MeasureRow.status.not_in(_CLOSED)]


def _overdue(session, scope, as_of):
    m = MeasureRow
    conditions = [*scope, *_open_and_overdue(as_of)]
    total = session.scalar(select(func.count()).select_from(m).where(*conditions))
    rows = session.execute(
        select(m.id, m.title, m.status, m.department, m.area, m.programme, m.due_date, m.progress)
        .where(*conditions).order_by(m.due_date, m.number).limit(LIST_LIMIT)).all()
    moves = _date_moves(session, [MeasureRow.id.in_([row.id for row in rows])])
    escalated = _last_escalations(session, [row.id for row in rows])
    items = [{
        "id": row.id, "title": row.title, "status": row.status, "department": row.department, "area": row.area,
        "programme": row.programme, "due_date": row.due_date.isoformat(), "days_overdue": (as_of - row.due_date).days,
        "progress": row.progress, "moved": moves.get(row.id), "escalated_on": escalated.get(row.id),
    } for row in rows]
    return total, items


def _date_moves(session, conditions):
    """The latest journaled move of the due date or planned end of each measure matching
    ``conditions``, with its note (the reason)."""
    moves = {}
    entries = session.execute(
        select(JournalRow.measure_id, JournalRow.occurred_at, JournalRow.changes, JournalRow.note)
        .join(MeasureRow, MeasureRow.id == JournalRow.measure_id)
        .where(JournalRow.action == Action.UPDATED.value, *conditions).order_by(JournalRow.id))
    for measure_id, occurred_at, changes, note in entries:
        # JSON key tests differ between PostgreSQL and SQLite; updates of late measures are few.
        for name in _DATE_FIELDS:
            old, new = (changes or {}).get(name) or (None, None)
            if old is not None:
                moves[measure_id] = {"field": name, "from": old, "to": new, "on": occurred_at.isoformat(),
                                     "note": note}
    return moves


def _last_escalations(session, measure_ids):
    """When each measure was last escalated up the chain of command by the deadline watch."""
    found = {}
    for chunk in _chunks(measure_ids, 500):
        found.update((measure_id, emitted_at.isoformat()) for measure_id, emitted_at in session.execute(
            select(DeadlineNoticeRow.measure_id, func.max(DeadlineNoticeRow.emitted_at))
            .where(DeadlineNoticeRow.measure_id.in_(chunk), DeadlineNoticeRow.notice_type == ESCALATED)
            .group_by(DeadlineNoticeRow.measure_id)))
    return found


def _funded(session, scope):
    m = MeasureRow
    conditions = [*scope, m.funding_source.is_not(None)]
    total = session.scalar(select(func.count()).select_from(m).where(*conditions))
    rows = session.execute(
        select(m.id, m.title, m.status, m.department, m.funding_source, m.funding_programme, m.funding_reference,
               _cents(m.funding_amount_approved).label("amount"), m.funding_period_start, m.funding_period_end,
               m.obligations_fulfilled)
        .where(*conditions).order_by(m.funding_period_end.is_(None), m.funding_period_end, m.number)
        .limit(LIST_LIMIT)).all()
    items = []
    for row in rows:
        funding = Funding(source=FundingSource(row.funding_source), programme=row.funding_programme,
                          reference=row.funding_reference, period_start=row.funding_period_start,
                          period_end=row.funding_period_end)
        obligation = next_obligation(funding, frozenset(row.obligations_fulfilled or {}))
        items.append({
            "id": row.id, "title": row.title, "status": row.status, "department": row.department,
            "source": row.funding_source, "programme": row.funding_programme, "reference": row.funding_reference,
            "amount_approved_cents": row.amount, "period_start": _iso(row.funding_period_start),
            "period_end": _iso(row.funding_period_end),
            "next_obligation": None if obligation is None else {
                "kind": obligation.kind.value, "key": obligation.key, "due": obligation.due.isoformat()},
        })
    return {"total": total, "items": items}


def _changes(session, scope, since, position):
    """Measures created and status changes journaled after ``since``, up to ``position``."""
    j, m = JournalRow, MeasureRow
    conditions = [j.id > since, j.id <= position,
                  j.action.in_((Action.CREATED.value, Action.STATUS_CHANGED.value)), *scope]
    counts = dict(session.execute(
        select(j.action, func.count()).join(m, m.id == j.measure_id).where(*conditions).group_by(j.action)).all())
    rows = session.execute(
        select(j.id, j.measure_id, j.action, j.occurred_at, j.changes, j.note, j.actor_user, m.title, m.department)
        .join(m, m.id == j.measure_id).where(*conditions).order_by(j.id).limit(LIST_LIMIT))
    items = []
    for row in rows:
        old, new = (row.changes or {}).get("status") or (None, None)
        items.append({
            "entry": row.id, "measure_id": row.measure_id, "title": row.title, "department": row.department,
            "action": row.action, "from_status": old if row.action == Action.STATUS_CHANGED.value else None,
            "to_status": new, "occurred_at": row.occurred_at.isoformat(), "note": row.note, "actor": row.actor_user,
        })
    return {"since": since, "counts": {action: counts.get(action, 0) for action in
                                       (Action.CREATED.value, Action.STATUS_CHANGED.value)}, "items": items}


def _table(session, scope, as_of):
    """Every measure in the report as rows of ``TABLE_COLUMNS``, with the reason of a moved date for
    the overdue ones (the council's "why is it late" column). ``rows`` is one JSON text built by
    the database: a table of 100,000 measures never becomes Python objects on its way to the
    archive; the CSV renderer reads it when asked for."""
    m = MeasureRow
    columns = [getattr(m, name) if not name.endswith("_cents") else
               _cents(getattr(m, name.removesuffix("_cents"))) for name in TABLE_COLUMNS]
    if session.get_bind().dialect.name == "postgresql":
        rows = select(cast(func.coalesce(func.json_agg(aggregate_order_by(func.json_build_array(*columns), m.number)),
                                         text("'[]'::json")), Text)).where(*scope)
    else:  # SQLite aggregates in the order of its input
        ordered = select(func.json_array(*columns).label("row")).where(*scope).order_by(m.number).subquery()
        rows = select(func.json_group_array(func.json(ordered.c.row)))
    reasons = {measure_id: move["note"] for measure_id, move in
               _date_moves(session, [*scope, *_open_and_overdue(as_of)]).items()}
    return {"columns": list(TABLE_COLUMNS), "rows": session.scalar(rows), "delay_reasons": reasons}


def _iso(value):
    return value.isoformat() if isinstance(value, date) else value


def _chunks(items, size):
    for start in range(0, len(items), size):
        yield items[start:start + size]
