"""The measure aggregate: creation, updates, funding, progress and deadlines. Pure domain, no fixtures."""

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from services.measures.domain import Action, Funding, Measure
from shared.errors import ValidationError
from shared.vocabulary import FundingSource, Priority, Role, Status

NOW = datetime(2024, 3, 1, 9, 30, tzinfo=timezone.utc)
LATER = NOW + timedelta(days=3)
NOTE = "Übernommen aus dem Klimaschutzkonzept 2023"

GRANT = {
    "source": "grant", "programme": "NKI Kommunalrichtlinie", "reference": "03K17253",
    "amount_approved": Decimal("48000.00"), "period_start": date(2021, 10, 1), "period_end": date(2023, 9, 30),
}


def radweg(**overrides):
    """Input of a new measure, as the schema hands it to the domain."""
    return {
        "title": "Radwegenetz ausbauen", "department": "KS", "programme": "Klimaschutzkonzept 2023",
        "area": "Mobilität und Infrastruktur", "planned_start": date(2024, 4, 1),
        "planned_end": date(2025, 10, 31), "budget_planned": Decimal("250000.00"), **overrides,
    }


def created(note=None, **overrides):
    measure = Measure.create("M-0001", radweg(**overrides), NOW, note=note)
    measure.recorded.clear()  # as after the unit of work stored it
    return measure


def errors_of(call, *args, **kwargs):
    with pytest.raises(ValidationError) as raised:
        call(*args, **kwargs)
    return raised.value.errors


# --- create ----------------------------------------------------------------------------------------

def test_a_new_measure_is_planned_at_version_1_with_defaults():
    measure = Measure.create("M-0001", radweg(), NOW)

    assert (measure.status, measure.progress, measure.version) == (Status.PLANNED, 0, 1)
    assert (measure.priority, measure.partners, measure.funding) == (Priority.NORMAL, [], None)
    assert measure.created_at == measure.updated_at == NOW


def test_creating_records_every_given_field_as_new_and_leaves_out_empty_and_system_fields():
    measure = Measure.create("M-0001", radweg(partners=["Stadt Eberswalde"]), NOW, note=NOTE)

    [change] = measure.recorded
    assert (change.action, change.version, change.occurred_at, change.note) == (Action.CREATED, 1, NOW, NOTE)
    assert change.changes == {
        "title": [None, "Radwegenetz ausbauen"], "department": [None, "KS"],
        "programme": [None, "Klimaschutzkonzept 2023"], "area": [None, "Mobilität und Infrastruktur"],
        "partners": [None, ["Stadt Eberswalde"]], "priority": [None, "normal"],
        "planned_start": [None, "2024-04-01"], "planned_end": [None, "2025-10-31"],
        "budget_planned": [None, "250000.00"], "status": [None, "planned"], "progress": [None, 0],
    }


def test_priority_and_partners_given_as_plain_values_become_domain_values():
    measure = Measure.create("M-0001", radweg(priority="high", partners=None), NOW)

    assert (measure.priority, measure.partners) == (Priority.HIGH, [])


@pytest.mark.parametrize("status, funding", [("funded", GRANT), ("in_progress", GRANT)])
def test_a_running_measure_can_be_taken_over_with_its_funding(status, funding):
    measure = Measure.create("M-0001", radweg(status=status, funding=funding), NOW)

    assert measure.status is Status(status)
    assert measure.funding.source is FundingSource.GRANT


@pytest.mark.parametrize("status", ["funded", "in_progress"])
def test_a_measure_cannot_be_taken_over_as_funded_or_in_progress_without_funding(status):
    assert list(errors_of(Measure.create, "M-0001", radweg(status=status), NOW)) == ["funding"]


def test_taking_over_a_funded_grant_checks_the_grant_details():
    grant = {**GRANT, "reference": None}

    assert list(errors_of(Measure.create, "M-0001", radweg(status="funded", funding=grant), NOW)) == [
        "funding.reference"]


@pytest.mark.parametrize("status", ["done", "cancelled"])
def test_a_measure_taken_over_as_closed_needs_a_note(status):
    assert list(errors_of(Measure.create, "M-0001", radweg(status=status), NOW)) == ["note"]


def test_a_measure_taken_over_as_done_is_complete():
    measure = Measure.create("M-0001", radweg(status="done"), NOW, note=NOTE)

    assert (measure.status, measure.progress) == (Status.DONE, 100)
    assert measure.recorded[0].changes["progress"] == [None, 100]


@pytest.mark.parametrize("overrides, field", [
    ({"planned_end": date(2024, 3, 31)}, "planned_end"),
    ({"budget_planned": Decimal("-0.01")}, "budget_planned"),
    ({"title": "   "}, "title"),
    ({"title": None}, "title"),
])
def test_a_measure_breaking_an_invariant_is_not_created(overrides, field):
    assert list(errors_of(Measure.create, "M-0001", radweg(**overrides), NOW)) == [field]


def test_all_broken_invariants_are_reported_together():
    data = radweg(title="", planned_end=date(2024, 1, 1), budget_planned=Decimal("-5"))

    assert sorted(errors_of(Measure.create, "M-0001", data, NOW)) == ["budget_planned", "planned_end", "title"]


def test_a_measure_may_start_and_end_on_the_same_day_and_cost_nothing():
    measure = Measure.create("M-0001", radweg(planned_end=date(2024, 4, 1), budget_planned=Decimal("0")), NOW)

    assert measure.planned_end == measure.planned_start


# --- update ----------------------------------------------------------------------------------------

def test_an_update_records_old_and_new_values_of_what_changed():
    measure = created()

    change = measure.update({"title": "Radwegenetz Barnim ausbauen", "budget_planned": Decimal("300000"),
                             "area": "Mobilität und Infrastruktur"}, LATER, note="Kreistag 12/2024")

    assert change.action is Action.UPDATED
    assert change.changes == {"title": ["Radwegenetz ausbauen", "Radwegenetz Barnim ausbauen"],
                              "budget_planned": ["250000.00", "300000.00"]}
    assert change.note == "Kreistag 12/2024"
    assert (measure.title, measure.budget_planned) == ("Radwegenetz Barnim ausbauen", Decimal("300000"))
    assert (measure.version, measure.updated_at, measure.recorded) == (2, LATER, [change])


def test_an_update_that_changes_nothing_returns_none_and_keeps_the_version():
    measure = created(priority="normal")

    change = measure.update({"title": "Radwegenetz ausbauen", "budget_planned": Decimal("250000"),
                             "priority": None, "partners": None, "due_date": None}, LATER)

    assert change is None
    assert (measure.version, measure.updated_at, measure.recorded) == (1, NOW, [])


def test_clearing_a_field_records_none_as_the_new_value():
    change = created().update({"planned_end": None}, LATER)

    assert change.changes == {"planned_end": ["2025-10-31", None]}


@pytest.mark.parametrize("field", ["status", "progress", "funding", "version", "id", "created_at", "bogus"])
def test_fields_outside_the_editable_ones_cannot_be_updated(field):
    measure = created()

    errors = errors_of(measure.update, {field: "x", "title": "Neu"}, LATER)

    assert list(errors) == [field]
    assert (measure.title, measure.version) == ("Radwegenetz ausbauen", 1)


@pytest.mark.parametrize("changes", [
    {"planned_end": date(2024, 3, 31)},
    {"planned_start": date(2025, 11, 1)},
])
def test_an_update_is_checked_against_the_fields_it_leaves_alone(changes):
    measure = created()

    assert list(errors_of(measure.update, changes, LATER)) == ["planned_end"]
    assert (measure.planned_start, measure.planned_end, measure.version) == (date(2024, 4, 1), date(2025, 10, 31), 1)


@pytest.mark.parametrize("changes, field", [
    ({"title": " "}, "title"),
    ({"budget_planned": Decimal("-1")}, "budget_planned"),
])
def test_a_rejected_update_changes_no_field_at_all(changes, field):
    measure = created()

    assert list(errors_of(measure.update, {"area": "Abfallwirtschaft", **changes}, LATER)) == [field]
    assert (measure.area, measure.version, measure.recorded) == ("Mobilität und Infrastruktur", 1, [])


def test_moving_both_planned_dates_together_is_one_valid_update():
    measure = created()

    change = measure.update({"planned_start": date(2026, 1, 1), "planned_end": date(2026, 12, 31)}, LATER)

    assert set(change.changes) == {"planned_start", "planned_end"}


# --- set_funding -----------------------------------------------------------------------------------

def test_setting_funding_records_it_in_a_json_safe_form():
    measure = created()

    change = measure.set_funding(GRANT, LATER)

    assert change.action is Action.FUNDING_CHANGED
    assert change.changes == {"funding": [None, {
        "source": "grant", "programme": "NKI Kommunalrichtlinie", "reference": "03K17253",
        "amount_approved": "48000.00", "period_start": "2021-10-01", "period_end": "2023-09-30"}]}
    assert measure.funding == Funding.from_dict(GRANT)
    assert measure.version == 2


def test_setting_the_same_funding_again_is_no_change():
    measure = created(funding=GRANT)

    assert measure.set_funding({**GRANT, "amount_approved": Decimal("48000")}, LATER) is None
    assert measure.version == 1


@pytest.mark.parametrize("status", ["funded", "in_progress"])
def test_funding_cannot_be_removed_from_a_funded_or_running_measure(status):
    measure = created(status=status, funding=GRANT)

    assert list(errors_of(measure.set_funding, None, LATER)) == ["funding"]
    assert measure.funding == Funding.from_dict(GRANT)


def test_a_funded_measure_cannot_swap_its_grant_for_one_without_a_reference():
    measure = created(status="funded", funding=GRANT)

    assert list(errors_of(measure.set_funding, {**GRANT, "reference": None}, LATER)) == ["funding.reference"]


@pytest.mark.parametrize("status", ["planned", "cancelled"])
def test_funding_can_be_removed_from_a_measure_that_does_not_rely_on_it(status):
    measure = created(status=status, funding=GRANT, note=NOTE)

    change = measure.set_funding(None, LATER)

    assert measure.funding is None
    assert change.changes["funding"][1] is None


def test_a_planned_measure_may_hold_incomplete_funding_until_it_becomes_funded():
    measure = created()

    measure.set_funding({"source": "grant"}, LATER)

    assert measure.funding == Funding(source=FundingSource.GRANT)


# --- record_progress -------------------------------------------------------------------------------

@pytest.mark.parametrize("progress", [0, 1, 99, 100])
def test_progress_is_a_whole_percentage_from_0_to_100(progress):
    measure = created(status="in_progress", funding=GRANT)

    change = measure.record_progress(progress, LATER, note="Abschnitt Bernau fertig")

    assert measure.progress == progress
    assert (change.action, change.changes, change.note) == (
        Action.PROGRESS_RECORDED, {"progress": [0, progress]}, "Abschnitt Bernau fertig")


@pytest.mark.parametrize("progress", [-1, 101, 50.0, "50", None, True])
def test_progress_outside_0_to_100_or_not_a_whole_number_is_rejected(progress):
    measure = created()

    assert list(errors_of(measure.record_progress, progress, LATER)) == ["progress"]
    assert (measure.progress, measure.version) == (0, 1)


@pytest.mark.parametrize("status", ["done", "cancelled"])
def test_a_closed_measure_takes_no_progress(status):
    measure = created(status=status, note=NOTE)

    assert list(errors_of(measure.record_progress, 50, LATER)) == ["progress"]


def test_progress_after_reopening_is_accepted_again():
    measure = created(status="in_progress", funding=GRANT)
    measure.change_status("done", LATER, Role.STAFF, note=NOTE)
    measure.change_status("in_progress", LATER, Role.MANAGER)

    measure.record_progress(80, LATER)

    assert (measure.progress, measure.version) == (80, 4)


# --- is_overdue ------------------------------------------------------------------------------------

TODAY = date(2024, 6, 15)


@pytest.mark.parametrize("status", ["planned", "funded", "in_progress"])
def test_an_open_measure_past_its_due_date_is_overdue(status):
    assert created(status=status, funding=GRANT, due_date=TODAY - timedelta(days=1)).is_overdue(TODAY)


@pytest.mark.parametrize("due_date", [TODAY, TODAY + timedelta(days=1), None])
def test_a_measure_due_today_later_or_never_is_not_overdue(due_date):
    assert not created(due_date=due_date).is_overdue(TODAY)


@pytest.mark.parametrize("status", ["done", "cancelled"])
def test_a_closed_measure_is_never_overdue(status):
    assert not created(status=status, note=NOTE, due_date=date(2020, 1, 1)).is_overdue(TODAY)
