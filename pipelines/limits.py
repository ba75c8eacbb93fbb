"""How much one report file may make the readers inflate, parse or spend: the one place.

Every limit is checked before the work it bounds (a zip part's declared size before it is
inflated, a PDF's page count before its pages are read) and again while the work runs
(inflating stops one byte past the limit whatever the header said; the time budget is
checked in the readers' loops).  A refusal is a ``ReadError`` naming the file and the limit.
The 导入 page shows ``MAX_FILE_BYTES`` as its upload limit.
"""

from __future__ import annotations

from dataclasses import dataclass

_MB = 1024 * 1024


@dataclass(frozen=True)
class ReadLimits:
    # the file itself, as uploaded or found in a folder
    max_file_bytes: int = 20 * _MB
    # docx: only [Content_Types].xml, the package relationships and the main document part are
    # inflated (never images or other media); their uncompressed total, declared and actual
    max_docx_xml_bytes: int = 32 * _MB
    # pdf: pages (the declared /Count first, then while reading) and the inflated content
    # streams of the pages read
    max_pdf_pages: int = 2_000
    max_pdf_content_bytes: int = 128 * _MB
    # html: elements (start tags), counted before the page is parsed (a tree of 100,000
    # elements takes about 250 MB)
    max_html_tags: int = 100_000
    # wall-clock budget for reading one file (checked between pages, paragraphs and parts)
    max_seconds: float = 120.0


LIMITS = ReadLimits()
MAX_FILE_BYTES: int = LIMITS.max_file_bytes  # the size limit users are told about (导入 page, README)


def megabytes(n: int) -> str:
    """``n`` bytes as the limits are stated to users: 20 MB, 1.5 MB."""
    return f"{n / _MB:.1f} MB"
