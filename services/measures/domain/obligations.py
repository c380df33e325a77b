"""Grant obligations: the dates a funded measure owes its funding body something.

Usual German grant conditions (ANBest-P, NKI Kommunalrichtlinie): the funding period ends on
``period_end``; for every calendar year the period runs past, an interim proof of use
(Zwischennachweis) is due four months after that year, by 30 April; the final proof of use
(Verwendungsnachweis) is due six months after the period ends. Both rules are parameters, because
funding bodies differ.
"""

import calendar
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from shared.vocabulary import FundingSource


class ObligationKind(StrEnum):
    PERIOD_END = "period_end"
    INTERIM_PROOF = "interim_proof"
    FINAL_PROOF = "final_proof"


@dataclass(frozen=True)
class GrantRules:
    #: (month, day) in the year after each funding year by which the interim proof is due.
    interim_proof_due: tuple = (4, 30)
    #: Months after the end of the funding period by which the final proof is due.
    final_proof_months: int = 6


@dataclass(frozen=True, order=True)
class Obligation:
    due: date
    kind: ObligationKind
    #: Stable key of this obligation of this measure, e.g. "interim_proof:2022".
    key: str


def obligations(funding, rules=GrantRules()):
    """Every obligation of a grant, in date order; none without a grant with a period end."""
    if funding is None or funding.source is not FundingSource.GRANT or funding.period_end is None:
        return []
    end = funding.period_end
    start = funding.period_start or end
    month, day = rules.interim_proof_due
    found = [Obligation(end, ObligationKind.PERIOD_END, ObligationKind.PERIOD_END.value)]
    for year in range(start.year, end.year):
        found.append(Obligation(date(year + 1, month, day), ObligationKind.INTERIM_PROOF,
                                f"{ObligationKind.INTERIM_PROOF.value}:{year}"))
    found.append(Obligation(add_months(end, rules.final_proof_months), ObligationKind.FINAL_PROOF,
                            ObligationKind.FINAL_PROOF.value))
    return sorted(found)


def next_obligation(funding, fulfilled=frozenset(), rules=GrantRules()):
    """The earliest obligation not yet fulfilled (by key), or None."""
    return next((o for o in obligations(funding, rules) if o.key not in fulfilled), None)


def add_months(day, months):
    """``day`` moved by whole months; the last day of a month stays the last day (30 Sep + 6 months
    is 31 Mar), other days are clamped to the target month's length (31 Aug + 6 is 28/29 Feb)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    last = calendar.monthrange(year, month)[1]
    if day.day == calendar.monthrange(day.year, day.month)[1]:
        return date(year, month, last)
    return date(year, month, min(day.day, last))
