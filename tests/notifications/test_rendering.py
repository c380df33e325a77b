"""E-mail and webhook content: German and English templates, escaping, message headers."""

import email
import email.policy
from datetime import date

from services.notifications.channels import build_message, message_id, signature, verify_signature
from services.notifications.rendering import notification_view, render_digest, render_notification
from services.notifications.schemas import read_event
from shared.events import MEASURE_PROGRESS_RECORDED

from .builders import event


def rendered(language, **overrides):
    notice, payload = read_event(event(**overrides))
    view = notification_view(notice, payload["measure"], language, "Europe/Berlin")
    return render_notification(view, language)


def test_the_german_message_reads_german():
    message = rendered("de", occurred_at="2026-03-02T10:15:00+00:00", note="Auftrag vergeben")
    assert message.subject == "Maßnahme M-0042 „Radwegenetz ausbauen“: jetzt in Umsetzung"
    for text in (message.text, message.html):
        assert "Fachbereich" in text and "in Umsetzung" in text and "Fällig" in text
        assert "31.12.2027" in text  # German date
        assert "02.03.2026 11:15" in text  # county time (CET), not UTC
        assert "Vermerk: Auftrag vergeben" in text
        assert "finanziert → in Umsetzung" in text


def test_the_english_message_reads_english():
    message = rendered("en", occurred_at="2026-03-02T10:15:00+00:00")
    assert message.subject == "Measure M-0042 “Radwegenetz ausbauen”: now in progress"
    for text in (message.text, message.html):
        assert "Department" in text and "in progress" in text and "2027-12-31" in text
        assert "Fachbereich" not in text


def test_a_title_with_html_is_escaped_in_the_html_part():
    message = rendered("de", measure={"title": "<script>alert('x')</script> & <b>Radweg</b>"},
                       note='<img src="x" onerror="steal()">')
    assert "<script>" not in message.html and "<b>Radweg</b>" not in message.html and "<img" not in message.html
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &lt;b&gt;Radweg&lt;/b&gt;" in message.html
    assert "&lt;img src=&#34;x&#34; onerror=&#34;steal()&#34;&gt;" in message.html
    # the text part is no HTML: shown as written
    assert "<script>alert('x')</script> & <b>Radweg</b>" in message.text


def test_progress_and_values_are_formatted_for_people():
    message = rendered("de", event_type=MEASURE_PROGRESS_RECORDED, changes={"progress": [10, 60]},
                       from_status=None, to_status=None, measure={"progress": 60})
    assert message.subject.endswith(": Fortschritt 60 %")
    assert "Fortschritt: 10 % → 60 %" in message.text


def test_a_digest_lists_every_notification_in_one_message():
    views = []
    for title in ("Radwegenetz ausbauen", "Abfall-App einführen", "<i>Schulhof</i> entsiegeln"):
        notice, payload = read_event(event(measure={"title": title}))
        views.append(notification_view(notice, payload["measure"], "de", "Europe/Berlin"))
    digest = render_digest(date(2026, 3, 3), views, "de")
    assert digest.subject == "Tagesübersicht vom 03.03.2026: 3 Meldungen zu Maßnahmen"
    assert "1. Maßnahme M-0042 „Radwegenetz ausbauen“: jetzt in Umsetzung" in digest.text
    assert "3. Maßnahme M-0042 „<i>Schulhof</i> entsiegeln“" in digest.text
    assert "&lt;i&gt;Schulhof&lt;/i&gt;" in digest.html and "<i>" not in digest.html


def test_the_e_mail_is_multipart_with_a_message_id_from_the_delivery():
    message = build_message(17, "Maßnahmen Landkreis <massnahmen@kreis.example>", "klimaschutz@kreis.example",
                            rendered("de"), "kreis.example", {"X-Kreis-Event-Id": "abc"})
    parsed = email.message_from_bytes(message.as_bytes(), policy=email.policy.default)
    assert parsed["Message-ID"] == message_id(17, "kreis.example") == "<notification-17@kreis.example>"
    assert parsed["Subject"] == "Maßnahme M-0042 „Radwegenetz ausbauen“: jetzt in Umsetzung"
    assert parsed["To"] == "klimaschutz@kreis.example"
    assert parsed["Auto-Submitted"] == "auto-generated"
    assert [part.get_content_type() for part in parsed.iter_parts()] == ["text/plain", "text/html"]


def test_a_webhook_signature_verifies_only_with_the_secret_and_the_exact_body():
    body = b'{"event_type":"measure_status_changed"}'
    header = signature("geheim-und-lang-genug", body)
    assert header.startswith("sha256=")
    assert verify_signature("geheim-und-lang-genug", body, header)
    assert not verify_signature("anderes-geheimnis-123", body, header)
    assert not verify_signature("geheim-und-lang-genug", body + b" ", header)
