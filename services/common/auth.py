"""The caller's identity as a nameko dependency, verified from the token in the call's context."""

from nameko.extensions import DependencyProvider

from shared.auth import AUTH_CONTEXT_KEY, verify_token


class Authentication(DependencyProvider):
    """``self.auth.principal`` is the verified caller; reading it raises ``Unauthenticated``
    when the call carried no valid token. Verification is lazy so that the error reaches the
    caller as a typed RPC error rather than as a failed worker setup."""

    def setup(self):
        self.secret = self.container.config["TOKEN_SECRET"]

    def get_dependency(self, worker_ctx):
        return CallerIdentity(self.secret, worker_ctx.context_data.get(AUTH_CONTEXT_KEY))


class CallerIdentity:
    def __init__(self, secret, token):
        self._secret = secret
        self._token = token
        self._principal = None

    @property
    def principal(self):
        if self._principal is None:
            self._principal = verify_token(self._secret, self._token)
        return self._principal

    def require(self):
        """Check that the caller is authenticated (reads need no more than that)."""
        return self.principal

    @property
    def token(self):
        """The caller's token, to pass on when this service calls another on their behalf."""
        return self._token
