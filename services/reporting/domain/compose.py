"""The content of a status report, computed from a snapshot of the measures data.

``compose_report`` is a pure function: the snapshot the measures service answered, the request and
the previous report of the same kind go in; a JSON-safe document comes out. That document is
what is frozen and archived, beside the measures table of the snapshot (kept apart because only
the CSV needs it): every format is rendered from these alone, so an old report renders
the same however the measures have changed since, and whatever the code does later with new
snapshots.

Money stays in whole cents (integers) here; formatting is the renderers' business.
"""

from collections import defaultdict

from shared.vocabulary import Status

#: Bumped when the document's shape changes, so renderers can tell old documents apart.
FORMAT_VERSION = 1
_MONEY = ("count", "budget_planned_cents", "funding_approved_cents")
_STATUS_ORDER = [status.value for status in Status]


def compose_report(snapshot, request, previous=None):
    """The report document. ``previous`` is ``{"id", "taken_at"}`` of the report whose snapshot
    position was passed as ``since``, or None for the first report (no comparison)."""
    groups = [dict(zip(("status", "area", "department", "programme", *_MONEY), row)) for row in snapshot["groups"]]
    departments = snapshot["departments"]
    return {
        "format_version": FORMAT_VERSION,
        "title": request.title,
        "kind": request.kind_name,
        "language": request.language,
        "timezone": request.timezone,
        "filters": snapshot["filters"],
        "taken_at": snapshot["taken_at"],
        "as_of": snapshot["as_of"],
        "scheduled_for": None if request.scheduled_for is None else request.scheduled_for.isoformat(),
        "previous": previous,
        "totals": _total(groups),
        "by_status": _by_status(groups),
        "by_area": _by("area", groups),
        "by_department": [{**row, "name": (departments.get(row["key"]) or {}).get("name")}
                          for row in _by("department", groups)],
        "by_programme": _by("programme", groups),
        "area_status": _area_status(groups),
        "changes": None if snapshot.get("changes") is None else _changes(snapshot["changes"]),
        "late": snapshot["overdue"],
        "funding": snapshot["funded"],
    }


def _total(groups):
    total = _sum(groups)
    total["open"] = sum(g["count"] for g in groups if not Status(g["status"]).is_closed)
    return total


def _sum(groups):
    return {name: sum(g[name] for g in groups) for name in _MONEY}


def _by_status(groups):
    """Every status in lifecycle order, zeros included: a chart with a missing bar misleads."""
    buckets = defaultdict(list)
    for group in groups:
        buckets[group["status"]].append(group)
    return [{"key": status, **_sum(buckets[status])} for status in _STATUS_ORDER]


def _by(dimension, groups):
    """Totals per value of ``dimension``, sorted by name; measures without a value come last."""
    buckets = defaultdict(list)
    for group in groups:
        buckets[group[dimension]].append(group)
    keys = sorted(buckets, key=lambda key: (key is None, key or ""))
    return [{"key": key, **_sum(buckets[key])} for key in keys]


def _area_status(groups):
    """Counts per area and status, for the stacked chart."""
    counts = defaultdict(lambda: dict.fromkeys(_STATUS_ORDER, 0))
    for group in groups:
        counts[group["area"]][group["status"]] += group["count"]
    keys = sorted(counts, key=lambda key: (key is None, key or ""))
    return [{"key": key, "counts": counts[key]} for key in keys]


def _changes(changes):
    """New measures, cancelled ones and the other status changes, each in journal order."""
    new, cancelled, moved = [], [], []
    for item in changes["items"]:
        if item["action"] == "created":
            new.append(item)
        elif item["to_status"] == Status.CANCELLED.value:
            cancelled.append(item)
        else:
            moved.append(item)
    total = sum(changes["counts"].values())
    return {"since_position": changes["since"], "new": new, "status": moved, "cancelled": cancelled,
            "total": total, "not_listed": total - len(changes["items"])}
