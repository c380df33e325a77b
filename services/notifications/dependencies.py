"""Dependency providers of the notifications service: its settings and the channels out."""

import uuid
from dataclasses import dataclass

from nameko.extensions import DependencyProvider

from .channels import SmtpMailer, WebhookPoster
from .settings import NotificationSettings


@dataclass(frozen=True)
class Outlets:
    """What workers send through, with the settings they were made from."""

    settings: NotificationSettings
    mailer: SmtpMailer
    webhooks: WebhookPoster
    #: Names this instance's claims on deliveries (unique per container start).
    claimant: str


class Channels(DependencyProvider):
    """Reads and checks the settings once per container (a bad setting stops the start) and hands
    every worker the same mailer and webhook poster."""

    def setup(self):
        settings = NotificationSettings.from_config(self.container.config)
        self.outlets = Outlets(settings, SmtpMailer(settings.smtp), WebhookPoster(settings.webhook_timeout),
                               claimant=f"{self.container.service_name}-{uuid.uuid4().hex[:12]}")

    def get_dependency(self, worker_ctx):
        return self.outlets
