"""Build report fixture files at test time (nothing binary is committed).

Plain functions that write into a path the caller chooses (usually under tmp_path) and
return that path.  Any test may use them.
"""

import codecs
import io
import random
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import docx
from PIL import Image, ImageDraw
from reportlab.lib import pdfencrypt
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

# A typical passage from a bureau report, with fund figures.  Contains GBK-only
# characters outside GB2312 (镕, 喆) so a GB2312-only decoder would fail on it.
REPORT_PASSAGE = (
    "2023年全市基本医疗保险基金运行情况\n"
    "一、职工基本医疗保险（含生育保险）\n"
    "全年基金收入45.67亿元，同比增长8.9%；基金支出38.12亿元，同比增长6.5%。"
    "当年结存7.55亿元，累计结存120.50亿元。\n"
    "二、城乡居民基本医疗保险\n"
    "基金收入（含财政补助）30.2亿元，支出28.9亿元，参保人数312.6万人。\n"
    "经办人：朱镕、王喆\n"
)

_BOMS = {"utf-8": codecs.BOM_UTF8, "utf-16-le": codecs.BOM_UTF16_LE, "utf-16-be": codecs.BOM_UTF16_BE}
_CID_FONT = "STSong-Light"  # built into reportlab (Adobe-GB1, not embedded): no font files needed


def write_text(path: Path, text: str, encoding: str, *, bom: bool = False) -> Path:
    """Write text in an encoding; bom=True prepends the BOM for utf-8 / utf-16-le / utf-16-be."""
    data = text.encode(encoding)
    if bom:
        data = _BOMS[codecs.lookup(encoding).name] + data
    path.write_bytes(data)
    return path


def write_random_bytes(path: Path, size: int = 4096, seed: int = 1234) -> Path:
    """Binary junk, reproducible."""
    path.write_bytes(random.Random(seed).randbytes(size))
    return path


@dataclass
class DocxTable:
    """A table for make_docx.

    rows: cell texts; a cell text with "\\n" becomes several paragraphs in the cell.
    position: how many of make_docx's paragraphs come before the table (None: at the end).
    merges: ((row, col), (row, col)) corner pairs to merge, as in Word's "merge cells".
    nested: (row, col, rows) puts a table with `rows` inside that cell.
    """

    rows: Sequence[Sequence[str]]
    position: int | None = None
    merges: Sequence[tuple[tuple[int, int], tuple[int, int]]] = field(default_factory=tuple)
    nested: Sequence[tuple[int, int, Sequence[Sequence[str]]]] = field(default_factory=tuple)


def make_docx(path: Path, paragraphs: Sequence[str], tables: Sequence[DocxTable] | None = None) -> Path:
    """A .docx with the paragraphs in order and each table at its position."""
    document = docx.Document()
    tables = list(tables or [])
    for index in range(len(paragraphs) + 1):
        for table in tables:
            at_end = table.position is None and index == len(paragraphs)
            if table.position == index or at_end:
                _add_table(document, table)
        if index < len(paragraphs):
            document.add_paragraph(paragraphs[index])
    document.save(str(path))
    return path


def _add_table(document, spec: DocxTable) -> None:
    table = document.add_table(rows=len(spec.rows), cols=max(len(row) for row in spec.rows))
    for r, row in enumerate(spec.rows):
        for c, value in enumerate(row):
            first, *more = value.split("\n")
            cell = table.cell(r, c)
            cell.text = first
            for extra in more:
                cell.add_paragraph(extra)
    for (r1, c1), (r2, c2) in spec.merges:
        table.cell(r1, c1).merge(table.cell(r2, c2))
    for r, c, rows in spec.nested:
        inner = table.cell(r, c).add_table(rows=len(rows), cols=max(len(row) for row in rows))
        for ir, row in enumerate(rows):
            for ic, value in enumerate(row):
                inner.cell(ir, ic).text = value


def _docx_bytes(paragraphs: Sequence[str] = ("医保基金收入12.3亿元。",)) -> bytes:
    buffer = io.BytesIO()
    document = docx.Document()
    for text in paragraphs:
        document.add_paragraph(text)
    document.save(buffer)
    return buffer.getvalue()


def make_truncated_docx(path: Path) -> Path:
    """The first half of a valid .docx, as left by an interrupted download."""
    data = _docx_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path


def make_docx_missing_part(path: Path, part: str = "word/document.xml") -> Path:
    """A .docx zip with one part left out."""
    _rewrite_docx_part(path, part, None)
    return path


def make_docx_bad_xml(path: Path) -> Path:
    """A .docx whose main document part is not well-formed XML."""
    _rewrite_docx_part(path, "word/document.xml", b"<w:document><w:body><w:p>")
    return path


def _rewrite_docx_part(path: Path, part: str, content: bytes | None) -> None:
    with zipfile.ZipFile(io.BytesIO(_docx_bytes())) as source, zipfile.ZipFile(path, "w") as target:
        for item in source.infolist():
            if item.filename != part:
                target.writestr(item, source.read(item))
            elif content is not None:
                target.writestr(item, content)


def make_ole_doc(path: Path) -> Path:
    """Bytes that start like a legacy Word .doc (OLE2 compound file), e.g. saved as .docx by mistake."""
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(4088))
    return path


def make_text_pdf(
    path: Path, lines: Sequence[str], *, lines_per_page: int = 40, password: str | None = None
) -> Path:
    """A PDF with a real (Chinese-capable) text layer; password encrypts it with a user password."""
    pdfmetrics.registerFont(UnicodeCIDFont(_CID_FONT))
    encrypt = pdfencrypt.StandardEncryption(password, ownerPassword=password + "-owner") if password else None
    pdf = canvas.Canvas(str(path), encrypt=encrypt)
    for start in range(0, max(len(lines), 1), lines_per_page):
        pdf.setFont(_CID_FONT, 12)
        for offset, line in enumerate(lines[start : start + lines_per_page]):
            pdf.drawString(50, 800 - 18 * offset, line)
        pdf.showPage()
    pdf.save()
    return path


def make_image_pdf(path: Path) -> Path:
    """An image-only PDF, like a scanned report: no text layer at all."""
    image = Image.new("RGB", (620, 877), "white")
    draw = ImageDraw.Draw(image)
    for top in range(80, 800, 30):
        draw.rectangle((60, top, 560, top + 12), fill="black")
    image.save(path, "PDF", resolution=72.0)
    return path


def make_cid_pdf(path: Path, glyphs: int = 80, ascii_text: str = "") -> Path:
    """A PDF whose text uses a font without any Unicode mapping: pdfplumber yields "(cid:N)".

    ascii_text, if given, is drawn on a second line in Helvetica, which does decode.
    """
    codes = b"".join(cid.to_bytes(2, "big") for cid in range(1, glyphs + 1))  # Identity-H: 2 bytes a glyph
    content = b"BT /F1 12 Tf 50 800 Td <" + codes.hex().encode() + b"> Tj ET"
    if ascii_text:
        content += b"\nBT /F2 12 Tf 50 770 Td (" + ascii_text.encode("ascii") + b") Tj ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /Font << /F1 4 0 R /F2 8 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type0 /BaseFont /NoUnicode /Encoding /Identity-H "
        b"/DescendantFonts [6 0 R] >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content),
        b"<< /Type /Font /Subtype /CIDFontType2 /BaseFont /NoUnicode /DW 1000 /FontDescriptor 7 0 R "
        b"/CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> >>",
        b"<< /Type /FontDescriptor /FontName /NoUnicode /Flags 4 /FontBBox [0 0 1000 1000] "
        b"/ItalicAngle 0 /Ascent 1000 /Descent 0 /CapHeight 1000 /StemV 80 >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    ]
    return write_pdf(path, objects)


def write_pdf(path: Path, objects: list[bytes]) -> Path:
    """A PDF from its objects (1 is the catalog), with a correct xref table."""
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    path.write_bytes(bytes(out))
    return path


def make_corrupt_pdf(path: Path) -> Path:
    """A PDF header followed by junk."""
    path.write_bytes(b"%PDF-1.7\n" + random.Random(99).randbytes(3000))
    return path
