"""A real SMTP server for the tests (aiosmtpd), run as its own process:

    python -m tests.notifications.smtp_sink --port 2525 --dir /tmp/mails [--auth user:password]
                                            [--refuse 550]

Each accepted message is written to ``DIR`` as ``<nanoseconds>-<n>.eml`` (the moment it arrived
is in the name); ``--refuse CODE`` answers every recipient with that SMTP code instead. It prints
``ready`` once it listens. A process of its own keeps asyncio away from the tests' eventlet hub, and
lets a test stop the server and start it again on the same port.
"""

import argparse
import itertools
import os
import signal
import sys
import time
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

_counter = itertools.count(1)


class Sink:
    def __init__(self, directory, refuse=None):
        self.directory = Path(directory)
        self.refuse = refuse

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.refuse:
            return f"{self.refuse} mailbox refused by the test server"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        name = f"{time.time_ns()}-{next(_counter)}.eml"
        draft = self.directory / f".{name}"
        draft.write_bytes(envelope.original_content or envelope.content)
        os.replace(draft, self.directory / name)  # readers never see half a message
        return "250 Message accepted"


def authenticator(user, password):
    def check(server, session, envelope, mechanism, auth_data):
        ok = auth_data.login.decode() == user and auth_data.password.decode() == password
        return AuthResult(success=ok)

    return check


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--dir", required=True)
    parser.add_argument("--auth", help="user:password the client must log in with")
    parser.add_argument("--refuse", type=int, help="answer every recipient with this SMTP code")
    args = parser.parse_args(argv)
    Path(args.dir).mkdir(parents=True, exist_ok=True)
    options = {}
    if args.auth:
        user, _, password = args.auth.partition(":")
        options = dict(authenticator=authenticator(user, password), auth_required=True, auth_require_tls=False)
    controller = Controller(Sink(args.dir, args.refuse), hostname="127.0.0.1", port=args.port, **options)
    controller.start()
    print("ready", flush=True)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        signal.pause()
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
