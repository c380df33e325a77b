"""Webhooks: an HTTP POST of a JSON document, signed with the subscription's secret.

The receiver checks ``X-Kreis-Signature: sha256=<hex>``, the HMAC-SHA256 of the exact body bytes
under the shared secret (``verify_signature`` is the reference). ``X-Kreis-Delivery`` carries the
delivery id, stable across retries, so a receiver can drop a copy it already has.
"""

import hashlib
import hmac
import json
import urllib.error
import urllib.request

from .errors import PermanentFailure, TemporaryFailure

SIGNATURE_HEADER = "X-Kreis-Signature"
DELIVERY_HEADER = "X-Kreis-Delivery"
EVENT_HEADER = "X-Kreis-Event"
USER_AGENT = "kreis-measures-notifications/1"

#: 4xx answers that mean "not now" rather than "never".
_RETRYABLE_CLIENT_ERRORS = {408, 409, 425, 429}


def signature(secret, body):
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify_signature(secret, body, header_value):
    """What a receiver does: recompute and compare in constant time."""
    return hmac.compare_digest(signature(secret, body), header_value or "")


def encode(document):
    return json.dumps(document, ensure_ascii=False, separators=(",", ":"), default=str).encode()


class WebhookPoster:
    def __init__(self, timeout):
        self.timeout = timeout

    def post(self, url, secret, document, delivery_id, kind):
        """POST ``document``; raise ``TemporaryFailure`` or ``PermanentFailure`` unless answered 2xx."""
        body = encode(document)
        request = urllib.request.Request(url, data=body, method="POST", headers={
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": USER_AGENT,
            SIGNATURE_HEADER: signature(secret, body),
            DELIVERY_HEADER: str(delivery_id),
            EVENT_HEADER: kind,
        })
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                response.read()
        except urllib.error.HTTPError as exc:
            text = f"HTTP {exc.code} from {url}"
            if 400 <= exc.code < 500 and exc.code not in _RETRYABLE_CLIENT_ERRORS:
                raise PermanentFailure(text) from None
            raise TemporaryFailure(text) from None
        except (urllib.error.URLError, OSError) as exc:
            raise TemporaryFailure(f"{url}: {exc!r}") from None
