"""Dependency providers of the reporting service: its settings and the measures data.

The reporting service reads measures data only through the measures service's RPC
``report_snapshot``, never from its tables. It calls as itself (user ``svc.reporting``, see
``services.common.service_calls``), so a scheduled report needs no user's token and an on-demand one
does not act with the caller's rights.
"""

from dataclasses import dataclass

from nameko.extensions import DependencyProvider

from services.common.service_calls import ServiceCall

from .handlers import Scheduler
from .settings import SERVICE_USER, ReportingSettings

MEASURES_SERVICE = "measures"


@dataclass(frozen=True)
class Setup:
    settings: ReportingSettings
    scheduler: Scheduler


class ReportingSetup(DependencyProvider):
    """The settings and report kinds, read once per container (a bad kinds file stops the start),
    and the container's scheduler, which remembers its failures between runs."""

    def setup(self):
        settings = ReportingSettings.from_config(self.container.config)
        self.setup_ = Setup(settings, Scheduler(settings))

    def get_dependency(self, worker_ctx):
        return self.setup_


class MeasuresData(ServiceCall):
    """``self.measures.snapshot(...)``: the measures service's ``report_snapshot`` answer, waited for
    at most REPORT_SNAPSHOT_TIMEOUT_SECONDS."""

    def __init__(self, target_service=MEASURES_SERVICE):
        super().__init__(target_service, SERVICE_USER, "REPORT_SNAPSHOT_TIMEOUT_SECONDS", 60.0)

    def get_dependency(self, worker_ctx):
        return MeasuresClient(super().get_dependency(worker_ctx))


class MeasuresClient:
    def __init__(self, measures):
        self._measures = measures

    def snapshot(self, filters, as_of, since, include_measures=True):
        return self._measures.report_snapshot(filters, as_of.isoformat(), since, include_measures)
