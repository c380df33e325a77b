"""Words every service and client must agree on: statuses, priorities, funding sources, roles.

Each value carries its user-facing labels so that the CLI, e-mails and reports say the same thing.
"""

from enum import StrEnum

LANGUAGES = ("de", "en")


class _Labelled(StrEnum):
    """A string enum whose members carry a German and an English label."""

    def __new__(cls, value, label_de, label_en):
        member = str.__new__(cls, value)
        member._value_ = value
        member.labels = {"de": label_de, "en": label_en}
        return member

    def label(self, language="de"):
        return self.labels.get(language, self.labels["de"])

    @classmethod
    def values(cls):
        return [member.value for member in cls]


class Status(_Labelled):
    PLANNED = "planned", "geplant", "planned"
    FUNDED = "funded", "finanziert", "funded"
    IN_PROGRESS = "in_progress", "in Umsetzung", "in progress"
    DONE = "done", "abgeschlossen", "done"
    CANCELLED = "cancelled", "verworfen", "cancelled"

    @property
    def is_closed(self):
        """Closed measures are no longer watched for deadlines or counted as open."""
        return self in (Status.DONE, Status.CANCELLED)


class Priority(_Labelled):
    LOW = "low", "niedrig", "low"
    NORMAL = "normal", "normal", "normal"
    HIGH = "high", "hoch", "high"


class FundingSource(_Labelled):
    OWN_BUDGET = "own_budget", "Haushaltsmittel", "own budget"
    GRANT = "grant", "Fördermittel", "grant"
    THIRD_PARTY = "third_party", "Drittmittel", "third-party funds"


class Role(_Labelled):
    STAFF = "staff", "Sachbearbeitung", "staff"
    MANAGER = "manager", "Leitung", "manager"
    ADMIN = "admin", "Administration", "administrator"

    @property
    def is_privileged(self):
        """Managers and admins may reopen and reactivate measures."""
        return self in (Role.MANAGER, Role.ADMIN)


class DeadlineKind(_Labelled):
    """What a deadline notice is about (``deadline.kind`` in the measures service's deadline events)."""

    DUE_DATE = "due_date", "Fälligkeit", "due date"
    PLANNED_END = "planned_end", "geplantes Ende", "planned end"
    STALE = "stale", "Sachstand", "status update"
    PERIOD_END = "period_end", "Ende des Förderzeitraums", "end of the funding period"
    INTERIM_PROOF = "interim_proof", "Zwischennachweis", "interim proof of use"
    FINAL_PROOF = "final_proof", "Verwendungsnachweis", "final proof of use"
