"""The sender: claims due deliveries, renders and sends them, records what happened.

Several instances may run: each claims a batch with a lease in one statement (see
``DeliveryRepository.claim_due``), so no two send the same delivery while the lease lasts. A failed
attempt is retried with exponential backoff; after the configured attempts, or at once when the
receiver refused for good, the delivery is ``failed`` and waits for `measures notify retry`.

A batch is read in one query; e-mails go out in a few groups, each over one SMTP connection, and
the outcomes of a group are recorded in one transaction. A crash loses at most the outcomes of the
sends in flight: their lease runs out and they are sent again, under the same Message-ID (or the
same ``X-Kreis-Delivery`` for webhooks), so the receiving side can recognise the copy.

A report's e-mails are sent together: its attachments are fetched from the reporting service once
for all its recipients, then the e-mails go out over one connection. A reporting service that cannot
be reached is retried like a failing mail server.
"""

import logging
from dataclasses import dataclass
from itertools import groupby

import eventlet

from .channels import DeliveryFailure, PermanentFailure, build_message
from .domain import Channel, DeliveryStatus, current_digest_slot, subject, summary
from .handlers import bundle_digests
from .rendering import notification_view, render_digest, render_notification, render_report, report_view
from .schemas import stored_notice, stored_report_notice

log = logging.getLogger(__name__)

#: Deliveries claimed per statement; a bigger backlog is worked through batch after batch.
BATCH_SIZE = 50
#: Connections (SMTP) and requests (webhooks) in flight at once per instance: enough to hide a slow
#: receiver, few enough not to flood a mail relay.
CONCURRENCY = 4
#: Longest error text kept on a delivery.
ERROR_TEXT_MAX = 2000


@dataclass(frozen=True)
class _Job:
    """What the sender needs of a delivery, read with its batch in one short transaction."""

    id: int
    channel: Channel
    target: str
    language: str
    digest_day: object
    secret: str | None
    payloads: list
    attempts: int
    event_type: str | None
    occurred_at: object
    report_id: int | None


@dataclass(frozen=True)
class Outgoing:
    """A rendered delivery, ready for its channel: an e-mail or a webhook document."""

    job: _Job
    email: object = None
    document: dict | None = None


class Sender:
    """One pass of the sender, run by the service's delivery loop with the worker's dependencies;
    ``reports`` fetches a report's attachments (``report_archive.ReportFetcher``)."""

    def __init__(self, db, outlets, clock, metrics, reports):
        self.db = db
        self.outlets = outlets
        self.settings = outlets.settings
        self.clock = clock
        self.metrics = metrics
        self.reports = reports
        self.claimant = outlets.claimant

    def run(self):
        """Send everything due, batch after batch; returns how many deliveries were claimed."""
        claimed_total = 0
        while True:
            with self.db.unit_of_work() as uow:
                ids = uow.deliveries.claim_due(self.clock.now(), self.claimant, self.settings.lease, BATCH_SIZE)
            claimed_total += len(ids)
            if ids:
                self.deliver(ids)
            if len(ids) < BATCH_SIZE:
                return claimed_total

    def bundle_due_digests(self):
        """Make the digests of the current slot; they are sent by the next run."""
        slot = current_digest_slot(self.clock.now(), self.settings.digest_hour, self.settings.timezone)
        with self.db.unit_of_work() as uow:
            digests = bundle_digests(uow, slot, self.clock.now())
        for digest in digests:
            log.info("daily digest %s of %s for subscription %s", digest.id, slot.day, digest.subscription_id)
        return digests

    def deliver(self, delivery_ids):
        """Render, send and record a batch of claimed deliveries.

        E-mails go out in a few groups, each over one SMTP connection, webhooks one by one, a
        report's e-mails together; the outcomes of a group are recorded together. If this fails
        half-way (database gone, a bug), the claims run out and the deliveries are tried again.
        """
        try:
            jobs = self._load(delivery_ids)
            reports = [job for job in jobs if job.report_id is not None]
            outgoing, failures = self._prepare([job for job in jobs if job.report_id is None])
            if failures:
                self._record(failures)
            emails = [item for item in outgoing if item.job.channel is Channel.EMAIL]
            hooks = [item for item in outgoing if item.job.channel is Channel.WEBHOOK]
            pool = eventlet.GreenPool(CONCURRENCY)
            for group in (emails[start::CONCURRENCY] for start in range(min(CONCURRENCY, len(emails)))):
                pool.spawn_n(self._send_emails, group)
            for item in hooks:
                pool.spawn_n(self._post_webhook, item)
            by_report = sorted(reports, key=lambda job: (job.report_id, job.id))
            for _report_id, recipients in groupby(by_report, key=lambda job: job.report_id):
                pool.spawn_n(self._send_report, list(recipients))
            pool.waitall()
        except Exception:
            log.exception("deliveries %s: not completed; retried when their claims expire", delivery_ids)

    def _load(self, delivery_ids):
        with self.db.read() as uow:
            jobs = []
            for row, payload, secret in uow.deliveries.claimed(delivery_ids, self.claimant):
                if row.digest_day is not None:
                    payloads = [event.payload for _item, event in uow.deliveries.digest_items(row.id)]
                else:
                    payloads = [payload]
                jobs.append(_Job(id=row.id, channel=Channel(row.channel), target=row.target, language=row.language,
                                 digest_day=row.digest_day, secret=secret, payloads=payloads, attempts=row.attempts,
                                 event_type=row.event_type, occurred_at=row.occurred_at, report_id=row.report_id))
            return jobs

    def _prepare(self, jobs):
        """(outgoing messages, [(job, failure)] for what cannot be rendered)."""
        outgoing, failures = [], []
        for job in jobs:
            try:
                outgoing.append(self._render(job))
            except PermanentFailure as failure:
                failures.append((job, failure))
        return outgoing, failures

    def _render(self, job):
        try:
            notices = [(stored_notice(payload), payload) for payload in job.payloads]
            if job.digest_day is not None:
                return self._digest(job, notices)
            return self._notification(job, *notices[0])
        except Exception as exc:  # a payload or template this code cannot render: say so, do not loop
            log.exception("delivery %s cannot be rendered", job.id)
            raise PermanentFailure(f"cannot render the message: {exc!r}") from None

    def _notification(self, job, notice, payload):
        if job.channel is Channel.WEBHOOK:
            return Outgoing(job, document=event_document(job.id, notice, payload, job.language))
        view = notification_view(notice, payload["measure"], job.language, self.settings.timezone)
        headers = {"X-Kreis-Event-Id": notice.event_id, "X-Kreis-Event-Type": notice.event_type,
                   "X-Kreis-Measure": notice.measure_id}
        return Outgoing(job, email=self._email(job, render_notification(view, job.language), headers))

    def _digest(self, job, notices):
        if job.channel is Channel.WEBHOOK:
            document = {"delivery_id": job.id, "kind": "digest", "digest_day": job.digest_day.isoformat(),
                        "items": [event_document(None, notice, payload, job.language) for notice, payload in notices]}
            return Outgoing(job, document=document)
        views = [notification_view(notice, payload["measure"], job.language, self.settings.timezone)
                 for notice, payload in notices]
        rendered = render_digest(job.digest_day, views, job.language)
        return Outgoing(job, email=self._email(job, rendered, {"X-Kreis-Digest": job.digest_day.isoformat()}))

    def _send_report(self, jobs):
        """The e-mails of one report to its recipients: attachments fetched once, sent together."""
        try:
            report = self._report_notice(jobs[0])
            attachments = self.reports.attachments(report.report_id, report.attachments)
            outgoing = [self._report_email(job, report, attachments) for job in jobs]
        except DeliveryFailure as failure:
            self._record([(job, failure) for job in jobs])
            return
        self._send_emails(outgoing)

    def _report_notice(self, job):
        try:
            return stored_report_notice(job.payloads[0])
        except Exception as exc:  # a stored payload this code cannot read: say so, do not loop
            log.exception("report delivery %s cannot be read", job.id)
            raise PermanentFailure(f"cannot read the report event: {exc!r}") from None

    def _report_email(self, job, report, attachments):
        try:
            view = report_view(report, attachments, job.language, self.settings.timezone)
            rendered = render_report(view, job.language)
        except Exception as exc:  # a template this code cannot render: say so, do not loop
            log.exception("report delivery %s cannot be rendered", job.id)
            raise PermanentFailure(f"cannot render the message: {exc!r}") from None
        headers = {"X-Kreis-Event-Id": report.event_id, "X-Kreis-Event-Type": report.event_type,
                   "X-Kreis-Report": str(report.report_id)}
        return Outgoing(job, email=self._email(job, rendered, headers, attachments))

    def _email(self, job, rendered, headers, attachments=()):
        return build_message(job.id, self.settings.mail_from, job.target, rendered, self.settings.mail_domain, headers,
                             attachments)

    def _send_emails(self, group):
        outcomes = self.outlets.mailer.send_all([item.email for item in group])
        self._record([(item.job, failure) for item, failure in zip(group, outcomes)])

    def _post_webhook(self, item):
        job = item.job
        try:
            self.outlets.webhooks.post(job.target, job.secret, item.document, job.id,
                                       job.event_type or "digest")
        except DeliveryFailure as failure:
            self._record([(job, failure)])
        else:
            self._record([(job, None)])

    def _record(self, outcomes):
        """Record (job, failure or None) outcomes in one transaction; failures are retried with
        backoff or, when permanent or out of attempts, marked failed."""
        now = self.clock.now()
        policy = self.settings.retry
        recorded = []
        with self.db.unit_of_work() as uow:
            for job, failure in outcomes:
                if failure is None:
                    values = dict(status=DeliveryStatus.SENT.value, sent_at=now, last_error=None)
                elif failure.permanent or policy.gives_up_after(job.attempts):
                    values = dict(status=DeliveryStatus.FAILED.value, last_error=str(failure)[:ERROR_TEXT_MAX])
                else:
                    values = dict(next_attempt_at=now + policy.delay(job.attempts),
                                  last_error=str(failure)[:ERROR_TEXT_MAX])
                if uow.deliveries.finish(job.id, self.claimant, **values):
                    recorded.append((job, failure, values.get("status")))
        for job, failure, status in recorded:
            if failure is None:
                self.metrics.delivered(job, now)
            else:
                log.warning("delivery %s to %s, attempt %s: %s", job.id, job.target, job.attempts, failure)
                self.metrics.failed_attempt(job, status == DeliveryStatus.FAILED.value)


def event_document(delivery_id, notice, payload, language):
    """The JSON a webhook receives for one event: the event as published, and a readable summary."""
    document = {
        "kind": "event",
        "event_id": notice.event_id,
        "event_type": notice.event_type,
        "occurred_at": notice.occurred_at.isoformat(),
        "subject": subject(notice, language),
        "summary": summary(notice, language),
        "measure": payload["measure"],
        "actor": payload["actor"],
        "department_chain": list(notice.chain),
        "changes": payload.get("changes") or {},
        "note": notice.note,
        "from_status": notice.from_status,
        "to_status": notice.to_status,
    }
    if delivery_id is not None:
        document["delivery_id"] = delivery_id
    return document
