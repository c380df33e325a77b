"""Every metric the alert rules and the Grafana dashboard read is one the running services export."""

from .conftest import SERVICES
from .promql import used_metrics

#: Used metrics that a few seconds of scenario cannot give a sample, and why. They must still be
#: declared on /metrics (HELP and TYPE lines), which is what Prometheus needs to know them.
NO_SAMPLE_YET = {
    "measures_stale": "a measure in progress must go STALE_AFTER_DAYS (at least a day) without a change",
    "notification_dead_letters_total": "needs an event the notifications service cannot read",
}


def test_the_rules_and_the_dashboard_use_only_metrics_the_services_export(stack, scenario):
    exported = {name: stack.series(name) for name in SERVICES}
    anywhere = {}
    for series in exported.values():
        for name, has_samples in series.items():
            anywhere[name] = anywhere.get(name, False) or has_samples

    unknown, wrong_service, empty = [], [], set()
    for where, name, job in used_metrics():
        if name not in anywhere:
            unknown.append(f"{where}: {name}")
        elif job is not None and name not in exported.get(job, {}):
            wrong_service.append(f"{where}: {name} is not exported by {job}")
        elif not anywhere[name]:
            empty.add(name)

    assert unknown == [], "not exported by any service:\n" + "\n".join(unknown)
    assert wrong_service == [], "\n".join(wrong_service)
    assert empty <= set(NO_SAMPLE_YET), f"no sample after the scenario: {sorted(empty - set(NO_SAMPLE_YET))}"


def test_each_service_exports_its_own_metrics(stack, scenario):
    measures, notifications, reporting = (stack.series(name) for name in SERVICES)

    for series in (measures, notifications, reporting):
        assert series["rpc_requests_total"] and series["rpc_request_duration_seconds_bucket"]
        assert series["process_resident_memory_bytes"]
    for name in ("measures_by_status", "measures_transitions_total", "measures_overdue",
                 "measures_grant_obligations_due", "measures_deadline_notices_total",
                 "outbox_published_events_total", "outbox_pending_events", "outbox_oldest_pending_age_seconds"):
        assert measures[name], name
    for name in ("notifications_total", "notification_events_total", "notification_deliveries",
                 "notification_delivery_latency_seconds_bucket"):
        assert notifications[name], name
    for name in ("reports_generated_total", "report_generation_duration_seconds_bucket",
                 "report_seconds_since_last_success", "outbox_published_events_total"):
        assert reporting[name], name
