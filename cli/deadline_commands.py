"""Commands of the deadline watch: what is due, overdue and escalated; grant obligations met."""

import click

from shared.vocabulary import DeadlineKind

from .context import CliContext, handle_errors
from .output import table

pass_cli = click.make_pass_decorator(CliContext)

SECTIONS = ("overdue", "escalated", "due_soon", "obligations", "update_requested")


@click.group("deadlines", invoke_without_command=True)
@click.option("--department", help="Only this department.")
@click.option("--date", "as_of", metavar="YYYY-MM-DD", help="As of another day (default: today).")
@click.pass_context
@handle_errors
def deadlines_group(ctx, department, as_of):
    """What is due soon, overdue, escalated or owed to a funding body, per department."""
    if ctx.invoked_subcommand is not None:
        return
    cli = ctx.find_object(CliContext)
    with cli.client() as client:
        overview = client.measures.list_deadlines(department, as_of)
    cli.emit(overview, lambda: render_overview(cli, overview))


def render_overview(cli, overview):
    t, fmt = cli.texts, cli.fmt
    if not overview:
        return t("deadlines.none")
    blocks = []
    for department in sorted(overview):
        lines = [f"{t('department')} {department}"]
        for section in SECTIONS:
            entries = overview[department].get(section) or []
            if not entries:
                continue
            rows = [[entry["measure_id"], entry["title"], _kind(t, entry), fmt.date(entry["date"]),
                     _days(t, entry["days"]), entry["escalation_level"] or ""] for entry in entries]
            lines.append(f"  {t('deadlines.' + section)}:")
            lines.append(_indent(table([t("id"), t("title"), t("deadline.what"), t("deadline.date"),
                                        t("deadline.days"), t("deadline.level")], rows)))
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def _kind(t, entry):
    return DeadlineKind(entry["kind"]).label(t.language)


def _days(t, days):
    return t("deadline.days_left", days=days) if days >= 0 else t("deadline.days_late", days=-days)


def _indent(text):
    return "\n".join("    " + line for line in text.splitlines())


@deadlines_group.command("check")
@click.option("--date", "as_of", metavar="YYYY-MM-DD", help="Run as of this day (catch up, or try ahead).")
@click.option("--dry-run", is_flag=True, help="Show what would be sent; send nothing.")
@click.pass_obj
@handle_errors
def check_command(cli, as_of, dry_run):
    """Run the deadline watch now (admins); it also runs on its own schedule."""
    with cli.client() as client:
        emitted = client.measures.check_deadlines(as_of, dry_run)
    t = cli.texts

    def human():
        rows = [[n["measure_id"], t(f"deadline.type.{n['type']}"), _kind(t, n),
                 cli.fmt.date(n["date"]), n["escalation_level"] or ""] for n in emitted]
        heading = t("deadlines.would_send" if dry_run else "deadlines.sent", count=len(emitted))
        return heading + ("\n" + table([t("id"), t("deadline.notice"), t("deadline.what"), t("deadline.date"),
                                        t("deadline.level")], rows) if rows else "")

    cli.emit(emitted, human)


@click.command("obligation")
@click.argument("measure_id")
@click.argument("obligation", metavar="OBLIGATION")
@click.option("--date", "fulfilled_on", metavar="YYYY-MM-DD", help="When it was met (default: today).")
@click.option("--note")
@click.option("--expected-version", type=int)
@click.pass_obj
@handle_errors
def obligation_command(cli, measure_id, obligation, fulfilled_on, note, expected_version):
    """Record that a grant obligation was met: final_proof, interim_proof:YEAR or period_end."""
    with cli.client() as client:
        version = expected_version or client.measures.get_measure(measure_id)["version"]
        measure = client.measures.fulfil_obligation(measure_id, obligation, version, fulfilled_on, note)
    cli.emit(measure, lambda: cli.texts("obligation_recorded", id=measure["id"], obligation=obligation))


COMMANDS = (deadlines_group, obligation_command)
