"""The reporting service's settings and report kinds, read once at start and checked.

Report kinds live in a YAML file (``REPORT_KINDS_FILE``), not in the database: they are decided by
the county (which committee gets what, when) and changed rarely, so they belong with the rest of
the deployment's configuration, under version control and review, identical for every instance.
A file that cannot be used stops the service at start with a message naming the kind and field.
See ``report-kinds.example.yaml``.
"""

import re
from dataclasses import dataclass
from pathlib import Path

import yaml
from marshmallow import Schema, fields, validate, validates
from marshmallow import ValidationError as SchemaError

from shared.config import ConfigError
from shared.vocabulary import LANGUAGES

from .domain import CronError, CronSchedule, ReportKind
from .rendering import FORMATS

KIND_NAME = r"^[a-z0-9][a-z0-9_-]{0,63}$"
#: The user the reporting service acts as towards the measures service (it reads everything).
SERVICE_USER = "svc.reporting"


class _Filters(Schema):
    programmes = fields.List(fields.String(validate=validate.Length(min=1, max=200)), load_default=list)
    departments = fields.List(fields.String(validate=validate.Length(min=1, max=32)), load_default=list)
    areas = fields.List(fields.String(validate=validate.Length(min=1, max=200)), load_default=list)


class _Kind(_Filters):
    title = fields.String(required=True, validate=validate.Length(min=1, max=300))
    recipients = fields.List(fields.Email(), load_default=list)
    schedule = fields.String(load_default=None, allow_none=True)
    language = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(LANGUAGES))
    attachments = fields.List(fields.String(validate=validate.OneOf(FORMATS)), load_default=lambda: ["pdf"])

    @validates("schedule")
    def valid_cron(self, value, **kwargs):
        if value is not None:
            try:
                CronSchedule.parse(value)
            except CronError as exc:
                raise SchemaError(str(exc)) from None


@dataclass(frozen=True)
class ReportingSettings:
    kinds: dict
    timezone: str
    language: str
    check_seconds: float
    snapshot_timeout: float

    @classmethod
    def from_config(cls, config):
        language = config.get("LANGUAGE") or "de"
        return cls(
            kinds=load_kinds(config.get("REPORT_KINDS_FILE"), language),
            timezone=config.get("TIMEZONE") or "Europe/Berlin",
            language=language,
            check_seconds=_positive(config, "REPORT_CHECK_SECONDS", 60.0),
            snapshot_timeout=_positive(config, "REPORT_SNAPSHOT_TIMEOUT_SECONDS", 60.0),
        )


def load_kinds(path, default_language="de"):
    """{name: ReportKind} from the YAML file at ``path``; none without a file."""
    if not path:
        return {}
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    except OSError as exc:
        raise ConfigError(f"cannot read REPORT_KINDS_FILE {path}: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"REPORT_KINDS_FILE {path} is not valid YAML: {exc}") from None
    kinds = data.get("kinds") if isinstance(data, dict) else None
    if not isinstance(kinds, dict):
        raise ConfigError(f"REPORT_KINDS_FILE {path} needs a mapping 'kinds' of name -> kind")
    loaded = {}
    for name, raw in kinds.items():
        if not re.fullmatch(KIND_NAME, str(name)):
            raise ConfigError(f"report kind {name!r}: use lower-case letters, digits, '-' and '_'")
        try:
            kind = _Kind().load(raw if isinstance(raw, dict) else {})
        except SchemaError as exc:
            problems = "; ".join(f"{field}: {' '.join(map(str, messages)) if isinstance(messages, list) else messages}"
                                 for field, messages in sorted(exc.messages.items()))
            raise ConfigError(f"report kind {name!r} in {path}: {problems}") from None
        loaded[str(name)] = ReportKind(
            name=str(name), title=kind["title"],
            filters={key: kind[key] for key in ("programmes", "departments", "areas")},
            recipients=tuple(kind["recipients"]),
            schedule=CronSchedule.parse(kind["schedule"]) if kind["schedule"] else None,
            language=kind["language"] or default_language, attachments=tuple(kind["attachments"]))
    return loaded


def _positive(config, key, default):
    value = config.get(key)
    if value in (None, ""):
        return default
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{key} must be a number, not {value!r}") from None
    if number <= 0:
        raise ConfigError(f"{key} must be greater than 0")
    return number
