"""The notifications service's settings, read once from the nameko config and checked.

Environment variables arrive as strings; this turns them into numbers and choices and refuses a
configuration that cannot work, with a message that names the setting (the service then does not
start, as with an unmigrated database).
"""

from dataclasses import dataclass
from datetime import timedelta
from email.utils import parseaddr

from shared.config import ConfigError

from .domain import RetryPolicy

SMTP_SECURITY = ("none", "starttls", "ssl")


@dataclass(frozen=True)
class SmtpSettings:
    host: str = "localhost"
    port: int = 1025
    security: str = "none"
    user: str | None = None
    password: str | None = None
    timeout: float = 10.0


@dataclass(frozen=True)
class NotificationSettings:
    smtp: SmtpSettings
    mail_from: str
    language: str
    timezone: str
    digest_hour: int
    retry: RetryPolicy
    poll_seconds: float
    lease: timedelta
    webhook_timeout: float
    event_retry_seconds: float

    @classmethod
    def from_config(cls, config):
        get = _Reader(config)
        security = str(config.get("SMTP_SECURITY") or "none").lower()
        if security not in SMTP_SECURITY:
            raise ConfigError(f"SMTP_SECURITY must be one of {', '.join(SMTP_SECURITY)}, not {security!r}")
        mail_from = config.get("MAIL_FROM") or "massnahmen@kreis.example"
        if "@" not in parseaddr(mail_from)[1]:
            raise ConfigError(f"MAIL_FROM {mail_from!r} holds no e-mail address")
        digest_hour = get.integer("DIGEST_HOUR", 7)
        if not 0 <= digest_hour <= 23:
            raise ConfigError(f"DIGEST_HOUR must be an hour from 0 to 23, not {digest_hour}")
        max_attempts = get.integer("DELIVERY_MAX_ATTEMPTS", 8)
        if max_attempts < 1:
            raise ConfigError("DELIVERY_MAX_ATTEMPTS must be at least 1")
        return cls(
            smtp=SmtpSettings(
                host=config.get("SMTP_HOST") or "localhost", port=get.integer("SMTP_PORT", 1025),
                security=security, user=config.get("SMTP_USER") or None,
                password=config.get("SMTP_PASSWORD") or None, timeout=get.number("SMTP_TIMEOUT_SECONDS", 10.0),
            ),
            mail_from=mail_from,
            language=config.get("LANGUAGE") or "de",
            timezone=config.get("TIMEZONE") or "Europe/Berlin",
            digest_hour=digest_hour,
            retry=RetryPolicy(max_attempts=max_attempts, base_seconds=get.number("DELIVERY_BACKOFF_SECONDS", 30.0),
                              cap_seconds=get.number("DELIVERY_BACKOFF_MAX_SECONDS", 3600.0)),
            poll_seconds=get.number("DELIVERY_POLL_SECONDS", 2.0),
            lease=timedelta(seconds=get.number("DELIVERY_LEASE_SECONDS", 120.0)),
            webhook_timeout=get.number("WEBHOOK_TIMEOUT_SECONDS", 10.0),
            event_retry_seconds=get.number("EVENT_RETRY_SECONDS", 2.0),
        )

    @property
    def mail_domain(self):
        """The domain of MAIL_FROM, which names this sender's Message-IDs."""
        return parseaddr(self.mail_from)[1].rpartition("@")[2]


class _Reader:
    def __init__(self, config):
        self.config = config

    def integer(self, key, default):
        return self._convert(key, default, int, "a whole number")

    def number(self, key, default):
        return self._convert(key, default, float, "a number")

    def _convert(self, key, default, kind, what):
        value = self.config.get(key)
        if value is None or value == "":
            return default
        try:
            converted = kind(value)
        except (TypeError, ValueError):
            raise ConfigError(f"{key} must be {what}, not {value!r}") from None
        if converted < 0:
            raise ConfigError(f"{key} cannot be negative")
        return converted
