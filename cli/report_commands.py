"""`measures report generate|list|show`: status reports, over RPC to the reporting service."""

import base64
import sys
from pathlib import Path

import click

from .context import CliContext, handle_errors
from .output import table

pass_cli = click.make_pass_decorator(CliContext)

_FORMATS = click.Choice(["html", "pdf", "md", "csv", "json"])
_LANGUAGES = click.Choice(["de", "en"])


@click.group("report")
def report_group():
    """Sachstandsberichte erstellen und abrufen / take and read status reports."""


@report_group.command("generate")
@click.option("--kind", help="A configured report kind (its filters, title and recipients).")
@click.option("--programme", "programmes", multiple=True, help="Only this programme (repeatable; ad hoc).")
@click.option("--department", "departments", multiple=True,
              help="Only this department and those below it (repeatable; ad hoc).")
@click.option("--area", "areas", multiple=True, help="Only this area (repeatable; ad hoc).")
@click.option("--as-of", metavar="YYYY-MM-DD", help="Reference date for overdue measures (default: today).")
@click.option("--title", help="Title of an ad-hoc report.")
@click.option("--language", type=_LANGUAGES, help="Language of the report (default: the kind's or LANGUAGE).")
@pass_cli
@handle_errors
def generate_command(cli, kind, programmes, departments, areas, as_of, title, language):
    """Take a report now, from the current data."""
    filters = None
    if programmes or departments or areas:
        filters = {"programmes": list(programmes), "departments": list(departments), "areas": list(areas)}
    with cli.client() as client:
        report = client.reporting.generate_report(kind, filters, as_of, language, title)
    summary = report["summary"]
    cli.emit(report, lambda: cli.texts("report.generated", id=report["id"], measures=summary["measures"],
                                       overdue=summary["overdue"]))


@report_group.command("list")
@click.option("--kind", help="Only reports of this kind.")
@click.option("--limit", default=50, show_default=True)
@pass_cli
@handle_errors
def list_command(cli, kind, limit):
    """List archived reports, newest first."""
    with cli.client() as client:
        reports = client.reporting.list_reports(kind, limit)

    def human():
        t, fmt = cli.texts, cli.fmt
        if not reports:
            return t("report.none")
        rows = [[r["id"], r["kind"] or t("report.adhoc"), r["title"] or "", fmt.date(r["as_of"]),
                 fmt.instant(r["taken_at"]), r["summary"]["measures"], r["summary"]["overdue"],
                 t("none") if r["summary"]["changes"] is None else r["summary"]["changes"]] for r in reports]
        return table([t("id"), t("report.kind"), t("title"), t("report.as_of"), t("report.taken_at"),
                      t("report.measures"), t("report.overdue"), t("report.changes")], rows)

    cli.emit(reports, human)


@report_group.command("show")
@click.argument("report_id", type=int)
@click.option("--format", "fmt", type=_FORMATS, default="md", show_default=True)
@click.option("--language", type=_LANGUAGES, help="Language (default: the report's own).")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), help="File (default: stdout).")
@pass_cli
@handle_errors
def show_command(cli, report_id, fmt, language, output):
    """Show an archived report, rendered from its frozen data, or write it to a file."""
    if fmt == "pdf" and output is None and sys.stdout.isatty():
        raise click.UsageError(cli.texts("report.binary"))
    with cli.client() as client:
        rendered = client.reporting.get_report(report_id, fmt, language)
    data = (base64.b64decode(rendered["content"]) if rendered["encoding"] == "base64"
            else rendered["content"].encode("utf-8"))
    if output is None:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return
    output.write_bytes(data)
    click.echo(cli.texts("report.written", id=report_id, format=fmt, path=output), err=True)


COMMANDS = (report_group,)
