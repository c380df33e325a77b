"""The ways out of the service: e-mail (SMTP) and webhooks (signed HTTP POST). The inbox needs no
channel: its entries are written when the event is recorded."""

from .email import Attachment, SmtpMailer, build_message, message_id
from .errors import DeliveryFailure, PermanentFailure, TemporaryFailure
from .webhook import WebhookPoster, signature, verify_signature

__all__ = [
    "Attachment", "SmtpMailer", "build_message", "message_id",
    "DeliveryFailure", "PermanentFailure", "TemporaryFailure",
    "WebhookPoster", "signature", "verify_signature",
]
