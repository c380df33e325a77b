"""Tables of the reporting service.

``reports`` is the archive: each row is one frozen report, its document (``content``) and its
measures table (``measures_table``) gzip-compressed JSON with the SHA-256 of both uncompressed, so
a later rendering can be shown to come from exactly what was taken. ``(kind, scheduled_for)`` is unique: a scheduled slot has one report
however many instances race for it or restart; reports on demand have no slot (NULL), and NULLs do
not collide.
"""

from sqlalchemy import (
    JSON, BigInteger, Date, ForeignKey, Integer, LargeBinary, MetaData, String, UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from services.common.outbox import outbox_table
from services.common.types import UtcDateTime

metadata = MetaData(naming_convention={
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
})

#: Integer keys that are 64-bit on PostgreSQL and SQLite's rowid alias (so they autoincrement).
Id = BigInteger().with_variant(Integer, "sqlite")


class Base(DeclarativeBase):
    metadata = metadata


class ReportRow(Base):
    __tablename__ = "reports"
    __table_args__ = (UniqueConstraint("kind", "scheduled_for"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    kind: Mapped[str | None] = mapped_column(String(64), index=True)
    scheduled_for: Mapped[object | None] = mapped_column(UtcDateTime)
    title: Mapped[str | None] = mapped_column(String(300))
    language: Mapped[str] = mapped_column(String(2))
    filters: Mapped[dict] = mapped_column(JSON)
    as_of: Mapped[object] = mapped_column(Date)
    #: The instant of the measures snapshot the report was computed from.
    taken_at: Mapped[object] = mapped_column(UtcDateTime)
    #: The journal position of that snapshot: the next report of the kind lists what came after.
    position: Mapped[int] = mapped_column(BigInteger)
    previous_id: Mapped[int | None] = mapped_column(ForeignKey("reports.id"))
    requested_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[object] = mapped_column(UtcDateTime)
    #: Headline figures for listings, so a list does not unpack every document.
    summary: Mapped[dict] = mapped_column(JSON)
    content: Mapped[bytes] = mapped_column(LargeBinary)
    #: The measures table of the CSV (gzip JSON), apart: the other formats never unpack it.
    measures_table: Mapped[bytes] = mapped_column(LargeBinary)
    #: SHA-256 of the document's canonical JSON followed by the table's JSON.
    content_sha256: Mapped[str] = mapped_column(String(64))


outbox = outbox_table(metadata)
