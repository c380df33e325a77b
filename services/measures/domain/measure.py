"""The measure aggregate: its fields, its invariants and the changes made to it.

Plain Python: no framework, no database. Every operation checks the rules, applies the change,
bumps the version and records a ``Change`` on the measure; the unit of work turns each recorded
change into a journal entry and an event in the same transaction.
"""

from dataclasses import dataclass, field, fields, replace
from datetime import date, datetime
from decimal import Decimal
from enum import Enum

from shared.errors import ValidationError
from shared.vocabulary import FundingSource, Priority, Status

from .lifecycle import check_funding_for, check_transition, require_note
from .obligations import obligations


class Action(str, Enum):
    """What kind of change a journal entry or event records."""

    CREATED = "created"
    UPDATED = "updated"
    STATUS_CHANGED = "status_changed"
    FUNDING_CHANGED = "funding_changed"
    PROGRESS_RECORDED = "progress_recorded"
    OBLIGATION_FULFILLED = "obligation_fulfilled"


#: Watched dates: once passed, moving them needs a reason.
MOVE_NEEDS_REASON = ("due_date", "planned_end")

#: Fields ``update`` may change; status, funding and progress have their own operations.
EDITABLE_FIELDS = (
    "external_ref", "title", "description", "programme", "area", "department", "partners",
    "priority", "planned_start", "planned_end", "due_date", "budget_planned",
)


@dataclass(frozen=True)
class Funding:
    source: FundingSource
    programme: str | None = None
    reference: str | None = None
    amount_approved: Decimal | None = None
    period_start: date | None = None
    period_end: date | None = None

    @classmethod
    def from_dict(cls, data):
        if data is None:
            return None
        return cls(**{**data, "source": FundingSource(data["source"])})

    def as_dict(self):
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass(frozen=True)
class Change:
    """One change to a measure, as journaled: ``changes`` maps a field to ``[old, new]``."""

    action: Action
    version: int
    occurred_at: datetime
    changes: dict
    note: str | None = None
    from_status: Status | None = None
    to_status: Status | None = None


@dataclass(eq=False)
class Measure:
    id: str
    title: str
    department: str
    external_ref: str | None = None
    description: str | None = None
    programme: str | None = None
    area: str | None = None
    partners: list = field(default_factory=list)
    priority: Priority = Priority.NORMAL
    planned_start: date | None = None
    planned_end: date | None = None
    due_date: date | None = None
    budget_planned: Decimal | None = None
    funding: Funding | None = None
    status: Status = Status.PLANNED
    progress: int = 0
    version: int = 0
    created_at: datetime | None = None
    updated_at: datetime | None = None
    #: Grant obligations met: obligation key -> the date on which it was fulfilled.
    obligations_fulfilled: dict = field(default_factory=dict)
    #: Changes made since the measure was loaded; drained by the unit of work.
    recorded: list = field(default_factory=list, repr=False)

    @classmethod
    def create(cls, measure_id, data, now, note=None):
        """A new measure; ``data`` may set an initial status (when taking over a running programme)."""
        data = dict(data)
        status = Status(data.pop("status", Status.PLANNED))
        measure = cls(
            id=measure_id,
            **{**data, "priority": Priority(data.get("priority") or Priority.NORMAL),
               "funding": Funding.from_dict(data.get("funding")),
               "partners": list(data.get("partners") or []),
               "obligations_fulfilled": dict(data.get("obligations_fulfilled") or {})},
            status=status, created_at=now, updated_at=now,
        )
        measure._check_invariants()
        if status is not Status.PLANNED:
            check_funding_for(status, measure.funding)
            require_note(status, note)
        if status is Status.DONE:
            measure.progress = 100
        measure._record(Action.CREATED, now, {name: [None, _plain(value)] for name, value in measure.snapshot().items()
                                              if value not in (None, [], {}, "") and name not in _SYSTEM_FIELDS}, note)
        return measure

    def update(self, changes, now, note=None, today=None):
        """Change editable fields; returns the recorded ``Change`` or None when nothing differs.

        Moving a watched date that has already passed (as of ``today``) needs a reason in
        ``note``: the council report shows why a measure is late."""
        unknown = sorted(set(changes) - set(EDITABLE_FIELDS))
        if unknown:
            raise ValidationError({name: ["This field cannot be changed here."] for name in unknown})
        values = dict(changes)
        if "priority" in values:
            values["priority"] = Priority(values["priority"] or Priority.NORMAL)
        if "partners" in values:
            values["partners"] = list(values["partners"] or [])
        diff = {name: [_plain(getattr(self, name)), _plain(value)]
                for name, value in values.items() if getattr(self, name) != value}
        if not diff:
            return None
        candidate = replace(self, **{name: values[name] for name in diff}, recorded=[])
        candidate._check_invariants()
        passed = [name for name in MOVE_NEEDS_REASON
                  if name in diff and today and getattr(self, name) and getattr(self, name) < today]
        if passed and not (note or "").strip():
            raise ValidationError({"note": [f"Give a reason for moving {name}: the date has passed."
                                            for name in passed]})
        for name in diff:
            setattr(self, name, values[name])
        return self._record(Action.UPDATED, now, diff, note)

    def change_status(self, target, now, role, note=None):
        target = Status(target)
        check_transition(self, target, role, note)
        previous = self.status
        diff = {"status": [previous.value, target.value]}
        self.status = target
        if target is Status.DONE and self.progress != 100:
            diff["progress"] = [self.progress, 100]
            self.progress = 100
        return self._record(Action.STATUS_CHANGED, now, diff, note, from_status=previous, to_status=target)

    def set_funding(self, funding, now, note=None):
        """Replace the funding (or remove it with None); a funded measure must stay fundable."""
        funding = funding if isinstance(funding, Funding) or funding is None else Funding.from_dict(funding)
        if funding == self.funding:
            return None
        if self.status in (Status.FUNDED, Status.IN_PROGRESS):
            check_funding_for(Status.FUNDED, funding)
        diff = {"funding": [_plain(self.funding), _plain(funding)]}
        self.funding = funding
        return self._record(Action.FUNDING_CHANGED, now, diff, note)

    def record_progress(self, progress, now, note=None):
        if not isinstance(progress, int) or isinstance(progress, bool) or not 0 <= progress <= 100:
            raise ValidationError({"progress": ["Progress is a whole percentage from 0 to 100."]})
        if self.status.is_closed:
            raise ValidationError({"progress": [f"A {self.status.value} measure takes no progress; reopen it first."]})
        diff = {"progress": [self.progress, progress]}
        self.progress = progress
        return self._record(Action.PROGRESS_RECORDED, now, diff, note)

    def fulfil_obligation(self, key, on, now, note=None):
        """Record that the grant obligation ``key`` was met on ``on``; stops its reminders."""
        known = {obligation.key for obligation in obligations(self.funding)}
        if key not in known:
            raise ValidationError({"obligation": [
                f"No obligation {key} for this measure; open ones: {', '.join(sorted(known)) or 'none'}."]})
        if key in self.obligations_fulfilled:
            raise ValidationError({"obligation": [f"{key} was recorded as fulfilled on {self.obligations_fulfilled[key]}."]})
        fulfilled = {**self.obligations_fulfilled, key: on}
        diff = {"obligations_fulfilled": [_plain(self.obligations_fulfilled), _plain(fulfilled)]}
        self.obligations_fulfilled = fulfilled
        return self._record(Action.OBLIGATION_FULFILLED, now, diff, note)

    def is_overdue(self, today):
        return self.due_date is not None and self.due_date < today and not self.status.is_closed

    def snapshot(self):
        """The measure's fields as a dict (the aggregate's own bookkeeping left out)."""
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name != "recorded"}

    def _record(self, action, now, diff, note, **statuses):
        self.version += 1
        self.updated_at = now
        change = Change(action=action, version=self.version, occurred_at=now, changes=diff,
                        note=note or None, **statuses)
        self.recorded.append(change)
        return change

    def _check_invariants(self):
        errors = {}
        if not (self.title or "").strip():
            errors["title"] = ["A measure needs a title."]
        if self.planned_start and self.planned_end and self.planned_end < self.planned_start:
            errors["planned_end"] = ["The planned end cannot be before the planned start."]
        if self.budget_planned is not None and self.budget_planned < 0:
            errors["budget_planned"] = ["The planned budget cannot be negative."]
        if errors:
            raise ValidationError(errors)


_SYSTEM_FIELDS = ("id", "version", "created_at", "updated_at")


def _plain(value):
    """A JSON-safe form of a field value, for the journal and events."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    if isinstance(value, Funding):
        return {name: _plain(item) for name, item in value.as_dict().items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    return value
