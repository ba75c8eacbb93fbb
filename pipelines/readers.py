"""Read report files (.txt, .docx, .pdf, .html/.htm) into plain text.

``read_document`` checks the path (exists, is a file, known type, not empty, not too
large), reads the bytes once and hands them to one reader per format.  Readers only
turn a file into lines of text: newlines become "\\n" and control characters are
dropped, but full-width characters and odd spaces are left for ``pipelines.normalize``.

Table rows (docx and html) become one line each, cells separated by "\\t".

Every failure is a ``ReadError`` whose reason (in Chinese) says what is wrong with the
file and what the user can do about it.
"""

import codecs
import contextlib
import hashlib
import io
import re
import stat
import zipfile
import zlib
from dataclasses import dataclass
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
from pdfminer.psexceptions import PSException
from pdfplumber.utils.exceptions import MalformedPDFException, PdfminerException

SUPPORTED_SUFFIXES: frozenset[str] = frozenset({".txt", ".docx", ".pdf", ".html", ".htm"})
MAX_BYTES_DEFAULT = 20 * 1024 * 1024

_MB = 1024 * 1024
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
_DOCX_ERRORS = (
    zipfile.BadZipFile,
    KeyError,
    ValueError,
    EOFError,
    zlib.error,
    PackageNotFoundError,
    etree.LxmlError,
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
_HTML_SPACES = re.compile(r"[ \t\n\r\f]+")  # HTML whitespace; nbsp and U+3000 are text
_HTML_PRE_SPACES = re.compile(r"[ \t\r\f]+")


class ReadError(Exception):
    """A file that cannot be read as a report. str(err) == f"{file_name}: {reason}"."""

    def __init__(self, path: Path, reason: str):
        self.path = Path(path)
        self.reason = reason
        super().__init__(f"{self.path.name or self.path}: {reason}")

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


def read_document(path: Path, *, max_bytes: int = MAX_BYTES_DEFAULT) -> RawDocument:
    """Read one report file; raise ReadError if it cannot be used as a report."""
    path = Path(path)
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
    text, encoding = read(path, data)
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
    )


def _too_large(path: Path, size: int, max_bytes: int) -> ReadError:
    return ReadError(
        path,
        f"文件过大（{size / _MB:.1f} MB），超过上限 {max_bytes / _MB:.1f} MB；"
        "请确认是否选错了文件，或拆分后再导入",
    )


def _decode_text(path: Path, data: bytes, declared: str | None = None) -> tuple[str, str]:
    """Decode txt/html bytes: BOM, BOM-less UTF-16, UTF-8, declared charset, GB18030, then guess."""
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

    for payload, encoding in candidates:
        try:
            text = payload.decode(encoding)
        except UnicodeDecodeError:
            continue
        break
    else:
        guess = charset_normalizer.from_bytes(data).best()
        if guess is None:
            raise ReadError(path, _NOT_TEXT)
        text, encoding = str(guess), guess.encoding
    if len(_CONTROL_CHARS.findall(text)) > max(_MAX_CONTROL_SHARE * len(text), 2):
        raise ReadError(path, _NOT_TEXT)
    return text, encoding


def _read_txt(path: Path, data: bytes) -> tuple[str, str | None]:
    return _decode_text(path, data)


def _read_docx(path: Path, data: bytes) -> tuple[str, str | None]:
    if data.startswith(_OLE_MAGIC):
        raise ReadError(
            path,
            "该文件实际是旧版 Word（.doc）格式，只是扩展名为 .docx；请用 Word/WPS 另存为 .docx 后再导入",
        )
    try:
        document = docx.Document(io.BytesIO(data))
        blocks = [
            "\n".join(_docx_table_lines(block)) if isinstance(block, Table) else block.text
            for block in document.iter_inner_content()  # body paragraphs and tables in document order
        ]
    except _DOCX_ERRORS as err:
        raise ReadError(
            path, "docx 文件已损坏或不完整，无法打开；请用 Word/WPS 打开后重新另存为 .docx，或重新下载该文件"
        ) from err
    lines = "\n".join(blocks).split("\n")
    return "\n".join(line for line in lines if line.strip()), None


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


def _read_pdf(path: Path, data: bytes) -> tuple[str, str | None]:
    try:
        with pdfplumber.open(io.BytesIO(data)) as pdf:
            pages = [page.extract_text() or "" for page in pdf.pages]
    except _PDF_ERRORS as err:
        if err.args and isinstance(err.args[0], PDFPasswordIncorrect):
            raise ReadError(path, "PDF 文件已加密（需要密码），无法读取；请先解除密码保护后再导入") from err
        raise ReadError(path, "PDF 文件已损坏或不是有效的 PDF，无法解析；请重新下载或重新导出该文件") from err
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


def _read_html(path: Path, data: bytes) -> tuple[str, str | None]:
    match = _HTML_META_CHARSET.search(data[:4096])
    declared = None
    if match:
        with contextlib.suppress(LookupError):  # an unknown label is ignored
            declared = codecs.lookup(match.group(1).decode("ascii")).name
    if declared in ("gb2312", "gbk"):
        declared = "gb18030"  # pages labelled GB2312 routinely contain GBK characters
    elif declared and declared.startswith(("utf-16", "utf-32")):
        declared = None  # real UTF-16 is found by BOM/NUL detection; the label alone is not proof
    text, encoding = _decode_text(path, data, declared)
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
