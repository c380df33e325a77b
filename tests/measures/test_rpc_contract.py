"""The RPC contract of the measures service, through a real ClusterRpcProxy over RabbitMQ, on
SQLite and PostgreSQL."""

import pytest
from nameko.exceptions import RemoteError
from nameko.standalone.rpc import ClusterRpcProxy

from shared.errors import (
    InvalidTransition, NotFound, Unauthenticated, ValidationError, VersionConflict,
)
from tests.measures.conftest import GRANT, radweg


def test_a_created_measure_gets_a_readable_id_and_version_one(admin):
    first = admin.measures.create_measure(radweg())
    second = admin.measures.create_measure(radweg(title="Nachtbus-Angebot optimieren"))

    assert (first["id"], second["id"]) == ("M-0001", "M-0002")
    assert first["version"] == 1
    assert first["status"] == "planned" and first["progress"] == 0
    assert admin.measures.get_measure("M-0001") == first


def test_every_field_survives_the_round_trip(admin):
    sent = radweg(
        external_ref="KSK-4.2", description="Lückenschluss zwischen Landstuhl und Ramstein",
        partners=["VG Landstuhl", "VG Ramstein-Miesenbach"], priority="high",
        planned_start="2026-03-01", planned_end="2027-10-31", due_date="2027-06-30",
        budget_planned="250000.50",
    )
    measure = admin.measures.create_measure(sent)

    for name, value in sent.items():
        assert measure[name] == value, name


def test_the_lifecycle_runs_from_planned_to_done(admin):
    measure = admin.measures.create_measure(radweg())
    measure = admin.measures.set_funding(measure["id"], GRANT, measure["version"])
    measure = admin.measures.change_status(measure["id"], "funded", measure["version"])
    measure = admin.measures.change_status(measure["id"], "in_progress", measure["version"])
    measure = admin.measures.record_progress(measure["id"], 60, measure["version"], "Planung fertig")
    measure = admin.measures.change_status(measure["id"], "done", measure["version"], "Radweg freigegeben")

    assert measure["status"] == "done"
    assert measure["progress"] == 100
    assert measure["version"] == 6
    assert measure["funding"]["reference"] == "03K17253"


def test_history_lists_every_change_with_actor_old_and_new_values(admin):
    measure = admin.measures.create_measure(radweg())
    measure = admin.measures.update_measure(measure["id"], {"due_date": "2027-06-30"}, 1)
    admin.measures.change_status(measure["id"], "cancelled", 2, "Kein Bedarf mehr")

    history = admin.measures.get_history(measure["id"])

    assert [entry["action"] for entry in history] == ["created", "updated", "status_changed"]
    assert [entry["version"] for entry in history] == [1, 2, 3]
    assert history[1]["changes"] == {"due_date": [None, "2027-06-30"]}
    assert history[2]["changes"]["status"] == ["planned", "cancelled"]
    assert history[2]["note"] == "Kein Bedarf mehr"
    assert history[2]["actor"] == {"user": "admin", "department": "LR", "role": "admin"}


def test_an_impossible_transition_names_the_allowed_next_statuses(admin):
    measure = admin.measures.create_measure(radweg())

    with pytest.raises(InvalidTransition) as raised:
        admin.measures.change_status(measure["id"], "done", 1, "fertig")

    assert raised.value.allowed == ["funded", "cancelled"]
    assert admin.measures.get_measure(measure["id"]) == measure


def test_funded_without_a_complete_grant_is_rejected_field_by_field(admin):
    measure = admin.measures.create_measure(radweg())
    measure = admin.measures.set_funding(
        measure["id"], {"source": "grant", "amount_approved": "1000.00"}, measure["version"])

    with pytest.raises(ValidationError) as raised:
        admin.measures.change_status(measure["id"], "funded", measure["version"])

    assert set(raised.value.errors) == {"funding.programme", "funding.reference", "funding.period_end"}


def test_bad_input_is_rejected_with_field_errors_and_changes_nothing(admin):
    with pytest.raises(ValidationError) as raised:
        admin.measures.create_measure(radweg(title="", department="XX", budget_planned="-5", colour="red"))

    assert set(raised.value.errors) == {"title", "budget_planned", "colour"}
    assert admin.measures.list_measures()["total"] == 0


def test_an_unknown_department_is_a_validation_error(admin):
    with pytest.raises(ValidationError) as raised:
        admin.measures.create_measure(radweg(department="XX"))

    assert raised.value.errors == {"department": ["Unknown department XX."]}


def test_a_stale_expected_version_is_a_conflict_that_names_the_current_version(admin):
    measure = admin.measures.create_measure(radweg())
    admin.measures.update_measure(measure["id"], {"title": "Radwegenetz zügig ausbauen"}, 1)

    with pytest.raises(VersionConflict) as raised:
        admin.measures.update_measure(measure["id"], {"title": "Radwege"}, 1)

    assert raised.value.current_version == 2
    assert admin.measures.get_measure(measure["id"])["title"] == "Radwegenetz zügig ausbauen"


def test_a_missing_measure_is_not_found(admin):
    with pytest.raises(NotFound) as raised:
        admin.measures.get_measure("M-9999")

    assert (raised.value.kind, raised.value.key) == ("measure", "M-9999")


def test_calls_without_a_valid_token_are_unauthenticated(admin, client_for, make_token):
    from datetime import datetime, timedelta, timezone

    from shared.auth import issue_token
    from tests.conftest import TOKEN_SECRET

    expired = issue_token(TOKEN_SECRET, "alt", "KS", "staff", timedelta(hours=1),
                          now=datetime.now(timezone.utc) - timedelta(hours=2))
    forged = issue_token("another-secret-of-the-same-length-as-ours", "mallory", "LR", "admin")
    for token in (expired, forged, "not-a-token"):
        with pytest.raises(Unauthenticated):
            client_for(token=token).measures.list_measures()


def test_plain_nameko_clients_see_the_error_type_by_name(admin, amqp_uri, make_token, monkeypatch):
    import nameko.exceptions

    # A caller that does not know shared.errors: the registry is empty for it.
    monkeypatch.setattr(nameko.exceptions, "registry", {})
    config = {"AMQP_URI": amqp_uri, "serializer": "json"}
    with ClusterRpcProxy(config, context_data={"auth_token": make_token("admin", "LR")}) as proxy:
        with pytest.raises(RemoteError) as raised:
            proxy.measures.get_measure("M-0404")

    assert raised.value.exc_type == "NotFound"


def test_list_filters_and_pages_with_a_cursor(admin):
    for number in range(7):
        admin.measures.create_measure(radweg(title=f"Radweg Abschnitt {number}", due_date="2020-01-01"))
    admin.measures.create_measure(radweg(title="Gelbe Tonne prüfen", department="AW", area="Abfallwirtschaft"))

    first = admin.measures.list_measures({"department": "KS"}, limit=5)
    second = admin.measures.list_measures({"department": "KS"}, limit=5, cursor=first["next_cursor"])

    assert first["total"] == 7 and len(first["items"]) == 5
    assert len(second["items"]) == 2 and second["next_cursor"] is None
    assert {m["id"] for m in first["items"] + second["items"]} == {f"M-000{n}" for n in range(1, 8)}
    assert admin.measures.list_measures({"q": "tonne"})["total"] == 1
    assert admin.measures.list_measures({"overdue": True})["total"] == 7
    assert admin.measures.list_measures({"area": "Abfallwirtschaft", "status": "planned"})["total"] == 1


def test_a_forged_cursor_is_a_validation_error(admin):
    with pytest.raises(ValidationError) as raised:
        admin.measures.list_measures(cursor="bm90LWEtY3Vyc29y")

    assert "cursor" in raised.value.errors


def test_import_reports_errors_by_row_and_field_and_applies_nothing(admin):
    rows = [
        {"external_ref": "AW-1", "title": "Abfall-App einführen", "department": "AW"},
        {"external_ref": "AW-2", "title": "", "department": "AW"},
        {"external_ref": "AW-3", "title": "Gelbe Tonne prüfen", "department": "QQ"},
    ]

    report = admin.measures.import_measures(rows)

    assert report["applied"] is False
    assert [(e["row"], e["field"]) for e in report["errors"]] == [(2, "title"), (3, "department")]
    assert admin.measures.list_measures()["total"] == 0


def test_import_upserts_by_external_ref_and_a_dry_run_saves_nothing(admin):
    rows = [{"external_ref": "AW-1", "title": "Abfall-App einführen", "department": "AW"},
            {"external_ref": "AW-2", "title": "Gelbe Tonne prüfen", "department": "AW"}]

    dry = admin.measures.import_measures(rows, dry_run=True)
    assert (len(dry["created"]), dry["applied"]) == (2, False)
    assert admin.measures.list_measures()["total"] == 0

    assert len(admin.measures.import_measures(rows)["created"]) == 2
    rows[1]["title"] = "Einführung der Gelben Tonne prüfen"
    again = admin.measures.import_measures(rows)

    assert (len(again["created"]), len(again["updated"]), len(again["unchanged"])) == (0, 1, 1)
    assert admin.measures.list_measures({"q": "Einführung der Gelben"})["total"] == 1
