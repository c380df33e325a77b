"""The unit of work of the notifications service: one transaction over its repositories."""

from services.common.database import UnitOfWork

from .repository import DeliveryRepository, EventLog, InboxRepository, SubscriptionRepository


class NotificationsUnitOfWork(UnitOfWork):
    def __init__(self, session, headers=None):
        super().__init__(session, headers)
        self.subscriptions = SubscriptionRepository(session)
        self.events = EventLog(session)
        self.deliveries = DeliveryRepository(session)
        self.inbox = InboxRepository(session)
