"""基金运行分析 as the reader gets it: HTML on screen (each sentence opens to its numbers and
quotes, a number's quote on hover), a printable self-contained .html page and a Word .docx
(python-docx; an East Asian font named on every run).  Pure: no Streamlit.

Every user-supplied string (quotes, report names, region names, check messages) is escaped;
the only markup is this module's own.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import date
from html import escape

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Pt, RGBColor

from dashboard.core.narrative import Figure, Narrative, Sentence
from dashboard.core.settings import settings

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
HTML = "text/html"
BODY_FONT, TITLE_FONT = "宋体", "微软雅黑"  # the East Asian slot of every run
SOURCE_NOTE = "本文由 MedFund 根据报告原文自动生成：每个数字均注明计算方法和出处（原文、报告）。"


def scope_line(narrative: Narrative, generated: date) -> str:
    """口径：实际 · 险种：… · 生成日期：2025年06月01日."""
    cfg = settings()
    funds = "、".join(cfg.fund_name(f) for f in narrative.funds)
    return f"口径：{cfg.bases[narrative.basis].name} · 险种：{funds} · 生成日期：{generated:%Y年%m月%d日}"


def footnoted(narrative: Narrative) -> Iterator[tuple[str, list[tuple[Sentence, int | None]]]]:
    """Paragraphs of (sentence, footnote number): a number for each sentence with figures."""
    n = 0
    for name, sentences in narrative.paragraphs():
        out = []
        for sentence in sentences:
            if sentence.figures:
                n += 1
                out.append((sentence, n))
            else:
                out.append((sentence, None))
        yield name, out


def equation(figure: Figure) -> str:
    """How a number is computed, with its signed result: 2024年基金收入 ÷ 2023年基金收入 − 1 = −0.6%."""
    if figure.formula in ("amount", "count"):
        return figure.how
    return f"{figure.how} = {figure.signed_text}"


def figure_title(figure: Figure) -> str:
    """What shows on hover over a number: how it is computed and the quotes behind it."""
    lines = [equation(figure)] + [
        f"「{e.quote}」（{e.report}）" if e.report else f"「{e.quote}」" for e in figure.evidence
    ]
    return "\n".join(lines)


def _sentence_html(sentence: Sentence) -> str:
    out = []
    for part in sentence.parts:
        if isinstance(part, str):
            out.append(escape(part))
        else:
            out.append(
                f'<span class="mf-fig" title="{escape(figure_title(part))}">{escape(part.text)}</span>'
            )
    return "".join(out)


def _evidence_rows(sentence: Sentence) -> str:
    rows = []
    for figure in sentence.figures:
        quotes = "".join(
            f'<div class="mf-q">{escape(e.what)}{"：" + escape(e.value) if e.value else ""}'
            f"<br>「{escape(e.quote)}」"
            + (f'<span class="mf-r">（{escape(e.report)}）</span>' if e.report else "")
            + "</div>"
            for e in figure.evidence
        )
        rows.append(
            f'<tr><td class="mf-n">{escape(figure.text)}</td><td>{escape(equation(figure))}</td><td>{quotes}</td></tr>'
        )
    return "".join(rows)


SCREEN_STYLE = """<style>
.mf-nar { font-size: 1.02rem; line-height: 1.85; color: #263238; }
.mf-nar h5 { font-size: 0.9rem; color: #607D8B; margin: 0.6rem 0 0.1rem; font-weight: 600; }
.mf-nar details, .mf-nar p.mf-s { border-left: 3px solid #CFD8DC; padding: 1px 0 1px 12px; margin: 4px 0; }
.mf-nar details[open] { border-left-color: #1F5FBF; background: #F7F9FB; }
.mf-nar summary { cursor: pointer; }
.mf-fig { color: #0D47A1; font-weight: 600; border-bottom: 1px dotted #1F5FBF; cursor: help; white-space: nowrap; }
.mf-nar sup { color: #607D8B; font-size: 0.7rem; margin-left: 1px; }
.mf-nar table { border-collapse: collapse; width: 100%; font-size: 0.86rem; line-height: 1.5; margin: 4px 0 8px; }
.mf-nar th { text-align: left; color: #607D8B; font-weight: 600; border-bottom: 1px solid #CFD8DC; padding: 3px 6px; }
.mf-nar td { border-bottom: 1px solid #ECEFF1; padding: 4px 6px; vertical-align: top; }
.mf-nar td.mf-n { white-space: nowrap; font-weight: 600; color: #0D47A1; }
.mf-q + .mf-q { margin-top: 4px; }
.mf-r { color: #78909C; }
</style>"""


def screen_html(narrative: Narrative) -> str:
    """The text for the dashboard: paragraphs of sentences; a sentence with numbers opens to a
    table of them (计算, 原文, 报告); a number's quotes show on hover."""
    body = []
    for name, sentences in footnoted(narrative):
        body.append(f"<h5>{escape(name)}</h5>")
        for sentence, n in sentences:
            text = _sentence_html(sentence)
            if n is None:
                body.append(f'<p class="mf-s">{text}</p>')
                continue
            body.append(
                f"<details><summary>{text}<sup>[{n}]</sup></summary>"
                "<table><tr><th>数值</th><th>计算</th><th>原文与报告</th></tr>"
                f"{_evidence_rows(sentence)}</table></details>"
            )
    return SCREEN_STYLE + f'<div class="mf-nar">{"".join(body)}</div>'


PAGE_STYLE = """
body { font-family: "宋体", SimSun, "Noto Serif CJK SC", "Songti SC", serif; color: #212121;
       max-width: 46rem; margin: 2.5rem auto; padding: 0 1.5rem; line-height: 1.9; font-size: 16px; }
h1 { font-family: "微软雅黑", "Microsoft YaHei", "Noto Sans CJK SC", sans-serif; font-size: 1.6rem;
     text-align: center; margin-bottom: 0.3rem; }
h2 { font-family: "微软雅黑", "Microsoft YaHei", "Noto Sans CJK SC", sans-serif; font-size: 1.1rem;
     margin: 1.6rem 0 0.4rem; }
.scope { text-align: center; color: #616161; font-size: 0.9rem; margin-bottom: 1.6rem; }
p { text-indent: 2em; margin: 0.5rem 0; }
.mf-fig { font-weight: 600; white-space: nowrap; }
sup a { color: #616161; text-decoration: none; font-size: 0.75em; }
ol.notes { font-size: 0.85rem; line-height: 1.6; padding-left: 1.6rem; }
ol.notes li { margin-bottom: 0.5rem; }
ol.notes .q { color: #424242; }
.muted { color: #757575; font-size: 0.85rem; }
@page { size: A4; margin: 2cm 2.2cm; }
@media print {
  body { margin: 0; max-width: none; padding: 0; font-size: 12pt; }
  h2 { break-after: avoid; }
  ol.notes li, p { break-inside: avoid; }
  sup a { color: #000; }
}
"""


def page_html(narrative: Narrative, generated: date | None = None) -> str:
    """A self-contained, printable HTML page: title, scope and date, the text with a footnote
    after each sentence, the notes (each number: how computed, quote, report), the reports."""
    generated = generated or date.today()
    paragraphs, notes = [], []
    for name, sentences in footnoted(narrative):
        paragraphs.append(f"<h2>{escape(name)}</h2>")
        text = []
        for sentence, n in sentences:
            parts = [_sentence_html(sentence)]
            if n is not None:
                parts.append(f'<sup><a href="#note-{n}" id="ref-{n}">[{n}]</a></sup>')
                notes.append(f'<li id="note-{n}">{_note_html(sentence)}</li>')
            text.append("".join(parts))
        paragraphs.append(f"<p>{''.join(text)}</p>")
    reports = "".join(f"<li>{escape(r)}</li>" for r in narrative.reports)
    return (
        '<!DOCTYPE html>\n<html lang="zh-CN"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(narrative.title)}</title><style>{PAGE_STYLE}</style></head><body>"
        f"<h1>{escape(narrative.title)}</h1>"
        f'<div class="scope">{escape(scope_line(narrative, generated))}</div>'
        + "".join(paragraphs)
        + (f'<h2>注释</h2><ol class="notes">{"".join(notes)}</ol>' if notes else "")
        + (f"<h2>资料来源</h2><ul>{reports}</ul>" if reports else "")
        + f'<p class="muted">{escape(SOURCE_NOTE)}</p></body></html>'
    )


def _quotes_by_report(figure: Figure) -> list[tuple[list[str], str]]:
    """A figure's quotes grouped by report, in order: ([quote, …], report)."""
    groups: dict[str, list[str]] = {}
    for e in figure.evidence:
        groups.setdefault(e.report, []).append(e.quote)
    return [(quotes, report) for report, quotes in groups.items()]


def _note_html(sentence: Sentence) -> str:
    items = []
    for figure in sentence.figures:
        quotes = "；".join(
            "；".join(f"「{escape(q)}」" for q in quotes) + (f"（{escape(report)}）" if report else "")
            for quotes, report in _quotes_by_report(figure)
        )
        items.append(
            f'<b>{escape(figure.text)}</b>：{escape(equation(figure))}。<span class="q">{quotes}</span>'
        )
    return "<br>".join(items)


def note_lines(sentence: Sentence) -> list[str]:
    """A footnote as plain lines: each number, how it is computed, its quotes and reports."""
    lines = []
    for figure in sentence.figures:
        quotes = "；".join(
            "；".join(f"「{q}」" for q in quotes) + (f"（{report}）" if report else "")
            for quotes, report in _quotes_by_report(figure)
        )
        lines.append(f"{figure.text}：{equation(figure)}。{quotes}")
    return lines


# ---------------------------------------------------------------------------------------
# Word


def _font_slots(rpr, font: str):
    """`font` in every slot of a run's or style's properties (w:rFonts), East Asian included."""
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    for slot in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(slot), font)
    return fonts


def _east_asian(run, font: str) -> None:
    """`font` in the run's latin and East Asian (w:eastAsia) slots."""
    run.font.name = font
    _font_slots(run._element.get_or_add_rPr(), font)


def _style_fonts(document) -> None:
    """The styles used name the fonts too (text typed later in Word keeps them)."""
    for name, font in (("Normal", BODY_FONT), ("Title", TITLE_FONT), ("Heading 1", TITLE_FONT)):
        style = document.styles[name]
        style.font.name = font
        fonts = _font_slots(style.element.get_or_add_rPr(), font)
        for theme in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
            fonts.attrib.pop(qn(theme), None)


def _add_run(paragraph, text: str, font: str = BODY_FONT, size: float = 12, **style):
    run = paragraph.add_run(text)
    _east_asian(run, font)
    run.font.size = Pt(size)
    run.font.bold = style.get("bold")
    run.font.superscript = style.get("superscript")
    if style.get("color"):
        run.font.color.rgb = style["color"]
    return run


def docx_bytes(narrative: Narrative, generated: date | None = None) -> bytes:
    """The analysis as a Word document: title, scope and date, the paragraphs with a footnote
    mark after each sentence, the notes and the reports; every run in 宋体 / 微软雅黑."""
    generated = generated or date.today()
    document = Document()
    _style_fonts(document)
    muted = RGBColor(0x61, 0x61, 0x61)
    title = document.add_paragraph(style="Title")
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _add_run(title, narrative.title, TITLE_FONT, 20, bold=True)
    scope = document.add_paragraph()
    scope.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _add_run(scope, scope_line(narrative, generated), size=10.5, color=muted)
    notes: list[tuple[int, Sentence]] = []
    for name, sentences in footnoted(narrative):
        _add_run(document.add_paragraph(style="Heading 1"), name, TITLE_FONT, 14, bold=True)
        paragraph = document.add_paragraph()
        paragraph.paragraph_format.first_line_indent = Pt(24)
        paragraph.paragraph_format.line_spacing = 1.5
        for sentence, n in sentences:
            for part in sentence.parts:
                if isinstance(part, str):
                    _add_run(paragraph, part)
                else:
                    _add_run(paragraph, part.text, bold=True)
            if n is not None:
                _add_run(paragraph, f"[{n}]", size=9, superscript=True, color=muted)
                notes.append((n, sentence))
    if notes:
        _add_run(document.add_paragraph(style="Heading 1"), "注释", TITLE_FONT, 14, bold=True)
        for n, sentence in notes:
            for i, line in enumerate(note_lines(sentence)):
                _add_run(document.add_paragraph(), (f"[{n}] " if i == 0 else "　　") + line, size=9.5)
    if narrative.reports:
        _add_run(document.add_paragraph(style="Heading 1"), "资料来源", TITLE_FONT, 14, bold=True)
        for report in narrative.reports:
            _add_run(document.add_paragraph(), "· " + report, size=10.5)
    _add_run(document.add_paragraph(), SOURCE_NOTE, size=9, color=muted)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def file_name(narrative: Narrative, suffix: str) -> str:
    """道县2024年医保基金运行分析.docx"""
    return f"{narrative.title}.{suffix}"
