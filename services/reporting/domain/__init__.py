"""The reporting domain core: report kinds, their schedules, and the report computed from a
snapshot of the measures data. Plain Python: no nameko, no SQL, no clock."""

from .compose import FORMAT_VERSION, compose_report
from .kinds import ReportKind, ReportRequest
from .schedule import CronError, CronSchedule

__all__ = ["FORMAT_VERSION", "compose_report", "ReportKind", "ReportRequest", "CronError", "CronSchedule"]
