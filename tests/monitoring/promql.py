"""What the monitoring files use and what the services export, as metric names.

``selectors(expr)`` finds the series selectors of a PromQL expression (metric name and the job it
asks for, if any); ``exported_series(text)`` turns a /metrics page into the series names Prometheus
stores from it (``rpc_requests_total``, ``rpc_request_duration_seconds_bucket``, ...), also for
families that have no sample yet. A name used in a rule or panel must be one of those exactly: a
histogram is queried as ``X_bucket``, ``X_sum`` or ``X_count``, never as ``X``.
"""

import json
import re
from pathlib import Path

import yaml
from prometheus_client.parser import text_string_to_metric_families

ROOT = Path(__file__).resolve().parents[2]
PROMETHEUS_DIR = ROOT / "deploy" / "prometheus"
GRAFANA_DIR = ROOT / "deploy" / "grafana"
DASHBOARD = GRAFANA_DIR / "dashboards" / "kreis-measures.json"

#: Words of PromQL that look like names: aggregations (``sum by (job) (...)``), binary and set
#: operators, modifiers.
KEYWORDS = {
    "sum", "min", "max", "avg", "group", "stddev", "stdvar", "count", "count_values", "bottomk", "topk",
    "quantile", "by", "without", "on", "ignoring", "group_left", "group_right", "offset", "bool", "and",
    "or", "unless", "atan2", "inf", "nan",
}
#: Series Prometheus makes itself for every target.
SYNTHETIC = {"up", "scrape_duration_seconds", "scrape_samples_scraped", "scrape_samples_post_metric_relabeling",
             "scrape_series_added"}

_STRING = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|`[^`]*`')
_GROUPING = re.compile(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)")
_RANGE = re.compile(r"\[[^\]]*\]")
_NAME = re.compile(r"(?<![\w:.$\"])([A-Za-z_:][\w:]*)\s*(\{[^}]*\})?")
_JOB = re.compile(r'\bjob\s*=\s*"S(\d+)"')


def selectors(expr):
    """[(metric name, job or None)] of every series selector in ``expr``; ``job`` only for an
    exact ``job="..."`` matcher. Grafana variables (``$__rate_interval``, ``$department``) may appear."""
    strings = []

    def keep(match):
        strings.append(match.group(0)[1:-1])
        return f'"S{len(strings) - 1}"'

    text = _STRING.sub(keep, expr)
    text = re.sub(r"\$\{?\w+\}?", " ", text)
    text = _RANGE.sub(" ", text)
    text = _GROUPING.sub(" ", text)
    found = []
    for match in _NAME.finditer(text):
        name, matchers = match.group(1), match.group(2)
        following = text[match.end():].lstrip()[:1]
        if name.lower() in KEYWORDS or (following == "(" and not matchers):
            continue
        job = None
        if matchers:
            exact = _JOB.search(matchers)
            job = strings[int(exact.group(1))] if exact else None
        found.append((name, job))
    return found


def exported_series(text):
    """{series name: has samples} of a /metrics page in the Prometheus text format."""
    suffixes = {"counter": ["_total"], "histogram": ["_bucket", "_sum", "_count"], "summary": ["", "_sum", "_count"],
                "gauge": [""], "unknown": [""], "info": ["_info"], "stateset": [""], "gaugehistogram": ["_bucket"]}
    series = {}
    for family in text_string_to_metric_families(text):
        for suffix in suffixes.get(family.type, [""]):
            series.setdefault(family.name + suffix, False)
        for sample in family.samples:
            series[sample.name] = True
    return series


def rule_groups():
    return yaml.safe_load((PROMETHEUS_DIR / "alerts.yml").read_text())["groups"]


def recorded_names():
    return {rule["record"] for group in rule_groups() for rule in group["rules"] if "record" in rule}


def alert_names():
    return [rule["alert"] for group in rule_groups() for rule in group["rules"] if "alert" in rule]


def rule_expressions():
    """[(where, expr)] of every alerting and recording rule."""
    return [(f"alerts.yml {rule.get('alert') or rule.get('record')}", rule["expr"])
            for group in rule_groups() for rule in group["rules"]]


def dashboard():
    return json.loads(DASHBOARD.read_text(encoding="utf-8"))


def panels(board=None):
    """Every panel of the dashboard that is not a row, also those inside collapsed rows."""
    found = []
    for panel in (board or dashboard())["panels"]:
        if panel["type"] == "row":
            found.extend(panel.get("panels", []))
        else:
            found.append(panel)
    return found


def dashboard_expressions(board=None):
    """[(where, expr)] of every panel query and every query variable of the dashboard."""
    board = board or dashboard()
    found = [(f"panel {panel['title']!r}", target["expr"])
             for panel in panels(board) for target in panel.get("targets", [])]
    for variable in board.get("templating", {}).get("list", []):
        if variable.get("type") == "query":
            query = variable["query"]["query"] if isinstance(variable["query"], dict) else variable["query"]
            found.append((f"variable ${variable['name']}", label_values_selector(query)))
    return found


def label_values_selector(query):
    """The series selector of Grafana's ``label_values(selector, label)``."""
    match = re.fullmatch(r"\s*label_values\((.*),\s*\w+\s*\)\s*", query)
    return match.group(1) if match else query


def used_metrics():
    """[(where, name, job)] of every metric the rules and the dashboard read from the services."""
    own = recorded_names() | SYNTHETIC
    return [(where, name, job) for where, expr in rule_expressions() + dashboard_expressions()
            for name, job in selectors(expr) if name not in own]
