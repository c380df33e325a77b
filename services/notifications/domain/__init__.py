"""The notifications domain core: the rule table, who receives a report, the wording, retry and
digest schedules, and permissions. No nameko, no SQL, no templates."""

from .model import (
    Actor, Audience, Channel, DeliveryStatus, DigestMode, Notice, Recipient, ReportNotice, Subscription,
)
from .permissions import ensure_may_manage, ensure_may_retry, inbox_audiences, inbox_department, is_own_change
from .reports import report_recipients
from .routing import RULES, ROUTED_EVENTS, audiences, recipients
from .schedule import DigestSlot, RetryPolicy, current_digest_slot
from .wording import digest_subject, measure_name, report_subject, subject, summary

__all__ = [
    "Actor", "Audience", "Channel", "DeliveryStatus", "DigestMode", "Notice", "Recipient", "ReportNotice",
    "Subscription",
    "ensure_may_manage", "ensure_may_retry", "inbox_audiences", "inbox_department", "is_own_change",
    "RULES", "ROUTED_EVENTS", "audiences", "recipients", "report_recipients",
    "DigestSlot", "RetryPolicy", "current_digest_slot",
    "digest_subject", "measure_name", "report_subject", "subject", "summary",
]
