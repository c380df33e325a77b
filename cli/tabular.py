"""Measures as CSV or YAML files: reading import files and writing exports.

CSV is flat (``funding_source``, ``funding_reference``, ...; partners separated by ``;`` in one
cell); an export can be edited in a spreadsheet and imported again. For people who keep their lists
in German spreadsheets, import also accepts dates as ``30.09.2023``, amounts as ``1.234,56`` and the
German status and priority labels.
"""

import csv
import io
import re
from datetime import date, datetime
from decimal import Decimal

import yaml

from shared.vocabulary import FundingSource, Priority, Status

FUNDING_FIELDS = ("source", "programme", "reference", "amount_approved", "period_start", "period_end")
CSV_COLUMNS = (
    "id", "external_ref", "title", "status", "progress", "department", "area", "programme", "priority",
    "planned_start", "planned_end", "due_date", "budget_planned",
    *(f"funding_{name}" for name in FUNDING_FIELDS),
    "partners", "description", "version", "updated_at",
)
#: Columns an export writes for information; an import ignores them.
EXPORT_ONLY = ("id", "version", "updated_at", "created_at")
_DATE_FIELDS = {"planned_start", "planned_end", "due_date", "period_start", "period_end"}
_AMOUNT_FIELDS = {"budget_planned", "amount_approved"}
_GERMAN_DATE = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})$")


class FileFormatError(Exception):
    """The file cannot be read as measures; the message says where and why."""


def read_rows(path):
    """(rows, first_line) from a .csv, .yaml/.yml or .json file; ``first_line`` is the file line of
    row 1, so that errors can point into the file."""
    suffix = path.suffix.lower()
    text = path.read_text(encoding="utf-8-sig")
    if suffix == ".csv":
        return [csv_row_to_measure(row) for row in _read_csv(text)], 2
    if suffix in (".yaml", ".yml", ".json"):
        return [_plain(row) for row in _read_yaml(text)], None
    raise FileFormatError(f"{path.name}: use a .csv, .yaml or .json file")


def _read_csv(text):
    try:
        dialect = csv.Sniffer().sniff(text.split("\n", 1)[0], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.DictReader(io.StringIO(text), dialect=dialect)
    if not reader.fieldnames or "title" not in reader.fieldnames and "external_ref" not in reader.fieldnames:
        raise FileFormatError("the CSV file needs a header line with at least external_ref and title")
    return list(reader)


def _read_yaml(text):
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise FileFormatError(f"not valid YAML: {exc}") from None
    if isinstance(data, dict):
        data = data.get("measures")
    if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
        raise FileFormatError("expected a list of measures, or a mapping with a 'measures' list")
    return data


def csv_row_to_measure(row):
    """A flat CSV row as a measure: empty cells are left out (they change nothing)."""
    measure, funding = {}, {}
    for column, raw in row.items():
        if column is None or column in EXPORT_ONLY:
            continue
        value = (raw or "").strip()
        if value == "":
            continue
        if column.startswith("funding_"):
            funding[column.removeprefix("funding_")] = _convert(column.removeprefix("funding_"), value)
        elif column == "partners":
            measure["partners"] = [item.strip() for item in value.split(";") if item.strip()]
        elif column == "progress":
            measure["progress"] = int(value) if value.isdigit() else value
        else:
            measure[column] = _convert(column, value)
    if funding:
        measure["funding"] = funding
    return measure


def measure_to_csv_row(measure):
    row = {column: measure.get(column) for column in CSV_COLUMNS}
    funding = measure.get("funding") or {}
    for name in FUNDING_FIELDS:
        row[f"funding_{name}"] = funding.get(name)
    row["partners"] = "; ".join(measure.get("partners") or [])
    return {key: "" if value is None else value for key, value in row.items()}


def write_csv(measures, stream, delimiter=","):
    writer = csv.DictWriter(stream, fieldnames=CSV_COLUMNS, delimiter=delimiter, extrasaction="ignore")
    writer.writeheader()
    for measure in measures:
        writer.writerow(measure_to_csv_row(measure))


def _convert(name, value):
    if name in _DATE_FIELDS:
        match = _GERMAN_DATE.match(value)
        if match:
            day, month, year = (int(part) for part in match.groups())
            try:
                return date(year, month, day).isoformat()
            except ValueError:
                return value
        return value
    if name in _AMOUNT_FIELDS:
        return _amount(value)
    if name == "status":
        return _from_label(Status, value)
    if name == "priority":
        return _from_label(Priority, value)
    if name == "source":
        return _from_label(FundingSource, value)
    return value


def _amount(value):
    text = value.replace("€", "").replace(" ", "")
    if "," in text:  # German notation: 1.234,56
        text = text.replace(".", "").replace(",", ".")
    return text


def _from_label(enum, value):
    for member in enum:
        if value.lower() in (member.value, *(label.lower() for label in member.labels.values())):
            return member.value
    return value


def _plain(value):
    """YAML's dates and numbers as the strings the API takes."""
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, float):
        return str(Decimal(str(value)))
    return value
