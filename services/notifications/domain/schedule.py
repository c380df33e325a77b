"""When to try again and when the daily digest is due: pure functions of ``now``."""

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff: ``base`` after the first failure, doubling, never more than ``cap``;
    after ``max_attempts`` the delivery is failed and waits for a person to retry it."""

    max_attempts: int = 8
    base_seconds: float = 30.0
    cap_seconds: float = 3600.0

    def delay(self, attempts):
        """The wait after the ``attempts``-th failed attempt."""
        return timedelta(seconds=min(self.base_seconds * 2 ** max(attempts - 1, 0), self.cap_seconds))

    def gives_up_after(self, attempts):
        return attempts >= self.max_attempts


@dataclass(frozen=True)
class DigestSlot:
    """One day's digest: its calendar day in the county and the instant it is due (UTC)."""

    day: object
    due_at: datetime


def current_digest_slot(now, hour, tz="Europe/Berlin"):
    """The latest digest slot that is due at ``now``: today's if the digest hour has passed in the
    county's time zone, otherwise yesterday's. A service that was down at the digest hour sends
    that day's digest when it is back, and one digest, not one per missed check."""
    zone = ZoneInfo(tz)
    local = now.astimezone(zone)
    day = local.date() if local.hour >= hour else local.date() - timedelta(days=1)
    due_at = datetime.combine(day, time(hour), tzinfo=zone)
    return DigestSlot(day, due_at.astimezone(now.tzinfo))
