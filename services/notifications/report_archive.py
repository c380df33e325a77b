"""The reporting service's archive, from which the sender fetches a report's attachments.

Attachments are fetched when the e-mail is sent, not carried by the event: a report's PDF can be
megabytes, the archive keeps every report anyway, and a frozen report renders the same whenever it
is asked for. ``reporting.get_report(report_id, format)`` is called as this service's own user
(``svc.notifications``, see ``services.common.service_calls``), at most REPORT_FETCH_TIMEOUT_SECONDS
per format.

Like SMTP, the archive's answers are told apart by whether another try can help: unreachable, slow
or failing is a ``TemporaryFailure`` (retried with backoff, then failed and retried by hand); a
report that no longer exists, or a format it refuses, is a ``PermanentFailure`` (failed at once).
"""

import base64

from services.common.service_calls import ServiceCall
from shared.errors import NotFound, ValidationError

from .channels import Attachment, PermanentFailure, TemporaryFailure

REPORTING_SERVICE = "reporting"
#: The user this service acts as towards the reporting service (reading is all it does there).
SERVICE_USER = "svc.notifications"
TIMEOUT_SETTING = "REPORT_FETCH_TIMEOUT_SECONDS"
#: Rendering a large report as PDF takes seconds; a minute leaves room for a busy reporting
#: service and stays well inside the delivery lease (DELIVERY_LEASE_SECONDS, 120 by default).
DEFAULT_TIMEOUT_SECONDS = 60.0


class ReportArchive(ServiceCall):
    """``self.reports.attachments(report_id, formats)``: the report as files to attach."""

    def __init__(self, target_service=REPORTING_SERVICE):
        super().__init__(target_service, SERVICE_USER, TIMEOUT_SETTING, DEFAULT_TIMEOUT_SECONDS)

    def get_dependency(self, worker_ctx):
        return ReportFetcher(super().get_dependency(worker_ctx))


class ReportFetcher:
    """Fetches rendered reports through ``reporting`` (anything with ``get_report``)."""

    def __init__(self, reporting):
        self._reporting = reporting

    def attachments(self, report_id, formats):
        """The report ``report_id`` in each of ``formats``, in that order, as ``Attachment``s;
        raises ``TemporaryFailure`` or ``PermanentFailure``."""
        return [self._fetch(report_id, fmt) for fmt in formats]

    def _fetch(self, report_id, fmt):
        try:
            rendered = self._reporting.get_report(report_id, fmt)
        except NotFound:
            raise PermanentFailure(f"report {report_id} no longer exists in the reporting service") from None
        except ValidationError as exc:
            raise PermanentFailure(f"the reporting service refused report {report_id} as {fmt}: {exc}") from None
        except Exception as exc:  # down (UnknownService), slow (RpcTimeout), broker gone, a failure there
            raise TemporaryFailure(f"reporting service, report {report_id} as {fmt}: {exc!r}") from None
        return Attachment(rendered["filename"], rendered["media_type"], _content(rendered))


def _content(rendered):
    """The bytes of a ``get_report`` answer: PDF comes base64-encoded, text formats as text."""
    if rendered["encoding"] == "base64":
        return base64.b64decode(rendered["content"])
    return rendered["content"].encode("utf-8")
