"""The notifications domain core: the rule table, the wording, retry and digest schedules, and
permissions. No nameko, no SQL, no templates."""

from .model import (
    Actor, Audience, Channel, DeliveryStatus, DigestMode, Notice, Recipient, Subscription,
)
from .permissions import ensure_may_manage, inbox_audiences, inbox_department, is_own_change
from .routing import RULES, ROUTED_EVENTS, audiences, recipients
from .schedule import DigestSlot, RetryPolicy, current_digest_slot
from .wording import digest_subject, measure_name, subject, summary

__all__ = [
    "Actor", "Audience", "Channel", "DeliveryStatus", "DigestMode", "Notice", "Recipient", "Subscription",
    "ensure_may_manage", "inbox_audiences", "inbox_department", "is_own_change",
    "RULES", "ROUTED_EVENTS", "audiences", "recipients",
    "DigestSlot", "RetryPolicy", "current_digest_slot",
    "digest_subject", "measure_name", "subject", "summary",
]
