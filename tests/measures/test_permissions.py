"""Who may do what, enforced by the service for every caller."""

import pytest

from shared.errors import Forbidden
from tests.measures.conftest import radweg


@pytest.fixture
def ks_measure(admin):
    return admin.measures.create_measure(radweg())


def test_everyone_authenticated_reads_every_measure(ks_measure, client_for):
    other_staff = client_for("staff", "AW")

    assert other_staff.measures.get_measure(ks_measure["id"])["title"] == "Radwegenetz ausbauen"
    assert other_staff.measures.list_measures()["total"] == 1
    assert [entry["action"] for entry in other_staff.measures.get_history(ks_measure["id"])] == ["created"]


def test_staff_write_the_measures_of_their_own_department(ks_measure, client_for):
    staff = client_for("staff", "KS")

    measure = staff.measures.record_progress(ks_measure["id"], 20, 1, "Ausschreibung läuft")

    assert measure["progress"] == 20
    assert staff.measures.create_measure(radweg(title="Lastenräder verleihen"))["department"] == "KS"


def test_staff_of_another_department_change_nothing(ks_measure, client_for, admin):
    stranger = client_for("staff", "AW")
    manager_elsewhere = client_for("manager", "AW")

    for client in (stranger, manager_elsewhere):
        with pytest.raises(Forbidden):
            client.measures.update_measure(ks_measure["id"], {"title": "Gekapert"}, 1)
        with pytest.raises(Forbidden):
            client.measures.change_status(ks_measure["id"], "cancelled", 1, "Fremd")
        with pytest.raises(Forbidden):
            client.measures.create_measure(radweg())

    assert admin.measures.get_measure(ks_measure["id"]) == ks_measure


def test_staff_cannot_hand_a_measure_to_another_department(ks_measure, client_for):
    with pytest.raises(Forbidden):
        client_for("staff", "KS").measures.update_measure(ks_measure["id"], {"department": "AW"}, 1)


def test_only_managers_and_admins_reopen_or_reactivate(ks_measure, client_for):
    staff, manager = client_for("staff", "KS"), client_for("manager", "KS")
    cancelled = staff.measures.change_status(ks_measure["id"], "cancelled", 1, "Keine Mittel")

    with pytest.raises(Forbidden):
        staff.measures.change_status(cancelled["id"], "planned", cancelled["version"])
    reactivated = manager.measures.change_status(cancelled["id"], "planned", cancelled["version"], "Mittel da")

    assert reactivated["status"] == "planned"


def test_only_admins_create_departments(admin, client_for):
    with pytest.raises(Forbidden):
        client_for("manager", "KS").measures.create_department({"code": "MOB", "name": "Mobilität"})

    assert "MOB" not in {d["code"] for d in admin.measures.list_departments()}
