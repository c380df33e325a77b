"""Who may change what: everyone authenticated reads everything; staff and managers write the
measures of their own department; admins write everything, including the department tree."""

from shared.errors import Forbidden


def ensure_may_write(principal, department):
    if principal.is_admin or principal.belongs_to(department):
        return
    raise Forbidden(f"{principal.user} ({principal.department}) may not change measures of department {department}")


def ensure_admin(principal, what):
    if not principal.is_admin:
        raise Forbidden(f"only admins may {what}")
