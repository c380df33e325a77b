"""Which reminders, overdue notices, escalations, update requests and grant notices a measure is owed
on a given day. Pure domain, no fixtures.

The expected keys and days are written out by hand rather than derived from ``DeadlineRules``, so a
wrong threshold or an off-by-one in the rules makes these tests fail. ``day_by_day`` plays the watch
as it runs every morning: it remembers the keys already emitted and reports only the new ones.
"""

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from services.measures.domain import Funding, Measure
from services.measures.domain.deadlines import DeadlineRules, NoticeType, Watched, current_notices
from shared.vocabulary import DeadlineKind
from services.measures.domain.obligations import GrantRules, ObligationKind, add_months, next_obligation, obligations
from shared.vocabulary import FundingSource, Status

DUE = date(2026, 12, 1)
CHAIN = ("KS", "D2", "LR")
CREATED = datetime(2026, 11, 2, 9, 30, tzinfo=timezone.utc)

GRANT = Funding(
    source=FundingSource.GRANT, programme="NKI Kommunalrichtlinie", reference="03K17253",
    amount_approved=Decimal("48000.00"), period_start=date(2021, 10, 1), period_end=date(2023, 9, 30),
)


def a_measure(**overrides):
    """A measure as loaded from storage: planned, recently changed, no dates unless given."""
    status = overrides.get("status", Status.PLANNED)
    defaults = dict(
        id="M-0042", title="Radwegenetz ausbauen", department="KS", area="Mobilität und Infrastruktur",
        status=status, progress=100 if status is Status.DONE else 40, version=3,
        created_at=CREATED, updated_at=CREATED,
    )
    return Measure(**{**defaults, **overrides})


def keys(measure, today, rules=DeadlineRules(), chain=CHAIN):
    return [notice.key for notice in current_notices(measure, chain, today, rules)]


def day_by_day(measure, first, last, rules=DeadlineRules(), chain=CHAIN, only=None):
    """(day, key) of each notice on the first day it is current, with one watch every morning."""
    seen, new = set(), []
    day = first
    while day <= last:
        for notice in current_notices(measure, chain, day, rules):
            if notice.key not in seen and (only is None or notice.obligation == only):
                seen.add(notice.key)
                new.append((day, notice.key))
        day += timedelta(days=1)
    return new


def around_due(offset):
    return DUE + timedelta(days=offset)


def relative_to_due(emitted):
    return [((day - DUE).days, key) for day, key in emitted]


WATCHED_DATES = pytest.mark.parametrize("watched", ["due_date", "planned_end"])


# --- due date and planned end ---------------------------------------------------------------------

@WATCHED_DATES
@pytest.mark.parametrize("offset, expected", [
    (-30, []),
    (-8, []),
    (-7, ["remind:7"]),
    (-2, ["remind:7"]),
    (-1, ["remind:1"]),
    (0, ["remind:1"]),
    (1, ["overdue:0"]),
    (7, ["overdue:0"]),
    (8, ["overdue:1"]),
    (14, ["overdue:1"]),
    (15, ["overdue:2", "escalate:1"]),
    (28, ["overdue:3", "escalate:1"]),
    (29, ["overdue:4", "escalate:2"]),
    (43, ["overdue:6", "escalate:3"]),
    (60, ["overdue:8", "escalate:3"]),
])
def test_the_current_notice_of_a_watched_date_depends_on_the_days_to_it(watched, offset, expected):
    measure = a_measure(**{watched: DUE})

    assert keys(measure, around_due(offset)) == [f"{watched}@2026-12-01/{key}" for key in expected]


@WATCHED_DATES
def test_watched_every_morning_a_date_gives_two_reminders_weekly_overdue_notices_and_rising_escalations(watched):
    emitted = day_by_day(a_measure(**{watched: DUE}), around_due(-20), around_due(60))

    assert relative_to_due(emitted) == [(day, f"{watched}@2026-12-01/{key}") for day, key in [
        (-7, "remind:7"), (-1, "remind:1"), (1, "overdue:0"), (8, "overdue:1"),
        (15, "overdue:2"), (15, "escalate:1"), (22, "overdue:3"), (29, "overdue:4"), (29, "escalate:2"),
        (36, "overdue:5"), (43, "overdue:6"), (43, "escalate:3"), (50, "overdue:7"), (57, "overdue:8"),
    ]]


def test_each_notice_says_what_it_is_about_how_far_away_and_at_which_escalation_level():
    due_soon, = current_notices(a_measure(due_date=DUE), CHAIN, around_due(-7))
    overdue, escalated = current_notices(a_measure(due_date=DUE), CHAIN, around_due(29))

    assert (due_soon.type, due_soon.watched, due_soon.days, due_soon.escalation_level) == (
        NoticeType.DUE_SOON, Watched.DUE_DATE, 7, None)
    assert (overdue.type, overdue.days, overdue.escalation_level) == (NoticeType.OVERDUE, -29, None)
    assert (escalated.type, escalated.days, escalated.escalation_level) == (NoticeType.ESCALATED, -29, 2)
    assert escalated.as_payload() == {"kind": "due_date", "date": "2026-12-01", "days": -29}


@pytest.mark.parametrize("chain, top", [(("KS",), 1), (("KS", "D2"), 2), (("KS", "D2", "LR"), 3)])
def test_escalation_climbs_no_higher_than_the_department_chain_goes(chain, top):
    escalations = [key for _, key in day_by_day(a_measure(due_date=DUE), DUE, around_due(120), chain=chain)
                   if "escalate" in key]

    assert escalations == [f"due_date@2026-12-01/escalate:{level}" for level in range(1, top + 1)]


def test_reminder_thresholds_and_the_overdue_repetition_are_configurable():
    rules = DeadlineRules(reminder_days=(14, 3), overdue_repeat_days=3, escalate_after_days=10, escalate_step_days=5)

    emitted = day_by_day(a_measure(due_date=DUE), around_due(-20), around_due(16), rules)

    assert [(day, key.split("/")[1]) for day, key in relative_to_due(emitted)] == [
        (-14, "remind:14"), (-3, "remind:3"), (1, "overdue:0"), (4, "overdue:1"), (7, "overdue:2"),
        (10, "overdue:3"), (11, "escalate:1"), (13, "overdue:4"), (16, "overdue:5"), (16, "escalate:2"),
    ]


@pytest.mark.parametrize("offset, expected", [
    (-5, ["remind:7"]),
    (-1, ["remind:1"]),
    (20, ["overdue:2", "escalate:1"]),
    (45, ["overdue:6", "escalate:3"]),
])
def test_a_measure_first_looked_at_late_gets_only_the_latest_notice_of_each_kind_not_the_history(offset, expected):
    assert keys(a_measure(due_date=DUE), around_due(offset)) == [f"due_date@2026-12-01/{key}" for key in expected]


def test_a_moved_date_is_watched_under_new_keys():
    before = keys(a_measure(due_date=DUE), around_due(9))
    after = keys(a_measure(due_date=date(2026, 12, 12)), around_due(9))

    assert before == ["due_date@2026-12-01/overdue:1"]
    assert after == ["due_date@2026-12-12/remind:7"]


@pytest.mark.parametrize("status", [Status.DONE, Status.CANCELLED])
@pytest.mark.parametrize("offset", [-7, -1, 1, 15, 29])
def test_a_done_or_cancelled_measure_gets_no_notice_about_its_dates(status, offset):
    measure = a_measure(status=status, due_date=DUE, planned_end=DUE)

    assert keys(measure, around_due(offset)) == []


def test_due_date_and_planned_end_are_watched_separately():
    measure = a_measure(due_date=DUE, planned_end=date(2026, 12, 7))

    assert keys(measure, DUE) == ["due_date@2026-12-01/remind:1", "planned_end@2026-12-07/remind:7"]


# --- stale measures -------------------------------------------------------------------------------

LAST_CHANGE = datetime(2026, 6, 1, 14, 0, tzinfo=timezone.utc)


def running(**overrides):
    """In progress since its last change on 1 June 2026, at version 3."""
    return a_measure(**{"status": Status.IN_PROGRESS, "updated_at": LAST_CHANGE,
                        "funding": Funding(FundingSource.OWN_BUDGET, amount_approved=Decimal("80000")), **overrides})


@pytest.mark.parametrize("today, expected", [
    (date(2026, 8, 29), []),                    # 89 days without a change
    (date(2026, 8, 30), ["stale@v3/1"]),        # 90
    (date(2026, 11, 27), ["stale@v3/1"]),       # 179
    (date(2026, 11, 28), ["stale@v3/2"]),       # 180: asked a second time
])
def test_a_measure_in_progress_without_a_change_for_90_days_is_asked_for_an_update(today, expected):
    assert keys(running(), today) == expected


def test_an_update_request_names_the_last_change_and_the_days_since():
    notice, = current_notices(running(), CHAIN, date(2026, 9, 9))

    assert (notice.type, notice.watched, notice.on, notice.days) == (
        NoticeType.UPDATE_REQUESTED, Watched.STALE, date(2026, 6, 1), -100)


def test_any_change_resets_the_staleness_clock():
    measure = running()
    measure.record_progress(50, datetime(2026, 8, 29, 16, 0, tzinfo=timezone.utc), "Bauabschnitt 1 fertig")

    assert keys(measure, date(2026, 8, 30)) == []
    assert keys(measure, date(2026, 11, 26)) == []               # 89 days after the change
    assert keys(measure, date(2026, 11, 27)) == ["stale@v4/1"]    # a new key: not the one sent for v3


@pytest.mark.parametrize("status", [Status.PLANNED, Status.FUNDED, Status.DONE, Status.CANCELLED])
def test_only_measures_in_progress_can_become_stale(status):
    assert keys(running(status=status), date(2027, 6, 1)) == []


# --- grant obligations ----------------------------------------------------------------------------

def test_a_grant_owes_interim_proofs_after_each_funding_year_the_period_end_and_the_final_proof():
    assert [(o.due, o.kind, o.key) for o in obligations(GRANT)] == [
        (date(2022, 4, 30), ObligationKind.INTERIM_PROOF, "interim_proof:2021"),
        (date(2023, 4, 30), ObligationKind.INTERIM_PROOF, "interim_proof:2022"),
        (date(2023, 9, 30), ObligationKind.PERIOD_END, "period_end"),
        (date(2024, 3, 31), ObligationKind.FINAL_PROOF, "final_proof"),
    ]
    assert DeadlineKind(obligations(GRANT)[-1].kind).label() == "Verwendungsnachweis"


def test_a_grant_within_one_calendar_year_owes_no_interim_proof():
    one_year = Funding(**{**GRANT.as_dict(), "period_start": date(2025, 1, 1), "period_end": date(2025, 12, 31)})

    assert [(o.due, o.key) for o in obligations(one_year)] == [
        (date(2025, 12, 31), "period_end"), (date(2026, 6, 30), "final_proof")]


def test_the_grant_conditions_are_configurable():
    rules = GrantRules(interim_proof_due=(6, 30), final_proof_months=12)

    assert [(o.due, o.key) for o in obligations(GRANT, rules)] == [
        (date(2022, 6, 30), "interim_proof:2021"), (date(2023, 6, 30), "interim_proof:2022"),
        (date(2023, 9, 30), "period_end"), (date(2024, 9, 30), "final_proof")]


@pytest.mark.parametrize("funding", [
    None,
    Funding(FundingSource.OWN_BUDGET, amount_approved=Decimal("80000"), period_end=date(2023, 9, 30)),
    Funding(FundingSource.THIRD_PARTY, amount_approved=Decimal("5000"), period_end=date(2023, 9, 30)),
    Funding(FundingSource.GRANT, programme="NKI Kommunalrichtlinie", amount_approved=Decimal("1")),
])
def test_only_a_grant_with_a_funding_period_owes_anything(funding):
    assert obligations(funding) == []
    assert next_obligation(funding) is None


def test_the_next_obligation_is_the_earliest_not_yet_fulfilled():
    assert next_obligation(GRANT).key == "interim_proof:2021"
    assert next_obligation(GRANT, {"interim_proof:2021", "interim_proof:2022"}).key == "period_end"
    assert next_obligation(GRANT, {o.key for o in obligations(GRANT)}) is None


@pytest.mark.parametrize("day, months, expected", [
    (date(2023, 9, 30), 6, date(2024, 3, 31)),   # end of month stays end of month
    (date(2023, 8, 31), 6, date(2024, 2, 29)),   # into a leap February
    (date(2022, 8, 31), 6, date(2023, 2, 28)),
    (date(2023, 8, 30), 6, date(2024, 2, 29)),   # clamped to the shorter month
    (date(2023, 11, 30), 6, date(2024, 5, 31)),
    (date(2023, 7, 31), 6, date(2024, 1, 31)),
    (date(2023, 4, 15), 6, date(2023, 10, 15)),
    (date(2024, 2, 29), 12, date(2025, 2, 28)),
    (date(2023, 9, 15), 0, date(2023, 9, 15)),
])
def test_adding_months_keeps_the_end_of_a_month_and_clamps_to_shorter_months(day, months, expected):
    assert add_months(day, months) == expected


def funded(**overrides):
    """A measure funded by the NKI grant running from October 2021 to September 2023."""
    return a_measure(**{"status": Status.FUNDED, "funding": GRANT, **overrides})


FINAL_PROOF = date(2024, 3, 31)


def test_a_final_proof_is_reminded_30_and_7_days_ahead_then_missed_then_escalated():
    emitted = day_by_day(funded(), date(2024, 2, 1), date(2024, 6, 1), only="final_proof")

    assert emitted == [
        (date(2024, 3, 1), "final_proof@2024-03-31/remind:30"),
        (date(2024, 3, 24), "final_proof@2024-03-31/remind:7"),
        (date(2024, 4, 1), "final_proof@2024-03-31/missed"),
        (date(2024, 4, 15), "final_proof@2024-03-31/escalate:1"),
        (date(2024, 4, 29), "final_proof@2024-03-31/escalate:2"),
        (date(2024, 5, 13), "final_proof@2024-03-31/escalate:3"),
    ]


def test_obligation_notices_name_the_obligation_and_a_missed_one_escalates_at_once():
    due, = [n for n in current_notices(funded(), CHAIN, date(2024, 3, 24)) if n.obligation == "final_proof"]
    missed, = [n for n in current_notices(funded(), CHAIN, date(2024, 4, 1)) if n.obligation == "final_proof"]

    assert (due.type, due.watched, due.on, due.days) == (
        NoticeType.OBLIGATION_DUE, Watched.FINAL_PROOF, FINAL_PROOF, 7)
    assert (missed.type, missed.escalation_level, missed.days) == (NoticeType.OBLIGATION_MISSED, 1, -1)
    assert missed.as_payload() == {"kind": "final_proof", "date": "2024-03-31", "days": -1,
                                   "obligation": "final_proof"}


def test_the_end_of_the_funding_period_is_reminded_but_can_never_be_missed():
    emitted = day_by_day(funded(), date(2023, 8, 1), date(2023, 12, 31), only="period_end")

    assert emitted == [
        (date(2023, 8, 31), "period_end@2023-09-30/remind:30"),
        (date(2023, 9, 23), "period_end@2023-09-30/remind:7"),
    ]


def test_an_interim_proof_is_watched_like_the_final_one():
    assert keys(funded(), date(2022, 4, 23)) == ["interim_proof:2021@2022-04-30/remind:7"]
    assert keys(funded(), date(2022, 5, 1)) == ["interim_proof:2021@2022-04-30/missed"]


def test_a_fulfilled_obligation_gets_no_more_notices():
    measure = funded(obligations_fulfilled={"final_proof": date(2024, 3, 20)})

    for day in (date(2024, 3, 24), date(2024, 4, 1), date(2024, 4, 29)):
        assert [n for n in current_notices(measure, CHAIN, day) if n.obligation == "final_proof"] == []


def test_a_fulfilled_interim_proof_leaves_the_others_watched():
    measure = funded(obligations_fulfilled={"interim_proof:2021": date(2022, 4, 12)})

    assert keys(measure, date(2022, 5, 1)) == []
    assert keys(measure, date(2023, 4, 23)) == ["interim_proof:2022@2023-04-30/remind:7"]


@pytest.mark.parametrize("source", [FundingSource.OWN_BUDGET, FundingSource.THIRD_PARTY])
def test_a_measure_paid_from_its_own_budget_or_by_third_parties_owes_no_proof(source):
    measure = funded(funding=Funding(source, amount_approved=Decimal("80000"), period_end=date(2023, 9, 30)))

    assert keys(measure, date(2024, 3, 24)) == keys(measure, date(2024, 4, 15)) == []


def test_a_cancelled_grant_measure_owes_nothing():
    assert keys(funded(status=Status.CANCELLED), date(2024, 3, 24)) == []
    assert keys(funded(status=Status.CANCELLED), date(2024, 4, 15)) == []


def test_a_done_grant_measure_still_owes_its_final_proof_but_not_its_due_date():
    measure = funded(status=Status.DONE, due_date=date(2024, 3, 1),
                     obligations_fulfilled={"interim_proof:2021": date(2022, 4, 1),
                                            "interim_proof:2022": date(2023, 4, 1)})

    assert keys(measure, date(2024, 3, 24)) == ["final_proof@2024-03-31/remind:7"]
    assert keys(measure, date(2024, 4, 1)) == ["final_proof@2024-03-31/missed"]
