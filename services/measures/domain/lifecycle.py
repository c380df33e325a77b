"""The lifecycle of a measure as data: which status may follow which, for whom, and on what terms.

    planned -> funded -> in_progress -> done
    planned | funded | in_progress -> cancelled
    done -> in_progress        (reopen, managers and admins only)
    cancelled -> planned       (reactivate, managers and admins only)
"""

from dataclasses import dataclass

from shared.errors import Forbidden, InvalidTransition, ValidationError
from shared.vocabulary import FundingSource, Role, Status


@dataclass(frozen=True)
class Transition:
    source: Status
    target: Status
    #: Undoing a closed state is a management decision.
    privileged: bool = False
    name: str = ""


TRANSITIONS = {
    (t.source, t.target): t
    for t in (
        Transition(Status.PLANNED, Status.FUNDED),
        Transition(Status.FUNDED, Status.IN_PROGRESS),
        Transition(Status.IN_PROGRESS, Status.DONE),
        Transition(Status.PLANNED, Status.CANCELLED),
        Transition(Status.FUNDED, Status.CANCELLED),
        Transition(Status.IN_PROGRESS, Status.CANCELLED),
        Transition(Status.DONE, Status.IN_PROGRESS, privileged=True, name="reopen"),
        Transition(Status.CANCELLED, Status.PLANNED, privileged=True, name="reactivate"),
    )
}

#: Closing a measure must say why or how, for the council report and the journal.
NOTE_REQUIRED = frozenset({Status.DONE, Status.CANCELLED})


def allowed_targets(source, role):
    """The statuses a caller with ``role`` may move a measure in ``source`` to, in lifecycle order."""
    role = Role(role)
    return [t.target for t in TRANSITIONS.values()
            if t.source is source and (role.is_privileged or not t.privileged)]


def check_transition(measure, target, role, note):
    """Raise unless ``measure`` may move to ``target`` now; checks table, role, note and funding."""
    role = Role(role)
    transition = TRANSITIONS.get((measure.status, target))
    allowed = [status.value for status in allowed_targets(measure.status, role)]
    if transition is None:
        reason = "the measure already has this status" if target is measure.status else ""
        raise InvalidTransition(measure.status.value, target.value, allowed, reason)
    if transition.privileged and not role.is_privileged:
        raise Forbidden(f"only managers and admins may {transition.name} a measure "
                        f"({measure.status.value} -> {target.value})")
    require_note(target, note)
    check_funding_for(target, measure.funding)


def require_note(status, note):
    if status in NOTE_REQUIRED and not (note or "").strip():
        raise ValidationError({"note": [f"A note is required to set the status {status.value}."]})


def check_funding_for(status, funding):
    """A measure is only funded with a source and a positive approved amount; a grant also needs
    its programme, reference (Förderkennzeichen) and the end of its funding period."""
    if status not in (Status.FUNDED, Status.IN_PROGRESS):
        return
    if funding is None:
        raise ValidationError({"funding": ["A funded measure needs funding with a source and an approved amount."]})
    errors = {}
    if funding.amount_approved is None or funding.amount_approved <= 0:
        errors["funding.amount_approved"] = ["A funded measure needs a positive approved amount."]
    if funding.source is FundingSource.GRANT:
        for name, label in (("programme", "funding programme"), ("reference", "funding reference"),
                            ("period_end", "end of the funding period")):
            if not getattr(funding, name):
                errors[f"funding.{name}"] = [f"A grant needs its {label}."]
    if errors:
        raise ValidationError(errors)
