"""Tables of the measures service. The hard invariants are repeated as constraints, so even a
faulty code path or a hand-written SQL fix cannot store a measure the domain would reject."""

from sqlalchemy import JSON, CheckConstraint, Date, ForeignKey, Index, Integer, MetaData, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from services.common.outbox import outbox_table
from services.common.types import Cents, UtcDateTime
from shared.vocabulary import FundingSource, Priority, Status

metadata = MetaData(naming_convention={
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
})

def _one_of(column, enum):
    return f"{column} IN ({', '.join(repr(v) for v in enum.values())})"


class Base(DeclarativeBase):
    metadata = metadata


class DepartmentRow(Base):
    __tablename__ = "departments"

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    parent: Mapped[str | None] = mapped_column(ForeignKey("departments.code"))


class IdCounter(Base):
    """Hands out the numbers of human-readable ids (M-0042) without gaps from concurrent inserts."""

    __tablename__ = "id_counters"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[int] = mapped_column(Integer)


class MeasureRow(Base):
    __tablename__ = "measures"
    __table_args__ = (
        CheckConstraint(_one_of("status", Status), name="status_known"),
        CheckConstraint(_one_of("priority", Priority), name="priority_known"),
        CheckConstraint(f"funding_source IS NULL OR {_one_of('funding_source', FundingSource)}",
                        name="funding_source_known"),
        CheckConstraint("progress BETWEEN 0 AND 100", name="progress_percent"),
        CheckConstraint("status <> 'done' OR progress = 100", name="done_is_complete"),
        CheckConstraint("budget_planned_cents IS NULL OR budget_planned_cents >= 0", name="budget_not_negative"),
        CheckConstraint("funding_amount_approved_cents IS NULL OR funding_amount_approved_cents >= 0",
                        name="funding_not_negative"),
        CheckConstraint("planned_end IS NULL OR planned_start IS NULL OR planned_end >= planned_start",
                        name="planned_in_order"),
        CheckConstraint("status NOT IN ('funded', 'in_progress') "
                        "OR (funding_source IS NOT NULL AND funding_amount_approved_cents > 0)",
                        name="funded_has_funding"),
        Index("ix_measures_open_due", "due_date", "status"),
    )

    id: Mapped[str] = mapped_column(String(16), primary_key=True)
    number: Mapped[int] = mapped_column(Integer, unique=True)
    external_ref: Mapped[str | None] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str | None] = mapped_column(Text)
    programme: Mapped[str | None] = mapped_column(String(200), index=True)
    area: Mapped[str | None] = mapped_column(String(200), index=True)
    department: Mapped[str] = mapped_column(ForeignKey("departments.code"), index=True)
    partners: Mapped[list] = mapped_column(JSON, default=list)
    priority: Mapped[str] = mapped_column(String(8))
    planned_start: Mapped[object | None] = mapped_column(Date)
    planned_end: Mapped[object | None] = mapped_column(Date)
    due_date: Mapped[object | None] = mapped_column(Date)
    budget_planned: Mapped[object | None] = mapped_column("budget_planned_cents", Cents)
    funding_source: Mapped[str | None] = mapped_column(String(16))
    funding_programme: Mapped[str | None] = mapped_column(String(200))
    funding_reference: Mapped[str | None] = mapped_column(String(100))
    funding_amount_approved: Mapped[object | None] = mapped_column("funding_amount_approved_cents", Cents)
    funding_period_start: Mapped[object | None] = mapped_column(Date)
    funding_period_end: Mapped[object | None] = mapped_column(Date)
    #: Grant obligations met: {"final_proof": "2024-03-28", ...}.
    obligations_fulfilled: Mapped[dict] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(16), index=True)
    progress: Mapped[int] = mapped_column(Integer)
    version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[object] = mapped_column(UtcDateTime)
    updated_at: Mapped[object] = mapped_column(UtcDateTime)

    # The UPDATE carries "WHERE version = <read version>": of two writers that read the same
    # version only the first commits; the second gets no row and a VersionConflict.
    __mapper_args__ = {"version_id_col": version, "version_id_generator": False}


class JournalRow(Base):
    """Append-only: the migration adds triggers that refuse UPDATE and DELETE."""

    __tablename__ = "journal_entries"
    __table_args__ = (UniqueConstraint("measure_id", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    measure_id: Mapped[str] = mapped_column(ForeignKey("measures.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(32))
    actor_user: Mapped[str] = mapped_column(String(100))
    actor_department: Mapped[str] = mapped_column(String(32))
    actor_role: Mapped[str] = mapped_column(String(16))
    occurred_at: Mapped[object] = mapped_column(UtcDateTime)
    changes: Mapped[dict] = mapped_column(JSON)
    note: Mapped[str | None] = mapped_column(Text)


class DeadlineNoticeRow(Base):
    """Every reminder, overdue notice and escalation emitted: the key makes each one happen once,
    whichever instance gets there first, and across restarts."""

    __tablename__ = "deadline_notices"

    measure_id: Mapped[str] = mapped_column(ForeignKey("measures.id"), primary_key=True)
    notice_key: Mapped[str] = mapped_column(String(120), primary_key=True)
    notice_type: Mapped[str] = mapped_column(String(40), index=True)
    emitted_at: Mapped[object] = mapped_column(UtcDateTime)
    event_id: Mapped[str] = mapped_column(String(36))


outbox = outbox_table(metadata)
