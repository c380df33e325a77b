"""The reporting service: periodic and on-demand status reports of the programme of measures.

RPC (service name ``reporting``; every call needs the caller's token in the context data
``auth_token``): generate_report, list_reports, get_report. Any authenticated caller.

Reads (RPC): measures.report_snapshot, as the service user ``svc.reporting``.
Emits (source ``reporting``, through its outbox): report_generated.
Consumes: no events. Runs each configured report kind on its cron schedule (REPORT_CHECK_SECONDS;
also at start, which catches up a run missed while down).
"""

import base64

from nameko.rpc import rpc

from services.common.auth import Authentication
from services.common.clock import Clock
from services.common.database import Database
from services.common.logs import CallContext
from services.common.metrics import RpcMetrics
from services.common.schedule import every_configured
from services.common.validation import load
from shared.errors import CALLER_ERRORS, NotFound, ValidationError

from . import handlers
from .dependencies import MeasuresData, ReportingSetup
from .domain import ReportRequest
from .domain.kinds import NO_FILTERS
from .metrics import OverdueReports, ReportingMetrics, SinceLastReport
from .migrations import MIGRATIONS
from .rendering import TABLE_FORMATS, render
from .schemas import GenerateSchema, GetSchema, ListSchema, dump_report
from .storage.models import outbox
from .storage.repository import thaw, thaw_table
from .storage.unit_of_work import ReportingUnitOfWork


class ReportingService:
    name = "reporting"

    db = Database(MIGRATIONS, ReportingUnitOfWork, outbox=outbox, collectors=[SinceLastReport, OverdueReports])
    auth = Authentication()
    clock = Clock()
    metrics = RpcMetrics(ReportingMetrics)
    reporting = ReportingSetup()
    measures = MeasuresData()
    log_context = CallContext()

    @every_configured("REPORT_CHECK_SECONDS", 60.0)
    def take_scheduled_reports(self):
        self.reporting.scheduler.run_due(self.db, self.measures, self.clock.now(), self.metrics)

    @rpc(expected_exceptions=CALLER_ERRORS)
    def generate_report(self, kind=None, filters=None, as_of=None, language=None, title=None):
        """Take a report now: of a configured ``kind`` (its filters, title and recipients; compared
        with the kind's previous report) or ad hoc with ``filters`` (programmes, departments, areas)."""
        principal = self.auth.principal
        data = load(GenerateSchema(), {"kind": kind, "filters": filters, "as_of": as_of, "language": language,
                                       "title": title})
        request = self._request(data, principal.user)
        row = handlers.generate_measured(self.db, self.measures, request, self.clock.now(), self.metrics)
        return dump_report(row)

    @rpc(expected_exceptions=CALLER_ERRORS)
    def list_reports(self, kind=None, limit=50):
        """Archived reports, newest first."""
        self.auth.require()
        data = load(ListSchema(), {"kind": kind, "limit": limit})
        with self.db.read() as uow:
            return [dump_report(row) for row in uow.reports.find(data["kind"], data["limit"])]

    @rpc(expected_exceptions=CALLER_ERRORS)
    def get_report(self, report_id, format="html", language=None):
        """An archived report rendered as html, pdf, md, csv or json (in ``language``, default the
        report's). Text formats come as UTF-8 text, PDF as base64 (``encoding``)."""
        self.auth.require()
        data = load(GetSchema(), {"report_id": report_id, "format": format, "language": language})
        with self.db.read() as uow:
            row = uow.reports.get(data["report_id"])
            meta, document = dump_report(row), thaw(row)
            table = thaw_table(row) if data["format"] in TABLE_FORMATS else None
        rendered = render(document, meta["id"], data["format"], data["language"], table)
        return {"report": meta, "format": data["format"], "media_type": rendered.media_type,
                "filename": rendered.filename, **_encoded(rendered.content, data["format"])}

    def _request(self, data, user):
        settings = self.reporting.settings
        kind = None
        if data["kind"] is not None:
            kind = settings.kinds.get(data["kind"])
            if kind is None:
                raise NotFound("report kind", data["kind"])
            if data["filters"] is not None:
                raise ValidationError({"filters": ["A report kind brings its own filters."]})
        filters = kind.filters if kind else (data["filters"] or dict(NO_FILTERS))
        return ReportRequest(
            title=data["title"] or (kind.title if kind else None), filters=filters,
            as_of=data["as_of"] or self.clock.today(), requested_by=user, kind=kind,
            language=data["language"] or (kind.language if kind else settings.language),
            timezone=settings.timezone)


def _encoded(content, fmt):
    if fmt == "pdf":
        return {"encoding": "base64", "content": base64.b64encode(content).decode("ascii")}
    return {"encoding": "utf-8", "content": content.decode("utf-8")}
