"""How a channel reports a failed send: worth another try, or not."""


class DeliveryFailure(Exception):
    """Sending failed; the message says why (it is kept as the delivery's last error)."""

    permanent = False


class TemporaryFailure(DeliveryFailure):
    """The receiver is down, slow or asked to try later: retried with backoff."""


class PermanentFailure(DeliveryFailure):
    """The receiver refused for good (unknown mailbox, 4xx from a webhook): failed at once,
    visible in `measures notify failures`, retried only by hand."""

    permanent = True
