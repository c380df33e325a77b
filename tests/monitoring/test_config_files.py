"""The monitoring files on their own: promtool accepts the configuration and the rules and their unit
tests pass; the dashboard and the provisioning fit together and with docker-compose.yml."""

import subprocess

import pytest
import yaml

from .promql import (
    DASHBOARD,
    GRAFANA_DIR,
    PROMETHEUS_DIR,
    ROOT,
    alert_names,
    dashboard,
    panels,
    rule_expressions,
    selectors,
)


def promtool_run(promtool, *args):
    result = subprocess.run([promtool, *args], cwd=PROMETHEUS_DIR, capture_output=True, text=True,
                            timeout=120, check=False)
    assert result.returncode == 0, f"promtool {' '.join(args)}:\n{result.stdout}\n{result.stderr}"
    return result.stdout + result.stderr


def test_promtool_accepts_the_configuration(promtool):
    output = promtool_run(promtool, "check", "config", "prometheus.yml")

    assert "SUCCESS: 1 rule files found" in output


def test_promtool_accepts_the_rules(promtool):
    output = promtool_run(promtool, "check", "rules", "alerts.yml")

    rules = sum(len(group["rules"]) for group in yaml.safe_load((PROMETHEUS_DIR / "alerts.yml").read_text())["groups"])
    assert f"SUCCESS: {rules} rules found" in output


def test_the_rules_pass_their_unit_tests(promtool):
    output = promtool_run(promtool, "test", "rules", "alerts.test.yml", "alerts.week.test.yml")

    assert output.count("SUCCESS") == 2


def test_every_alert_has_unit_tests_that_see_it_fire_and_stay_quiet():
    fired, quiet = set(), set()
    for name in ("alerts.test.yml", "alerts.week.test.yml"):
        for group in yaml.safe_load((PROMETHEUS_DIR / name).read_text())["tests"]:
            for case in group["alert_rule_test"]:
                (fired if case["exp_alerts"] else quiet).add(case["alertname"])

    assert fired == set(alert_names())
    assert quiet == set(alert_names())


def test_every_alert_tells_on_call_what_is_wrong_and_how_bad():
    for group in yaml.safe_load((PROMETHEUS_DIR / "alerts.yml").read_text())["groups"]:
        for rule in group["rules"]:
            if "alert" in rule:
                assert rule["labels"]["severity"] in ("critical", "warning", "info"), rule["alert"]
                assert rule["annotations"]["summary"] and rule["annotations"]["description"], rule["alert"]


def test_the_alerts_are_listed_for_operators():
    readme = (ROOT / "README.md").read_text()
    deployment = (ROOT / "docs" / "deployment.md").read_text()

    for name in alert_names():
        assert f"`{name}`" in readme, f"README.md does not list the alert {name}"
        assert f"`{name}`" in deployment, f"docs/deployment.md does not say what to do about {name}"


def test_the_dashboard_is_well_formed_and_uses_the_provisioned_data_source():
    board = dashboard()
    datasources = yaml.safe_load((GRAFANA_DIR / "provisioning" / "datasources" / "prometheus.yml").read_text())
    [source] = datasources["datasources"]

    assert board["uid"] and board["title"] and "id" not in board  # Grafana assigns the id
    ids = [panel["id"] for panel in board["panels"]]
    assert len(ids) == len(set(ids))
    for panel in panels(board):
        assert panel["datasource"] == {"type": "prometheus", "uid": source["uid"]}, panel["title"]
        assert panel["targets"], panel["title"]
        for target in panel["targets"]:
            assert target["datasource"]["uid"] == source["uid"] and target["expr"].strip(), panel["title"]
        position = panel["gridPos"]
        assert 0 <= position["x"] and position["x"] + position["w"] <= 24, panel["title"]


def test_no_two_panels_overlap():
    cells = {}
    for panel in dashboard()["panels"]:
        position = panel["gridPos"]
        for x in range(position["x"], position["x"] + position["w"]):
            for y in range(position["y"], position["y"] + position["h"]):
                assert (x, y) not in cells, f"{panel['title']!r} overlaps {cells[(x, y)]!r}"
                cells[(x, y)] = panel["title"]


def test_the_dashboard_shows_what_the_issue_asks_for():
    expressions = " ".join(target["expr"] for panel in panels() for target in panel["targets"])

    for needed in ("measures_by_status", "measures_transitions_total", "[1d]", "measures_overdue", "measures_stale",
                   'notifications_total{job="notifications", outcome="sent"}', 'outcome=~"retry|failed"',
                   "histogram_quantile(0.99, sum by (le, job) (rate(rpc_request_duration_seconds_bucket",
                   "outbox_pending_events", "outbox_oldest_pending_age_seconds",
                   "report_generation_duration_seconds_sum", "report_generation_duration_seconds_bucket"):
        assert needed in expressions, needed


def test_compose_runs_prometheus_and_grafana_on_these_files():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    scrape = yaml.safe_load((PROMETHEUS_DIR / "prometheus.yml").read_text())
    provider = yaml.safe_load((GRAFANA_DIR / "provisioning" / "dashboards" / "kreis-measures.yml").read_text())
    datasource = yaml.safe_load((GRAFANA_DIR / "provisioning" / "datasources" / "prometheus.yml").read_text())

    assert "./deploy/prometheus:/etc/prometheus:ro" in services["prometheus"]["volumes"]
    assert "--config.file=/etc/prometheus/prometheus.yml" in services["prometheus"]["command"]
    grafana_volumes = services["grafana"]["volumes"]
    assert "./deploy/grafana/provisioning:/etc/grafana/provisioning:ro" in grafana_volumes
    [provider] = provider["providers"]
    assert f"./deploy/grafana/dashboards:{provider['options']['path']}:ro" in grafana_volumes
    assert services["grafana"]["environment"]["GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH"] == (
        f"{provider['options']['path']}/{DASHBOARD.name}")
    assert "${GRAFANA_ADMIN_PASSWORD:?" in services["grafana"]["environment"]["GF_SECURITY_ADMIN_PASSWORD"]
    assert datasource["datasources"][0]["url"] == "http://prometheus:9090"
    # each job scrapes the compose service of its name on the port the service publishes its metrics on
    targets = {job["job_name"]: job["static_configs"][0]["targets"] for job in scrape["scrape_configs"]}
    for name, port in (("measures", 9101), ("notifications", 9102), ("reporting", 9103)):
        assert targets[name] == [f"{name}:{port}"]
        assert f"{port}:{port}" in " ".join(services[name]["ports"])
    assert services["measures"]["environment"]["METRICS_HOST"] == "0.0.0.0"


@pytest.mark.parametrize("expr, expected", [
    ('up{job="measures"} == 0', [("up", "measures")]),
    (('sum by (job, method) (rate(rpc_requests_total{outcome="error"}[10m])) / sum by (job, method) '
      '(rate(rpc_requests_total[10m])) > 0.05'), [("rpc_requests_total", None), ("rpc_requests_total", None)]),
    ('histogram_quantile(0.95, sum by (le, job) (rate(rpc_request_duration_seconds_bucket[$__rate_interval])))',
     [("rpc_request_duration_seconds_bucket", None)]),
    (('max by (department) (measures_overdue{job="measures", department=~"$department"} offset 7d) '
      'or on () vector(0) * 1e3'), [("measures_overdue", "measures")]),
    ('max by (kind) (x{job="reporting"}) > on (kind) group_left report_kind:schedule_max_interval_seconds + 3 * 3600',
     [("x", "reporting"), ("report_kind:schedule_max_interval_seconds", None)]),
    ('label_replace(vector(1), "kind", "kreistag", "", "") and bool_flag', [("bool_flag", None)]),
    ('sum(increase(notification_dead_letters_total{job="notifications"}[$__range])) or vector(0)',
     [("notification_dead_letters_total", "notifications")]),
    ('count(up{job=~"a|b"} offset 7d) > 0 unless absent(process_open_fds{job="m", x="{y}"})',
     [("up", None), ("process_open_fds", "m")]),
])
def test_metric_names_are_found_in_expressions(expr, expected):
    assert selectors(expr) == expected


def test_every_rule_expression_names_a_metric():
    for where, expr in rule_expressions():
        if "vector(" not in expr:
            assert selectors(expr), where
