"""Operator commands: tokens, database migrations, seeding, running the services, broker check."""

import os
import signal
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import click
import yaml
from amqp.exceptions import AMQPError
from kombu.exceptions import KombuError

from shared.auth import issue_token
from shared.vocabulary import Role

from .context import EXIT_CONFIG, EXIT_UNAVAILABLE, EXIT_VALIDATION, CliContext, handle_errors, save_cli_config
from .tabular import _plain

pass_cli = click.make_pass_decorator(CliContext)


@click.group("admin")
def admin_group():
    """Administration: access tokens."""


@admin_group.command("token")
@click.option("--user", required=True, help="User name, e.g. 'mueller.ks'.")
@click.option("--department", required=True, help="Department code of the user.")
@click.option("--role", type=click.Choice(Role.values()), default="staff", show_default=True)
@click.option("--ttl-hours", type=click.IntRange(1, 24 * 366), help="Lifetime (default: TOKEN_TTL_HOURS).")
@click.option("--save", is_flag=True, help="Store it in the CLI config file for the next commands.")
@pass_cli
@handle_errors
def token_command(cli, user, department, role, ttl_hours, save):
    """Issue a signed access token (needs the TOKEN_SECRET of the services)."""
    settings = cli.settings
    ttl = timedelta(hours=ttl_hours or int(settings["TOKEN_TTL_HOURS"]))
    token = issue_token(settings.token_secret(), user, department, role, ttl)
    if save:
        path = save_cli_config(token=token)
        click.echo(f"# saved to {path}", err=True)
    click.echo(token)


@click.group("db")
def db_group():
    """Database schema of the services."""


def _services_option(command):
    from services.common.runner import SERVICES

    return click.option("--service", "services", multiple=True, type=click.Choice(sorted(SERVICES)),
                        help="Only this service (repeatable; default: all).")(command)


@db_group.command("upgrade")
@_services_option
@pass_cli
@handle_errors
def db_upgrade(cli, services):
    """Apply the migrations of each service's database and declare its event queues."""
    from services.common.database import make_engine
    from services.common.runner import SERVICES, declare_event_queues, migrations_of

    for name in services or SERVICES:
        url = cli.settings.database_url(name)
        engine = make_engine(url)
        migrations = migrations_of(name)
        migrations.upgrade(engine)
        click.echo(f"{name}: {engine.url.render_as_string(hide_password=True)} at revision {migrations.current(engine)}")
        engine.dispose()
        try:
            queues = declare_event_queues(name, cli.settings)
        except (OSError, KombuError, AMQPError) as exc:  # the service declares them itself at start
            click.echo(f"{name}: event queues not declared now ({exc}); the service declares them at start",
                       err=True)
        else:
            if queues:
                click.echo(f"{name}: {len(queues)} event queues ready")


@db_group.command("status")
@_services_option
@pass_cli
@handle_errors
def db_status(cli, services):
    """Show each database's schema revision and whether it is current."""
    from services.common.database import make_engine
    from services.common.runner import SERVICES, migrations_of

    stale = False
    for name in services or SERVICES:
        engine = make_engine(cli.settings.database_url(name))
        migrations = migrations_of(name)
        current, head = migrations.current(engine), migrations.head()
        stale |= current != head
        click.echo(f"{name}: {current or 'empty'} (code expects {head})")
        engine.dispose()
    if stale:
        sys.exit(EXIT_CONFIG)


@click.command("seed")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--if-empty", is_flag=True, help="Do nothing when the database already holds measures.")
@pass_cli
@handle_errors
def seed_command(cli, path, if_empty):
    """Load a programme file (departments and measures) into the measures database."""
    from services.common.database import make_engine
    from services.measures.migrations import MIGRATIONS
    from services.measures.seed import has_measures, load_programme

    engine = make_engine(cli.settings.database_url("measures"))
    MIGRATIONS.ensure_current(engine)
    if if_empty and has_measures(engine):
        click.echo("seed: the database already holds measures; nothing loaded.")
        return
    programme = _plain(yaml.safe_load(path.read_text(encoding="utf-8")) or {})
    from services.common.clock import SystemClock

    clock = SystemClock(cli.settings["TIMEZONE"])
    report = load_programme(engine, programme, clock.now(), clock.today())
    engine.dispose()
    if report.errors:
        for error in report.errors:
            click.echo(f"row {error['row']}: {error['field']}: {' '.join(error['messages'])}", err=True)
        sys.exit(EXIT_VALIDATION)
    click.echo(f"seed: {len(report.created)} measures created, {len(report.updated)} updated from {path}.")


@click.command("check-broker")
@pass_cli
def check_broker_command(cli):
    """Check that RabbitMQ is reachable; say how to start one if not."""
    from kombu import Connection

    uri = cli.settings["AMQP_URI"]
    try:
        with Connection(uri, connect_timeout=3) as connection:
            connection.ensure_connection(max_retries=1)
    except Exception as exc:
        click.echo(
            f"RabbitMQ is not reachable at {uri.split('@')[-1]} ({exc}).\n"
            "Start one, then run this again:\n"
            "  Debian/Ubuntu:  sudo apt-get install rabbitmq-server && sudo systemctl start rabbitmq-server\n"
            "  Docker:         docker compose up -d rabbitmq\n"
            "Or point AMQP_URI at your broker.", err=True)
        sys.exit(EXIT_UNAVAILABLE)
    click.echo(f"RabbitMQ reachable at {uri.split('@')[-1]}.")


@click.command("serve")
@click.argument("names", nargs=-1)
@pass_cli
def serve_command(cli, names):
    """Run services in the foreground (default: all), one process each; Ctrl-C stops them."""
    from services.common.runner import SERVICES

    names = names or tuple(SERVICES)
    unknown = sorted(set(names) - set(SERVICES))
    if unknown:
        raise click.BadParameter(f"unknown service {', '.join(unknown)}; known: {', '.join(SERVICES)}")
    settings = cli.settings
    processes = {name: subprocess.Popen([sys.executable, "-m", f"services.{name}"]) for name in names}
    click.echo(_usage_banner(settings, names))

    def stop(signum, _frame):
        for process in processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    exit_code = 0
    while processes:
        for name, process in list(processes.items()):
            try:
                code = process.wait(timeout=0.5)
            except subprocess.TimeoutExpired:
                continue
            del processes[name]
            if code not in (0, -signal.SIGTERM):
                click.echo(f"{name} stopped with exit code {code}; stopping the others.", err=True)
                exit_code = exit_code or code
                stop(None, None)
    sys.exit(exit_code)


def _usage_banner(settings, names):
    ports = "\n".join(f"  {name}: http://{settings['METRICS_HOST']}:{settings.metrics_port(name)}/metrics and /health"
                       for name in names if settings.metrics_port(name))
    venv = Path(sys.executable).parent
    prefix = "" if os.environ.get("VIRTUAL_ENV") else f"{venv}/"
    lines = [f"Services starting: {', '.join(names)}.", ports or "  metrics: off"]
    if "notifications" in names:
        lines.append(f"  e-mail goes to {settings['SMTP_HOST']}:{settings['SMTP_PORT']}; to see it, run a catcher:"
                     f" {prefix}python -m aiosmtpd -n -l {settings['SMTP_HOST']}:{settings['SMTP_PORT']}")
    lines += [
        "In another terminal:",
        f"  {prefix}measures admin token --user admin --department LR --role admin --save",
        f"  {prefix}measures list --status in_progress",
        f"  {prefix}measures show M-0087",
        f"  {prefix}measures notify subscribe --department KS --channel inbox",
        f"  MEASURES_TOKEN=$({prefix}measures admin token --user mueller.ks --department KS) \\",
        f"    {prefix}measures progress M-0087 75 --note 'Zwei weitere Anlagen in Betrieb'",
        f"  {prefix}measures inbox --department KS     # the change of a colleague in KS",
        f"  {prefix}measures deadlines",
        f"  {prefix}measures report generate --programme 'Programm des Landrats 2024–2029'",
        "Stop with Ctrl-C.",
    ]
    return "\n".join(lines)


COMMANDS = (admin_group, db_group, seed_command, check_broker_command, serve_command)
