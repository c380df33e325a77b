"""Subject lines and summaries in German and English, retry backoff, digest slots. Pure."""

from datetime import date, datetime, timedelta, timezone

import pytest

from services.notifications.domain import RetryPolicy, current_digest_slot, subject, summary
from services.notifications.domain.wording import digest_subject
from shared.events import (
    MEASURE_CREATED, MEASURE_DUE_SOON, MEASURE_ESCALATED, MEASURE_FUNDING_CHANGED, MEASURE_PROGRESS_RECORDED,
    MEASURE_STATUS_CHANGED, MEASURE_UPDATED,
)

from .builders import notice


def test_the_subject_names_the_measure_and_the_change_in_german():
    n = notice(MEASURE_STATUS_CHANGED, from_status="funded", to_status="in_progress")
    assert subject(n, "de") == "Maßnahme M-0042 „Radwegenetz ausbauen“: jetzt in Umsetzung"


def test_the_subject_in_english():
    n = notice(MEASURE_STATUS_CHANGED, from_status="funded", to_status="in_progress")
    assert subject(n, "en") == "Measure M-0042 “Radwegenetz ausbauen”: now in progress"


@pytest.mark.parametrize("n, german, english", [
    (notice(MEASURE_CREATED), "neu angelegt", "created"),
    (notice(MEASURE_PROGRESS_RECORDED, changes={"progress": [10, 60]}), "Fortschritt 60 %", "progress 60 %"),
    (notice(MEASURE_UPDATED, changes={"title": ["a", "b"], "due_date": [None, "2026-12-31"]}),
     "geändert: Titel, Fälligkeit", "changed: title, due date"),
    (notice(MEASURE_UPDATED, department="MOB", changes={"department": ["KS", "MOB"]}),
     "jetzt bei MOB (bisher KS)", "now with MOB (was KS)"),
    (notice(MEASURE_FUNDING_CHANGED, changes={"funding": [None, {"source": "grant"}]}),
     "Finanzierung geändert", "funding changed"),
    (notice(MEASURE_FUNDING_CHANGED, changes={"funding": [{"source": "grant"}, None]}),
     "Finanzierung entfernt", "funding removed"),
    (notice(MEASURE_DUE_SOON, due_date=date(2026, 9, 30)), "fällig am 30.09.2026", "due on 2026-09-30"),
    (notice(MEASURE_ESCALATED, escalation_level=2), "eskaliert (Stufe 2)", "escalated (level 2)"),
])
def test_summaries_in_both_languages(n, german, english):
    assert (summary(n, "de"), summary(n, "en")) == (german, english)


def test_a_line_break_in_a_title_does_not_break_the_subject_header():
    n = notice(MEASURE_CREATED, measure_title="Radwege\r\nBcc: alle@kreis.example")
    assert "\n" not in subject(n, "de") and "\r" not in subject(n, "de")


def test_digest_subjects_count_their_notifications():
    assert digest_subject(date(2026, 3, 3), 1, "de") == "Tagesübersicht vom 03.03.2026: 1 Meldung zu Maßnahmen"
    assert digest_subject(date(2026, 3, 3), 4, "en") == "Daily digest of 2026-03-03: 4 notifications on measures"


def test_backoff_doubles_up_to_its_cap():
    policy = RetryPolicy(max_attempts=5, base_seconds=30, cap_seconds=100)
    assert [policy.delay(n).total_seconds() for n in (1, 2, 3, 4)] == [30, 60, 100, 100]


def test_a_delivery_fails_after_the_configured_attempts():
    policy = RetryPolicy(max_attempts=3)
    assert [policy.gives_up_after(n) for n in (1, 2, 3)] == [False, False, True]


def berlin(*args):
    from zoneinfo import ZoneInfo

    return datetime(*args, tzinfo=ZoneInfo("Europe/Berlin")).astimezone(timezone.utc)


def test_before_the_digest_hour_yesterdays_digest_is_the_current_one():
    slot = current_digest_slot(berlin(2026, 3, 3, 6, 59), hour=7)
    assert slot.day == date(2026, 3, 2)
    assert slot.due_at == berlin(2026, 3, 2, 7, 0)


def test_from_the_digest_hour_on_todays_digest_is_due():
    slot = current_digest_slot(berlin(2026, 3, 3, 7, 0), hour=7)
    assert (slot.day, slot.due_at) == (date(2026, 3, 3), berlin(2026, 3, 3, 7, 0))


def test_the_digest_hour_is_local_time_across_daylight_saving():
    winter = current_digest_slot(berlin(2026, 3, 28, 8, 0), hour=7).due_at
    summer = current_digest_slot(berlin(2026, 3, 29, 8, 0), hour=7).due_at
    assert (winter.hour, summer.hour) == (6, 5)  # 07:00 in Berlin, in UTC
    assert summer - winter == timedelta(hours=23)


def deadline(kind, day, days):
    return {"kind": kind, "date": day, "days": days}


@pytest.mark.parametrize("event_type, about, level, german, english", [
    ("measure_due_soon", deadline("due_date", date(2026, 11, 29), 7), None,
     "fällig am 29.11.2026", "due on 2026-11-29"),
    ("measure_due_soon", deadline("planned_end", date(2026, 12, 18), 1), None,
     "geplantes Ende am 18.12.2026", "planned end on 2026-12-18"),
    ("measure_overdue", deadline("due_date", date(2026, 10, 1), -52), None,
     "überfällig seit 01.10.2026 (52 Tage)", "overdue since 2026-10-01 (52 days)"),
    ("measure_escalated", deadline("due_date", date(2026, 10, 1), -52), 3,
     "eskaliert (Stufe 3): überfällig seit 01.10.2026 (52 Tage)",
     "escalated (level 3): overdue since 2026-10-01 (52 days)"),
    ("measure_escalated", deadline("final_proof", date(2026, 3, 31), -20), 2,
     "eskaliert (Stufe 2): Verwendungsnachweis versäumt (fällig am 31.03.2026)",
     "escalated (level 2): final proof of use missed (due on 2026-03-31)"),
    ("grant_obligation_due", deadline("interim_proof", date(2027, 4, 30), 30), None,
     "Zwischennachweis fällig am 30.04.2027", "interim proof of use due on 2027-04-30"),
    ("measure_update_requested", deadline("stale", date(2026, 6, 1), -100), None,
     "bitte Sachstand aktualisieren, seit 100 Tagen unverändert",
     "please update its status, unchanged for 100 days"),
])
def test_deadline_notices_name_the_date_they_are_about(event_type, about, level, german, english):
    n = notice(event_type, deadline=about, escalation_level=level)

    assert (summary(n, "de"), summary(n, "en")) == (german, english)
