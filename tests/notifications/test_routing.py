"""The rule table: who hears of what. Pure: no broker, no database."""

import pytest

from services.notifications.domain import Audience, Channel, DigestMode, audiences, recipients
from services.notifications.domain.routing import ROUTED_EVENTS, RULES
from shared.events import (
    DEADLINE_EVENTS, GRANT_OBLIGATION_DUE, GRANT_OBLIGATION_MISSED, MEASURE_CREATED, MEASURE_DUE_SOON,
    MEASURE_ESCALATED, MEASURE_EVENTS, MEASURE_FUNDING_CHANGED, MEASURE_OVERDUE, MEASURE_PROGRESS_RECORDED,
    MEASURE_STATUS_CHANGED, MEASURE_UPDATE_REQUESTED, MEASURE_UPDATED,
)

from .builders import notice, subscription

MEMBER, MANAGER = Audience.MEMBER, Audience.MANAGER


def addressed(n):
    return set(audiences(n))


def test_every_event_type_the_measures_service_emits_or_will_emit_has_a_rule():
    assert set(ROUTED_EVENTS) == set(MEASURE_EVENTS) | set(DEADLINE_EVENTS)


def test_a_new_measure_goes_to_the_members_of_its_department():
    assert addressed(notice(MEASURE_CREATED)) == {("KS", MEMBER)}


def test_progress_goes_to_the_members_only():
    assert addressed(notice(MEASURE_PROGRESS_RECORDED, changes={"progress": [10, 60]})) == {("KS", MEMBER)}


@pytest.mark.parametrize("from_status, to_status", [("planned", "funded"), ("funded", "in_progress")])
def test_an_ordinary_status_change_goes_to_the_members_only(from_status, to_status):
    n = notice(MEASURE_STATUS_CHANGED, from_status=from_status, to_status=to_status)
    assert addressed(n) == {("KS", MEMBER)}


@pytest.mark.parametrize("from_status, to_status", [
    ("in_progress", "done"), ("funded", "cancelled"),  # closing
    ("done", "in_progress"), ("cancelled", "planned"),  # reopen, reactivate
])
def test_closing_reopening_and_reactivating_also_go_to_the_managers(from_status, to_status):
    n = notice(MEASURE_STATUS_CHANGED, from_status=from_status, to_status=to_status)
    assert addressed(n) == {("KS", MEMBER), ("KS", MANAGER)}


def test_funding_changes_go_to_members_and_managers():
    assert addressed(notice(MEASURE_FUNDING_CHANGED)) == {("KS", MEMBER), ("KS", MANAGER)}


def test_a_handover_goes_to_the_old_and_the_new_department():
    n = notice(MEASURE_UPDATED, department="MOB", changes={"department": ["KS", "MOB"]})
    assert addressed(n) == {("KS", MEMBER), ("MOB", MEMBER)}


def test_an_ordinary_update_goes_to_the_responsible_department():
    assert addressed(notice(MEASURE_UPDATED, changes={"title": ["Alt", "Neu"]})) == {("KS", MEMBER)}


@pytest.mark.parametrize("event_type", [MEASURE_DUE_SOON, MEASURE_OVERDUE, MEASURE_UPDATE_REQUESTED])
def test_reminders_go_to_the_members(event_type):
    assert addressed(notice(event_type)) == {("KS", MEMBER)}


@pytest.mark.parametrize("level, expected", [
    (None, {("KS", MANAGER)}),
    (1, {("KS", MANAGER)}),
    (2, {("KS", MANAGER), ("D2", MANAGER)}),
    (3, {("KS", MANAGER), ("D2", MANAGER), ("LR", MANAGER)}),
    (9, {("KS", MANAGER), ("D2", MANAGER), ("LR", MANAGER)}),
])
def test_an_escalation_climbs_the_chain_of_command_to_its_level(level, expected):
    assert addressed(notice(MEASURE_ESCALATED, escalation_level=level)) == expected


def test_an_escalation_without_a_chain_reaches_the_responsible_managers():
    assert addressed(notice(MEASURE_ESCALATED, department_chain=(), escalation_level=2)) == {("KS", MANAGER)}


def test_a_due_grant_obligation_goes_to_members_and_managers():
    assert addressed(notice(GRANT_OBLIGATION_DUE)) == {("KS", MEMBER), ("KS", MANAGER)}


def test_a_missed_grant_obligation_escalates_like_an_escalation():
    n = notice(GRANT_OBLIGATION_MISSED, escalation_level=2)
    assert addressed(n) == {("KS", MEMBER), ("KS", MANAGER), ("D2", MANAGER)}


def test_every_rule_gives_a_reason_for_the_audit_log():
    assert all(rule.reason for rule in RULES)


def test_recipients_are_the_matching_subscriptions():
    members = subscription("KS", MEMBER)
    managers = subscription("KS", MANAGER)
    elsewhere = subscription("MOB", MEMBER)
    chosen = recipients(notice(MEASURE_STATUS_CHANGED, from_status="in_progress", to_status="done"),
                        [members, managers, elsewhere])
    assert [r.subscription for r in chosen] == [members, managers]


def test_a_subscription_limited_to_other_event_types_gets_nothing():
    only_escalations = subscription("KS", MEMBER, event_types=(MEASURE_ESCALATED,))
    only_status = subscription("KS", MEMBER, address="status@kreis.example", event_types=(MEASURE_STATUS_CHANGED,))
    chosen = recipients(notice(MEASURE_STATUS_CHANGED), [only_escalations, only_status])
    assert [r.subscription for r in chosen] == [only_status]


def test_one_mailbox_subscribed_twice_gets_the_event_once_and_immediately():
    daily = subscription("KS", MANAGER, address="ks@kreis.example", digest=DigestMode.DAILY)
    immediate = subscription("KS", MEMBER, address="ks@kreis.example")
    chosen = recipients(notice(MEASURE_STATUS_CHANGED, from_status="in_progress", to_status="done"),
                        [daily, immediate])
    assert [r.subscription for r in chosen] == [immediate]


def test_the_same_address_on_different_channels_are_different_targets():
    mail = subscription("KS", MEMBER, address="https://chat.kreis.example/hook")
    hook = subscription("KS", MEMBER, channel=Channel.WEBHOOK, address="https://chat.kreis.example/hook")
    assert len(recipients(notice(MEASURE_CREATED), [mail, hook])) == 2


def test_inboxes_of_members_and_managers_are_separate_targets():
    members = subscription("KS", MEMBER, channel=Channel.INBOX)
    managers = subscription("KS", MANAGER, channel=Channel.INBOX)
    n = notice(MEASURE_STATUS_CHANGED, from_status="in_progress", to_status="done")
    assert {r.subscription.target for r in recipients(n, [members, managers])} == {"KS/member", "KS/manager"}


def test_only_the_actor_is_spared_their_own_change():
    from services.notifications.domain import is_own_change
    from shared.auth import Principal

    assert is_own_change("mueller.ks", "KS", Principal("mueller.ks", "KS", "staff"))
    assert not is_own_change("mueller.ks", "KS", Principal("schmidt.ks", "KS", "staff"))
    assert not is_own_change("mueller.ks", "KS", Principal("mueller.ks", "MOB", "staff"))
