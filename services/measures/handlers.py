"""Use cases of the measures service: load, check, call the domain, hand the result to the unit of
work. Plain functions over a unit of work, so they run the same under nameko, in a script or in a
test with SQLite."""

from dataclasses import dataclass, field

from shared.errors import Forbidden, InvalidTransition, NotFound, ValidationError, VersionConflict
from shared.vocabulary import Status

from .domain import EDITABLE_FIELDS, Funding, Measure, ensure_admin, ensure_may_write


def create_department(uow, principal, data):
    ensure_admin(principal, "create departments")
    if uow.departments.get(data["code"]) is not None:
        raise ValidationError({"code": [f"Department {data['code']} already exists."]})
    if data.get("parent") and uow.departments.get(data["parent"]) is None:
        raise ValidationError({"parent": [f"Unknown department {data['parent']}."]})
    return uow.departments.add(data["code"], data["name"], data.get("parent"))


def create_measure(uow, principal, data, now):
    data = dict(data)
    note = data.pop("note", None)
    _check_department(uow, data["department"])
    ensure_may_write(principal, data["department"])
    _check_external_ref(uow, data.get("external_ref"), None)
    measure = Measure.create(None, data, now, note=note)
    uow.commit_measure(measure, principal, is_new=True)
    return measure


def update_measure(uow, principal, measure_id, changes, expected_version, now, note=None, today=None):
    measure = _load_for_write(uow, principal, measure_id, expected_version)
    if "department" in changes and changes["department"] != measure.department:
        _check_department(uow, changes["department"])
        ensure_may_write(principal, changes["department"])  # handing over needs a say in both
    if changes.get("external_ref"):
        _check_external_ref(uow, changes["external_ref"], measure.id)
    if measure.update(changes, now, note, today):
        uow.commit_measure(measure, principal)
    return measure


def change_status(uow, principal, measure_id, status, expected_version, note, now):
    measure = _load_for_write(uow, principal, measure_id, expected_version)
    previous = measure.status
    measure.change_status(_status(status), now, principal.role, note)
    uow.commit_measure(measure, principal)
    return measure, previous


def set_funding(uow, principal, measure_id, funding, expected_version, now):
    measure = _load_for_write(uow, principal, measure_id, expected_version)
    if measure.set_funding(Funding.from_dict(funding), now):
        uow.commit_measure(measure, principal)
    return measure


def record_progress(uow, principal, measure_id, progress, expected_version, note, now):
    # Recorded even when the figure is unchanged: "still 40 %" with a note is a progress report.
    measure = _load_for_write(uow, principal, measure_id, expected_version)
    measure.record_progress(progress, now, note)
    uow.commit_measure(measure, principal)
    return measure


def fulfil_obligation(uow, principal, measure_id, obligation, fulfilled_on, expected_version, note, now):
    measure = _load_for_write(uow, principal, measure_id, expected_version)
    measure.fulfil_obligation(obligation, fulfilled_on, now, note)
    uow.commit_measure(measure, principal)
    return measure


@dataclass
class ImportReport:
    created: list = field(default_factory=list)
    updated: list = field(default_factory=list)
    unchanged: list = field(default_factory=list)
    errors: list = field(default_factory=list)

    def add_error(self, row, error):
        for name, messages in _error_fields(error).items():
            self.errors.append({"row": row, "field": name, "messages": messages})

    def as_dict(self, applied):
        return {"created": self.created, "updated": self.updated, "unchanged": self.unchanged,
                "errors": self.errors, "applied": applied}


def import_measures(uow, principal, rows, now, load_row, today=None):
    """Upsert ``rows`` by ``external_ref``; every row is checked and each error names row and field.

    Rows are numbered from 1. The caller commits only if the report has no errors.
    """
    report = ImportReport()
    seen = {}
    for number, raw in enumerate(rows, start=1):
        try:
            data = load_row(raw)
        except ValidationError as error:
            report.add_error(number, error)
            continue
        ref = data["external_ref"]
        if ref in seen:
            report.add_error(number, ValidationError({"external_ref": [f"Also used in row {seen[ref]}."]}))
            continue
        seen[ref] = number
        try:
            outcome, measure = _import_row(uow, principal, data, now, today)
        except (ValidationError, InvalidTransition, Forbidden, NotFound) as error:
            report.add_error(number, error)
            continue
        getattr(report, outcome).append(measure.id)
    return report


def _import_row(uow, principal, data, now, today):
    existing = uow.measures.get_by_external_ref(data["external_ref"])
    if existing is None:
        data = dict(data)
        progress = data.pop("progress", None)
        measure = create_measure(uow, principal, data, now)
        if progress is not None and progress != measure.progress and not measure.status.is_closed:
            measure.record_progress(progress, now)
            uow.commit_measure(measure, principal)
        return "created", measure
    ensure_may_write(principal, existing.department)
    note = data.get("note")
    changes = {name: data[name] for name in EDITABLE_FIELDS if name in data}
    if "department" in changes and changes["department"] != existing.department:
        _check_department(uow, changes["department"])
        ensure_may_write(principal, changes["department"])
    existing.update(changes, now, note, today)
    if "funding" in data:
        existing.set_funding(Funding.from_dict(data["funding"]), now, note)
    for key, day in (data.get("obligations_fulfilled") or {}).items():
        if key not in existing.obligations_fulfilled:
            existing.fulfil_obligation(key, day, now, note)
    if data.get("progress") is not None and data["progress"] != existing.progress:
        existing.record_progress(data["progress"], now, note)
    if data.get("status") and Status(data["status"]) is not existing.status:
        existing.change_status(Status(data["status"]), now, principal.role, note)
    if not existing.recorded:
        return "unchanged", existing
    uow.commit_measure(existing, principal)
    return "updated", existing


def _load_for_write(uow, principal, measure_id, expected_version):
    measure = uow.measures.get(measure_id)
    ensure_may_write(principal, measure.department)
    if isinstance(expected_version, bool) or not isinstance(expected_version, int):
        raise ValidationError({"expected_version": ["Send the version you read, a whole number."]})
    if expected_version != measure.version:
        raise VersionConflict(measure.id, expected_version, measure.version)
    return measure


def _check_department(uow, code):
    if uow.departments.get(code) is None:
        raise ValidationError({"department": [f"Unknown department {code}."]})


def _check_external_ref(uow, external_ref, own_id):
    if not external_ref:
        return
    owner = uow.measures.owner_of_external_ref(external_ref)
    if owner is not None and owner != own_id:
        raise ValidationError({"external_ref": [f"Already used by {owner}."]})


def _status(value):
    try:
        return Status(value)
    except ValueError:
        raise ValidationError({"status": [f"Unknown status {value!r}; one of {', '.join(Status.values())}."]}) from None


def _error_fields(error):
    if isinstance(error, ValidationError):
        return error.errors
    if isinstance(error, InvalidTransition):
        return {"status": [error.message]}
    if isinstance(error, Forbidden):
        return {"department": [error.message]}
    return {"_row": [str(error)]}
