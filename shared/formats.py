"""How amounts, dates and instants are written for people, in German and English.

One definition for the CLI, the e-mails and the reports, so that 1.234,56 € on the screen is
1.234,56 € in the council report.
"""

from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo


def money(amount, language="de"):
    """1234.5 -> "1.234,50 €" (de) or "€1,234.50" (en); text that is no number comes back as it is."""
    try:
        value = Decimal(str(amount))
    except InvalidOperation:
        return str(amount)
    text = f"{value:,.2f}"
    if language == "en":
        return f"€{text}"
    return text.replace(",", "_").replace(".", ",").replace("_", ".") + " €"


def money_from_cents(cents, language="de"):
    return money(Decimal(cents) / 100, language)


def number(value, language="de"):
    text = f"{value:,}"
    return text.replace(",", ".") if language == "de" else text


def day(value, language="de"):
    """A calendar date (or its ISO text): 30.09.2023 (de), 2023-09-30 (en)."""
    value = value if isinstance(value, date) else date.fromisoformat(str(value))
    return value.strftime("%d.%m.%Y") if language == "de" else value.isoformat()


def instant(value, language="de", timezone="Europe/Berlin"):
    """An instant (or its ISO text) in the county's time zone, to the minute."""
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    local = moment.astimezone(ZoneInfo(timezone) if isinstance(timezone, str) else timezone)
    return local.strftime("%d.%m.%Y %H:%M") if language == "de" else local.strftime("%Y-%m-%d %H:%M")


def looks_like_date(text):
    """True for ISO dates such as "2026-11-22" (so a generic value can be shown as a date)."""
    if not isinstance(text, str) or len(text) != 10 or text[4] != "-" or text[7] != "-":
        return False
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True
