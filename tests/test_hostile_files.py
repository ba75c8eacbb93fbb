"""Hostile files: resource bombs, odd encodings and formats, odd folder entries.

Every bomb is generated here and small on disk (a few MB at most); reading one runs in a
child process whose peak memory (ru_maxrss, from os.wait4) and CPU time are measured.
"""

from __future__ import annotations

import itertools
import json
import os
import resource
import struct
import subprocess
import sys
import time
import zipfile
import zlib
from pathlib import Path

import pytest
from conftest import SEEDS
from fixture_files import REPORT_PASSAGE, make_docx, write_pdf, write_text

from pipelines import limits, readers
from pipelines.ingest import expand_paths, ingest, process_file
from pipelines.limits import LIMITS, ReadLimits
from pipelines.normalize import to_simplified
from pipelines.readers import ReadError, display_name, read_document

ROOT = Path(__file__).resolve().parents[1]
MiB = 1024 * 1024
GiB = 1024 * MiB
MAX_RSS_MB = 500

_CHILD = """
import json, sys
from pathlib import Path
from pipelines.readers import ReadError, read_document
from pipelines.ingest import process_file
mode, path = sys.argv[1], Path(sys.argv[2])
try:
    if mode == "read":
        doc = read_document(path)
        out = {"ok": True, "chars": len(doc.text), "warnings": list(doc.warnings)}
    else:
        rows = process_file(path)
        out = {"ok": True, "chars": len(rows.doc.text), "facts": len(rows.facts) + len(rows.rejections)}
except ReadError as err:
    out = {"ok": False, "error": str(err)}
print(json.dumps(out, ensure_ascii=False))
"""


def measured(path: Path, mode: str = "read") -> tuple[dict, float, float, str]:
    """Read ``path`` in a child process: its result, peak memory (MB), CPU seconds and stderr.

    The child's address space is capped at 3 GiB, so a regression fails instead of
    exhausting the machine."""

    def cap() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (3 * GiB, 3 * GiB))

    with (
        open(path.parent / "child.out", "w+b") as out,
        open(path.parent / "child.err", "w+b") as err,
    ):
        child = subprocess.Popen(
            [sys.executable, "-c", _CHILD, mode, str(path)], cwd=ROOT, stdout=out, stderr=err, preexec_fn=cap
        )
        _, status, usage = os.wait4(child.pid, 0)
        child.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(), err.read().decode()
    assert child.returncode == 0, stderr[-3000:]
    return json.loads(stdout), usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime, stderr


def refused(bomb: Path, error: str) -> float:
    """Read ``bomb`` in a child process: it must be refused with ``error`` within the memory
    bound; returns the child's CPU seconds."""
    result, rss, cpu, _ = measured(bomb)
    assert result == {"ok": False, "error": error}
    assert rss < MAX_RSS_MB
    return cpu


# --- zip / docx bombs -------------------------------------------------------------------


def _deflate_repeated(prefix: bytes, chunk: bytes, times: int) -> tuple[bytes, int, int]:
    """Raw deflate of prefix + chunk * times, made without inflating or deflating it all:
    after a full flush a chunk always deflates to the same bytes.  Returns data, crc, size."""
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    head = c.compress(prefix) + c.flush(zlib.Z_FULL_FLUSH)
    once = c.compress(chunk) + c.flush(zlib.Z_FULL_FLUSH)
    again = c.compress(chunk) + c.flush(zlib.Z_FULL_FLUSH)
    assert once == again
    crc = zlib.crc32(prefix)
    for _ in range(times):
        crc = zlib.crc32(chunk, crc)
    return head + once * times + c.flush(zlib.Z_FINISH), crc, len(prefix) + len(chunk) * times


def write_zip(path: Path, members: list[tuple[str, bytes, int, int, int]]) -> Path:
    """A zip written by hand from (name, raw deflate data, crc, size, declared size)."""
    local, central = bytearray(), bytearray()
    for name, data, crc, _, declared in members:
        encoded = name.encode()
        offset = len(local)
        fields = (20, 0, 8, 0, 0x21, crc, len(data), declared, len(encoded), 0)
        local += struct.pack("<IHHHHHIIIHH", 0x04034B50, *fields) + encoded + data
        central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, *fields, 0, 0, 0, 0, offset) + encoded
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(members), len(members), len(central), len(local), 0)
    path.write_bytes(bytes(local + central + end))
    return path


def docx_members(source: Path) -> list[tuple[str, bytes, int, int, int]]:
    """The parts of a real .docx, as write_zip members."""
    members = []
    with zipfile.ZipFile(source) as package:
        for info in package.infolist():
            raw = package.read(info)
            c = zlib.compressobj(6, zlib.DEFLATED, -15)
            members.append((info.filename, c.compress(raw) + c.flush(), zlib.crc32(raw), len(raw), len(raw)))
    return members


def test_docx_image_inflating_to_3_gib_is_never_inflated(tmp_path):
    source = make_docx(tmp_path / "source.docx", [REPORT_PASSAGE.replace("\n", "")])
    data, crc, size = _deflate_repeated(b"\x89PNG\r\n\x1a\n", bytes(16 * MiB), 3 * GiB // (16 * MiB))
    bomb = write_zip(
        tmp_path / "图片炸弹.docx", [*docx_members(source), ("word/media/image1.png", data, crc, size, size)]
    )
    assert bomb.stat().st_size < 5 * MiB
    start = time.perf_counter()
    result, rss, _, _ = measured(bomb)
    assert result["ok"], result
    assert result["chars"] > 50
    assert rss < MAX_RSS_MB
    assert time.perf_counter() - start < 30


_XML_HEAD = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    b'<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
    b"<w:body><w:p><w:r><w:t>"
)


def document_bomb(tmp_path: Path, name: str, declared: int | None) -> Path:
    source = make_docx(tmp_path / "source.docx", ["基金收入12.3亿元。"])
    data, crc, size = _deflate_repeated(_XML_HEAD, b"A" * MiB, 1024)
    members = [m for m in docx_members(source) if m[0] != "word/document.xml"]
    members.append(("word/document.xml", data, crc, size, size if declared is None else declared))
    return write_zip(tmp_path / name, members)


def test_docx_document_inflating_to_1_gib_is_refused_by_its_declared_size(tmp_path):
    bomb = document_bomb(tmp_path, "正文炸弹.docx", declared=None)
    limit = limits.megabytes(LIMITS.max_docx_xml_bytes)
    cpu = refused(
        bomb,
        f"正文炸弹.docx: docx 正文解压后过大（至少 1024.0 MB），超过上限 {limit}，已停止读取；"
        "文件可能已损坏或是恶意构造的压缩包，请用 Word/WPS 打开后另存为 .docx 或 .txt 再导入",
    )
    assert cpu < 10


def test_docx_document_with_a_lying_size_is_stopped_while_inflating(tmp_path):
    bomb = document_bomb(tmp_path, "谎报.docx", declared=4096)  # says 4 KB, inflates to 1 GiB
    result, rss, cpu, _ = measured(bomb)
    assert not result["ok"]
    assert "谎报.docx: docx 文件已损坏或不完整" in result["error"]  # no more than 4 KB inflated, bad CRC
    assert rss < MAX_RSS_MB
    assert cpu < 10
    # and a part that really inflates past the limit is stopped one byte past it
    small = ReadLimits(max_docx_xml_bytes=64 * 1024)
    bomb = document_bomb(tmp_path, "谎报2.docx", declared=1024)
    with zipfile.ZipFile(bomb) as package, pytest.raises(ReadError, match=r"超过上限 0\.1 MB"):
        info = package.getinfo("word/document.xml")
        info.file_size = GiB  # what a reader trusting the header would allow
        readers._docx_part(
            readers._Reading(bomb, small), package, "word/document.xml", small.max_docx_xml_bytes
        )


# --- pdf bombs --------------------------------------------------------------------------


def many_pages_pdf(path: Path, pages: int, declared: int | None = None, shared: bool = False) -> Path:
    count = pages if declared is None else declared
    if shared:  # one page object listed again and again
        kids = b" ".join([b"3 0 R"] * pages)
        objects = [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, count),
        ]
        return write_pdf(path, [*objects, b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>"])
    kids = b" ".join(b"%d 0 R" % (3 + i) for i in range(pages))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, count),
    ]
    objects += [b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>"] * pages
    return write_pdf(path, objects)


@pytest.mark.parametrize("shared", [False, True])
def test_pdf_of_50000_empty_pages_is_refused_by_its_page_count(tmp_path, shared):
    bomb = many_pages_pdf(tmp_path / "五万页.pdf", 50_000, shared=shared)
    assert bomb.stat().st_size < 5 * MiB
    start = time.perf_counter()
    refused(
        bomb,
        f"五万页.pdf: PDF 页数过多（共 50000 页），超过上限 {LIMITS.max_pdf_pages} 页，已停止读取；"
        "请确认是否选错了文件，或只导出报告正文部分后再导入",
    )
    assert time.perf_counter() - start < 8


def test_pdf_lying_about_its_page_count_is_stopped_while_reading(tmp_path):
    bomb = many_pages_pdf(tmp_path / "谎报页数.pdf", 60, declared=1)
    with pytest.raises(ReadError, match=r"PDF 页数过多（读到第 51 页），超过上限 50 页"):
        read_document(bomb, limits=ReadLimits(max_pdf_pages=50))


def _text_page_pdf(path: Path, content: bytes, flate: bool = False) -> Path:
    stream = zlib.compress(content) if flate else content
    return write_pdf(
        path,
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R"
            b" /Resources << /Font << /F1 5 0 R >> >> >>",
            b"<< /Length %d%s >>\nstream\n" % (len(stream), b" /Filter /FlateDecode" if flate else b"")
            + stream
            + b"\nendstream",
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        ],
    )


_TEXT_OPS = b"BT /F1 12 Tf 72 700 Td (Fund income 45.67, expenses 38.12, balance 7.55.) Tj ET\n"


def test_pdf_content_stream_bomb_is_refused_before_pdfminer_inflates_it(tmp_path):
    padding = b"%" + b" " * (MiB - 2) + b"\n"  # a comment line: what pdfminer would parse
    bomb = _text_page_pdf(tmp_path / "内容炸弹.pdf", _TEXT_OPS + padding * 200, flate=True)
    assert bomb.stat().st_size < MiB
    cpu = refused(
        bomb,
        "内容炸弹.pdf: PDF 页面内容解压后过大（读到第 1 页已超过上限 "
        f"{limits.megabytes(LIMITS.max_pdf_content_bytes)}），已停止读取；文件可能已损坏或是恶意构造的，"
        "请用其他软件重新导出 PDF 后再导入",
    )
    assert cpu < 10


def test_time_budget_is_checked_in_the_readers_loops(tmp_path):
    pdf = _text_page_pdf(tmp_path / "慢.pdf", _TEXT_OPS)
    assert read_document(pdf).text.startswith("Fund income 45.67")
    for path in (pdf, make_docx(tmp_path / "慢.docx", ["基金收入12.3亿元。"])):
        with pytest.raises(ReadError, match=r"读取时间超过上限 0 秒，已停止读取"):
            read_document(path, limits=ReadLimits(max_seconds=0))


def test_html_with_a_million_elements_is_refused_before_it_is_parsed(tmp_path):
    bomb = tmp_path / "标签.html"
    bomb.write_text("<html><body>" + "<p><b>基金</b>收入</p>" * 500_000 + "</body></html>", encoding="utf-8")
    assert bomb.stat().st_size < limits.MAX_FILE_BYTES
    cpu = refused(
        bomb,
        f"标签.html: HTML 标签过多（超过上限 {LIMITS.max_html_tags} 个），已停止读取；"
        "请在浏览器中打开后只复制报告正文，另存为 .txt 再导入",
    )
    assert cpu < 10


# --- one 10 MB line ---------------------------------------------------------------------


LONG_LINE_MB = 1  # benchmarks/ingest_bench.py measures the 10 MB case (≈14 s, ≈290 MB)


def test_one_long_line_is_read_in_linear_time(tmp_path):
    """The bundled reports with their line breaks lost, repeated to 1 MB on one line; and 1 MB
    of lines a PDF cut mid-sentence (which the normaliser joins into one line).  Joining lines
    was quadratic (230 KB took 28 s, so 1 MB would take minutes); linear reading takes about
    1.4 s per MB."""
    joined = "".join(p.read_text(encoding="utf-8").replace("\n", "") for p in SEEDS)
    line = tmp_path / "一行.txt"
    line.write_text(joined * (LONG_LINE_MB * MiB // len(joined.encode()) + 1), encoding="utf-8")
    broken = "医保基金运行总体平稳，参保人数稳步增长，基金收入增长较快"
    cut = tmp_path / "断行.txt"
    cut.write_text("\n".join([broken] * (LONG_LINE_MB * MiB // len(broken.encode()))), encoding="utf-8")
    for path in (line, cut):
        assert path.stat().st_size >= LONG_LINE_MB * MiB - 100
        result, rss, cpu, _ = measured(path, "process")
        assert result["ok"], result
        assert result["chars"] > LONG_LINE_MB * 300_000
        assert cpu < 4 * LONG_LINE_MB, f"{path.name}: {cpu:.1f} s"
        assert rss < MAX_RSS_MB
        assert result["facts"] > 0 if path == line else result["facts"] == 0


def test_a_sentence_without_full_stops_is_cut_into_bounded_pieces():
    from pipelines import segment

    text = "收入12亿元，" * 2000
    pieces = segment.sentences(text, 0, len(text))
    assert max(s.end - s.start for s in pieces) <= segment.MAX_SENTENCE
    assert pieces[0].start == 0 and pieces[-1].end == len(text)
    assert all(a.end == b.start and text[a.end - 1] == "，" for a, b in itertools.pairwise(pieces))


# --- encodings and formats --------------------------------------------------------------

BIG5_REPORT = (
    "2023年全市醫療保障事業發展統計公報\n"
    "城鄉居民基本醫療保險基金收入46.03億元，基金支出44.86億元，當期結餘1.17億元，累計結存22.51億元。\n"
)


def test_big5_text_is_detected_and_read(tmp_path):
    path = write_text(tmp_path / "繁體.txt", BIG5_REPORT, "big5")
    doc = read_document(path)
    assert (doc.text, doc.encoding, doc.warnings) == (BIG5_REPORT, "big5", ())
    rows = process_file(path)  # read in simplified characters, each quote from that text
    assert rows.doc.text == to_simplified(BIG5_REPORT).strip("\n")
    assert "城乡居民基本医疗保险基金收入46.03亿元" in rows.doc.text
    assert any("繁体字" in w for w in rows.doc.warnings)
    # read (the text names no region, so its figures wait in rejections for one)
    assert {"基金收入46.03亿元", "基金支出44.86亿元"} <= {r.quote[-11:] for r in rows.rejections}


def test_utf8_with_a_few_bad_bytes_is_read_with_replacement_and_a_warning(tmp_path):
    text = REPORT_PASSAGE * 3
    path = tmp_path / "坏字节.txt"  # a stray byte, and an overlong "/" (two bytes no decoder accepts)
    path.write_bytes(text[:20].encode() + b"\xff" + text[20:90].encode() + b"\xc0\xaf" + text[90:].encode())
    doc = read_document(path)
    assert doc.encoding == "utf-8"
    assert doc.text.count("\ufffd") == 3
    assert doc.text.replace("\ufffd", "") == REPORT_PASSAGE * 3
    assert doc.warnings == (
        "文件中有 3 处无法按 UTF-8 解码的字节（文件可能有损坏），已替换为“\ufffd”；附近的文字或数字可能缺失，请对照原文件核对",
    )
    rows = process_file(path)
    assert doc.warnings[0] in rows.doc.warnings
    assert rows.facts or rows.rejections


def make_encrypted_docx(path: Path) -> Path:
    """What Word writes for a .docx with an open password: an OLE compound file whose
    directory holds the EncryptionInfo and EncryptedPackage streams (MS-OFFCRYPTO)."""
    header = bytearray(512)
    header[:8] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    struct.pack_into("<HHHHH", header, 24, 0x3E, 3, 0xFFFE, 9, 6)
    struct.pack_into("<I", header, 48, 0)  # first directory sector

    def entry(name: str, kind: int) -> bytes:
        encoded = (name + "\0").encode("utf-16-le")
        return encoded.ljust(64, b"\0") + struct.pack("<HBB", len(encoded), kind, 1) + bytes(128 - 68)

    directory = (
        entry("Root Entry", 5) + entry("EncryptionInfo", 2) + entry("EncryptedPackage", 2) + bytes(128)
    )
    path.write_bytes(bytes(header) + directory + os.urandom(4096))
    return path


def test_encrypted_docx_has_its_own_message(tmp_path):
    with pytest.raises(ReadError) as info:
        read_document(make_encrypted_docx(tmp_path / "加密.docx"))
    assert info.value.reason.startswith("docx 文件已加密（设置了打开密码），无法读取")
    assert ".doc" not in info.value.reason.replace(".docx", "")


def test_pdfminer_warnings_are_not_printed_but_become_one_chinese_warning(tmp_path):
    # "1 0 0 /x 0 0 cm": pdfminer logs "Cannot concatenate matrix ..." (in English) and goes on
    pdf = _text_page_pdf(tmp_path / "不规范.pdf", b"1 0 0 /x 0 0 cm\n" + _TEXT_OPS)
    result, _, _, stderr = measured(pdf)
    assert result["ok"], result
    assert stderr == ""
    assert result["warnings"] == [
        "PDF 文件有 1 处格式不规范（如坐标、颜色、字体或交叉引用表有误），已尽量读取；"
        "如有文字或数字缺失、错乱，请用其他软件重新导出 PDF 后再导入"
    ]


# --- folders and names ------------------------------------------------------------------


def test_symlink_loops_and_fifos_in_a_folder_are_reported_as_skipped(tmp_path):
    folder = tmp_path / "reports"
    folder.mkdir()
    write_text(folder / "good.txt", REPORT_PASSAGE, "utf-8")
    (folder / "loop.txt").symlink_to("loop.txt")
    (folder / "a.txt").symlink_to("b.txt")
    (folder / "b.txt").symlink_to("a.txt")
    (folder / "gone.txt").symlink_to("nowhere.txt")
    os.mkfifo(folder / "pipe.txt")
    (folder / "sub").mkdir()
    (folder / ".hidden.txt").symlink_to(".hidden.txt")
    files, skipped = expand_paths([folder])
    assert files == [folder / "good.txt"]
    assert [(s.path.name, s.reason) for s in skipped] == [
        ("a.txt", "符号链接形成循环（指向自身或互相指向），已跳过"),
        ("b.txt", "符号链接形成循环（指向自身或互相指向），已跳过"),
        ("gone.txt", "符号链接指向的文件不存在，已跳过"),
        ("loop.txt", "符号链接形成循环（指向自身或互相指向），已跳过"),
        ("pipe.txt", "不是普通文件（管道、套接字或设备），已跳过"),
        ("sub", "是子文件夹，不读取其中的文件（如需导入请单独指定该文件夹）"),
    ]
    assert str(skipped[4]) == "pipe.txt：不是普通文件（管道、套接字或设备），已跳过"
    # a FIFO named directly is refused without being opened (opening it would block)
    with pytest.raises(ReadError, match="不是普通文件"):
        read_document(folder / "pipe.txt")


def test_file_names_in_messages_have_control_characters_escaped(tmp_path):
    name = "报告\x1b[2J\n失败 伪造\u202e.txt"
    path = tmp_path / name
    path.write_bytes(b"")
    assert display_name(path) == "报告\\x1b[2J\\n失败 伪造\\u202e.txt"
    with pytest.raises(ReadError) as info:
        read_document(path)
    assert (
        str(info.value)
        == "报告\\x1b[2J\\n失败 伪造\\u202e.txt: 文件为空（0 字节），请确认文件是否完整下载或导出"
    )
    os.mkfifo(tmp_path / "p\x1b.txt")
    _, skipped = expand_paths([tmp_path])
    assert [s.name for s in skipped] == ["p\\x1b.txt"]


def test_ingest_messages_escape_file_names(tmp_path, monkeypatch):
    from pipelines import ingest as ingest_module
    from pipelines import store

    path = write_text(tmp_path / "坏\r名.txt", REPORT_PASSAGE, "utf-8")

    def boom(*args, **kwargs):
        raise RuntimeError("bug")

    monkeypatch.setattr(ingest_module, "read_figures", boom)
    con = store.connect(tmp_path / "x.duckdb")
    try:
        [outcome] = ingest(con, [path])
    finally:
        con.close()
    assert not outcome.ok
    assert outcome.error == "坏\\r名.txt: 处理时出错（RuntimeError: bug）"


def test_one_file_size_limit_in_one_place():
    assert readers.MAX_BYTES_DEFAULT == limits.MAX_FILE_BYTES == LIMITS.max_file_bytes == 20 * MiB
