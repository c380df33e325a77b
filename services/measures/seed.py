"""Loading a programme file (departments and measures) straight into the measures database.

Used by `measures seed` on a first run, before any service is up: it goes through the same use
cases as the RPC import, so every measure is validated, journaled and announced (its events wait in
the outbox until the service starts).
"""

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.common.database import writer
from shared.auth import Principal
from shared.errors import ValidationError
from shared.vocabulary import Role

from . import handlers
from .schemas import ImportRowSchema, load
from .storage.models import MeasureRow
from .storage.unit_of_work import SqlUnitOfWork

#: Who the journal names as the author of seeded data.
SEED_PRINCIPAL = Principal(user="seed", department="-", role=Role.ADMIN)


def has_measures(engine):
    with Session(engine) as session:
        return session.scalar(select(MeasureRow.id).limit(1)) is not None


def load_programme(engine, programme, now, today=None):
    """Create missing departments, then upsert the measures; all or nothing.

    Returns the import report; raises ``ValidationError`` if a department is malformed.
    """
    with Session(writer(engine)) as session, session.begin() as transaction:
        uow = SqlUnitOfWork(session)
        for department in programme.get("departments") or []:
            if uow.departments.get(department.get("code")) is None:
                handlers.create_department(uow, SEED_PRINCIPAL, _department(department))
                session.flush()
        report = handlers.import_measures(uow, SEED_PRINCIPAL, programme.get("measures") or [], now,
                                          lambda row: load(ImportRowSchema(), row), today)
        if report.errors:
            transaction.rollback()
    return report


def _department(data):
    from shared.schemas import DepartmentSchema

    if not isinstance(data, dict):
        raise ValidationError({"departments": ["Each department is a mapping with code, name and parent."]})
    return load(DepartmentSchema(), data)
