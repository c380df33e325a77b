"""Who hears of what: the rule table of the notifications service.

Each rule names an event type, the audience (a department's members or its managers), which
departments, and when it applies. An event reaches every active subscription of a matching
(department, audience) that has not limited itself to other event types; one target (an address, a
URL, a department's inbox) gets an event once, even when several rules or subscriptions lead to it.

    event                         members of                 managers of
    measure_created               responsible department     -
    measure_updated               responsible (old and new)  -
    measure_status_changed        responsible department     responsible, when closed, reopened or reactivated
    measure_funding_changed       responsible department     responsible department
    measure_progress_recorded     responsible department     -
    measure_due_soon              responsible department     -
    measure_overdue               responsible department     -
    measure_update_requested      responsible department     -
    measure_escalated             -                          the chain up to the escalation level
    grant_obligation_due          responsible department     responsible department
    grant_obligation_missed       responsible department     the chain up to the escalation level
"""

from dataclasses import dataclass
from typing import Callable

from shared.events import (
    GRANT_OBLIGATION_DUE, GRANT_OBLIGATION_MISSED, MEASURE_CREATED, MEASURE_DUE_SOON, MEASURE_ESCALATED,
    MEASURE_FUNDING_CHANGED, MEASURE_OVERDUE, MEASURE_PROGRESS_RECORDED, MEASURE_STATUS_CHANGED,
    MEASURE_UPDATE_REQUESTED, MEASURE_UPDATED,
)
from shared.vocabulary import Status

from .model import Audience, DigestMode, Recipient

MEMBER, MANAGER = Audience.MEMBER, Audience.MANAGER


def responsible(notice):
    return (notice.department,)


def previous_and_responsible(notice):
    """A handover concerns both sides: the department that gave the measure away and the new one."""
    old, _new = notice.changes.get("department") or (None, None)
    return (old, notice.department) if old and old != notice.department else (notice.department,)


def chain_to_escalation_level(notice):
    """Level 1 is the responsible department; each further level adds the next one up the chain.
    Those below stay informed as the escalation climbs."""
    level = max(notice.escalation_level or 1, 1)
    return notice.chain[:level]


def always(_notice):
    return True


def closes_or_reopens(notice):
    """Closing a measure, and undoing that (reopen, reactivate), are management decisions."""
    statuses = [Status(value) for value in (notice.from_status, notice.to_status) if value]
    return any(status.is_closed for status in statuses)


@dataclass(frozen=True)
class Rule:
    event_type: str
    audience: Audience
    departments: Callable = responsible
    applies: Callable = always
    reason: str = ""


RULES = (
    Rule(MEASURE_CREATED, MEMBER, reason="new measure of the department"),
    Rule(MEASURE_UPDATED, MEMBER, previous_and_responsible, reason="measure of the department changed"),
    Rule(MEASURE_STATUS_CHANGED, MEMBER, reason="status of a measure of the department"),
    Rule(MEASURE_STATUS_CHANGED, MANAGER, applies=closes_or_reopens, reason="measure closed or reopened"),
    Rule(MEASURE_FUNDING_CHANGED, MEMBER, reason="funding of a measure of the department"),
    Rule(MEASURE_FUNDING_CHANGED, MANAGER, reason="funding is a management matter"),
    Rule(MEASURE_PROGRESS_RECORDED, MEMBER, reason="progress of a measure of the department"),
    Rule(MEASURE_DUE_SOON, MEMBER, reason="deadline reminder"),
    Rule(MEASURE_OVERDUE, MEMBER, reason="measure overdue"),
    Rule(MEASURE_UPDATE_REQUESTED, MEMBER, reason="stale measure needs an update"),
    Rule(MEASURE_ESCALATED, MANAGER, chain_to_escalation_level, reason="escalation up the chain of command"),
    Rule(GRANT_OBLIGATION_DUE, MEMBER, reason="grant obligation due"),
    Rule(GRANT_OBLIGATION_DUE, MANAGER, reason="grant obligation due"),
    Rule(GRANT_OBLIGATION_MISSED, MEMBER, reason="grant obligation missed"),
    Rule(GRANT_OBLIGATION_MISSED, MANAGER, chain_to_escalation_level, reason="grant obligation missed"),
)

ROUTED_EVENTS = tuple(dict.fromkeys(rule.event_type for rule in RULES))


def audiences(notice, rules=RULES):
    """``{(department, audience): reason}`` for everyone the rules address for ``notice``."""
    addressed = {}
    for rule in rules:
        if rule.event_type != notice.event_type or not rule.applies(notice):
            continue
        for department in rule.departments(notice):
            addressed.setdefault((department, rule.audience), rule.reason)
    return addressed


def recipients(notice, subscriptions, rules=RULES):
    """The subscriptions that receive ``notice``, one per target.

    When one target is subscribed several times (say a mailbox as members and as managers), an
    immediate subscription wins over a digest, then the older one: the target hears of the event
    once and as early as it asked to.
    """
    addressed = audiences(notice, rules)
    chosen, targets = [], set()
    for subscription in sorted(subscriptions, key=lambda s: (s.digest is not DigestMode.IMMEDIATE, s.id)):
        reason = addressed.get((subscription.department, subscription.audience))
        if reason is None or not subscription.wants(notice.event_type):
            continue
        key = (subscription.channel, subscription.target)
        if key in targets:
            continue
        targets.add(key)
        chosen.append(Recipient(subscription, reason))
    return chosen
