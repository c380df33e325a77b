"""What every CLI command shares: settings, language, the token, the client, and turning errors
into a message and an exit code a script can tell apart."""

import functools
import json
import os
import sys
from pathlib import Path

import click
import yaml

from shared import errors
from shared.client import Client, ServiceUnavailable
from shared.config import ConfigError, load_settings

from .output import Formatter
from .texts import Texts

#: Exit codes: a script can tell a typo from a rejected input, a lost race or a dead broker.
EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2  # click's own code for bad options
EXIT_VALIDATION = 3
EXIT_CONFLICT = 4
EXIT_NOT_FOUND = 5
EXIT_DENIED = 6
EXIT_UNAVAILABLE = 7
EXIT_CONFIG = 78


def cli_config_path():
    if os.environ.get("MEASURES_CLI_CONFIG"):
        return Path(os.environ["MEASURES_CLI_CONFIG"])
    base = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return base / "measures" / "config.yaml"


def read_cli_config():
    path = cli_config_path()
    if not path.exists():
        return {}
    data = yaml.safe_load(path.read_text()) or {}
    return data if isinstance(data, dict) else {}


def save_cli_config(**values):
    path = cli_config_path()
    data = {**read_cli_config(), **values}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600, exist_ok=True)
    path.write_text(yaml.safe_dump(data, allow_unicode=True))
    return path


class CliContext:
    def __init__(self, as_json, language):
        self.as_json = as_json
        self._settings = None
        self._language = language

    @property
    def settings(self):
        if self._settings is None:
            self._settings = load_settings()
        return self._settings

    @property
    def texts(self):
        language = self._language or read_cli_config().get("language") or self.settings["LANGUAGE"]
        return Texts(language)

    @property
    def fmt(self):
        return Formatter(self.texts, self.settings["TIMEZONE"])

    def token(self):
        token = os.environ.get("MEASURES_TOKEN") or read_cli_config().get("token")
        if not token:
            raise click.UsageError(self.texts("no_token"))
        return token

    def client(self):
        amqp_uri = os.environ.get("AMQP_URI") or read_cli_config().get("amqp_uri") or self.settings["AMQP_URI"]
        return Client(self.token(), amqp_uri=amqp_uri)

    def emit(self, data, human):
        """Print ``data`` as JSON with --json, otherwise what ``human()`` renders."""
        if self.as_json:
            click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))
        else:
            click.echo(human())


def handle_errors(command):
    """Report service errors in the user's language and exit with the matching code."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        ctx = click.get_current_context().find_object(CliContext)
        try:
            return command(*args, **kwargs)
        except errors.ValidationError as exc:
            _fail(ctx, exc, EXIT_VALIDATION, _validation_text(ctx.texts, exc))
        except (errors.VersionConflict, errors.InvalidTransition) as exc:
            _fail(ctx, exc, EXIT_CONFLICT, _conflict_text(ctx.texts, exc))
        except errors.NotFound as exc:
            t = ctx.texts
            _fail(ctx, exc, EXIT_NOT_FOUND, t("error.not_found", kind=t(f"kind.{exc.kind}"), key=exc.key))
        except errors.Unauthenticated as exc:
            _fail(ctx, exc, EXIT_DENIED, ctx.texts("error.unauthenticated", reason=exc.reason))
        except errors.Forbidden as exc:
            _fail(ctx, exc, EXIT_DENIED, ctx.texts("error.forbidden", reason=exc.reason))
        except ServiceUnavailable as exc:
            _fail(ctx, exc, EXIT_UNAVAILABLE, ctx.texts("error.unavailable", reason=str(exc)))
        except ConfigError as exc:
            _fail(ctx, exc, EXIT_CONFIG, str(exc))

    return wrapper


def _fail(ctx, exc, code, text):
    if ctx.as_json:
        click.echo(json.dumps({"error": type(exc).__name__, "message": str(exc),
                               **({"errors": exc.errors} if isinstance(exc, errors.ValidationError) else {})},
                              ensure_ascii=False, indent=2), err=True)
    else:
        click.echo(text, err=True)
    sys.exit(code)


def _validation_text(texts, exc):
    lines = [texts("error.validation")]
    for field, messages in sorted(exc.errors.items()):
        lines.append(f"  {texts.field(field)}: {' '.join(texts.message(m) for m in messages)}")
    return "\n".join(lines)


def _conflict_text(texts, exc):
    from shared.vocabulary import Status

    def label(value):
        try:
            return Status(value).label(texts.language)
        except ValueError:
            return value

    if isinstance(exc, errors.VersionConflict):
        return texts("error.conflict", key=exc.key, expected=exc.expected_version, current=exc.current_version)
    reason = f" ({exc.reason})" if exc.reason else ""
    allowed = ", ".join(label(s) for s in exc.allowed) or texts("none")
    return texts("error.transition", from_=label(exc.from_status), to=label(exc.to_status), reason=reason,
                 allowed=allowed)
