"""Who may do what with subscriptions, deliveries and inboxes.

Subscriptions: admins manage those of any department, managers those of their own; staff only read.
Deliveries are retried by hand by whoever manages their department; those of a report, which belong
to no department (the county configures who receives reports), by admins.
Inbox: a department's inbox is read by its people (members' entries by everyone, managers' entries
by managers) and by admins. Nobody is shown their own change in an inbox (see ``is_own_change``).
"""

from shared.errors import Forbidden
from shared.vocabulary import Role

from .model import Audience


def ensure_may_manage(principal, department):
    if principal.is_admin or (principal.role is Role.MANAGER and principal.belongs_to(department)):
        return
    raise Forbidden(f"{principal.user} ({principal.role.value}, {principal.department}) may not manage "
                    f"the notifications of department {department}; admins and its managers may")


def ensure_may_retry(principal, department):
    """Who may retry a failed delivery by hand; ``department`` is the delivery's, None for a report
    recipient's."""
    if department is not None:
        ensure_may_manage(principal, department)
    elif not principal.is_admin:
        raise Forbidden(f"{principal.user} may not retry the delivery of a report; admins may")


def inbox_department(principal, department):
    """The department whose inbox the caller reads: their own by default; another only as admin."""
    department = department or principal.department
    if not (principal.is_admin or principal.belongs_to(department)):
        raise Forbidden(f"{principal.user} may read only the inbox of department {principal.department}")
    return department


def inbox_audiences(principal):
    """Entries addressed to a department's managers are for its managers (and admins) only."""
    if principal.role in (Role.MANAGER, Role.ADMIN):
        return (Audience.MEMBER, Audience.MANAGER)
    return (Audience.MEMBER,)


def is_own_change(actor_user, actor_department, principal):
    """The actor of a change gets no inbox entry for it.

    An inbox belongs to a department, so the entry is stored once for everyone there and only the
    actor is spared it: matched on user and department (user names are unique only within the
    token issuer's department), so colleagues of the actor still see what was done.
    """
    return actor_user == principal.user and actor_department == principal.department
