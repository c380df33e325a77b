"""E-mail over SMTP: a multipart (text and HTML) message per delivery, with files attached where
a report asks for them, sent with smtplib.

smtplib runs on the socket module, which eventlet makes cooperative, so a slow mail server parks
only the green thread that talks to it. Each delivery's Message-ID is derived from its id: should a
message be sent again after a crash (the server accepted it, the process died before recording
that), the recipient's mail system can recognise the copy.
"""

import smtplib
import ssl
from dataclasses import dataclass
from email import encoders
from email.header import Header
from email.mime.base import MIMEBase
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import formataddr, formatdate, parseaddr

from .errors import PermanentFailure, TemporaryFailure


@dataclass(frozen=True)
class Attachment:
    """A file sent along with an e-mail, e.g. a report as PDF."""

    filename: str
    #: e.g. ``application/pdf`` or ``text/csv; charset=utf-8``
    media_type: str
    content: bytes


def message_id(delivery_id, domain):
    return f"<notification-{delivery_id}@{domain}>"


def build_message(delivery_id, sender, to, rendered, domain, headers=None, attachments=()):
    """The e-mail of one delivery: subject, text part and HTML alternative, traceable headers, and
    the ``attachments`` after them (``multipart/mixed``) if there are any.

    Built with the classic ``email.mime`` classes: they write headers without parsing them back,
    several times cheaper per message than ``EmailMessage``, which counts at a hundred a second.
    """
    body = MIMEMultipart("alternative")
    body.attach(MIMEText(rendered.text, "plain", "utf-8"))
    body.attach(MIMEText(rendered.html, "html", "utf-8"))
    if attachments:
        message = MIMEMultipart("mixed")
        message.attach(body)
        for attachment in attachments:
            message.attach(_attached(attachment))
    else:
        message = body
    message["Subject"] = Header(rendered.subject, "utf-8")
    message["From"] = formataddr(parseaddr(sender), charset="utf-8")
    message["To"] = to
    message["Date"] = formatdate(localtime=False, usegmt=True)
    message["Message-ID"] = message_id(delivery_id, domain)
    # Mail systems should not answer automatic notices with out-of-office replies.
    message["Auto-Submitted"] = "auto-generated"
    for name, value in (headers or {}).items():
        message[name] = value
    return message


def _attached(attachment):
    """A base64 MIME part named as the file; text keeps its charset parameter."""
    media_type, *parameters = [part.strip() for part in attachment.media_type.split(";")]
    maintype, _, subtype = media_type.partition("/")
    params = dict(parameter.split("=", 1) for parameter in parameters if "=" in parameter)
    part = MIMEBase(maintype, subtype, **params)
    part.set_payload(attachment.content)
    encoders.encode_base64(part)
    part.add_header("Content-Disposition", "attachment", filename=attachment.filename)
    return part


class SmtpMailer:
    """Sends messages through the configured SMTP server: plain, STARTTLS or SSL, with login."""

    def __init__(self, settings):
        self.settings = settings

    def send_all(self, messages):
        """Send ``messages`` over one connection (a connection per message would cost more than
        the mail at a hundred a second); returns per message None (accepted) or its failure."""
        outcomes = []
        try:
            with self._connect() as smtp:
                if self.settings.user:
                    smtp.login(self.settings.user, self.settings.password or "")
                for message in messages:
                    outcome = _send_one(smtp, message)
                    if isinstance(outcome, _ConnectionLost):
                        raise outcome
                    outcomes.append(outcome)
        except _ConnectionLost as lost:
            failure = lost
        except smtplib.SMTPResponseException as exc:  # the server refused the login or the greeting
            failure = _by_code(exc.smtp_code, exc)
        except (smtplib.SMTPException, OSError) as exc:  # refused connection, timeout, TLS failure
            failure = TemporaryFailure(f"SMTP {self.settings.host}:{self.settings.port}: {exc!r}")
        else:
            return outcomes
        # What the server had accepted stays accepted; the rest failed with the connection.
        return outcomes + [failure] * (len(messages) - len(outcomes))

    def _connect(self):
        s = self.settings
        if s.security == "ssl":
            return smtplib.SMTP_SSL(s.host, s.port, timeout=s.timeout, context=ssl.create_default_context())
        smtp = smtplib.SMTP(s.host, s.port, timeout=s.timeout)
        if s.security == "starttls":
            try:
                smtp.starttls(context=ssl.create_default_context())
            except BaseException:
                smtp.close()
                raise
        return smtp


class _ConnectionLost(TemporaryFailure):
    """The server went away in the middle: this and the following messages are to be tried again."""


def _send_one(smtp, message):
    try:
        refused = smtp.send_message(message)
    except smtplib.SMTPRecipientsRefused as exc:
        return _by_code(min(code for code, _ in exc.recipients.values()), exc)
    except smtplib.SMTPServerDisconnected as exc:
        return _ConnectionLost(f"SMTP connection lost: {exc!r}")
    except smtplib.SMTPResponseException as exc:
        return _by_code(exc.smtp_code, exc)
    except OSError as exc:
        return _ConnectionLost(f"SMTP connection lost: {exc!r}")
    if refused:
        return _by_code(min(code for code, _ in refused.values()), refused)
    return None


def _by_code(code, detail):
    """SMTP's own distinction: 4xx is worth another try, 5xx (unknown mailbox, rejected) is not."""
    text = f"SMTP {code}: {detail}"
    return PermanentFailure(text) if 500 <= code < 600 else TemporaryFailure(text)
