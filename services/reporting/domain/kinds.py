"""Report kinds (what a recurring report covers, who receives it, when) and report requests."""

from dataclasses import dataclass, field
from datetime import date, datetime

from .schedule import CronSchedule

#: What a report covers when nothing is filtered: the whole programme of the county.
NO_FILTERS = {"programmes": [], "departments": [], "areas": []}
#: Formats a recipient gets attached unless the kind says otherwise: printable and read anywhere.
DEFAULT_ATTACHMENTS = ("pdf",)


@dataclass(frozen=True)
class ReportKind:
    """A configured, usually scheduled, report: e.g. the council's monthly status report."""

    name: str
    title: str
    filters: dict = field(default_factory=lambda: dict(NO_FILTERS))
    recipients: tuple = ()
    schedule: CronSchedule | None = None
    language: str = "de"
    attachments: tuple = DEFAULT_ATTACHMENTS

    def slot_due(self, now, tz):
        """The latest scheduled instant at or before ``now``; None for kinds run on demand only."""
        return None if self.schedule is None else self.schedule.latest_slot(now, tz)


@dataclass(frozen=True)
class ReportRequest:
    """One report to take: of a kind (scheduled or on demand) or ad hoc with its own filters."""

    title: str | None
    filters: dict
    as_of: date
    language: str
    requested_by: str
    kind: ReportKind | None = None
    scheduled_for: datetime | None = None
    #: The county's time zone: instants in the report are shown in it.
    timezone: str = "Europe/Berlin"

    @property
    def kind_name(self):
        return None if self.kind is None else self.kind.name
