"""Which reminders, overdue notices and escalations a measure is owed today.

Measures stall because nobody is reminded and nobody above notices. For every date that matters
(the due date, the planned end, the grant obligations of a funded measure) and for staleness this
module says which *notice* is current on a given calendar day. Each notice has a stable key; the
caller emits a notice whose key it has not emitted before, which makes the watch idempotent,
safe with several instances, and cheap to catch up after downtime: only the latest notice of each
kind is current, so a service that was down for a week sends one overdue notice, not seven.

Pure: no clock, no database. ``today`` is the county's calendar date.
"""

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from shared.vocabulary import DeadlineKind, Status

from .obligations import GrantRules, ObligationKind, obligations


class NoticeType(StrEnum):
    """The event each notice becomes."""

    DUE_SOON = "measure_due_soon"
    OVERDUE = "measure_overdue"
    ESCALATED = "measure_escalated"
    UPDATE_REQUESTED = "measure_update_requested"
    OBLIGATION_DUE = "grant_obligation_due"
    OBLIGATION_MISSED = "grant_obligation_missed"


#: What a notice is about; the kinds and their labels are part of the event contract.
Watched = DeadlineKind


@dataclass(frozen=True)
class DeadlineRules:
    #: Days before a date at which its department is reminded.
    reminder_days: tuple = (7, 1)
    #: An overdue measure is reminded again every week, not daily: daily reminders get filtered as spam.
    overdue_repeat_days: int = 7
    #: Overdue this long, the department's managers hear of it (escalation level 1) ...
    escalate_after_days: int = 14
    #: ... and after each further such period the next department up the chain (level 2, 3, ...).
    escalate_step_days: int = 14
    #: In progress without any change this long, the department is asked for an update.
    stale_after_days: int = 90
    #: Days before a grant obligation at which its department and managers are reminded.
    obligation_reminder_days: tuple = (30, 7)
    grant: GrantRules = field(default_factory=GrantRules)


@dataclass(frozen=True)
class Notice:
    type: NoticeType
    watched: Watched
    #: The date watched (for staleness: the day of the last change).
    on: date
    #: Days until the date (negative: days past it).
    days: int
    #: Unique per measure: the same key is never emitted twice.
    key: str
    escalation_level: int | None = None
    #: Key of the grant obligation, for obligation notices.
    obligation: str | None = None

    def as_payload(self):
        return {"kind": self.watched.value, "date": self.on.isoformat(), "days": self.days,
                **({"obligation": self.obligation} if self.obligation else {})}


def current_notices(measure, chain, today, rules=DeadlineRules()):
    """The notices that are current for ``measure`` on ``today``; ``chain`` is its department
    followed by the parents, which bounds how far an escalation can climb."""
    notices = []
    if not measure.status.is_closed:
        for watched in (Watched.DUE_DATE, Watched.PLANNED_END):
            day = getattr(measure, watched.value)
            if day is None or (watched is Watched.PLANNED_END and day == measure.due_date):
                continue  # a planned end on the due date is one deadline, reminded once
            notices += _date_notices(watched, day, today, rules, len(chain))
        notices += _stale_notices(measure, today, rules)
    if measure.status is not Status.CANCELLED:
        fulfilled = set(measure.obligations_fulfilled)
        for obligation in obligations(measure.funding, rules.grant):
            if obligation.key in fulfilled:
                continue
            found = _date_notices(Watched(obligation.kind.value), obligation.due, today, rules, len(chain),
                                  obligation=obligation.key)
            if obligation.kind is ObligationKind.PERIOD_END:  # a period ends; it cannot be missed
                found = [notice for notice in found if notice.type is NoticeType.OBLIGATION_DUE]
            notices += found
    return notices


def _date_notices(watched, day, today, rules, levels, obligation=None):
    """At most one reminder, one overdue notice and one escalation: the latest of each."""
    is_obligation = obligation is not None
    days = (day - today).days
    prefix = f"{obligation or watched.value}@{day.isoformat()}"
    make = dict(watched=watched, on=day, days=days, obligation=obligation)
    reminders = rules.obligation_reminder_days if is_obligation else rules.reminder_days
    found = []
    if days >= 0:
        due = [threshold for threshold in reminders if days <= threshold]
        if due:  # the closest threshold reached; earlier ones missed while down are not sent late
            threshold = min(due)
            found.append(Notice(NoticeType.OBLIGATION_DUE if is_obligation else NoticeType.DUE_SOON,
                                key=f"{prefix}/remind:{threshold}", **make))
        return found
    late = -days
    if is_obligation:  # a missed obligation is announced once; escalation keeps it on the agenda
        found.append(Notice(NoticeType.OBLIGATION_MISSED, key=f"{prefix}/missed", escalation_level=1, **make))
    else:
        repeat = (late - 1) // rules.overdue_repeat_days
        found.append(Notice(NoticeType.OVERDUE, key=f"{prefix}/overdue:{repeat}", **make))
    if late > rules.escalate_after_days:
        level = min(1 + (late - rules.escalate_after_days - 1) // rules.escalate_step_days, levels)
        found.append(Notice(NoticeType.ESCALATED, key=f"{prefix}/escalate:{level}", escalation_level=level, **make))
    return found


def _stale_notices(measure, today, rules):
    if measure.status is not Status.IN_PROGRESS or measure.updated_at is None:
        return []
    # Any change (progress, note, date) resets the clock: the key names the version it saw. The UTC
    # date of the change is close enough to the county's for a threshold of weeks.
    last_change = measure.updated_at.date()
    idle = (today - last_change).days
    if idle < rules.stale_after_days:
        return []
    period = idle // rules.stale_after_days
    return [Notice(NoticeType.UPDATE_REQUESTED, Watched.STALE, last_change, -idle,
                   key=f"stale@v{measure.version}/{period}")]
