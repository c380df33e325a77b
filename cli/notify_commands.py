"""Commands on notifications, over RPC to the notifications service: `measures notify ...` to manage
a department's subscriptions and failed deliveries, `measures inbox` to read its inbox."""

import click

from shared.events import DEADLINE_EVENTS, MEASURE_EVENTS

from .context import CliContext, handle_errors
from .output import table

pass_cli = click.make_pass_decorator(CliContext)

_EVENT_CHOICE = click.Choice(MEASURE_EVENTS + DEADLINE_EVENTS)


@click.group("notify")
def notify_group():
    """Benachrichtigungen: Abonnements der Fachbereiche, fehlgeschlagene Zustellungen /
    notifications: department subscriptions, failed deliveries."""


@notify_group.command("subscribe")
@click.option("--department", required=True, help="Department code, e.g. KS.")
@click.option("--email", help="Functional mailbox, e.g. klimaschutz@kreis.example.")
@click.option("--url", help="Webhook URL (channel webhook).")
@click.option("--channel", type=click.Choice(["email", "webhook", "inbox"]),
              help="Default: email with --email, webhook with --url.")
@click.option("--role", type=click.Choice(["member", "manager"]), default="member", show_default=True,
              help="Whose notifications: the department's members or its management.")
@click.option("--event", "event_types", multiple=True, type=_EVENT_CHOICE,
              help="Only these event types (repeatable; default: all).")
@click.option("--digest", type=click.Choice(["immediate", "daily"]), default="immediate", show_default=True)
@click.option("--language", type=click.Choice(["de", "en"]), help="Language of the messages.")
@click.option("--secret", help="Webhook signing secret (default: generated and shown once).")
@pass_cli
@handle_errors
def subscribe_command(cli, department, email, url, channel, role, event_types, digest, language, secret):
    """Subscribe a department's mailbox, webhook or inbox (admins; managers for their department)."""
    channel = channel or ("webhook" if url else "email")
    address = url if channel == "webhook" else email
    if (channel == "inbox") != (address is None) or (email and url):
        raise click.UsageError(cli.texts("notify.address_needed"))
    request = {"department": department, "channel": channel, "address": address, "role": role,
               "event_types": list(event_types), "digest": digest, "language": language, "secret": secret}
    with cli.client() as client:
        subscription = client.notifications.subscribe(request)

    def human():
        t = cli.texts
        lines = [t("notify.subscribed", id=subscription["id"], department=subscription["department"],
                   role=t(f"role.{subscription['role']}"), channel=subscription["channel"],
                   target=subscription["address"] or department)]
        if subscription.get("secret"):
            lines.append(t("notify.secret", secret=subscription["secret"]))
        return "\n".join(lines)

    cli.emit(subscription, human)


@notify_group.command("list")
@click.option("--department", help="Only this department.")
@click.option("--all", "include_ended", is_flag=True, help="Also ended subscriptions.")
@pass_cli
@handle_errors
def list_command(cli, department, include_ended):
    """List subscriptions."""
    with cli.client() as client:
        subscriptions = client.notifications.list_subscriptions(department, include_ended)

    def human():
        t = cli.texts
        if not subscriptions:
            return t("notify.none")
        rows = [[s["id"], s["department"], t(f"role.{s['role']}"), s["channel"], s["address"] or t("none"),
                 ", ".join(s["event_types"]) or t("all_events"), t(f"digest.{s['digest']}"), s["language"]]
                + ([cli.fmt.value("ended_at", s["ended_at"])] if include_ended else [])
                for s in subscriptions]
        headers = [t("id"), t("department"), t("role"), t("channel"), t("address"), t("events"), t("digest"), "de/en"]
        return table(headers + ([t("updated_at")] if include_ended else []), rows)

    cli.emit(subscriptions, human)


@notify_group.command("unsubscribe")
@click.argument("subscription_id", type=int)
@pass_cli
@handle_errors
def unsubscribe_command(cli, subscription_id):
    """End a subscription; what it had not sent yet is not sent."""
    with cli.client() as client:
        subscription = client.notifications.unsubscribe(subscription_id)
    cli.emit(subscription, lambda: cli.texts("notify.unsubscribed", id=subscription["id"]))


@notify_group.command("failures")
@click.option("--department", help="Only this department.")
@click.option("--limit", default=50, show_default=True)
@pass_cli
@handle_errors
def failures_command(cli, department, limit):
    """Deliveries that failed for good (after all attempts, or refused by the receiver)."""
    with cli.client() as client:
        page = client.notifications.list_deliveries({"status": "failed", "department": department}, limit)

    def human():
        t, fmt = cli.texts, cli.fmt
        if not page["items"]:
            return t("notify.no_failures")
        rows = [[d["id"], d["department"] or t("none"), d["channel"], d["target"],
                 d["measure_id"] or t("notify.report", id=d["report_id"]),
                 d["event_type"] or d["kind"], d["attempts"], fmt.value("updated_at", d["created_at"]),
                 d["last_error"] or ""] for d in page["items"]]
        headers = [t("id"), t("department"), t("channel"), t("target"), t("measure"), t("event"), t("attempts"),
                   t("when"), t("last_error")]
        return table(headers, rows) + "\n" + t("notify.failures", shown=len(page["items"]), total=page["total"])

    cli.emit(page, human)


@notify_group.command("retry")
@click.argument("delivery_id", type=int)
@pass_cli
@handle_errors
def retry_command(cli, delivery_id):
    """Send a failed delivery again, with all its attempts."""
    with cli.client() as client:
        delivery = client.notifications.retry_delivery(delivery_id)
    cli.emit(delivery, lambda: cli.texts("notify.retried", id=delivery["id"]))


@click.command("inbox")
@click.option("--all", "show_all", is_flag=True, help="Also notifications already read.")
@click.option("--department", help="Another department's inbox (admins).")
@click.option("--mark-read", is_flag=True, help="Mark the notifications shown as read.")
@click.option("--limit", default=50, show_default=True)
@click.option("--cursor", help="Continue with older notifications.")
@pass_cli
@handle_errors
def inbox_command(cli, show_all, department, mark_read, limit, cursor):
    """Show your department's inbox: what changed in its measures (your own changes left out)."""
    with cli.client() as client:
        page = client.notifications.inbox(department, not show_all, limit, cursor)
        marked = 0
        if mark_read:
            unread = [item["id"] for item in page["items"] if not item["read"]]
            if unread:
                marked = client.notifications.mark_read(unread)["marked"]
    page["marked"] = marked

    def human():
        t, fmt = cli.texts, cli.fmt
        name = page["department"]
        if not page["items"]:
            return t("inbox.empty_all" if show_all else "inbox.empty", department=name)
        rows = [[item["id"], fmt.instant(item["occurred_at"]), item["measure_id"], item["measure_title"],
                 item["summary"], item["actor"]["user"]] + ([("" if item["read"] else "●")] if show_all else [])
                for item in page["items"]]
        headers = [t("id"), t("when"), t("measure"), t("title"), t("summary"), t("who")]
        lines = [table(headers + ([t("inbox.new")] if show_all else []), rows),
                 t("inbox.unread", unread=page["unread"] - marked, department=name)]
        if marked:
            lines.append(t("inbox.marked", marked=marked))
        if page["next_cursor"]:
            lines.append(t("inbox.more", cursor=page["next_cursor"]))
        return "\n".join(lines)

    cli.emit(page, human)


COMMANDS = (notify_group, inbox_command)
