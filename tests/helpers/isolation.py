"""The notifications service under a name of its own, for tests and benchmarks that share a broker:
its queues, dead-letter queue and the events it consumes are then its own."""

from services.notifications.entrypoints import measure_event_handler
from services.notifications.report_archive import ReportArchive
from services.notifications.schemas import CONSUMED_EVENTS, MalformedEvent
from services.notifications.service import NotificationsService
from shared.events import REPORT_GENERATED


def isolated_service_class(name, source, reporting):
    """``NotificationsService`` under ``name``, consuming the events of ``source`` and the
    reports of the reporting service named ``reporting``."""

    def handle_measure_event(self, body):
        return NotificationsService.handle_measure_event(self, body)

    def handle_report_event(self, body):
        return NotificationsService.handle_report_event(self, body)

    handler = measure_event_handler(source, CONSUMED_EVENTS, expected_exceptions=(MalformedEvent,))(
        handle_measure_event)
    report_handler = measure_event_handler(reporting, (REPORT_GENERATED,), expected_exceptions=(MalformedEvent,))(
        handle_report_event)
    return type(f"Notifications_{name}", (NotificationsService,), {
        "name": name, "handle_measure_event": handler, "handle_report_event": report_handler,
        "reports": ReportArchive(reporting)})
