"""Column types that behave the same on PostgreSQL and SQLite."""

from datetime import timezone
from decimal import Decimal

from sqlalchemy import BigInteger, DateTime, TypeDecorator


class UtcDateTime(TypeDecorator):
    """An aware UTC instant; SQLite hands timestamps back without a zone, this puts UTC back on."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetimes are ambiguous: pass an aware (UTC) datetime")
        return None if value is None else value.astimezone(timezone.utc)

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value


class Cents(TypeDecorator):
    """EUR amounts as a Decimal in Python and whole cents in the database.

    SQLite has no exact decimal type (it would store a float); integer cents are exact on every
    backend, and sums in SQL stay exact too.
    """

    impl = BigInteger
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        cents = Decimal(value) * 100
        if cents != cents.to_integral_value():
            raise ValueError(f"{value} has more than two decimal places")
        return int(cents)

    def process_result_value(self, value, dialect):
        return None if value is None else (Decimal(value) / 100).quantize(Decimal("0.01"))
