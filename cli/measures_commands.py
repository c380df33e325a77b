"""Commands on measures and departments, over RPC to the measures service."""

import functools
import json
import sys
from pathlib import Path

import click

from shared.vocabulary import FundingSource, Priority, Status

from .context import EXIT_VALIDATION, CliContext, handle_errors
from .output import table
from .tabular import FileFormatError, read_rows, write_csv

pass_cli = click.make_pass_decorator(CliContext)

_STATUS_CHOICE = click.Choice(Status.values())
_LIST_COLUMNS = ("id", "title", "status", "department", "due_date", "progress")


def _filters(status, department, area, programme, overdue, due_before, q):
    filters = {"status": list(status), "department": department, "area": area, "programme": programme,
               "overdue": overdue, "due_before": due_before, "q": q}
    return {key: value for key, value in filters.items() if value not in (None, [], ())}


def filter_options(command):
    for option in reversed((
        click.option("--status", multiple=True, type=_STATUS_CHOICE, help="Only these statuses (repeatable)."),
        click.option("--department", help="Department code."),
        click.option("--area", help="Area (Handlungsfeld)."),
        click.option("--programme", help="Programme, e.g. 'Klimaschutzkonzept'."),
        click.option("--overdue/--not-overdue", default=None, help="Past the due date and still open."),
        click.option("--due-before", metavar="YYYY-MM-DD", help="Due before this date."),
        click.option("-q", "q", metavar="TEXT", help="Search id, reference, title, description."),
    )):
        command = option(command)
    return command


@click.command("list")
@filter_options
@click.option("--limit", default=50, show_default=True, help="Measures per page (max 500).")
@click.option("--cursor", help="Continue after a previous page.")
@pass_cli
@handle_errors
def list_command(cli, status, department, area, programme, overdue, due_before, q, limit, cursor):
    """List measures."""
    with cli.client() as client:
        page = client.measures.list_measures(
            _filters(status, department, area, programme, overdue, due_before, q), limit, cursor)

    def human():
        t, fmt = cli.texts, cli.fmt
        rows = [[fmt.value(name, m.get(name)) for name in _LIST_COLUMNS] for m in page["items"]]
        text = table([t(name) for name in _LIST_COLUMNS], rows)
        text += "\n" + t("listed", shown=len(page["items"]), total=page["total"])
        if page["next_cursor"]:
            text += "\n" + t("more", cursor=page["next_cursor"])
        return text

    cli.emit(page, human)


@click.command("show")
@click.argument("measure_id")
@pass_cli
@handle_errors
def show_command(cli, measure_id):
    """Show one measure with its history."""
    with cli.client() as client:
        measure = client.measures.get_measure(measure_id)
        history = client.measures.get_history(measure_id)
    cli.emit({"measure": measure, "history": history}, lambda: render_measure(cli, measure, history))


def render_measure(cli, measure, history):
    t, fmt = cli.texts, cli.fmt
    names = ("id", "external_ref", "title", "status", "progress", "department", "area", "programme", "priority",
             "partners", "planned_start", "planned_end", "due_date", "budget_planned", "version", "updated_at")
    fields = [(name, measure.get(name)) for name in names]
    fields += [(f"funding.{name}", value) for name, value in (measure.get("funding") or {}).items()]
    width = max(len(t(name)) for name, _ in fields) + 2
    lines = [f"{t(name) + ':':<{width}}{fmt.value(name, value)}" for name, value in fields]
    if measure.get("description"):
        lines += ["", measure["description"]]
    lines += ["", t("history") + ":"]
    rows = [[fmt.instant(entry["occurred_at"]), entry["actor"]["user"], t(f"action.{entry['action']}"),
             _describe_changes(fmt, entry), entry.get("note") or ""] for entry in history]
    lines.append(table([t("when"), t("who"), t("what"), t("changes"), t("note")], rows))
    return "\n".join(lines)


def _describe_changes(fmt, entry):
    changes = entry["changes"]
    if entry["action"] == "created":  # the fields themselves are shown above
        changes = {"status": changes.get("status", [None, None])}
    parts = []
    for name, (old, new) in changes.items():
        if name == "funding":
            new = (new or {}).get("reference") or (new or {}).get("source")
            old = (old or {}).get("reference") or (old or {}).get("source")
        label = fmt.texts.field(name)
        if old is None:
            parts.append(f"{label}: {fmt.value(name, new)}")
        else:
            parts.append(f"{label}: {fmt.value(name, old)} → {fmt.value(name, new)}")
    return "; ".join(parts)


def measure_options(command, create=False):
    for option in reversed((
        click.option("--title", required=create, help="Title (1-300 characters)."),
        click.option("--department", required=create, help="Responsible department code."),
        click.option("--description"),
        click.option("--programme"),
        click.option("--area"),
        click.option("--priority", type=click.Choice(Priority.values())),
        click.option("--planned-start", metavar="YYYY-MM-DD"),
        click.option("--planned-end", metavar="YYYY-MM-DD"),
        click.option("--due", "due_date", metavar="YYYY-MM-DD"),
        click.option("--budget", "budget_planned", metavar="EUR", help="Planned budget, e.g. 25000.00"),
        click.option("--partner", "partners", multiple=True, help="Partner authority (repeatable)."),
        click.option("--external-ref", help="Number in the source concept."),
    )):
        command = option(command)
    return command


def _given(values):
    data = {key: value for key, value in values.items() if value not in (None, ())}
    if "partners" in data:
        data["partners"] = list(data["partners"])
    return data


@click.command("create")
@functools.partial(measure_options, create=True)
@pass_cli
@handle_errors
def create_command(cli, **values):
    """Create a measure (status planned)."""
    with cli.client() as client:
        measure = client.measures.create_measure(_given(values))
    cli.emit(measure, lambda: cli.texts("created", id=measure["id"]))


@click.command("update")
@click.argument("measure_id")
@measure_options
@click.option("--note", help="Reason; required to move a due date or planned end that has passed.")
@pass_cli
@handle_errors
def update_command(cli, measure_id, note, **values):
    """Change fields of a measure."""
    changes = _given(values)
    with cli.client() as client:
        current = client.measures.get_measure(measure_id)
        measure = client.measures.update_measure(measure_id, changes, current["version"], note)
    key = "saved" if measure["version"] != current["version"] else "unchanged"
    cli.emit(measure, lambda: cli.texts(key, id=measure["id"], version=measure["version"]))


@click.command("status")
@click.argument("measure_id")
@click.argument("status", metavar="STATUS")
@click.option("--note", help="Required for done and cancelled.")
@click.option("--expected-version", type=int, help="Fail unless the measure still has this version.")
@pass_cli
@handle_errors
def status_command(cli, measure_id, status, note, expected_version):
    """Move a measure to STATUS (planned, funded, in_progress, done, cancelled or the German label)."""
    target = _status_value(status)
    with cli.client() as client:
        version = expected_version or client.measures.get_measure(measure_id)["version"]
        measure = client.measures.change_status(measure_id, target, version, note)
    label = Status(measure["status"]).label(cli.texts.language)
    cli.emit(measure, lambda: cli.texts("status_changed", id=measure["id"], status=label))


def _status_value(text):
    for status in Status:
        if text.lower() in (status.value, *(label.lower() for label in status.labels.values())):
            return status.value
    raise click.BadParameter(f"{text!r}: {', '.join(Status.values())}", param_hint="STATUS")


@click.command("progress")
@click.argument("measure_id")
@click.argument("percent", type=click.IntRange(0, 100))
@click.option("--note")
@click.option("--expected-version", type=int)
@pass_cli
@handle_errors
def progress_command(cli, measure_id, percent, note, expected_version):
    """Record the progress of a measure in percent."""
    with cli.client() as client:
        version = expected_version or client.measures.get_measure(measure_id)["version"]
        measure = client.measures.record_progress(measure_id, percent, version, note)
    cli.emit(measure, lambda: cli.texts("progress_recorded", id=measure["id"], progress=measure["progress"]))


@click.command("funding")
@click.argument("measure_id")
@click.option("--source", type=click.Choice(FundingSource.values()))
@click.option("--programme", help="Funding programme, e.g. 'NKI Kommunalrichtlinie'.")
@click.option("--reference", help="Funding reference (Förderkennzeichen).")
@click.option("--amount", "amount_approved", metavar="EUR", help="Approved amount.")
@click.option("--period-start", metavar="YYYY-MM-DD")
@click.option("--period-end", metavar="YYYY-MM-DD")
@click.option("--remove", is_flag=True, help="Remove the funding.")
@click.option("--expected-version", type=int)
@pass_cli
@handle_errors
def funding_command(cli, measure_id, remove, expected_version, **funding):
    """Set or remove the funding of a measure."""
    if remove == bool(funding["source"]):
        raise click.UsageError("give --source (and the other funding options) or --remove")
    data = None if remove else {key: value for key, value in funding.items() if value is not None}
    with cli.client() as client:
        version = expected_version or client.measures.get_measure(measure_id)["version"]
        measure = client.measures.set_funding(measure_id, data, version)
    cli.emit(measure, lambda: cli.texts("saved", id=measure["id"], version=measure["version"]))


@click.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Check everything, save nothing.")
@pass_cli
@handle_errors
def import_command(cli, path, dry_run):
    """Import measures from CSV or YAML; rows are matched by external_ref. All or nothing."""
    try:
        rows, first_line = read_rows(path)
    except FileFormatError as exc:
        raise click.BadParameter(str(exc), param_hint="PATH") from None
    with cli.client() as client:
        report = client.measures.import_measures(rows, dry_run)

    def human():
        t = cli.texts
        counts = {key: len(report[key]) for key in ("created", "updated", "unchanged", "errors")}
        lines = [t("import_summary", **counts)]
        if report["errors"]:
            rows_ = [[_row_label(error["row"], first_line), t.field(error["field"]),
                      " ".join(t.message(m) for m in error["messages"])] for error in report["errors"]]
            lines.append(table([t("row"), t("field"), t("message")], rows_))
            lines.append(t("import_rejected"))
        else:
            lines.append(t("import_dry_run") if dry_run else t("import_applied"))
        return "\n".join(lines)

    cli.emit(report, human)
    if report["errors"]:
        sys.exit(EXIT_VALIDATION)


def _row_label(row, first_line):
    return str(row + first_line - 1) if first_line else str(row)


@click.command("export")
@click.option("--format", "fmt", type=click.Choice(["csv", "json"]), default="csv", show_default=True)
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), help="File (default: stdout).")
@click.option("--delimiter", default=",", show_default=True, help="CSV delimiter (';' for German Excel).")
@filter_options
@pass_cli
@handle_errors
def export_command(cli, fmt, output, delimiter, status, department, area, programme, overdue, due_before, q):
    """Export measures as CSV (re-importable) or JSON."""
    filters = _filters(status, department, area, programme, overdue, due_before, q)
    measures, cursor = [], None
    with cli.client() as client:
        while True:
            page = client.measures.list_measures(filters, 500, cursor)
            measures += page["items"]
            cursor = page["next_cursor"]
            if not cursor:
                break
    stream = output.open("w", encoding="utf-8", newline="") if output else sys.stdout
    try:
        if fmt == "json":
            json.dump(measures, stream, ensure_ascii=False, indent=2)
            stream.write("\n")
        else:
            write_csv(measures, stream, delimiter)
    finally:
        if output:
            stream.close()


@click.group("departments")
def departments_group():
    """Departments (the chain of command)."""


@departments_group.command("list")
@pass_cli
@handle_errors
def departments_list(cli):
    with cli.client() as client:
        departments = client.measures.list_departments()
    t = cli.texts
    cli.emit(departments, lambda: table(
        [t("code"), t("name"), t("parent")],
        [[d["code"], d["name"], d["parent"] or t("none")] for d in departments]))


@departments_group.command("create")
@click.argument("code")
@click.argument("name")
@click.option("--parent", help="Code of the parent department (division).")
@pass_cli
@handle_errors
def departments_create(cli, code, name, parent):
    """Create a department (admins only)."""
    with cli.client() as client:
        department = client.measures.create_department({"code": code, "name": name, "parent": parent})
    cli.emit(department, lambda: cli.texts("department_created", code=department["code"]))


COMMANDS = (list_command, show_command, create_command, update_command, status_command, progress_command,
            funding_command, import_command, export_command, departments_group)
