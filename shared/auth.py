"""Access tokens: signed (HS256), stateless, expiring, carrying user, department and role.

Every service verifies them with the shared secret, so no service has to ask another who a caller
is. Clients send the token as RPC context data under ``AUTH_CONTEXT_KEY``.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import jwt

from shared.errors import Unauthenticated
from shared.vocabulary import Role

AUTH_CONTEXT_KEY = "auth_token"
ISSUER = "kreis-measures"
_ALGORITHM = "HS256"


@dataclass(frozen=True)
class Principal:
    """Who is calling: taken from a verified token, never from the caller's say-so."""

    user: str
    department: str
    role: Role

    @property
    def is_admin(self):
        return self.role is Role.ADMIN

    def belongs_to(self, department):
        return self.department == department


def issue_token(secret, user, department, role, ttl=timedelta(hours=720), now=None):
    """Sign a token for ``user`` in ``department`` with ``role``, valid for ``ttl``."""
    if not user or not department:
        raise ValueError("a token needs a user and a department")
    role = Role(role)
    now = now or datetime.now(timezone.utc)
    claims = {
        "iss": ISSUER,
        "sub": user,
        "dep": department,
        "role": role.value,
        "iat": int(now.timestamp()),
        "exp": int((now + ttl).timestamp()),
    }
    return jwt.encode(claims, secret, algorithm=_ALGORITHM)


def verify_token(secret, token):
    """Return the ``Principal`` of a valid token or raise ``Unauthenticated`` saying why not."""
    if not token:
        raise Unauthenticated("no access token was sent")
    try:
        claims = jwt.decode(
            token, secret, algorithms=[_ALGORITHM], issuer=ISSUER,
            options={"require": ["exp", "iat", "sub", "iss"]},
        )
    except jwt.ExpiredSignatureError:
        raise Unauthenticated("the access token has expired") from None
    except jwt.InvalidTokenError as exc:
        raise Unauthenticated(f"the access token is invalid ({exc})") from None
    try:
        return Principal(user=claims["sub"], department=claims["dep"], role=Role(claims["role"]))
    except (KeyError, ValueError):
        raise Unauthenticated("the access token lacks department or role") from None
