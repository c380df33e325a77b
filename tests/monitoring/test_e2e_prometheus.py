"""End to end: a real Prometheus (Debian package) with deploy/prometheus/prometheus.yml and
alerts.yml scrapes the three running services; after the scenario the key series have values, every
rule evaluates without error, no alert fires on the healthy system, and every dashboard query runs."""

import json
import re
import shutil
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import datetime

import pytest
import yaml

from tests.helpers.processes import free_port

from .conftest import SERVICES, wait_until
from .promql import PROMETHEUS_DIR, dashboard_expressions

SCRAPE_INTERVAL = "1s"


class Prometheus:
    """One Prometheus process on a loopback port with a storage directory of its own."""

    def __init__(self, binary, directory, stack):
        self.port = free_port()
        self.directory = directory
        self.data = directory / "data"
        self.config_path = directory / "prometheus.yml"
        self.config_path.write_text(yaml.safe_dump(self.config(stack)))
        self.log_path = directory / "prometheus.log"
        self._log = self.log_path.open("w")
        self.process = subprocess.Popen(
            [binary, f"--config.file={self.config_path}", f"--storage.tsdb.path={self.data}",
             f"--web.listen-address=127.0.0.1:{self.port}", "--storage.tsdb.retention.time=1d"],
            stdout=self._log, stderr=subprocess.STDOUT)

    def config(self, stack):
        """The repository's configuration with the services' loopback ports, 1 s intervals and the
        rule file by its absolute path; everything else as in production."""
        config = yaml.safe_load((PROMETHEUS_DIR / "prometheus.yml").read_text())
        config["global"].update(scrape_interval=SCRAPE_INTERVAL, scrape_timeout=SCRAPE_INTERVAL,
                                evaluation_interval=SCRAPE_INTERVAL)
        config["rule_files"] = [str(PROMETHEUS_DIR / path) for path in config["rule_files"]]
        for job in config["scrape_configs"]:
            port = self.port if job["job_name"] == "prometheus" else stack.ports[job["job_name"]]
            [static] = job["static_configs"]
            static["targets"] = [f"127.0.0.1:{port}"]
        return config

    @property
    def output(self):
        return self.log_path.read_text()

    def api(self, path, **params):
        url = f"http://127.0.0.1:{self.port}/api/v1/{path}"
        if params:
            url += "?" + urllib.parse.urlencode(params)
        try:
            with urllib.request.urlopen(url, timeout=10) as response:
                body = json.load(response)
        except urllib.error.HTTPError as error:
            body = json.load(error)
        assert body["status"] == "success", f"{path} {params}: {body}"
        return body["data"]

    def query(self, expr):
        return self.api("query", query=expr)["result"]

    def wait_ready(self, timeout=20):
        def ready():
            if self.process.poll() is not None:
                pytest.fail(f"prometheus exited with {self.process.returncode}:\n{self.output}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/-/ready", timeout=2) as response:
                    return response.status == 200
            except OSError:
                return False

        wait_until(ready, timeout, f"prometheus to be ready\n{self.output}")

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        self._log.close()
        shutil.rmtree(self.data, ignore_errors=True)


@pytest.fixture(scope="module")
def prometheus(prometheus_binary, stack, tmp_path_factory):
    """Started before the scenario runs (the first test asks for it), stopped after the module."""
    server = Prometheus(prometheus_binary, tmp_path_factory.mktemp("prometheus"), stack)
    try:
        server.wait_ready()
        yield server
    finally:
        server.stop()


def values(result):
    return {tuple(sorted((k, v) for k, v in sample["metric"].items() if k != "__name__")): float(sample["value"][1])
            for sample in result}


def grafana_to_promql(expr):
    """A panel query as Grafana sends it, with its variables filled in."""
    expr = expr.replace("$__rate_interval", "4s").replace("$__interval", "1s").replace("$__range", "1h")
    return re.sub(r"\$\{?\w+\}?", ".*", expr)


def test_prometheus_scrapes_the_services_and_sees_the_scenario(prometheus, stack, request):
    targets = wait_until(
        lambda: (active := prometheus.api("targets")["activeTargets"])
        and all(target["health"] == "up" for target in active) and active,
        20, "every target up")
    assert sorted(target["labels"]["job"] for target in targets) == sorted([*SERVICES, "prometheus"])

    scenario = request.getfixturevalue("scenario")  # now that Prometheus watches

    def scalar(expr):
        result = prometheus.query(expr)
        return float(result[0]["value"][1]) if result else None

    def by(label, expr):
        return {dict(labels)[label]: value for labels, value in values(prometheus.query(expr)).items()}

    def key_series_show_the_scenario():
        """Raises AssertionError until every key series has its value (Prometheus scrapes each second)."""
        assert by("status", 'sum by (status) (measures_by_status{job="measures"})') == {
            "planned": 1, "funded": 0, "in_progress": 1, "done": 0, "cancelled": 1}
        assert scalar('sum(rpc_requests_total{job="measures", method="change_status", outcome="ok"})') == (
            scenario.status_changes)
        assert scalar('sum(rpc_requests_total{job="measures", outcome="VersionConflict"})') == 1
        assert set(by("job", "outbox_pending_events")) == {"measures", "reporting"}
        assert set(by("job", "outbox_oldest_pending_age_seconds")) == {"measures", "reporting"}
        assert scalar('sum(outbox_published_events_total{job="measures"})') >= 9
        assert scalar('sum(notifications_total{job="notifications", outcome="sent"})') >= 1
        assert scalar('sum(notification_events_total{job="notifications", outcome="recorded"})') >= 1
        assert prometheus.query('notification_deliveries{job="notifications", status="failed"}')
        assert set(by("kind", 'reports_generated_total{job="reporting", outcome="ok"}')) == {"monatsbericht", "adhoc"}
        assert set(by("kind", 'report_seconds_since_last_success{job="reporting"}')) == {"monatsbericht", "adhoc"}
        assert scalar('sum(report_generation_duration_seconds_count{job="reporting"})') >= 2
        assert by("department", 'measures_overdue{job="measures"}') == {"KS": 1}
        assert by("department", 'measures_grant_obligations_due{job="measures"}') == {"KS": 1}
        assert 0 < scalar('histogram_quantile(0.95, sum by (le) (rpc_request_duration_seconds_bucket'
                          '{job="measures", method="change_status"}))') < 10
        return True

    def shown():
        try:
            return key_series_show_the_scenario()
        except AssertionError:
            return False

    deadline = time.monotonic() + 20
    while not shown() and time.monotonic() < deadline:
        time.sleep(0.5)
    key_series_show_the_scenario()  # once more, to fail with the assertion that does not hold


def test_the_rules_evaluate_and_nothing_fires_on_a_healthy_system(prometheus, stack, scenario):
    wait_until(lambda: all(target["health"] == "up" for target in prometheus.api("targets")["activeTargets"]),
               20, "every target up")
    started = time.time()

    def evaluated():
        groups = prometheus.api("rules")["groups"]
        rules = [rule for group in groups for rule in group["rules"]]
        return rules if rules and all(_timestamp(rule["lastEvaluation"]) > started + 1 for rule in rules) else None

    rules = wait_until(evaluated, 20, "every rule evaluated after the targets were up")

    expected = yaml.safe_load((PROMETHEUS_DIR / "alerts.yml").read_text())
    assert len(rules) == sum(len(group["rules"]) for group in expected["groups"])
    assert [(rule["name"], rule.get("lastError")) for rule in rules if rule["health"] != "ok"] == []
    overdue = values(prometheus.query('report_overdue_seconds{job="reporting"}'))
    assert {dict(labels)["kind"] for labels in overdue} == {"monatsbericht"}
    assert prometheus.api("alerts")["alerts"] == []


def test_every_dashboard_query_runs(prometheus, stack, scenario):
    wait_until(lambda: prometheus.query('up{job="reporting"}'), 20, "a first scrape")

    for where, expr in dashboard_expressions():
        query = grafana_to_promql(expr)
        if where.startswith("variable"):
            assert prometheus.api("series", **{"match[]": query}), where
        else:
            prometheus.api("query", query=query)  # asserts the status is success


def _timestamp(rfc3339):
    """Seconds since the epoch of Prometheus' RFC 3339 times (nanoseconds cut to microseconds)."""
    return datetime.fromisoformat(re.sub(r"(\.\d{6})\d+", r"\1", rfc3339)).timestamp()
