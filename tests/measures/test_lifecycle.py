"""The lifecycle of a measure, exhaustively: every (from, to) pair for every role, and every guard.

Pure domain: no database, no broker. The expected outcomes are written out below by hand rather than
derived from ``TRANSITIONS``, so that a wrong entry in the table makes these tests fail.
"""

from dataclasses import replace
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from services.measures.domain import Action, Funding, Measure, allowed_targets
from shared.errors import Forbidden, InvalidTransition, ValidationError
from shared.vocabulary import FundingSource, Role, Status

NOW = datetime(2024, 3, 1, 9, 30, tzinfo=timezone.utc)
NOTE = "Beschluss des Kreisausschusses vom 27.02.2024"

GRANT = Funding(
    source=FundingSource.GRANT, programme="NKI Kommunalrichtlinie", reference="03K17253",
    amount_approved=Decimal("48000.00"), period_start=date(2021, 10, 1),
    period_end=date(2023, 9, 30),
)


def a_measure(**overrides):
    """A measure as loaded from storage; in each status it satisfies that status' guards."""
    status = overrides.get("status", Status.PLANNED)
    defaults = dict(
        id="M-0042", title="Radwegenetz ausbauen", department="KS", area="Mobilität und Infrastruktur",
        funding=GRANT, status=status, progress=100 if status is Status.DONE else 40, version=3,
        created_at=NOW - timedelta(days=30), updated_at=NOW - timedelta(days=1),
    )
    return Measure(**{**defaults, **overrides})


# --- every pair, every role ------------------------------------------------------------------------

OK = "allowed"
FORBIDDEN = "forbidden for this role"


def invalid(*allowed):
    """InvalidTransition that offers exactly ``allowed`` as the next statuses."""
    return ("invalid", list(allowed))


PL, FU, IP, DO, CA = "planned", "funded", "in_progress", "done", "cancelled"

#: (from, to, outcome for staff, outcome for managers and admins)
EXPECTED = [
    (PL, PL, invalid(FU, CA), invalid(FU, CA)),
    (PL, FU, OK, OK),
    (PL, IP, invalid(FU, CA), invalid(FU, CA)),
    (PL, DO, invalid(FU, CA), invalid(FU, CA)),
    (PL, CA, OK, OK),
    (FU, PL, invalid(IP, CA), invalid(IP, CA)),
    (FU, FU, invalid(IP, CA), invalid(IP, CA)),
    (FU, IP, OK, OK),
    (FU, DO, invalid(IP, CA), invalid(IP, CA)),
    (FU, CA, OK, OK),
    (IP, PL, invalid(DO, CA), invalid(DO, CA)),
    (IP, FU, invalid(DO, CA), invalid(DO, CA)),
    (IP, IP, invalid(DO, CA), invalid(DO, CA)),
    (IP, DO, OK, OK),
    (IP, CA, OK, OK),
    (DO, PL, invalid(), invalid(IP)),
    (DO, FU, invalid(), invalid(IP)),
    (DO, IP, FORBIDDEN, OK),
    (DO, DO, invalid(), invalid(IP)),
    (DO, CA, invalid(), invalid(IP)),
    (CA, PL, FORBIDDEN, OK),
    (CA, FU, invalid(), invalid(PL)),
    (CA, IP, invalid(), invalid(PL)),
    (CA, DO, invalid(), invalid(PL)),
    (CA, CA, invalid(), invalid(PL)),
]

CASES = [
    pytest.param(source, target, role, outcome, id=f"{role.value}:{source}->{target}")
    for source, target, staff, privileged in EXPECTED
    for role, outcome in ((Role.STAFF, staff), (Role.MANAGER, privileged), (Role.ADMIN, privileged))
]


def test_the_expected_table_covers_every_pair_of_statuses_once():
    assert sorted((s, t) for s, t, *_ in EXPECTED) == sorted((s, t) for s in Status.values() for t in Status.values())


@pytest.mark.parametrize("source, target, role, outcome", CASES)
def test_a_status_change_is_allowed_or_refused_exactly_as_the_lifecycle_says(source, target, role, outcome):
    measure = a_measure(status=Status(source))

    if outcome == OK:
        change = measure.change_status(target, NOW, role, note=NOTE)
        assert measure.status is Status(target)
        assert (change.from_status, change.to_status) == (Status(source), Status(target))
        return

    expected_error = Forbidden if outcome == FORBIDDEN else InvalidTransition
    with pytest.raises(expected_error) as raised:
        measure.change_status(target, NOW, role, note=NOTE)
    if outcome != FORBIDDEN:
        assert raised.value.allowed == outcome[1]
        assert (raised.value.from_status, raised.value.to_status) == (source, target)
    assert (measure.status, measure.version, measure.recorded) == (Status(source), 3, [])


def test_asking_for_the_current_status_says_so_in_the_error():
    with pytest.raises(InvalidTransition, match="already has this status"):
        a_measure(status=Status.FUNDED).change_status("funded", NOW, Role.ADMIN)


def test_a_transition_outside_the_table_is_reported_as_such_even_without_a_note():
    with pytest.raises(InvalidTransition):
        a_measure(status=Status.PLANNED).change_status("done", NOW, Role.ADMIN, note=None)


def test_staff_are_told_they_may_not_reopen_a_done_measure_rather_than_that_it_is_impossible():
    with pytest.raises(Forbidden, match="reopen"):
        a_measure(status=Status.DONE).change_status("in_progress", NOW, Role.STAFF)


def test_staff_may_not_reactivate_a_cancelled_measure():
    with pytest.raises(Forbidden, match="reactivate"):
        a_measure(status=Status.CANCELLED).change_status("planned", NOW, Role.STAFF, note=NOTE)


# --- allowed_targets -------------------------------------------------------------------------------

@pytest.mark.parametrize("status, staff, privileged", [
    (Status.PLANNED, [Status.FUNDED, Status.CANCELLED], [Status.FUNDED, Status.CANCELLED]),
    (Status.FUNDED, [Status.IN_PROGRESS, Status.CANCELLED], [Status.IN_PROGRESS, Status.CANCELLED]),
    (Status.IN_PROGRESS, [Status.DONE, Status.CANCELLED], [Status.DONE, Status.CANCELLED]),
    (Status.DONE, [], [Status.IN_PROGRESS]),
    (Status.CANCELLED, [], [Status.PLANNED]),
])
def test_allowed_targets_lists_the_next_statuses_in_lifecycle_order_for_each_role(status, staff, privileged):
    assert allowed_targets(status, Role.STAFF) == staff
    assert allowed_targets(status, Role.MANAGER) == privileged
    assert allowed_targets(status, Role.ADMIN) == privileged


def test_allowed_targets_accepts_the_role_as_a_plain_string_from_a_token():
    assert allowed_targets(Status.DONE, "manager") == [Status.IN_PROGRESS]


# --- guard: a note for closing ---------------------------------------------------------------------

@pytest.mark.parametrize("source, target", [(IP, DO), (PL, CA), (FU, CA), (IP, CA)])
@pytest.mark.parametrize("note", [None, "", "   \n"])
def test_closing_a_measure_without_a_note_is_rejected_with_an_error_on_the_note(source, target, note):
    measure = a_measure(status=Status(source))

    with pytest.raises(ValidationError) as raised:
        measure.change_status(target, NOW, Role.ADMIN, note=note)

    assert list(raised.value.errors) == ["note"]
    assert measure.status is Status(source)


@pytest.mark.parametrize("source, target", [(PL, FU), (FU, IP), (DO, IP), (CA, PL)])
def test_transitions_that_do_not_close_a_measure_need_no_note(source, target):
    measure = a_measure(status=Status(source))

    change = measure.change_status(target, NOW, Role.ADMIN, note=None)

    assert (measure.status, change.note) == (Status(target), None)


# --- guard: funding for funded (and in_progress) ---------------------------------------------------

def funding_errors(funding, source=Status.PLANNED, target="funded"):
    """The field keys of the ValidationError that moving to ``target`` with ``funding`` raises."""
    with pytest.raises(ValidationError) as raised:
        a_measure(status=source, funding=funding).change_status(target, NOW, Role.ADMIN, note=NOTE)
    return sorted(raised.value.errors)


def test_a_measure_without_funding_cannot_become_funded():
    assert funding_errors(None) == ["funding"]


@pytest.mark.parametrize("amount", [None, Decimal("0"), Decimal("0.00"), Decimal("-1.00")])
@pytest.mark.parametrize("source", list(FundingSource))
def test_funded_needs_a_positive_approved_amount_whatever_the_source(source, amount):
    funding = replace(GRANT, source=source, amount_approved=amount)

    assert funding_errors(funding) == ["funding.amount_approved"]


@pytest.mark.parametrize("missing", ["programme", "reference", "period_end"])
def test_a_grant_names_each_missing_detail_under_its_own_field(missing):
    assert funding_errors(replace(GRANT, **{missing: None})) == [f"funding.{missing}"]


def test_a_grant_without_any_details_gets_one_error_per_missing_field():
    bare = Funding(source=FundingSource.GRANT, amount_approved=Decimal("0"))

    assert funding_errors(bare) == ["funding.amount_approved", "funding.period_end", "funding.programme",
                                    "funding.reference"]


def test_an_empty_funding_reference_counts_as_missing():
    assert funding_errors(replace(GRANT, reference="")) == ["funding.reference"]


@pytest.mark.parametrize("source", [FundingSource.OWN_BUDGET, FundingSource.THIRD_PARTY])
def test_own_budget_and_third_party_funding_need_only_a_source_and_an_amount(source):
    measure = a_measure(funding=Funding(source=source, amount_approved=Decimal("0.01")))

    measure.change_status("funded", NOW, Role.STAFF)

    assert measure.status is Status.FUNDED


def test_a_grant_needs_no_start_of_its_period():
    measure = a_measure(funding=replace(GRANT, period_start=None))

    measure.change_status("funded", NOW, Role.STAFF)

    assert measure.status is Status.FUNDED


def test_reopening_a_done_measure_without_funding_is_rejected_since_in_progress_needs_funding():
    assert funding_errors(None, source=Status.DONE, target="in_progress") == ["funding"]


# --- what a status change records ------------------------------------------------------------------

def test_done_sets_the_progress_to_100_and_records_that_too():
    measure = a_measure(status=Status.IN_PROGRESS, progress=60)

    change = measure.change_status("done", NOW, Role.STAFF, note=NOTE)

    assert measure.progress == 100
    assert change.changes == {"status": ["in_progress", "done"], "progress": [60, 100]}


def test_done_at_100_percent_records_only_the_status():
    change = a_measure(status=Status.IN_PROGRESS, progress=100).change_status("done", NOW, Role.STAFF, note=NOTE)

    assert change.changes == {"status": ["in_progress", "done"]}


def test_reopening_keeps_the_progress_of_the_done_measure():
    measure = a_measure(status=Status.DONE)

    change = measure.change_status("in_progress", NOW, Role.MANAGER, note="Nachbesserung nötig")

    assert (measure.progress, change.changes) == (100, {"status": ["done", "in_progress"]})


def test_a_status_change_records_note_action_time_and_the_next_version():
    measure = a_measure(status=Status.IN_PROGRESS)
    later = NOW + timedelta(hours=2)

    change = measure.change_status("cancelled", later, Role.STAFF, note=NOTE)

    assert change.action is Action.STATUS_CHANGED
    assert change.note == NOTE
    assert (change.version, measure.version) == (4, 4)
    assert (change.occurred_at, measure.updated_at) == (later, later)
    assert measure.recorded == [change]


def test_each_status_change_increments_the_version_by_one():
    measure = a_measure(status=Status.PLANNED, version=1)

    measure.change_status("funded", NOW, Role.STAFF)
    measure.change_status("in_progress", NOW, Role.STAFF)
    measure.change_status("done", NOW, Role.STAFF, note=NOTE)

    assert measure.version == 4
    assert [change.version for change in measure.recorded] == [2, 3, 4]


def test_an_unknown_status_is_rejected_before_anything_changes():
    measure = a_measure()

    with pytest.raises(ValueError):
        measure.change_status("erledigt", NOW, Role.ADMIN, note=NOTE)

    assert (measure.status, measure.version) == (Status.PLANNED, 3)
