"""The compose file is valid and runs the same commands as the tests."""

import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.conftest import IN_CI

ROOT = Path(__file__).resolve().parents[1]


def example_environment():
    """The settings of .env.example, as an operator's .env would give them."""
    values = {}
    for line in (ROOT / ".env.example").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            key, _, value = line.partition("=")
            values[key.strip()] = value.strip()
    return values


@pytest.fixture
def docker_compose():
    if shutil.which("docker-compose") is None:
        if IN_CI:
            pytest.fail("docker-compose is not installed (.ci/run installs it)")
        pytest.skip("docker-compose is not installed (Debian package docker-compose)")
    return "docker-compose"


def test_docker_compose_config_is_valid(docker_compose):
    env = {"PATH": os.environ["PATH"], **example_environment()}

    result = subprocess.run([docker_compose, "config", "-q"], cwd=ROOT, env=env, capture_output=True, text=True)

    assert result.returncode == 0, result.stderr


def test_compose_refuses_to_start_without_secrets(docker_compose):
    result = subprocess.run([docker_compose, "config", "-q"], cwd=ROOT, env={"PATH": os.environ["PATH"]},
                            capture_output=True, text=True)

    assert result.returncode != 0
    assert "set " in result.stderr and "in .env" in result.stderr


def test_compose_runs_the_commands_the_tests_run():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]

    assert services["migrate"]["command"] == ["measures", "db", "upgrade"]
    for name in ("measures", "notifications", "reporting"):
        assert services[name]["command"] == ["python", "-m", f"services.{name}"]
    processes = (ROOT / "tests" / "helpers" / "processes.py").read_text()
    assert '[sys.executable, "-m", f"services.{name}"]' in processes
    cli_test = (ROOT / "tests" / "cli" / "test_cli.py").read_text()
    assert '"db", "upgrade"' in cli_test
