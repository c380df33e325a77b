"""Input validation of the measures RPC API: what callers may send, and the errors they get back.

Every rejection is the shared ``ValidationError`` with field keys (nested ones dotted), so that the CLI
and other services can point at the offending field.
"""

from datetime import date
from decimal import Decimal

import pytest

from services.measures.domain import Measure
from services.measures.schemas import (
    ImportRowSchema, NewMeasureSchema, PageSchema, dump_measure, load, load_changes, load_filters, load_funding,
)
from shared.errors import ValidationError

GRANT = {
    "source": "grant", "programme": "NKI Kommunalrichtlinie", "reference": "03K17253",
    "amount_approved": "48000.00", "period_start": "2021-10-01", "period_end": "2023-09-30",
}


def radweg(**overrides):
    """A new measure as a caller sends it over RPC."""
    return {"title": "Radwegenetz ausbauen", "department": "KS", "area": "Mobilität und Infrastruktur",
            "programme": "Klimaschutzkonzept 2023", **overrides}


def new_measure(**overrides):
    return load(NewMeasureSchema(), radweg(**overrides))


def errors_of(call, *args):
    with pytest.raises(ValidationError) as raised:
        call(*args)
    return raised.value.errors


def new_measure_errors(**overrides):
    with pytest.raises(ValidationError) as raised:
        new_measure(**overrides)
    return raised.value.errors


# --- a new measure ---------------------------------------------------------------------------------

def test_a_new_measure_is_loaded_with_dates_and_amounts_as_python_values():
    data = new_measure(planned_start="2024-04-01", planned_end="2025-10-31", budget_planned="250000.00",
                       funding=GRANT, partners=["Stadt Bernau"], priority="high")

    assert (data["planned_start"], data["planned_end"]) == (date(2024, 4, 1), date(2025, 10, 31))
    assert data["budget_planned"] == Decimal("250000.00")
    assert data["funding"]["amount_approved"] == Decimal("48000.00")
    assert data["funding"]["period_end"] == date(2023, 9, 30)
    assert data["note"] is None


def test_title_and_department_are_required():
    errors = errors_of(load, NewMeasureSchema(), {})

    assert sorted(errors) == ["department", "title"]


@pytest.mark.parametrize("length, valid", [(0, False), (1, True), (300, True), (301, False)])
def test_a_title_has_1_to_300_characters(length, valid):
    if valid:
        assert len(new_measure(title="ä" * length)["title"]) == length
    else:
        assert list(new_measure_errors(title="ä" * length)) == ["title"]


@pytest.mark.parametrize("field", ["bogus", "id", "progress", "version", "created_at"])
def test_unknown_and_server_assigned_fields_are_rejected_by_name(field):
    assert new_measure_errors(**{field: 1}) == {field: ["Unknown field."]}


@pytest.mark.parametrize("overrides, field", [
    ({"title": 42}, "title"),
    ({"partners": "Stadt Bernau"}, "partners"),
    ({"budget_planned": "viel"}, "budget_planned"),
    ({"planned_start": "01.04.2024"}, "planned_start"),
    ({"planned_end": "2024-02-30"}, "planned_end"),
    ({"due_date": "2024-04-01T10:00:00"}, "due_date"),
    ({"priority": "dringend"}, "priority"),
    ({"status": "erledigt"}, "status"),
    ({"status": None}, "status"),
    ({"funding": "grant"}, "funding"),
])
def test_values_of_the_wrong_type_or_outside_the_vocabulary_are_rejected_by_field(overrides, field):
    assert list(new_measure_errors(**overrides)) == [field]


def test_an_empty_partner_is_reported_with_its_position():
    assert list(new_measure_errors(partners=["Stadt Bernau", ""])) == ["partners.1"]


def test_all_errors_of_one_input_are_reported_together():
    errors = errors_of(load, NewMeasureSchema(), {"title": "", "department": "KS", "due_date": "morgen", "x": 1})

    assert sorted(errors) == ["due_date", "title", "x"]


@pytest.mark.parametrize("data", [[], "Radwegenetz", 42])
def test_input_that_is_not_an_object_is_rejected_as_a_whole(data):
    assert errors_of(load, NewMeasureSchema(), data) == {"_schema": ["Expected an object."]}


def test_missing_input_counts_as_an_empty_object():
    assert sorted(errors_of(load, NewMeasureSchema(), None)) == ["department", "title"]


# --- money ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("sent, loaded", [
    ("1234567.89", Decimal("1234567.89")),
    ("0", Decimal("0.00")),
    ("1e3", Decimal("1000.00")),
    (1.1, Decimal("1.10")),
])
def test_amounts_are_exact_decimals_with_two_places(sent, loaded):
    value = new_measure(budget_planned=sent)["budget_planned"]

    assert value == loaded
    assert value.as_tuple().exponent == -2


@pytest.mark.parametrize("sent, loaded", [("1.005", "1.00"), ("1.015", "1.02"), ("0.999", "1.00")])
def test_amounts_with_more_than_two_places_are_rounded_half_to_even_to_whole_cents(sent, loaded):
    # Documents the behaviour of ``places=2``: the caller gets no error, the value is quantised
    # (banker's rounding), so nothing with fractions of a cent ever reaches the database.
    assert new_measure(budget_planned=sent)["budget_planned"] == Decimal(loaded)
    assert load_funding({"source": "own_budget", "amount_approved": sent})["amount_approved"] == Decimal(loaded)


@pytest.mark.parametrize("sent", ["-0.01", "NaN", "Infinity"])
def test_negative_and_special_amounts_are_rejected(sent):
    assert list(new_measure_errors(budget_planned=sent)) == ["budget_planned"]


def test_amounts_are_sent_back_as_strings_with_cents():
    measure = Measure(id="M-0001", title="Radwegenetz ausbauen", department="KS", budget_planned=Decimal("0.1"))

    assert dump_measure(measure)["budget_planned"] == "0.10"


# --- funding ------------------------------------------------------------------------------------------

def test_errors_inside_funding_are_flattened_to_dotted_field_names():
    funding = {"source": "lottery", "reference": "x" * 101, "amount_approved": "-5", "extra": 1}

    errors = new_measure_errors(funding=funding)

    assert sorted(errors) == ["funding.amount_approved", "funding.extra", "funding.reference", "funding.source"]


def test_a_funding_period_ending_before_it_starts_is_reported_on_its_end():
    funding = {**GRANT, "period_start": "2024-01-01", "period_end": "2023-12-31"}

    assert list(new_measure_errors(funding=funding)) == ["funding.period_end"]
    assert list(errors_of(load_funding, funding)) == ["period_end"]


def test_funding_needs_a_source():
    assert list(errors_of(load_funding, {"amount_approved": "100"})) == ["source"]


def test_funding_may_be_removed_with_none():
    assert load_funding(None) is None
    assert new_measure(funding=None)["funding"] is None


def test_loaded_funding_fills_in_missing_details_as_none():
    assert load_funding({"source": "own_budget", "amount_approved": "12.5"}) == {
        "source": "own_budget", "programme": None, "reference": None, "amount_approved": Decimal("12.50"),
        "period_start": None, "period_end": None}


# --- changes to an existing measure ------------------------------------------------------------------

def test_changes_may_name_any_subset_of_the_editable_fields():
    assert load_changes({"title": "Radwegenetz Barnim ausbauen"}) == {"title": "Radwegenetz Barnim ausbauen"}
    assert load_changes({}) == {}


@pytest.mark.parametrize("field", ["status", "progress", "funding", "version", "id"])
def test_changes_cannot_touch_fields_with_their_own_operation(field):
    assert list(errors_of(load_changes, {field: "x"})) == [field]


def test_changes_are_validated_like_a_new_measure():
    assert sorted(errors_of(load_changes, {"title": "", "budget_planned": "-1"})) == ["budget_planned", "title"]


# --- import rows ---------------------------------------------------------------------------------------

def test_an_import_row_needs_an_external_reference():
    assert list(errors_of(load, ImportRowSchema(), radweg())) == ["external_ref"]


def test_an_import_row_may_carry_the_progress_of_the_measure():
    # The import handler applies a row's progress; the schema must let it through.
    assert load(ImportRowSchema(), radweg(external_ref="KSK-3.2", progress=40))["progress"] == 40


def test_an_import_row_rejects_progress_outside_0_to_100():
    assert list(errors_of(load, ImportRowSchema(), radweg(external_ref="KSK-3.2", progress=101))) == ["progress"]


# --- filters and pages -----------------------------------------------------------------------------------

def test_no_filters_means_all_measures():
    assert load_filters(None) == {"status": (), "department": None, "area": None, "programme": None,
                                  "overdue": None, "due_before": None, "q": None}


@pytest.mark.parametrize("status, loaded", [
    ("planned", ["planned"]),
    (["planned", "in_progress"], ["planned", "in_progress"]),
    ([], []),
])
def test_the_status_filter_takes_one_status_or_a_list(status, loaded):
    assert load_filters({"status": status})["status"] == loaded


@pytest.mark.parametrize("status, field", [("erledigt", "status.0"), (["planned", "geplant"], "status.1")])
def test_an_unknown_status_in_the_filter_is_reported_with_its_position(status, field):
    assert list(errors_of(load_filters, {"status": status})) == [field]


def test_filters_convert_flags_and_dates():
    filters = load_filters({"overdue": "true", "due_before": "2024-12-31", "department": "KS", "q": "Rad"})

    assert (filters["overdue"], filters["due_before"]) == (True, date(2024, 12, 31))


@pytest.mark.parametrize("filters, field", [
    ({"overdue": "vielleicht"}, "overdue"),
    ({"due_before": "Ende 2024"}, "due_before"),
    ({"q": "x" * 201}, "q"),
    ({"titel": "Radweg"}, "titel"),
])
def test_malformed_or_unknown_filters_are_rejected_by_name(filters, field):
    assert list(errors_of(load_filters, filters)) == [field]


@pytest.mark.parametrize("limit, valid", [(0, False), (1, True), (500, True), (501, False), ("viele", False)])
def test_a_page_holds_1_to_500_measures(limit, valid):
    if valid:
        assert load(PageSchema(), {"limit": limit})["limit"] == limit
    else:
        assert list(errors_of(load, PageSchema(), {"limit": limit})) == ["limit"]


def test_a_page_defaults_to_50_measures_from_the_start():
    assert load(PageSchema(), {}) == {"limit": 50, "cursor": None}
