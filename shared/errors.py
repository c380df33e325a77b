"""Errors a caller can see, shared by services and clients.

nameko sends an exception over RPC as its dotted path plus ``exc.args`` made JSON-safe (numbers
become strings), and rebuilds it as ``registry[path](*args)``. So every class here keeps exactly its
constructor arguments in ``args``, coerces them back on the way in, and is registered with
``deserialize_to_instance``: a Python caller gets the same class back, a plain nameko client gets a
``RemoteError`` whose ``exc_type`` is the class name.
"""

from nameko.exceptions import deserialize_to_instance


class MeasuresError(Exception):
    """Base class of every error the platform reports to a caller."""

    def __str__(self):
        return self.message

    @property
    def message(self):  # pragma: no cover - every subclass overrides it
        return self.__class__.__name__


@deserialize_to_instance
class ValidationError(MeasuresError):
    """Input was rejected. ``errors`` maps a field (dotted for nested ones) to its messages."""

    def __init__(self, errors, message=""):
        errors = {str(field): [str(m) for m in _as_list(msgs)] for field, msgs in dict(errors).items()}
        # None would arrive as the string "None" after serialisation: empty means "no summary".
        message = message or ""
        super().__init__(errors, message)
        self.errors = errors
        self._message = message

    @property
    def message(self):
        if self._message:
            return self._message
        details = "; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in sorted(self.errors.items()))
        return f"invalid input: {details}"


@deserialize_to_instance
class NotFound(MeasuresError):
    """No ``kind`` (measure, department, ...) with the key ``key`` exists."""

    def __init__(self, kind, key):
        super().__init__(str(kind), str(key))
        self.kind = str(kind)
        self.key = str(key)

    @property
    def message(self):
        return f"{self.kind} {self.key} not found"


@deserialize_to_instance
class InvalidTransition(MeasuresError):
    """A status change the lifecycle does not allow; ``allowed`` lists the possible next statuses."""

    def __init__(self, from_status, to_status, allowed, reason=""):
        allowed = [str(status) for status in _as_list(allowed)]
        reason = reason or ""
        super().__init__(str(from_status), str(to_status), allowed, reason)
        self.from_status = str(from_status)
        self.to_status = str(to_status)
        self.allowed = allowed
        self.reason = reason

    @property
    def message(self):
        text = f"cannot change status from {self.from_status} to {self.to_status}"
        if self.reason:
            text += f": {self.reason}"
        return f"{text} (allowed: {', '.join(self.allowed) or 'none'})"


@deserialize_to_instance
class VersionConflict(MeasuresError):
    """Someone else changed the record since the caller read it."""

    def __init__(self, key, expected_version, current_version):
        super().__init__(str(key), int(expected_version), int(current_version))
        self.key = str(key)
        self.expected_version = int(expected_version)
        self.current_version = int(current_version)

    @property
    def message(self):
        return (
            f"{self.key} was changed meanwhile: expected version {self.expected_version}, "
            f"current version is {self.current_version}"
        )


@deserialize_to_instance
class Unauthenticated(MeasuresError):
    """The call carried no token, or one that is invalid or expired."""

    def __init__(self, reason):
        super().__init__(str(reason))
        self.reason = str(reason)

    @property
    def message(self):
        return f"not authenticated: {self.reason}"


@deserialize_to_instance
class Forbidden(MeasuresError):
    """The caller is known but may not do this."""

    def __init__(self, reason):
        super().__init__(str(reason))
        self.reason = str(reason)

    @property
    def message(self):
        return f"forbidden: {self.reason}"


#: What every RPC entrypoint declares as ``expected_exceptions``: caller mistakes, not crashes.
CALLER_ERRORS = (ValidationError, NotFound, InvalidTransition, VersionConflict, Unauthenticated, Forbidden)


def _as_list(value):
    if isinstance(value, (list, tuple)):
        return list(value)
    return [value]
