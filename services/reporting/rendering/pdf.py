"""The report as PDF, with reportlab (pure Python: nothing to install on the server).

Written in reportlab's invariant mode (no creation time, fixed document id), so a frozen report
renders to the same bytes every time. Text goes into ``Paragraph`` markup, which interprets tags:
every value is escaped first. The built-in Helvetica covers German text (WinAnsi: umlauts, ß, €,
„“, –); a character outside it prints as a blank box, never as markup.
"""

import io
from xml.sax.saxutils import escape

from reportlab.graphics.shapes import Drawing, Rect, String
from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

_PAGE = landscape(A4)
_MARGIN = 15 * mm
_styles = getSampleStyleSheet()
_CELL = ParagraphStyle("cell", parent=_styles["BodyText"], fontSize=8, leading=10)
_NUMBER = ParagraphStyle("number", parent=_CELL, alignment=TA_RIGHT)
_HEAD = ParagraphStyle("head", parent=_CELL, fontName="Helvetica-Bold")
_GRID = TableStyle([
    ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#c5ccd3")),
    ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eef1f4")),
    ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ("TOPPADDING", (0, 0), (-1, -1), 2), ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
])


def render_pdf(view, words):
    buffer = io.BytesIO()
    document = SimpleDocTemplate(buffer, pagesize=_PAGE, leftMargin=_MARGIN, rightMargin=_MARGIN,
                                 topMargin=_MARGIN, bottomMargin=_MARGIN, title=view.title,
                                 author="", subject="", creator="kreis-measures", invariant=1)
    story = [Paragraph(escape(view.title), _styles["Title"])]
    facts = [[Paragraph(escape(label), _HEAD), Paragraph(escape(value), _CELL)] for label, value in view.facts]
    story += [Table(facts, colWidths=[45 * mm, None], hAlign="LEFT"), Spacer(1, 4 * mm)]
    for section in view.sections:
        story.append(Paragraph(escape(section.heading), _styles["Heading2"]))
        for chart in section.charts:
            story.append(KeepTogether([Paragraph(escape(chart.title), _styles["Heading4"]), _drawing(chart)]))
        for table in section.tables:
            story += _table(table)
        story += [Paragraph(escape(text), _styles["BodyText"]) for text in section.paragraphs]
    story.append(Spacer(1, 6 * mm))
    story.append(Paragraph(escape(view.footer), _styles["Italic"]))
    document.build(story)
    return buffer.getvalue()


def _table(table):
    flowables = []
    if table.heading:
        flowables.append(Paragraph(escape(table.heading), _styles["Heading4"]))
    if table.rows:
        head = [Paragraph(escape(column), _HEAD) for column in table.columns]
        body = [[Paragraph(escape(cell), _NUMBER if index in table.numeric else _CELL)
                 for index, cell in enumerate(row)] for row in table.rows]
        flowables.append(Table([head, *body], repeatRows=1, style=_GRID, hAlign="LEFT",
                               colWidths=_widths(len(table.columns))))
    elif table.empty:
        flowables.append(Paragraph(escape(table.empty), _styles["BodyText"]))
    if table.note:
        flowables.append(Paragraph(escape(table.note), _styles["Italic"]))
    flowables.append(Spacer(1, 3 * mm))
    return flowables


def _widths(count):
    """Titles get the room: the second column is wide when there are many columns."""
    usable = _PAGE[0] - 2 * _MARGIN
    if count <= 4:
        return [usable * 0.4] + [usable * 0.6 / (count - 1)] * (count - 1)
    title = usable * 0.3
    return [usable * 0.07, title] + [(usable * 0.63) / (count - 2)] * (count - 2)


def _drawing(chart):
    """The chart's geometry (SVG coordinates, y down) drawn in PDF coordinates (y up)."""
    scale = (_PAGE[0] - 2 * _MARGIN) / chart.width
    drawing = Drawing(chart.width * scale, chart.height * scale)

    def y(top, height=0):
        return (chart.height - top - height) * scale

    for index, (colour, label) in enumerate(chart.legend):
        x = chart.bar_x + index * 90
        drawing.add(Rect(x * scale, y(4, 10), 10 * scale, 10 * scale, fillColor=colors.HexColor(colour),
                         strokeColor=None))
        drawing.add(String((x + 14) * scale, y(13), label, fontName="Helvetica", fontSize=8))
    for row in chart.rows:
        drawing.add(String((chart.bar_x - 6) * scale, y(row.y + 12), row.label, fontName="Helvetica", fontSize=8,
                           textAnchor="end"))
        for segment in row.segments:
            drawing.add(Rect(segment.x * scale, y(row.y + 1, 15), segment.width * scale, 15 * scale,
                             fillColor=colors.HexColor(segment.colour), strokeColor=None))
        drawing.add(String(chart.value_x * scale, y(row.y + 12), row.value, fontName="Helvetica", fontSize=8))
    return drawing
