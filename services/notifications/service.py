"""The notifications service: tells departments and their managers of every change to a measure.

RPC (service name ``notifications``; every call needs the caller's token in the context data
``auth_token``): subscribe, unsubscribe, list_subscriptions, inbox, mark_read, list_deliveries,
retry_delivery.

Consumes (source ``measures``): measure_created, measure_updated, measure_status_changed,
measure_funding_changed, measure_progress_recorded, and the deadline events measure_due_soon,
measure_overdue, measure_escalated, measure_update_requested, grant_obligation_due,
grant_obligation_missed; (source ``reporting``): report_generated, sent by e-mail to the recipients
of the report's kind with the report attached. Unreadable events go to the queue
``notifications.dead-letter``.
Reads (RPC): reporting.get_report, as the service user ``svc.notifications``, when sending a report.
Emits: no events; e-mail (SMTP), webhooks (signed HTTP POST) and inbox entries.
"""

from nameko.rpc import rpc

from services.common.auth import Authentication
from services.common.clock import Clock
from services.common.database import Database
from services.common.logs import CallContext
from services.common.metrics import RpcMetrics
from services.common.schedule import every_configured
from shared.errors import CALLER_ERRORS, ValidationError
from shared.events import MEASURES_SOURCE, REPORT_GENERATED, REPORTING_SOURCE

from . import handlers
from .delivery import Sender
from .dependencies import Channels
from .entrypoints import SenderBell, delivery_loop, measure_event_handler
from .metrics import DeliveryBacklog, NotificationsMetrics
from .migrations import MIGRATIONS
from .report_archive import ReportArchive
from .schemas import (
    CONSUMED_EVENTS, DeliverySchema, IdListSchema, InboxEntrySchema, MalformedEvent, NewSubscriptionSchema,
    PageSchema, SubscriptionSchema, load, load_delivery_filters, read_event, read_report_event,
)
from .storage.repository import DeliveryFilter, decode_cursor
from .storage.unit_of_work import NotificationsUnitOfWork


class NotificationsService:
    name = "notifications"

    db = Database(MIGRATIONS, NotificationsUnitOfWork, collectors=[DeliveryBacklog])
    auth = Authentication()
    clock = Clock()
    metrics = RpcMetrics(NotificationsMetrics)
    channels = Channels()
    reports = ReportArchive()
    sender = SenderBell()
    log_context = CallContext()

    @measure_event_handler(MEASURES_SOURCE, CONSUMED_EVENTS, expected_exceptions=(MalformedEvent,))
    def handle_measure_event(self, body):
        notice, payload = read_event(body)
        self._take_in(handlers.record_event, notice, payload)

    # The same reliability rules as measure events: dedupe, dead-letter, requeue passing failures.
    @measure_event_handler(REPORTING_SOURCE, (REPORT_GENERATED,), expected_exceptions=(MalformedEvent,))
    def handle_report_event(self, body):
        report, payload = read_report_event(body)
        self._take_in(handlers.record_report, report, payload)

    def _take_in(self, record, notice, payload):
        with self.db.unit_of_work() as uow:
            recorded = record(uow, notice, payload, self.clock.now())
        self.metrics.event(notice.event_type, recorded)
        if recorded and recorded.to_send:
            self.sender.ring()

    @delivery_loop
    def send_due_deliveries(self):
        self._sender().run()

    @every_configured("DIGEST_CHECK_SECONDS", 60.0)
    def bundle_daily_digests(self):
        if self._sender().bundle_due_digests():
            self.sender.ring()

    def _sender(self):
        return Sender(self.db, self.channels, self.clock, self.metrics, self.reports)

    @rpc(expected_exceptions=CALLER_ERRORS)
    def subscribe(self, subscription):
        """Subscribe a department's mailbox, webhook or inbox; a webhook's secret is returned once."""
        principal = self.auth.principal
        data = load(NewSubscriptionSchema(), subscription)
        with self.db.unit_of_work() as uow:
            row, secret = handlers.subscribe(uow, principal, data, self.clock.now(), self.channels.settings.language)
            result = SubscriptionSchema().dump(row)
        if secret:
            result["secret"] = secret
        return result

    @rpc(expected_exceptions=CALLER_ERRORS)
    def unsubscribe(self, subscription_id):
        principal = self.auth.principal
        with self.db.unit_of_work() as uow:
            row = handlers.unsubscribe(uow, principal, _whole_number("subscription_id", subscription_id),
                                       self.clock.now())
            return SubscriptionSchema().dump(row)

    @rpc(expected_exceptions=CALLER_ERRORS)
    def list_subscriptions(self, department=None, include_ended=False):
        self.auth.require()
        with self.db.read() as uow:
            return SubscriptionSchema(many=True).dump(uow.subscriptions.find(department, bool(include_ended)))

    @rpc(expected_exceptions=CALLER_ERRORS)
    def inbox(self, department=None, unread_only=True, limit=50, cursor=None):
        """The caller's department inbox (another's for admins), newest first, own changes left out."""
        principal = self.auth.principal
        page = load(PageSchema(), {"limit": limit, "cursor": cursor})
        after = decode_cursor(page["cursor"]) if page["cursor"] else None
        with self.db.read() as uow:
            department, rows, unread, next_cursor = handlers.inbox_page(
                uow, principal, department, bool(unread_only), page["limit"], after)
            return {"department": department, "items": InboxEntrySchema(many=True).dump(rows), "unread": unread,
                    "next_cursor": next_cursor}

    @rpc(expected_exceptions=CALLER_ERRORS)
    def mark_read(self, notification_ids):
        principal = self.auth.principal
        ids = load(IdListSchema(), {"ids": notification_ids})["ids"]
        with self.db.unit_of_work() as uow:
            return {"marked": handlers.mark_read(uow, principal, ids, self.clock.now())}

    @rpc(expected_exceptions=CALLER_ERRORS)
    def list_deliveries(self, filters=None, limit=50, cursor=None):
        """Deliveries newest first; filters: status, department, channel, event_type, measure_id,
        event_id, subscription_id, report_id."""
        self.auth.require()
        page = load(PageSchema(), {"limit": limit, "cursor": cursor})
        criteria = DeliveryFilter(**load_delivery_filters(filters))
        after = decode_cursor(page["cursor"]) if page["cursor"] else None
        with self.db.read() as uow:
            rows, total, next_cursor = uow.deliveries.find(criteria, page["limit"], after)
            return {"items": DeliverySchema(many=True).dump(rows), "total": total, "next_cursor": next_cursor}

    @rpc(expected_exceptions=CALLER_ERRORS)
    def retry_delivery(self, delivery_id):
        principal = self.auth.principal
        with self.db.unit_of_work() as uow:
            row = handlers.retry_delivery(uow, principal, _whole_number("delivery_id", delivery_id), self.clock.now())
            result = DeliverySchema().dump(row)
        self.sender.ring()
        return result


def _whole_number(name, value):
    if isinstance(value, bool) or not isinstance(value, (int, str)) or not str(value).isdigit():
        raise ValidationError({name: ["Send the id, a whole number."]})
    return int(value)
