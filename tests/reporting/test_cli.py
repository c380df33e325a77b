"""`measures report generate|list|show` end to end: the CLI process against the services."""

import io
import json
import os
import subprocess
import sys

import pytest
from pypdf import PdfReader

from tests.reporting.conftest import ROOT


@pytest.fixture
def cli(services, amqp_uri, make_token, tmp_path):
    env = {**os.environ, "AMQP_URI": amqp_uri, "MEASURES_TOKEN": make_token("staff", "KS"),
           "MEASURES_CLI_CONFIG": str(tmp_path / "cli.yaml"), "LANGUAGE": "de"}

    def run(*args):
        return subprocess.run([sys.executable, "-m", "cli", *args], capture_output=True, text=True, env=env,
                              cwd=ROOT, timeout=60)

    return run


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_generate_list_and_show_from_the_command_line(cli, tmp_path):
    generated = cli("report", "generate", "--department", "D2", "--title", "Geschäftsbereich 2")
    assert generated.returncode == 0, generated.stderr
    assert "Bericht 1 erstellt" in generated.stdout

    listed = cli("--json", "report", "list")
    assert [report["title"] for report in json.loads(listed.stdout)] == ["Geschäftsbereich 2"]
    assert "Geschäftsbereich 2" in cli("report", "list").stdout

    shown = cli("--lang", "en", "report", "show", "1", "--language", "en")
    assert shown.returncode == 0 and shown.stdout.startswith("# Geschäftsbereich 2") and "Overview" in shown.stdout

    written = cli("report", "show", "1", "--format", "pdf", "--output", str(tmp_path / "bericht.pdf"))
    assert written.returncode == 0, written.stderr
    text = PdfReader(io.BytesIO((tmp_path / "bericht.pdf").read_bytes())).pages[0].extract_text()
    assert "Geschäftsbereich 2" in text

    missing = cli("report", "show", "99")
    assert missing.returncode == 5 and "Bericht 99 nicht gefunden" in missing.stderr
