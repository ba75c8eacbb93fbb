"""Read report files (.txt, .docx, .pdf, .html/.htm) into plain text.

``read_document`` checks the path (exists, is a file, known type, not empty, not too
large), reads the bytes once and hands them to one reader per format.  Readers only
turn a file into lines of text: newlines become "\\n" and control characters are
dropped, but full-width characters and odd spaces are left for ``pipelines.normalize``.

Table rows (docx and html) become one line each, cells separated by "\\t".

Every failure is a ``ReadError`` whose reason (in Chinese) says what is wrong with the
file and what the user can do about it.  What a reader may inflate, parse or spend on one
file is bounded by ``pipelines.limits`` and checked before the work (and during it).
What could be read but not cleanly (bad bytes replaced, pdfminer's complaints) becomes a
Chinese warning in ``RawDocument.warnings``; file names in messages go through
``display_name`` (control characters escaped).
"""

import codecs
import contextlib
import contextvars
import hashlib
import io
import logging
import re
import stat
import time
import unicodedata
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import charset_normalizer
import docx
import pdfplumber
from bs4 import BeautifulSoup, NavigableString, Tag
from bs4.element import PreformattedString
from docx.opc.exceptions import PackageNotFoundError
from docx.table import Table, _Cell
from lxml import etree
from pdfminer.pdfdocument import PDFPasswordIncorrect
from pdfminer.pdfpage import PDFPage
from pdfminer.pdftypes import LITERALS_FLATE_DECODE, PDFStream, resolve1
from pdfminer.psexceptions import PSException
from pdfplumber.page import Page as PdfPage
from pdfplumber.utils.exceptions import MalformedPDFException, PdfminerException

from pipelines.limits import LIMITS, MAX_FILE_BYTES, ReadLimits, megabytes

SUPPORTED_SUFFIXES: frozenset[str] = frozenset({".txt", ".docx", ".pdf", ".html", ".htm"})
MAX_BYTES_DEFAULT = MAX_FILE_BYTES  # the one file-size limit (pipelines.limits)

# Line breaks of every flavour become "\n"; other C0 controls (and DEL) are dropped.
_LINE_BREAKS = re.compile("\r\n|[\r\x0b\x0c\x85\u2028\u2029]")
_CONTROL_CHARS = re.compile("[\x00-\x08\x0e-\x1f\x7f]")
# Decoded "text" with more than this share of control characters is binary data.
_MAX_CONTROL_SHARE = 0.02
_NOT_TEXT = (
    "文件内容不是文本（含大量控制字符或无法识别的编码），可能是其他类型的文件被改了扩展名；"
    "请用原软件打开后另存为 .txt（UTF-8 或 GBK 编码）或 .docx 再导入"
)
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # legacy .doc/.xls container
# A password-protected .docx is an OLE container holding the encrypted package (MS-OFFCRYPTO).
_OLE_ENCRYPTED_PACKAGE = "EncryptedPackage".encode("utf-16-le")
_OFFICE_DOCUMENT = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"
_PACKAGE_RELS = "_rels/.rels"
_CONTENT_TYPES = "[Content_Types].xml"
# UTF-8 text with at most this share of undecodable bytes is read with U+FFFD in their place.
_MAX_BAD_UTF8_SHARE = 0.001
_MAX_BAD_UTF8 = 16
_DOCX_ERRORS = (
    zipfile.BadZipFile,
    KeyError,
    ValueError,
    EOFError,
    zlib.error,
    PackageNotFoundError,
    etree.LxmlError,
    NotImplementedError,  # a compression method zipfile cannot inflate
    RuntimeError,  # an encrypted zip entry
)
_PDF_ERRORS = (PdfminerException, MalformedPDFException, PSException)
_PDF_MIN_CHARS_PER_PAGE = 10
_PDF_MAX_CID_SHARE = 0.3
_PDF_CID_GLYPH = re.compile(r"\(cid:\d+\)")
_HTML_META_CHARSET = re.compile(rb"""<meta[^>]*?charset\s*=\s*["']?\s*([a-z0-9_.:-]+)""", re.IGNORECASE)
_HTML_HIDDEN = frozenset({"script", "style", "noscript", "template", "head", "title"})
_HTML_BLOCKS = frozenset(
    {
        "p", "div", "li", "ul", "ol", "dl", "dd", "dt", "h1", "h2", "h3", "h4", "h5", "h6",
        "table", "thead", "tbody", "tfoot", "caption", "section", "article", "header", "footer",
        "main", "nav", "aside", "blockquote", "pre", "address", "figure", "figcaption", "hr",
        "center", "form", "fieldset", "body", "html",
    }
)  # fmt: skip
_HTML_START_TAG = re.compile(r"<[A-Za-z]")
_HTML_SPACES = re.compile(r"[ \t\n\r\f]+")  # HTML whitespace; nbsp and U+3000 are text
_HTML_PRE_SPACES = re.compile(r"[ \t\r\f]+")


def display_name(path: Path | str) -> str:
    """A file's name as messages show it: control and format characters (newlines, ESC,
    right-to-left overrides, ...) escaped as \\n, \\x1b, \\u202e, so a name cannot forge or
    hide a line of output."""
    path = Path(path)
    name = path.name or str(path)
    return "".join(_escape_char(ch) for ch in name)


def _escape_char(ch: str) -> str:
    if unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Zl", "Zp"):  # Cs: undecodable bytes in a name
        return ch.encode("unicode_escape").decode("ascii")
    return ch


class ReadError(Exception):
    """A file that cannot be read as a report. str(err) == f"{display_name(path)}: {reason}"."""

    def __init__(self, path: Path, reason: str):
        self.path = Path(path)
        self.reason = reason
        super().__init__(f"{display_name(self.path)}: {reason}")

    def __reduce__(self):
        return type(self), (self.path, self.reason)


@dataclass(frozen=True)
class RawDocument:
    path: Path
    text: str
    reader: str  # "txt" | "docx" | "pdf" | "html"
    encoding: str | None  # detected encoding for txt/html, else None
    size_bytes: int
    sha256: str = ""  # of exactly the bytes that were read: the document's id
    warnings: tuple[str, ...] = ()  # read, but not cleanly (in Chinese, for the document's warnings)


@dataclass
class _Reading:
    """One file being read: its limits, its time budget and the warnings gathered."""

    path: Path
    limits: ReadLimits
    started: float = field(default_factory=time.monotonic)
    warnings: list[str] = field(default_factory=list)

    def check_time(self) -> None:
        if time.monotonic() - self.started > self.limits.max_seconds:
            raise ReadError(
                self.path,
                f"读取时间超过上限 {self.limits.max_seconds:g} 秒，已停止读取（文件可能过大或结构异常）；"
                "请确认是否选错了文件，或拆分、另存为 .txt 后再导入",
            )


def read_document(path: Path, *, max_bytes: int | None = None, limits: ReadLimits = LIMITS) -> RawDocument:
    """Read one report file; raise ReadError if it cannot be used as a report.

    ``limits`` bounds what reading may inflate, parse or spend (``max_bytes``, when given,
    replaces its file-size limit)."""
    path = Path(path)
    max_bytes = limits.max_file_bytes if max_bytes is None else max_bytes
    try:
        st = path.stat()
    except FileNotFoundError:
        raise ReadError(path, "文件不存在，请检查路径和文件名是否正确") from None
    except OSError as err:
        raise ReadError(path, f"无法访问该路径（{err.strerror or err}），请检查路径和权限") from None
    if stat.S_ISDIR(st.st_mode):
        raise ReadError(path, "这是一个文件夹而不是文件，请指定具体的报告文件")
    if not stat.S_ISREG(st.st_mode):
        raise ReadError(path, "不是普通文件（可能是设备或管道），无法作为报告读取")
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise ReadError(
            path,
            f"不支持的文件类型“{suffix or '无扩展名'}”。支持的类型：{'、'.join(sorted(SUPPORTED_SUFFIXES))}；"
            "旧版 .doc、.xls、.wps 等文件请先用 Word/WPS/Excel 另存为 .docx 或 .txt 后再导入",
        )
    if st.st_size == 0:
        raise ReadError(path, "文件为空（0 字节），请确认文件是否完整下载或导出")
    if st.st_size > max_bytes:
        raise _too_large(path, st.st_size, max_bytes)
    try:
        with path.open("rb") as fh:
            data = fh.read(max_bytes + 1)  # never more than the limit, even if the file grew
    except OSError as err:
        reason = f"无法读取文件（{err.strerror or err}），请检查文件权限或是否被其他程序占用"
        raise ReadError(path, reason) from None
    if len(data) > max_bytes:
        raise _too_large(path, len(data), max_bytes)

    reader, read = _READERS[suffix]
    reading = _Reading(path, limits)
    text, encoding = read(reading, data)
    text = _CONTROL_CHARS.sub("", _LINE_BREAKS.sub("\n", text))
    if not text.strip():
        raise ReadError(path, "文件中没有文字内容（只有空白字符），请确认是否选错了文件")
    return RawDocument(
        path=path,
        text=text,
        reader=reader,
        encoding=encoding,
        size_bytes=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        warnings=tuple(reading.warnings),
    )


def _too_large(path: Path, size: int, max_bytes: int) -> ReadError:
    return ReadError(
        path,
        f"文件过大（{megabytes(size)}），超过上限 {megabytes(max_bytes)}；"
        "请确认是否选错了文件，或拆分后再导入",
    )


def _decode_text(reading: _Reading, data: bytes, declared: str | None = None) -> tuple[str, str]:
    """Decode txt/html bytes: BOM, BOM-less UTF-16, UTF-8 (a few bad bytes replaced, with a
    warning), declared charset, GB18030 or Big5 (whichever reads as Chinese), then guess."""
    path = reading.path
    candidates: list[tuple[bytes, str]] = []
    for bom, encoding in (
        (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF16_LE, "utf-16-le"),
        (codecs.BOM_UTF16_BE, "utf-16-be"),
    ):
        if data.startswith(bom):
            candidates.append((data[len(bom) :], encoding))
            break
    # BOM-less UTF-16: the NUL high bytes of ASCII characters (digits, newlines) all sit
    # on odd offsets (little-endian) or all on even offsets (big-endian).
    sample = data[:8192]
    even_nuls, odd_nuls = sample[0::2].count(0), sample[1::2].count(0)
    min_nuls = max(0.05 * len(sample) / 2, 4)
    if odd_nuls >= min_nuls and even_nuls * 4 < odd_nuls:
        candidates.append((data, "utf-16-le"))
    elif even_nuls >= min_nuls and odd_nuls * 4 < even_nuls:
        candidates.append((data, "utf-16-be"))
    candidates.append((data, "utf-8"))
    if declared:
        candidates.append((data, declared))
    candidates.append((data, "gb18030"))  # superset of GBK and GB2312
    candidates.append((data, "big5"))

    for payload, encoding in candidates:
        try:
            text = payload.decode(encoding)
        except UnicodeDecodeError:
            if encoding.startswith("utf-8") and (almost := _almost_utf8(reading, payload)) is not None:
                text = almost
                break
            continue
        if encoding == "gb18030":
            text, encoding = _gb_or_big5(payload, text)
        break
    else:
        guess = charset_normalizer.from_bytes(data).best()
        if guess is None:
            raise ReadError(path, _NOT_TEXT)
        text, encoding = str(guess), guess.encoding
    if len(_CONTROL_CHARS.findall(text)) > max(_MAX_CONTROL_SHARE * len(text), 2):
        raise ReadError(path, _NOT_TEXT)
    return text, encoding


def _almost_utf8(reading: _Reading, data: bytes) -> str | None:
    """UTF-8 text with a few bad bytes (a damaged download, a cut character): the text with
    U+FFFD in their place and a warning; None if the bytes are not mostly UTF-8."""
    text = data.decode("utf-8", errors="replace")
    bad = text.count("\ufffd") - data.count("\ufffd".encode())
    multibyte = len(text) - len(data.decode("ascii", errors="ignore")) - bad  # rough: characters > 0x7f
    if bad <= 0 or bad > max(_MAX_BAD_UTF8, _MAX_BAD_UTF8_SHARE * len(text)) or multibyte < 20 * bad:
        return None
    reading.warnings.append(
        f"文件中有 {bad} 处无法按 UTF-8 解码的字节（文件可能有损坏），已替换为“\ufffd”；"
        "附近的文字或数字可能缺失，请对照原文件核对"
    )
    return text


_CJK = re.compile("[\u4e00-\u9fff]")


def _gb_or_big5(data: bytes, gb_text: str) -> tuple[str, str]:
    """Big5 (traditional) bytes nearly always also decode as GB18030, into rare characters.
    Of the two readings keep the one whose characters are the commoner: GB2312's for GB18030,
    Big5's first level (lead bytes A4–C6) for Big5."""
    try:
        big5_text = data.decode("big5")
    except UnicodeDecodeError:
        return gb_text, "gb18030"
    sample = 50_000  # characters of each reading are enough to tell
    gb_chars, big5_chars = _CJK.findall(gb_text, 0, sample), _CJK.findall(big5_text, 0, sample)
    if not big5_chars:
        return gb_text, "gb18030"
    gb_common = sum(1 for ch in gb_chars if _encodes(ch, "gb2312")) / max(len(gb_chars), 1)
    big5_common = sum(1 for ch in big5_chars if 0xA4 <= ch.encode("big5")[0] <= 0xC6) / len(big5_chars)
    return (big5_text, "big5") if big5_common > gb_common else (gb_text, "gb18030")


def _encodes(ch: str, encoding: str) -> bool:
    try:
        ch.encode(encoding)
    except UnicodeEncodeError:
        return False
    return True


def _read_txt(reading: _Reading, data: bytes) -> tuple[str, str | None]:
    return _decode_text(reading, data)


def _read_docx(reading: _Reading, data: bytes) -> tuple[str, str | None]:
    path = reading.path
    if data.startswith(_OLE_MAGIC):
        if _OLE_ENCRYPTED_PACKAGE in data:
            raise ReadError(
                path,
                "docx 文件已加密（设置了打开密码），无法读取；请用 Word/WPS 输入密码打开，"
                "取消密码保护（文件 → 信息 → 保护文档 → 用密码进行加密，清空密码）后另存为 .docx 再导入",
            )
        raise ReadError(
            path,
            "该文件实际是旧版 Word（.doc）格式，只是扩展名为 .docx；请用 Word/WPS 另存为 .docx 后再导入",
        )
    try:
        document = docx.Document(io.BytesIO(_docx_text_parts(reading, data)))
        blocks = []
        for block in document.iter_inner_content():  # body paragraphs and tables in document order
            reading.check_time()
            blocks.append("\n".join(_docx_table_lines(block)) if isinstance(block, Table) else block.text)
    except _DOCX_ERRORS as err:
        raise ReadError(
            path, "docx 文件已损坏或不完整，无法打开；请用 Word/WPS 打开后重新另存为 .docx，或重新下载该文件"
        ) from err
    lines = "\n".join(blocks).split("\n")
    return "\n".join(line for line in lines if line.strip()), None


def _docx_text_parts(reading: _Reading, data: bytes) -> bytes:
    """A package of only what the text needs ([Content_Types].xml, the main document part
    and a relationship to it), so python-docx never inflates images, media or other parts.

    Their declared sizes are checked before anything is inflated, and inflating stops one
    byte past the limit whatever the zip's headers say."""
    limit = reading.limits.max_docx_xml_bytes
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        rels = etree.fromstring(_docx_part(reading, package, _PACKAGE_RELS, limit))
        targets = [
            rel.get("Target", "")
            for rel in rels
            if rel.get("Type") == _OFFICE_DOCUMENT and rel.get("TargetMode") != "External"
        ]
        if not targets:
            raise KeyError("no main document part")
        main = targets[0].lstrip("/")
        infos = {info.filename: info for info in package.infolist()}
        declared = sum(infos[name].file_size for name in (_CONTENT_TYPES, main))  # KeyError: missing
        if declared > limit:
            raise _docx_too_large(reading.path, declared, limit)
        content_types = _docx_part(reading, package, _CONTENT_TYPES, limit)
        document = _docx_part(reading, package, main, limit - len(content_types))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as text_only:
        text_only.writestr(_CONTENT_TYPES, content_types)
        text_only.writestr(
            _PACKAGE_RELS,
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{_OFFICE_DOCUMENT}" Target="/{main}"/></Relationships>',
        )
        text_only.writestr(main, document)
    return out.getvalue()


def _docx_part(reading: _Reading, package: zipfile.ZipFile, name: str, limit: int) -> bytes:
    """One part inflated, refused as soon as it passes ``limit`` (even if its header said less)."""
    info = package.getinfo(name)
    if info.file_size > limit:
        raise _docx_too_large(reading.path, info.file_size, limit)
    chunks: list[bytes] = []
    size = 0
    with package.open(info) as fh:
        while chunk := fh.read(min(1 << 20, limit + 1 - size)):
            size += len(chunk)
            if size > limit:
                raise _docx_too_large(reading.path, size, limit)
            chunks.append(chunk)
            reading.check_time()
    return b"".join(chunks)


def _docx_too_large(path: Path, size: int, limit: int) -> ReadError:
    return ReadError(
        path,
        f"docx 正文解压后过大（至少 {megabytes(size)}），超过上限 {megabytes(limit)}，已停止读取；"
        "文件可能已损坏或是恶意构造的压缩包，请用 Word/WPS 打开后另存为 .docx 或 .txt 再导入",
    )


def _docx_table_lines(table: Table) -> list[str]:
    """One line per row, cells joined by "\\t"; a horizontally merged cell appears once."""
    lines = []
    for row in table.rows:
        cells: list[_Cell] = []
        for cell in row.cells:  # python-docx repeats a cell once per grid column it spans
            if not cells or cell._tc is not cells[-1]._tc:
                cells.append(cell)
        texts = [_docx_cell_text(cell) for cell in cells]
        if any(texts):
            lines.append("\t".join(texts))
    return lines


def _docx_cell_text(cell: _Cell) -> str:
    """Cell paragraphs (and flattened nested tables) joined by a space, on one line."""
    parts = []
    for block in cell.iter_inner_content():
        part = " ".join(_docx_table_lines(block)) if isinstance(block, Table) else block.text
        parts.append(re.sub(r"[\t\n]+", " ", part).strip())
    return " ".join(part for part in parts if part)


def _read_pdf(reading: _Reading, data: bytes) -> tuple[str, str | None]:
    path = reading.path
    log: list[logging.LogRecord] = []
    token = _PDF_LOG.set(log)
    try:
        # not closed: pdfplumber's close() would first build every page (pdf.pages), and there is
        # nothing else to release (the bytes are in memory; each page is closed once read)
        pages = _pdf_pages(reading, pdfplumber.open(io.BytesIO(data)))
    except _PDF_ERRORS as err:
        if err.args and isinstance(err.args[0], PDFPasswordIncorrect):
            raise ReadError(path, "PDF 文件已加密（需要密码），无法读取；请先解除密码保护后再导入") from err
        raise ReadError(path, "PDF 文件已损坏或不是有效的 PDF，无法解析；请重新下载或重新导出该文件") from err
    finally:
        _PDF_LOG.reset(token)
    if log:
        reading.warnings.append(
            f"PDF 文件有 {len(log)} 处格式不规范（如坐标、颜色、字体或交叉引用表有误），已尽量读取；"
            "如有文字或数字缺失、错乱，请用其他软件重新导出 PDF 后再导入"
        )
    text = "\n".join(pages)
    glyphs = len(_PDF_CID_GLYPH.findall(text))
    readable = len("".join(_PDF_CID_GLYPH.sub("", text).split()))
    if glyphs + readable < _PDF_MIN_CHARS_PER_PAGE * max(len(pages), 1):
        raise ReadError(
            path,
            "PDF 没有可用的文字层（可能是扫描件或图片），无法提取文字；"
            "请先用 OCR 软件识别成文字（另存为 .docx 或 .txt）后再导入",
        )
    if glyphs > _PDF_MAX_CID_SHARE * (glyphs + readable):
        raise ReadError(
            path,
            f"PDF 的文字层无法解码（约 {glyphs / (glyphs + readable):.0%} 的字符是"
            "没有 Unicode 映射的字形编码，如“(cid:123)”）；请用其他软件重新导出 PDF，或用 OCR 识别后再导入",
        )
    # A few unmappable glyphs: keep a visible marker, not digits that look like figures.
    return _PDF_CID_GLYPH.sub("\ufffd", text), None


def _pdf_pages(reading: _Reading, pdf: pdfplumber.PDF) -> list[str]:
    """Each page's text, one page at a time (as pdfplumber's ``pdf.pages`` would read them,
    without holding every page): the declared page count is checked first, then the pages
    and the inflated size of their content streams as they are read, and the time budget."""
    limits = reading.limits
    declared = _pdf_declared_pages(pdf)
    if declared is not None and declared > limits.max_pdf_pages:
        raise _pdf_too_many_pages(reading.path, f"共 {declared} 页", limits.max_pdf_pages)
    pages: list[str] = []
    content = 0
    doctop = 0.0
    for number, page_obj in enumerate(_pdf_page_objects(pdf), start=1):
        reading.check_time()
        if number > limits.max_pdf_pages:
            raise _pdf_too_many_pages(reading.path, f"读到第 {number} 页", limits.max_pdf_pages)
        content += _pdf_content_size(page_obj, limits.max_pdf_content_bytes - content)
        if content > limits.max_pdf_content_bytes:
            raise ReadError(
                reading.path,
                f"PDF 页面内容解压后过大（读到第 {number} 页已超过上限 "
                f"{megabytes(limits.max_pdf_content_bytes)}），已停止读取；文件可能已损坏或是恶意构造的，"
                "请用其他软件重新导出 PDF 后再导入",
            )
        page = PdfPage(pdf, page_obj, page_number=number, initial_doctop=doctop)
        pages.append(page.extract_text() or "")
        doctop += page.height
        page.close()  # its characters and layout are not needed again
    return pages


def _pdf_page_objects(pdf: pdfplumber.PDF):
    """pdfminer's pages, lazily, with its errors wrapped as pdfplumber wraps them."""
    pages = PDFPage.create_pages(pdf.doc)
    while True:
        try:
            yield next(pages)
        except StopIteration:
            return
        except Exception as err:
            raise PdfminerException(err) from err


def _pdf_declared_pages(pdf: pdfplumber.PDF) -> int | None:
    try:
        count = resolve1(resolve1(pdf.doc.catalog["Pages"])["Count"])
    except Exception:  # no usable page tree root: the pages are counted as they are read
        return None
    return count if isinstance(count, int) else None


def _pdf_too_many_pages(path: Path, pages: str, limit: int) -> ReadError:
    return ReadError(
        path,
        f"PDF 页数过多（{pages}），超过上限 {limit} 页，已停止读取；"
        "请确认是否选错了文件，或只导出报告正文部分后再导入",
    )


def _pdf_content_size(page_obj: PDFPage, budget: int) -> int:
    """The inflated size of a page's content streams, inflating at most ``budget + 1`` bytes
    (the bytes are only counted, never kept)."""
    size = 0
    for stream in page_obj.contents:
        stream = resolve1(stream)
        if not isinstance(stream, PDFStream):
            continue
        if stream.data is not None:
            size += len(stream.data)
            continue
        raw = stream.rawdata or b""
        filters = stream.get_filters()
        if not filters or stream.decipher or filters[0][0] not in LITERALS_FLATE_DECODE:
            size += len(raw)
            continue
        inflater = zlib.decompressobj()
        pending = raw
        try:
            while pending and size <= budget:
                size += len(inflater.decompress(pending, 1 << 20))
                pending = inflater.unconsumed_tail
        except zlib.error:
            size += len(raw)  # pdfminer will make what it can of it
    return size


_PDF_LOG: contextvars.ContextVar[list[logging.LogRecord] | None] = contextvars.ContextVar(
    "_PDF_LOG", default=None
)


class _PdfLog(logging.Handler):
    """pdfminer's and pdfplumber's (English) warnings are never printed: while a PDF is read
    they are gathered and become one Chinese warning on the document; otherwise dropped."""

    def emit(self, record: logging.LogRecord) -> None:
        log = _PDF_LOG.get()
        if log is not None and len(log) < 10_000:
            log.append(record)


for _name in ("pdfminer", "pdfplumber"):
    _logger = logging.getLogger(_name)
    _logger.addHandler(_PdfLog(logging.WARNING))
    _logger.propagate = False


def _read_html(reading: _Reading, data: bytes) -> tuple[str, str | None]:
    path = reading.path
    match = _HTML_META_CHARSET.search(data[:4096])
    declared = None
    if match:
        with contextlib.suppress(LookupError):  # an unknown label is ignored
            declared = codecs.lookup(match.group(1).decode("ascii")).name
    if declared in ("gb2312", "gbk"):
        declared = "gb18030"  # pages labelled GB2312 routinely contain GBK characters
    elif declared and declared.startswith(("utf-16", "utf-32")):
        declared = None  # real UTF-16 is found by BOM/NUL detection; the label alone is not proof
    text, encoding = _decode_text(reading, data, declared)
    limit = reading.limits.max_html_tags
    for count, _ in enumerate(_HTML_START_TAG.finditer(text), start=1):  # before any tree is built
        if count > limit:
            raise ReadError(
                path,
                f"HTML 标签过多（超过上限 {limit} 个），已停止读取；"
                "请在浏览器中打开后只复制报告正文，另存为 .txt 再导入",
            )
    try:
        raw = _html_text(BeautifulSoup(text, "lxml"))
    except RecursionError:
        raise ReadError(path, "HTML 结构嵌套过深，无法解析；请在浏览器中打开后另存为 .txt 再导入") from None
    lines = (re.sub(" {2,}", " ", line).strip(" ") for line in raw.split("\n"))
    return "\n".join(line for line in lines if line.strip()), encoding


def _html_text(node: Tag, pre: bool = False) -> str:
    """Visible text under node: blocks start new lines, a table row is one "\\t"-separated line."""
    parts = []
    for child in node.children:
        if isinstance(child, NavigableString):
            if not isinstance(child, PreformattedString):  # comments, doctype, CDATA, ...
                parts.append((_HTML_PRE_SPACES if pre else _HTML_SPACES).sub(" ", child))
        elif child.name in _HTML_HIDDEN:
            continue
        elif child.name == "br":
            parts.append("\n")
        elif child.name == "tr":
            cells = child.find_all(["td", "th"], recursive=False)
            parts.append("\n" + "\t".join(_HTML_SPACES.sub(" ", _html_text(c)).strip() for c in cells) + "\n")
        elif child.name in _HTML_BLOCKS:
            parts.append("\n" + _html_text(child, pre or child.name == "pre") + "\n")
        else:
            parts.append(_html_text(child, pre))
    return "".join(parts)


_READERS = {
    ".txt": ("txt", _read_txt),
    ".docx": ("docx", _read_docx),
    ".pdf": ("pdf", _read_pdf),
    ".html": ("html", _read_html),
    ".htm": ("html", _read_html),
}
