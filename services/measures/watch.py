"""The deadline watch: finds the notices measures are owed and announces each exactly once.

Run on a schedule by the service (and on demand, with a chosen date and as a dry run, by an admin).
It is safe to run in several instances at once and to run late: ``domain.deadlines`` says which
notice is current, the notice log's key lets only the first instance emit it.
"""

from datetime import date

from shared.config import ConfigError

from .domain.deadlines import DeadlineRules, NoticeType, current_notices
from .domain.obligations import GrantRules


def watch_deadlines(uow, today, now, rules, dry_run=False):
    """Emit the current notices not emitted before; returns them as dicts (also in a dry run)."""
    emitted = []
    chains = {}
    for batch in uow.measures.deadline_candidates(today, rules):
        for measure in batch:
            chain = chains.get(measure.department) or chains.setdefault(
                measure.department, uow.departments.chain(measure.department))
            for notice in current_notices(measure, chain, today, rules):
                if dry_run:
                    is_new = not uow.notices.known(measure.id, notice.key)
                else:
                    is_new = uow.announce_notice(measure, notice, chain, now)
                if is_new:
                    emitted.append(_describe(measure, notice))
    return emitted


def deadline_overview(uow, today, rules, department=None):
    """What is due soon, overdue, escalated, stale or owed to a funding body, by department."""
    overview = {}
    for batch in uow.measures.deadline_candidates(today, rules):
        for measure in batch:
            if department and measure.department != department:
                continue
            chain = uow.departments.chain(measure.department)
            for notice in current_notices(measure, chain, today, rules):
                section = overview.setdefault(measure.department, {kind: [] for kind in SECTIONS.values()})
                section[SECTIONS[notice.type]].append(_describe(measure, notice))
    for sections in overview.values():
        for entries in sections.values():
            entries.sort(key=lambda entry: (entry["date"], entry["measure_id"]))
    return overview


SECTIONS = {
    NoticeType.DUE_SOON: "due_soon",
    NoticeType.OVERDUE: "overdue",
    NoticeType.ESCALATED: "escalated",
    NoticeType.UPDATE_REQUESTED: "update_requested",
    NoticeType.OBLIGATION_DUE: "obligations",
    NoticeType.OBLIGATION_MISSED: "obligations",
}


def _describe(measure, notice):
    return {"measure_id": measure.id, "title": measure.title, "department": measure.department,
            "type": notice.type.value, **notice.as_payload(), "escalation_level": notice.escalation_level}


def rules_from_config(config):
    """The watch's thresholds from the service configuration (see shared.config.SETTINGS)."""
    try:
        month, day = (int(part) for part in str(config.get("INTERIM_PROOF_DUE", "04-30")).split("-"))
        date(2001, month, day)  # a day every year has: not 29 February
        rules = DeadlineRules(
            reminder_days=_days(config.get("REMINDER_DAYS", "7,1")),
            overdue_repeat_days=int(config.get("OVERDUE_REPEAT_DAYS", 7)),
            escalate_after_days=int(config.get("ESCALATE_AFTER_DAYS", 14)),
            escalate_step_days=int(config.get("ESCALATE_STEP_DAYS", 14)),
            stale_after_days=int(config.get("STALE_AFTER_DAYS", 90)),
            obligation_reminder_days=_days(config.get("OBLIGATION_REMINDER_DAYS", "30,7")),
            grant=GrantRules(interim_proof_due=(month, day),
                             final_proof_months=int(config.get("FINAL_PROOF_MONTHS", 6))),
        )
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"invalid deadline settings: {exc}") from None
    for name in ("overdue_repeat_days", "escalate_step_days", "stale_after_days"):
        if getattr(rules, name) < 1:
            raise ConfigError(f"{name.upper()} must be at least 1 day")
    if rules.escalate_after_days < 0 or rules.grant.final_proof_months < 0:
        raise ConfigError("ESCALATE_AFTER_DAYS and FINAL_PROOF_MONTHS must not be negative")
    return rules


def _days(value):
    days = tuple(sorted({int(part) for part in str(value).split(",") if part.strip()}, reverse=True))
    if any(day < 0 for day in days):
        raise ValueError(f"reminder days must not be negative: {value}")
    return days
