"""Configuration: environment variables first, then an optional YAML file, then defaults.

Every setting is declared once in ``SETTINGS`` with its default and meaning; the README's
configuration table is that list. ``CONFIG_FILE`` names a YAML mapping with the same keys, for sites
that prefer a file to a long environment (``deploy/config.example.yaml``).
"""

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

import yaml

SERVICES = ("measures", "notifications", "reporting")


@dataclass(frozen=True)
class Setting:
    key: str
    default: object
    help: str


SETTINGS = (
    Setting("AMQP_URI", "amqp://guest:guest@localhost:5672/", "RabbitMQ connection."),
    Setting("VAR_DIR", "var", "Directory for the SQLite databases and the generated token secret."),
    Setting("MEASURES_DATABASE_URL", None,
            "Database of the measures service; default `sqlite:///$VAR_DIR/measures.db`, "
            "PostgreSQL as `postgresql+psycopg2://user:pass@host/db`."),
    Setting("NOTIFICATIONS_DATABASE_URL", None, "Database of the notifications service (as above)."),
    Setting("REPORTING_DATABASE_URL", None, "Database of the reporting service (as above)."),
    Setting("TOKEN_SECRET", None,
            "Secret that signs access tokens; default a random secret kept in `$VAR_DIR/token_secret`."),
    Setting("TOKEN_TTL_HOURS", 720, "Lifetime of an issued access token in hours."),
    Setting("LANGUAGE", "de", "Language of user-facing text: `de` or `en`."),
    Setting("TIMEZONE", "Europe/Berlin", "The county's time zone; calendar dates are taken in it."),
    Setting("MAX_WORKERS", 10, "Concurrent workers per service instance."),
    Setting("METRICS_HOST", "127.0.0.1", "Interface the /metrics endpoints listen on."),
    Setting("MEASURES_METRICS_PORT", 9101, "Port of the measures service's /metrics (0 = off)."),
    Setting("NOTIFICATIONS_METRICS_PORT", 9102, "Port of the notifications service's /metrics (0 = off)."),
    Setting("REPORTING_METRICS_PORT", 9103, "Port of the reporting service's /metrics (0 = off)."),
    Setting("OUTBOX_POLL_SECONDS", 1.0,
            "How often the outbox relay looks for events other instances or failed attempts left; "
            "events of its own instance go out at once."),
    Setting("LOG_LEVEL", "INFO", "Log level."),
    Setting("LOG_FORMAT", "text", "`text`, or `json` for one JSON object per line (with the call id chain)."),
    # Deadline watch of the measures service.
    Setting("DEADLINE_CHECK_SECONDS", 900, "How often the deadline watch runs (it also runs at start)."),
    Setting("REMINDER_DAYS", "7,1", "Days before a due date or planned end at which the department is reminded."),
    Setting("OVERDUE_REPEAT_DAYS", 7, "An overdue measure is reminded again after this many days."),
    Setting("ESCALATE_AFTER_DAYS", 14, "Overdue this long, the department's managers are told (escalation level 1)."),
    Setting("ESCALATE_STEP_DAYS", 14, "After each further such period the escalation climbs one department up."),
    Setting("STALE_AFTER_DAYS", 90, "A measure in progress without any change this long gets an update request."),
    Setting("OBLIGATION_REMINDER_DAYS", "30,7", "Days before a grant obligation at which it is announced."),
    Setting("INTERIM_PROOF_DUE", "04-30", "Month and day after each funding year by which the interim proof is due."),
    Setting("FINAL_PROOF_MONTHS", 6, "Months after the funding period by which the final proof of use is due."),
    # Notifications: e-mail, webhooks, digests and delivery retries.
    Setting("SMTP_HOST", "localhost", "SMTP server the notifications service sends e-mail through."),
    Setting("SMTP_PORT", 1025, "Port of the SMTP server (25/587 with `starttls`, 465 with `ssl`)."),
    Setting("SMTP_SECURITY", "none", "Transport security: `none`, `starttls` or `ssl`."),
    Setting("SMTP_USER", None, "Login at the SMTP server (none: no login)."),
    Setting("SMTP_PASSWORD", None, "Password of SMTP_USER."),
    Setting("SMTP_TIMEOUT_SECONDS", 10.0, "How long one SMTP conversation may take before it counts as failed."),
    Setting("MAIL_FROM", "Maßnahmen Landkreis <massnahmen@kreis.example>",
            "Sender of notification e-mails; its domain also names the Message-IDs."),
    Setting("DIGEST_HOUR", 7, "Hour of the day (county time zone) at which daily digests go out."),
    Setting("DIGEST_CHECK_SECONDS", 60.0,
            "How often the notifications service checks whether daily digests are due (and catches up)."),
    Setting("DELIVERY_MAX_ATTEMPTS", 8,
            "Attempts per e-mail or webhook delivery before it is marked failed (then retried only by hand)."),
    Setting("DELIVERY_BACKOFF_SECONDS", 30.0,
            "Wait after the first failed attempt; doubles with every further failure."),
    Setting("DELIVERY_BACKOFF_MAX_SECONDS", 3600.0, "Longest wait between two attempts."),
    Setting("DELIVERY_POLL_SECONDS", 2.0,
            "How often the sender looks for due deliveries besides being woken by new ones."),
    Setting("DELIVERY_LEASE_SECONDS", 120.0,
            "How long a claimed delivery belongs to one instance; after a crash it is sent again then."),
    Setting("WEBHOOK_TIMEOUT_SECONDS", 10.0, "How long a webhook receiver may take to answer."),
    Setting("EVENT_RETRY_SECONDS", 2.0,
            "Pause before an event that failed for a passing reason (database down) goes back to its queue."),
    Setting("REPORT_FETCH_TIMEOUT_SECONDS", 60.0,
            "How long the notifications service waits for the reporting service's rendering of a report "
            "it attaches to an e-mail."),
    # Reporting: report kinds and their schedule.
    Setting("REPORT_KINDS_FILE", None,
            "YAML file with the report kinds (title, programmes or departments, recipients, cron schedule); "
            "none: reports on demand only. Example: `services/reporting/report-kinds.example.yaml`."),
    Setting("REPORT_CHECK_SECONDS", 60.0,
            "How often the reporting service looks for scheduled reports that are due (it also looks at start, "
            "which catches up a report missed while it was down)."),
    Setting("REPORT_SNAPSHOT_TIMEOUT_SECONDS", 60.0,
            "How long the reporting service waits for the measures service's snapshot of a report."),
)

_DEFAULTS = {setting.key: setting.default for setting in SETTINGS}


class ConfigError(Exception):
    """The configuration cannot be used; the message says which setting and why."""


class Settings:
    """Resolved settings: read with ``settings["KEY"]`` or the typed helpers."""

    def __init__(self, values):
        self._values = dict(values)

    def __getitem__(self, key):
        return self._values[key]

    def get(self, key, default=None):
        return self._values.get(key, default)

    def as_dict(self):
        return dict(self._values)

    @property
    def var_dir(self):
        return Path(self["VAR_DIR"])

    def database_url(self, service):
        url = self.get(f"{service.upper()}_DATABASE_URL")
        return url or f"sqlite:///{(self.var_dir / f'{service}.db').resolve()}"

    def metrics_port(self, service):
        return int(self.get(f"{service.upper()}_METRICS_PORT") or 0)

    def token_secret(self):
        """The configured secret, or one generated once and kept (mode 0600) under VAR_DIR."""
        if self.get("TOKEN_SECRET"):
            return self["TOKEN_SECRET"]
        path = self.var_dir / "token_secret"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            # Write a private temporary file, then link it into place: a process starting at the
            # same moment either wins the link or reads the complete secret of the one that did.
            draft = path.with_name(f".token_secret.{os.getpid()}")
            fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_urlsafe(48))
            try:
                os.link(draft, path)
            except FileExistsError:
                pass
            finally:
                draft.unlink()
        return path.read_text().strip()

    def nameko_config(self, service):
        """The nameko config dict for one service: its own database and metrics port."""
        config = self.as_dict()
        config.update(
            AMQP_URI=self["AMQP_URI"],
            DATABASE_URL=self.database_url(service),
            METRICS_PORT=self.metrics_port(service),
            TOKEN_SECRET=self.token_secret(),
            max_workers=int(self["MAX_WORKERS"]),
            serializer="json",
        )
        return config


def markdown_table():
    """The configuration table of the README, from ``SETTINGS``."""
    lines = ["| Setting | Default | Meaning |", "|---|---|---|"]
    for setting in SETTINGS:
        default = "–" if setting.default is None else f"`{setting.default}`"
        lines.append(f"| `{setting.key}` | {default} | {setting.help} |")
    return "\n".join(lines)


def load_settings(environ=None, path=None):
    """Merge defaults, the YAML file (``path`` or ``$CONFIG_FILE``) and the environment."""
    environ = os.environ if environ is None else environ
    values = dict(_DEFAULTS)
    path = path or environ.get("CONFIG_FILE")
    if path:
        values.update(_read_yaml(Path(path)))
    for key in list(values) + [k for k in environ if k.endswith("_DATABASE_URL")]:
        if key in environ and environ[key] != "":
            values[key] = environ[key]
    _validate(values)
    return Settings(values)


def _read_yaml(path):
    try:
        data = yaml.safe_load(path.read_text()) or {}
    except OSError as exc:
        raise ConfigError(f"cannot read CONFIG_FILE {path}: {exc.strerror}") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"CONFIG_FILE {path} is not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"CONFIG_FILE {path} must hold a mapping of settings")
    unknown = sorted(set(data) - set(_DEFAULTS) - {k for k in data if str(k).endswith("_DATABASE_URL")})
    if unknown:
        raise ConfigError(f"CONFIG_FILE {path} has unknown settings: {', '.join(map(str, unknown))}")
    return data


#: HS256 keys shorter than the hash (32 bytes) weaken the signature (RFC 7518, section 3.2).
MIN_SECRET_LENGTH = 32


def _validate(values):
    if values.get("TOKEN_SECRET") and len(str(values["TOKEN_SECRET"])) < MIN_SECRET_LENGTH:
        raise ConfigError(f"TOKEN_SECRET must be at least {MIN_SECRET_LENGTH} characters long")
    if values["LANGUAGE"] not in ("de", "en"):
        raise ConfigError(f"LANGUAGE must be 'de' or 'en', not {values['LANGUAGE']!r}")
    for key in ("TOKEN_TTL_HOURS", "MAX_WORKERS", "MEASURES_METRICS_PORT",
                "NOTIFICATIONS_METRICS_PORT", "REPORTING_METRICS_PORT"):
        try:
            values[key] = int(values[key])
        except (TypeError, ValueError):
            raise ConfigError(f"{key} must be a whole number, not {values[key]!r}") from None
    try:
        values["OUTBOX_POLL_SECONDS"] = float(values["OUTBOX_POLL_SECONDS"])
    except (TypeError, ValueError):
        raise ConfigError(f"OUTBOX_POLL_SECONDS must be a number, not {values['OUTBOX_POLL_SECONDS']!r}") from None
    try:
        from zoneinfo import ZoneInfo

        ZoneInfo(values["TIMEZONE"])
    except Exception:
        raise ConfigError(f"TIMEZONE {values['TIMEZONE']!r} is not a known time zone") from None
