"""Time as a dependency: services ask a clock, tests give them a fixed one."""

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from nameko.extensions import DependencyProvider


class SystemClock:
    """Now in UTC, and today's calendar date in the county's time zone."""

    def __init__(self, tz="Europe/Berlin"):
        self.tz = ZoneInfo(tz)

    def now(self):
        return datetime.now(timezone.utc)

    def today(self):
        return self.now().astimezone(self.tz).date()


class FixedClock(SystemClock):
    """A clock that shows a set instant until moved; for tests and for `--time` dry runs."""

    def __init__(self, instant, tz="Europe/Berlin"):
        super().__init__(tz)
        self.instant = instant

    def now(self):
        return self.instant

    def advance(self, delta):
        self.instant += delta


class Clock(DependencyProvider):
    def setup(self):
        self.clock = SystemClock(self.container.config.get("TIMEZONE", "Europe/Berlin"))

    def get_dependency(self, worker_ctx):
        return self.clock
