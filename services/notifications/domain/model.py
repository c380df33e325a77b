"""The words of the notifications domain: who subscribes how, what happened, what a delivery is.

Plain Python: the rule table, the wording and the schedules work on these objects only.
"""

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum


class Audience(StrEnum):
    """Whom in a department a subscription stands for: its members, or its management."""

    MEMBER = "member"
    MANAGER = "manager"


class Channel(StrEnum):
    EMAIL = "email"
    WEBHOOK = "webhook"
    INBOX = "inbox"


class DigestMode(StrEnum):
    IMMEDIATE = "immediate"
    DAILY = "daily"


class DeliveryStatus(StrEnum):
    """The life of a delivery:

        pending -> sent | failed            (attempts with backoff; failed -> pending by hand)
        waiting -> bundled                  (daily digest: bundled into one digest delivery)
        pending | waiting -> cancelled      (the subscription ended first)
    """

    PENDING = "pending"
    WAITING = "waiting"
    BUNDLED = "bundled"
    SENT = "sent"
    FAILED = "failed"
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class Actor:
    user: str
    department: str
    role: str


@dataclass(frozen=True)
class Notice:
    """One event as the notifications service reasons about it (taken from a validated payload)."""

    event_id: str
    event_type: str
    occurred_at: datetime
    measure_id: str
    measure_title: str
    department: str
    actor: Actor
    #: The responsible department followed by its parents up to the root.
    department_chain: tuple = ()
    changes: dict = field(default_factory=dict)
    from_status: str | None = None
    to_status: str | None = None
    note: str | None = None
    due_date: date | None = None
    #: Deadline events only: how far up the chain of command an escalation has climbed (1 = own).
    escalation_level: int | None = None
    #: Deadline events only: {"kind": "due_date" | "final_proof" | ..., "date": date, "days": int}.
    deadline: dict | None = None

    @property
    def chain(self):
        """The chain of command, never empty: events from before the chain existed name only the department."""
        return tuple(self.department_chain) or (self.department,)


@dataclass(frozen=True)
class ReportNotice:
    """A ``report_generated`` event as the notifications service reasons about it: the report, who
    is to receive it (the mailboxes of its kind) and the formats to attach."""

    event_id: str
    event_type: str
    occurred_at: datetime
    report_id: int
    kind: str | None
    title: str | None
    #: The date the report reports on (Stichtag).
    as_of: date
    taken_at: datetime
    language: str
    #: Headline figures: measures, open, overdue, funded, changes (None: nothing to compare with).
    summary: dict
    recipients: tuple = ()
    attachments: tuple = ()

    @property
    def measure_id(self):
        """A report concerns no single measure (the received-events log asks every notice)."""
        return None


@dataclass(frozen=True)
class Subscription:
    id: int
    department: str
    audience: Audience
    channel: Channel
    #: E-mail address or webhook URL; None for the inbox, which belongs to the department.
    address: str | None = None
    #: Event types the subscription is limited to; empty means every type.
    event_types: tuple = ()
    digest: DigestMode = DigestMode.IMMEDIATE
    language: str = "de"

    def wants(self, event_type):
        return not self.event_types or event_type in self.event_types

    @property
    def target(self):
        """Where a delivery goes: the same target never gets one event twice."""
        if self.channel is Channel.INBOX:
            return f"{self.department}/{self.audience.value}"
        return self.address


@dataclass(frozen=True)
class Recipient:
    """A subscription chosen for a notice, and the rule that chose it (kept for the audit log)."""

    subscription: Subscription
    reason: str
