"""Who receives a report: the recipients its report kind names, each mailbox once.

Reports are not routed through subscriptions: the county decides in its report kinds which
committee or office gets which report, so the kind's list is the whole audience.
"""


def report_recipients(notice):
    """The recipients of ``notice`` in the kind's order, a mailbox named twice (in any case) once:
    one delivery per event and target is also what the database enforces."""
    seen, chosen = set(), []
    for address in notice.recipients:
        key = address.strip().casefold()
        if key and key not in seen:
            seen.add(key)
            chosen.append(address.strip())
    return chosen
