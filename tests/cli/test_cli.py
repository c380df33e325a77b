"""The `measures` CLI end to end, against the service started as in production (`python -m
services.measures`) on a seeded SQLite database."""

import csv
import io
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import TOKEN_SECRET

ROOT = Path(__file__).resolve().parents[2]
MEASURES = [sys.executable, "-m", "cli"]


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Cli:
    def __init__(self, env):
        self.env = env

    def __call__(self, *args, token=None, env=None, input=None):
        environment = {**self.env, **(env or {})}
        if token is not None:
            environment["MEASURES_TOKEN"] = token
        return subprocess.run([*MEASURES, *args], capture_output=True, text=True, env=environment, cwd=ROOT,
                              input=input, timeout=60)


@pytest.fixture(scope="module")
def deployment(tmp_path_factory, amqp_uri):
    """A migrated, seeded measures database and the service running on it in its own process."""
    home = tmp_path_factory.mktemp("deployment")
    metrics_port = free_port()
    env = {
        **os.environ,
        "VAR_DIR": str(home / "var"),
        "AMQP_URI": amqp_uri,
        "TOKEN_SECRET": TOKEN_SECRET,
        "MEASURES_METRICS_PORT": str(metrics_port),
        "MEASURES_CLI_CONFIG": str(home / "cli.yaml"),
        "LOG_LEVEL": "WARNING",
        "LANGUAGE": "de",
    }
    env.pop("MEASURES_TOKEN", None)
    cli = Cli(env)
    assert cli("db", "upgrade", "--service", "measures").returncode == 0
    seeded = cli("seed", "examples/programme.yaml", "--if-empty")
    assert seeded.returncode == 0, seeded.stderr
    service = subprocess.Popen([sys.executable, "-m", "services.measures"], env=env, cwd=ROOT,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    admin = cli("admin", "token", "--user", "admin", "--department", "LR", "--role", "admin").stdout.strip()
    deadline = time.monotonic() + 30
    while cli("list", "--limit", "1", token=admin).returncode != 0:
        assert service.poll() is None, service.stdout.read()
        assert time.monotonic() < deadline, "the service did not answer within 30 s"
        time.sleep(0.3)
    yield cli, admin, metrics_port
    service.terminate()
    service.wait(timeout=30)


@pytest.fixture(scope="module")
def cli(deployment):
    return deployment[0]


@pytest.fixture(scope="module")
def admin(deployment):
    return deployment[1]


def test_list_shows_german_status_labels_and_a_count(cli, admin):
    result = cli("list", "--status", "in_progress", token=admin)

    assert result.returncode == 0, result.stderr
    assert "in Umsetzung" in result.stdout
    assert "3 von 3 Maßnahmen" in result.stdout


def test_english_is_selectable(cli, admin):
    result = cli("--lang", "en", "list", "--status", "in_progress", token=admin)

    assert "in progress" in result.stdout and "3 of 3 measures" in result.stdout


def test_json_output_is_for_scripts(cli, admin):
    result = cli("--json", "list", "--limit", "2", "--status", "done", token=admin)

    page = json.loads(result.stdout)
    assert page["total"] == 106 and len(page["items"]) == 2 and page["next_cursor"]


def test_show_prints_the_measure_with_its_history(cli, admin):
    result = cli("show", "M-0001", token=admin)

    assert result.returncode == 0, result.stderr
    assert "abgeschlossen" in result.stdout and "Verlauf:" in result.stdout and "angelegt" in result.stdout


def test_a_measure_goes_through_its_lifecycle_from_the_command_line(cli, admin):
    created = cli("create", "--title", "Lastenräder für Kreisbedienstete", "--department", "KS",
                  "--due", "2027-06-30", "--budget", "12500.00", token=admin)
    assert created.returncode == 0, created.stderr
    measure_id = created.stdout.split()[1]

    premature = cli("status", measure_id, "finanziert", token=admin)
    assert premature.returncode == 3
    assert "Finanzierung" in premature.stderr

    assert cli("funding", measure_id, "--source", "own_budget", "--amount", "12500", token=admin).returncode == 0
    funded = cli("status", measure_id, "finanziert", token=admin)
    assert funded.returncode == 0, funded.stderr
    assert funded.stdout.strip() == f"Maßnahme {measure_id} ist jetzt finanziert."

    skipping = cli("status", measure_id, "done", "--note", "fertig", token=admin)
    assert skipping.returncode == 4
    assert "Möglich: in Umsetzung, verworfen" in skipping.stderr

    assert cli("status", measure_id, "in_progress", token=admin).returncode == 0
    progress = cli("progress", measure_id, "60", "--note", "Räder bestellt", token=admin)
    assert progress.stdout.strip() == f"Fortschritt von {measure_id}: 60 %."


def test_exit_codes_tell_failures_apart(cli, admin, tmp_path):
    assert cli("show", "M-9999", token=admin).returncode == 5
    assert cli("list", token="kein-token").returncode == 6
    staff_ks = cli("admin", "token", "--user", "klima", "--department", "KS").stdout.strip()
    assert cli("progress", "M-0001", "50", token=staff_ks).returncode == 6  # M-0001 belongs to AW
    assert cli("list", token=admin, env={"AMQP_URI": f"amqp://guest:guest@127.0.0.1:{free_port()}/"}).returncode == 7
    assert cli("progress", "M-0001", "150", token=admin).returncode == 2
    assert cli("list", env={"MEASURES_CLI_CONFIG": str(tmp_path / "none.yaml")}).returncode == 2


def test_a_closed_measure_takes_no_progress(cli, admin):
    result = cli("progress", "M-0001", "50", token=admin)

    assert result.returncode == 3
    assert "Eine Maßnahme im Status „abgeschlossen“ nimmt keinen Fortschritt an" in result.stderr


def test_a_conflicting_expected_version_is_reported_as_a_conflict(cli, admin):
    stale = cli("--json", "list", "--status", "planned", "--limit", "1", token=admin)
    measure = json.loads(stale.stdout)["items"][0]
    conflict = cli("progress", measure["id"], "10", "--expected-version", str(measure["version"] + 5), token=admin)
    assert conflict.returncode == 4
    assert "inzwischen geändert" in conflict.stderr


def test_import_rejects_a_file_with_errors_naming_line_and_field(cli, admin, tmp_path):
    bad = tmp_path / "massnahmen.csv"
    bad.write_text(
        "external_ref;title;department;due_date;budget_planned\n"
        "IMP-1;Wärmepumpen in Kreisschulen prüfen;GM;30.06.2027;1.250,00\n"
        "IMP-2;;GM;2027-01-01;\n"
        "IMP-3;Solarkataster veröffentlichen;XX;31.12.2027;\n"
        "IMP-4;Solarkataster pflegen;KS;31.02.2027;\n",
        encoding="utf-8")

    result = cli("import", str(bad), token=admin)

    assert result.returncode == 3
    lines = result.stdout.splitlines()
    assert any(line.startswith("3 ") and "Titel" in line for line in lines)
    assert any(line.startswith("4 ") and "Fachbereich" in line for line in lines)
    assert any(line.startswith("5 ") and "Fällig" in line and "Kein gültiges Datum" in line for line in lines)
    assert "nichts wurde gespeichert" in result.stdout
    assert json.loads(cli("--json", "list", "-q", "Wärmepumpen", token=admin).stdout)["total"] == 0


def test_an_export_imports_again_without_changes(cli, admin, tmp_path):
    exported = cli("export", "--format", "csv", "--area", "Abfallwirtschaft", "--delimiter", ";", token=admin)
    rows = list(csv.DictReader(io.StringIO(exported.stdout), delimiter=";"))
    assert len(rows) == 23 and rows[0]["external_ref"].startswith("LR24-AW")
    path = tmp_path / "export.csv"
    path.write_text(exported.stdout, encoding="utf-8")

    dry = cli("--json", "import", str(path), "--dry-run", token=admin)

    report = json.loads(dry.stdout)
    assert dry.returncode == 0, dry.stderr
    assert (len(report["unchanged"]), report["created"], report["updated"]) == (23, [], [])


def test_metrics_are_scraped_over_http(deployment):
    cli, admin, port = deployment
    cli("list", token=admin)

    text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read().decode()

    assert 'rpc_requests_total{method="list_measures",outcome="ok"}' in text
    assert 'rpc_request_duration_seconds_bucket{le="0.5",method="list_measures"}' in text
    assert 'measures_by_status{department="AW",status="done"} 13.0' in text
    assert "outbox_pending_events" in text and "outbox_oldest_pending_age_seconds" in text


def test_the_service_refuses_an_unmigrated_database(tmp_path, amqp_uri):
    env = {**os.environ, "VAR_DIR": str(tmp_path), "AMQP_URI": amqp_uri, "TOKEN_SECRET": TOKEN_SECRET,
           "MEASURES_METRICS_PORT": "0"}

    result = subprocess.run([sys.executable, "-m", "services.measures"], env=env, cwd=ROOT,
                            capture_output=True, text=True, timeout=60)

    assert result.returncode == 78
    assert "measures db upgrade" in result.stderr


def test_deadlines_lists_what_is_overdue_and_escalated_per_department(cli, admin):
    result = cli("deadlines", "--date", "2026-12-12", token=admin)

    assert result.returncode == 0, result.stderr
    kat = result.stdout.split("Fachbereich KAT")[1].split("Fachbereich")[0]
    assert "Überfällig:" in kat and "Eskaliert:" in kat and "M-0154" in kat and "73 drüber" in kat
    assert "Ende des Förderzeitraums" in result.stdout  # KIPKI's funding period ends on 31.12.2026


def test_a_dry_run_of_the_watch_sends_nothing(cli, admin):
    first = cli("deadlines", "check", "--date", "2026-12-12", "--dry-run", token=admin)
    second = cli("deadlines", "check", "--date", "2026-12-12", "--dry-run", token=admin)

    assert first.returncode == 0, first.stderr
    assert first.stdout.splitlines()[0].startswith("Probelauf:")
    assert first.stdout == second.stdout
