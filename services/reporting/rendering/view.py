"""A report document laid out for reading: headings, facts, tables of formatted text, charts.

HTML, Markdown and PDF render the same ``View``, so the three say the same thing in the same
order; each only decides how a heading, a table or a chart looks. Values here are plain text;
escaping is the renderers' business (each format escapes differently).
"""

from dataclasses import dataclass, field
from datetime import date

from .charts import area_chart, status_chart


@dataclass
class Table:
    columns: list
    rows: list
    #: Indexes of right-aligned (numeric) columns.
    numeric: frozenset = frozenset()
    heading: str | None = None
    empty: str | None = None
    note: str | None = None


@dataclass
class Section:
    key: str
    heading: str
    tables: list = field(default_factory=list)
    paragraphs: list = field(default_factory=list)
    charts: list = field(default_factory=list)


@dataclass
class View:
    title: str
    facts: list
    sections: list
    footer: str


def build_view(document, report_id, words):
    title = document["title"] or words("default_title")
    return View(title=title, facts=_facts(document, report_id, words), footer=words("footer"), sections=[
        _overview(document, words), _changes(document, words), _late(document, words), _funding(document, words),
    ])


def _facts(document, report_id, words):
    facts = [(words("report_no"), str(report_id)),
             (words("scope"), _scope(document["filters"], words)),
             (words("as_of"), words.date(document["as_of"])),
             (words("taken_at"), words.instant(document["taken_at"]))]
    previous = document["previous"]
    period = (words("period_since", id=previous["id"], when=words.instant(previous["taken_at"]))
              if previous else words("period_first"))
    facts.append((words("period"), period))
    if document["scheduled_for"]:
        facts.append((words("scheduled_for"), words.instant(document["scheduled_for"])))
    return facts


def _scope(filters, words):
    parts = [f"{words(name)}: {', '.join(filters[name])}" for name in ("programmes", "departments", "areas")
             if filters.get(name)]
    return "; ".join(parts) or words("scope_all")


def _overview(document, words):
    totals = document["totals"]
    summary = Table(columns=[words("measures"), words("open"), words("budget"), words("funding_approved")],
                    rows=[[words.number(totals["count"]), words.number(totals["open"]),
                           words.money(totals["budget_planned_cents"]), words.money(totals["funding_approved_cents"])]],
                    numeric=frozenset({0, 1, 2, 3}))
    tables = [summary,
              _totals_table(words("by_status"), words("status"), document["by_status"], words, words.status),
              _totals_table(words("by_area"), words("area"), document["by_area"], words, words.optional),
              _totals_table(words("by_department"), words("department"), document["by_department"], words,
                            lambda key: key),
              _totals_table(words("by_programme"), words("programme"), document["by_programme"], words,
                            words.optional)]
    department_names = {row["key"]: row["name"] for row in document["by_department"]}
    for row in tables[3].rows:  # "KS – Klimaschutzmanagement"
        name = department_names.get(row[0])
        row[0] = f"{row[0]} – {name}" if name else row[0]
    return Section("overview", words("totals"), tables=tables,
                   charts=[status_chart(document, words), area_chart(document, words)])


def _totals_table(heading, key_label, rows, words, label):
    body = [[label(row["key"]), words.number(row["count"]), words.money(row["budget_planned_cents"]),
             words.money(row["funding_approved_cents"])] for row in rows]
    return Table(heading=heading, columns=[key_label, words("count"), words("budget"), words("funding_approved")],
                 rows=body, numeric=frozenset({1, 2, 3}))


def _changes(document, words):
    section = Section("changes", words("changes"))
    changes = document["changes"]
    if changes is None:
        section.paragraphs.append(words("changes_first"))
        return section
    if not changes["total"]:
        section.paragraphs.append(words("changes_none"))
        return section
    columns = [words("id"), words("title"), words("department"), words("from"), words("to"), words("when"),
               words("note")]

    def rows(items):
        return [[item["measure_id"], item["title"], item["department"],
                 words.status(item["from_status"]) if item["from_status"] else "", words.status(item["to_status"]),
                 words.instant(item["occurred_at"]), item["note"] or ""] for item in items]

    for key in ("new", "status", "cancelled"):
        if changes[key]:
            section.tables.append(Table(heading=words(f"changes_{key}"), columns=columns, rows=rows(changes[key])))
    if changes["not_listed"]:
        section.paragraphs.append(words("not_listed", count=words.number(changes["not_listed"])))
    return section


def _late(document, words):
    late = document["late"]
    section = Section("late", words("late"))
    rows = [[item["id"], item["title"], item["department"], words.status(item["status"]),
             words.date(item["due_date"]), words.number(item["days_overdue"]), f"{item['progress']} %",
             _moved(item["moved"], words),
             words("escalated_on", on=words.instant(item["escalated_on"])) if item.get("escalated_on") else ""]
            for item in late["items"]]
    more = late["total"] - len(late["items"])
    section.tables.append(Table(
        columns=[words("id"), words("title"), words("department"), words("status"), words("due_date"),
                 words("days_overdue"), words("progress"), words("moved"), words("escalated")],
        rows=rows, numeric=frozenset({5, 6}), empty=words("late_none"),
        note=words("late_more", count=words.number(more)) if more else None))
    return section


def _moved(move, words):
    if not move:
        return ""
    return words("moved_text", field=words(f"field.{move['field']}"), on=words.instant(move["on"]),
                 old=words.date(move["from"]), new=words.date(move["to"]) or "–",
                 note=move["note"] or words("no_reason"))


def _funding(document, words):
    funding = document["funding"]
    as_of = date.fromisoformat(document["as_of"])
    rows = []
    for item in funding["items"]:
        obligation = item["next_obligation"]
        due = ""
        if obligation:
            due = f"{words.obligation(obligation['kind'])}: {words.date(obligation['due'])}"
            if date.fromisoformat(obligation["due"]) < as_of:
                due += f" ({words('obligation_overdue')} {words.date(obligation['due'])})"
        rows.append([item["id"], item["title"], words.source(item["source"]), item["programme"] or "",
                     item["reference"] or "", words.money(item["amount_approved_cents"]),
                     words.date(item["period_end"]), due])
    more = funding["total"] - len(funding["items"])
    section = Section("funding", words("funding"))
    section.tables.append(Table(
        columns=[words("id"), words("title"), words("source"), words("funding_programme"), words("reference"),
                 words("amount_approved"), words("period_end"), words("next_obligation")],
        rows=rows, numeric=frozenset({5}), empty=words("funding_none"),
        note=words("funding_more", count=words.number(more)) if more else None))
    return section
