"""The report archive: store a frozen report, find the previous one of a kind, list and load."""

import gzip
import hashlib
import json

from sqlalchemy import func, select

from shared.errors import NotFound

from .models import ReportRow

#: Reports in ``list_reports`` at most; the archive grows by a few a month per kind.
LIST_LIMIT = 200


def freeze(document, table):
    """(document, table, digest) as stored: canonical JSON (sorted keys), gzip without a timestamp.

    The table's rows arrive as JSON text from the measures service and are stored as they are,
    not parsed and dumped again; the fast compression level keeps a 100,000-row table quick."""
    raw = json.dumps(document, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()
    table = table or {"columns": [], "rows": "[]", "delay_reasons": {}}
    raw_table = (f'{{"columns":{json.dumps(table["columns"])},'
                 f'"delay_reasons":{json.dumps(table["delay_reasons"], ensure_ascii=False, sort_keys=True)},'
                 f'"rows":{table["rows"]}}}').encode()
    digest = hashlib.sha256(raw + raw_table).hexdigest()
    return gzip.compress(raw, compresslevel=6, mtime=0), gzip.compress(raw_table, compresslevel=1, mtime=0), digest


def thaw(row):
    return json.loads(gzip.decompress(row.content))


def thaw_table(row):
    return json.loads(gzip.decompress(row.measures_table))


class ReportRepository:
    def __init__(self, session):
        self.session = session

    def add(self, **values):
        row = ReportRow(**values)
        self.session.add(row)
        self.session.flush()  # the unique slot is checked here, inside the caller's transaction
        return row

    def get(self, report_id):
        row = self.session.get(ReportRow, report_id)
        if row is None:
            raise NotFound("report", report_id)
        return row

    def exists(self, kind, scheduled_for):
        return self.session.scalar(select(ReportRow.id).where(
            ReportRow.kind == kind, ReportRow.scheduled_for == scheduled_for)) is not None

    def previous(self, kind):
        """The report a new one of ``kind`` is compared with: the latest scheduled one (the series
        the recipients follow), or the latest of any sort while the kind has no scheduled report."""
        latest = select(ReportRow).where(ReportRow.kind == kind).order_by(ReportRow.taken_at.desc(),
                                                                          ReportRow.id.desc()).limit(1)
        scheduled = self.session.scalars(latest.where(ReportRow.scheduled_for.is_not(None))).first()
        return scheduled or self.session.scalars(latest).first()

    def find(self, kind=None, limit=LIST_LIMIT):
        query = select(ReportRow).order_by(ReportRow.taken_at.desc(), ReportRow.id.desc()).limit(limit)
        if kind is not None:
            query = query.where(ReportRow.kind == kind)
        return list(self.session.scalars(query))

    def last_created_by_kind(self):
        """{kind: instant of its latest report}; ad-hoc reports under the kind None."""
        return dict(self.session.execute(select(ReportRow.kind, func.max(ReportRow.created_at))
                                         .group_by(ReportRow.kind)).all())
