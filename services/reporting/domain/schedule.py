"""When a report kind is due: five-field cron expressions in the county's time zone.

``minute hour day-of-month month day-of-week`` with ``*``, lists (``1,15``), ranges (``1-5``), steps
(``*/15``, ``8-18/2``), month and weekday names (``jan``, ``mon``) and the shorthands ``@monthly``,
``@weekly``, ``@daily``. As in cron, a day matches if day-of-month or day-of-week matches when
both are restricted. Times are wall-clock times in the county: "0 7 1 * *" is 07:00 in Berlin in
winter and in summer. A wall-clock time that does not exist (the hour skipped in spring) has no
slot; one that occurs twice (the hour repeated in autumn) has its first occurrence only.

Pure: the caller passes ``now``.
"""

from dataclasses import dataclass
from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

#: How far back a slot is searched: "29 Feb" fires every four years, and "31 Feb" never.
SEARCH_DAYS = 5 * 366

_SHORTHANDS = {"@monthly": "0 0 1 * *", "@weekly": "0 0 * * 0", "@daily": "0 0 * * *", "@yearly": "0 0 1 1 *"}
_MONTHS = {name: number for number, name in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), start=1)}
_WEEKDAYS = {name: number for number, name in enumerate(("sun", "mon", "tue", "wed", "thu", "fri", "sat"))}


class CronError(ValueError):
    """The expression is not a cron schedule; the message says which field and why."""


@dataclass(frozen=True)
class CronSchedule:
    expression: str
    minutes: frozenset
    hours: frozenset
    days: frozenset
    months: frozenset
    weekdays: frozenset  # 0 = Sunday
    days_restricted: bool
    weekdays_restricted: bool

    @classmethod
    def parse(cls, expression):
        text = _SHORTHANDS.get(str(expression).strip().lower(), str(expression).strip())
        parts = text.split()
        if len(parts) != 5:
            raise CronError(f"{expression!r}: a cron schedule has five fields (minute hour day month weekday)")
        minute, hour, day, month, weekday = parts
        weekdays = {value % 7 for value in _field(weekday, "weekday", 0, 7, _WEEKDAYS)}  # 7 is Sunday too
        return cls(
            expression=str(expression).strip(),
            minutes=frozenset(_field(minute, "minute", 0, 59)),
            hours=frozenset(_field(hour, "hour", 0, 23)),
            days=frozenset(_field(day, "day of month", 1, 31)),
            months=frozenset(_field(month, "month", 1, 12, _MONTHS)),
            weekdays=frozenset(weekdays),
            days_restricted=day != "*",
            weekdays_restricted=weekday != "*",
        )

    def latest_slot(self, now, tz):
        """The latest instant at or before ``now`` (aware) on this schedule, as an aware UTC
        datetime, or None if there was none within ``SEARCH_DAYS``."""
        zone = ZoneInfo(str(tz))
        local_now = now.astimezone(zone)
        for back in range(SEARCH_DAYS):
            day = local_now.date() - timedelta(days=back)
            if not self._matches_day(day):
                continue
            for hour in sorted(self.hours, reverse=True):
                for minute in sorted(self.minutes, reverse=True):
                    slot = _existing_instant(datetime.combine(day, time(hour, minute)), zone)
                    if slot is not None and slot <= now:
                        return slot.astimezone(timezone.utc)
        return None

    def _matches_day(self, day):
        if day.month not in self.months:
            return False
        in_month = day.day in self.days
        in_week = (day.isoweekday() % 7) in self.weekdays
        if self.days_restricted and self.weekdays_restricted:
            return in_month or in_week
        return in_month and in_week


def _existing_instant(naive, zone):
    """The first occurrence of a wall-clock time, or None if the clocks skipped it."""
    aware = naive.replace(tzinfo=zone, fold=0)
    if aware.astimezone(timezone.utc).astimezone(zone).replace(tzinfo=None) != naive:
        return None
    return aware


def _field(text, name, low, high, names=None):
    values = set()
    for item in text.lower().split(","):
        base, _, step_text = item.partition("/")
        step = _number(step_text, name, names=None) if step_text else 1
        if step < 1:
            raise CronError(f"{name}: the step must be at least 1")
        if base == "*":
            start, end = low, high
        elif "-" in base:
            first, _, last = base.partition("-")
            start, end = _number(first, name, names), _number(last, name, names)
        else:
            start = _number(base, name, names)
            end = high if step_text else start
        if not (low <= start <= high and low <= end <= high) or start > end:
            raise CronError(f"{name}: {item!r} is outside {low}-{high}")
        values.update(range(start, end + 1, step))
    return values


def _number(text, name, names):
    if names and text in names:
        return names[text]
    if not text.isdigit():
        raise CronError(f"{name}: {text!r} is not a number")
    return int(text)
