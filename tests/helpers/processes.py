"""Services started as in production (`python -m services.<name>`), for tests that need a process:
signals, logs, health endpoints."""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class ServiceProcess:
    """One service process; its output is collected in a file for the test to read."""

    def __init__(self, name, env, log_path):
        self.name = name
        self.log_path = Path(log_path)
        self._log = self.log_path.open("w")
        self.process = subprocess.Popen([sys.executable, "-m", f"services.{name}"], env={**os.environ, **env},
                                        cwd=ROOT, stdout=self._log, stderr=subprocess.STDOUT, text=True)

    @property
    def output(self):
        return self.log_path.read_text()

    def wait_for_output(self, text, timeout=30):
        deadline = time.monotonic() + timeout
        while text not in self.output:
            if self.process.poll() is not None:
                raise AssertionError(f"{self.name} exited with {self.process.returncode}:\n{self.output}")
            if time.monotonic() > deadline:
                raise AssertionError(f"{self.name} did not log {text!r} within {timeout} s:\n{self.output}")
            time.sleep(0.1)

    def stop(self, timeout=30):
        """SIGTERM, as an orchestrator stops a service; returns the exit code."""
        if self.process.poll() is None:
            self.process.terminate()
        try:
            return self.process.wait(timeout)
        finally:
            self._log.close()

    def kill(self):
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)
        self._log.close()
