"""Tracing numbers to their text: a quote in its surrounding text, a document with its facts
marked.  Pure functions returning escaped HTML."""

from __future__ import annotations

from collections.abc import Iterable
from html import escape

MARK = '<mark style="background:#FFE082;padding:0 2px;border-radius:3px">'
PARAGRAPH_STYLE = "line-height:1.9;font-size:1.02rem;white-space:pre-wrap"


def context_window(text: str, start: int, end: int, radius: int = 160) -> tuple[str, str, str]:
    """(before, quote, after) with up to `radius` characters each side, cut at line breaks."""
    lo = max(0, start - radius)
    hi = min(len(text), end + radius)
    before, after = text[lo:start], text[end:hi]
    if "\n\n" in before:
        before = before[before.rindex("\n\n") + 2 :]
    if "\n\n" in after:
        after = after[: after.index("\n\n")]
    prefix = "…" if start - len(before) > 0 and not text[: start - len(before)].endswith("\n") else ""
    suffix = "…" if end + len(after) < len(text) else ""
    return prefix + before, text[start:end], after + suffix


def quote_html(text: str, start: int, end: int, radius: int = 160) -> str:
    """The quote highlighted in its surrounding text."""
    before, quote, after = context_window(text, start, end, radius)
    return f'<div style="{PARAGRAPH_STYLE}">{escape(before)}{MARK}{escape(quote)}</mark>{escape(after)}</div>'


def document_html(text: str, spans: Iterable[tuple[int, int, str]]) -> str:
    """The whole document with every fact's span highlighted; `title` shows on hover.

    Overlapping spans are merged into the first one that starts there."""
    out: list[str] = []
    pos = 0
    for start, end, title in sorted(spans):
        if start < pos or end <= start:
            continue
        out.append(escape(text[pos:start]))
        out.append(
            MARK.replace("<mark ", f'<mark title="{escape(title)}" ') + escape(text[start:end]) + "</mark>"
        )
        pos = end
    out.append(escape(text[pos:]))
    return f'<div style="{PARAGRAPH_STYLE}">{"".join(out)}</div>'
