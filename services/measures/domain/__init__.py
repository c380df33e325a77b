"""The measures domain core: lifecycle rules, invariants, permissions. No nameko, no SQL."""

from .lifecycle import TRANSITIONS, allowed_targets, check_transition
from .measure import EDITABLE_FIELDS, Action, Change, Funding, Measure
from .permissions import ensure_admin, ensure_may_write

__all__ = [
    "TRANSITIONS", "allowed_targets", "check_transition",
    "EDITABLE_FIELDS", "Action", "Change", "Funding", "Measure",
    "ensure_admin", "ensure_may_write",
]
