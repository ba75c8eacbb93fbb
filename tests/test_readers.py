import dataclasses
import pathlib
import pickle
import re
import time

import pytest
from fixture_files import (
    REPORT_PASSAGE,
    DocxTable,
    make_cid_pdf,
    make_corrupt_pdf,
    make_docx,
    make_docx_bad_xml,
    make_docx_missing_part,
    make_image_pdf,
    make_ole_doc,
    make_text_pdf,
    make_truncated_docx,
    write_random_bytes,
    write_text,
)
from PIL import Image

from pipelines.readers import (
    MAX_BYTES_DEFAULT,
    SUPPORTED_SUFFIXES,
    RawDocument,
    ReadError,
    read_document,
)

FORBIDDEN_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f]")


def read_ok(path, **kwargs) -> RawDocument:
    doc = read_document(path, **kwargs)
    assert not FORBIDDEN_CONTROLS.search(doc.text), "reader returned C0 control characters"
    assert doc.path == path
    assert doc.size_bytes == path.stat().st_size
    return doc


def read_fails(path, *reason_parts, **kwargs) -> ReadError:
    with pytest.raises(ReadError) as info:
        read_document(path, **kwargs)
    err = info.value
    assert str(err) == f"{path.name}: {err.reason}"
    assert err.path == path
    for part in reason_parts:
        assert part in err.reason
    return err


# --- public interface -----------------------------------------------------------------


def test_interface_constants():
    assert sorted(SUPPORTED_SUFFIXES) == [".docx", ".htm", ".html", ".pdf", ".txt"]
    assert isinstance(SUPPORTED_SUFFIXES, frozenset)
    assert MAX_BYTES_DEFAULT == 20 * 1024 * 1024


def test_raw_document_is_frozen(tmp_path):
    doc = read_ok(write_text(tmp_path / "a.txt", "基金收入12.3亿元", "utf-8"))
    with pytest.raises(dataclasses.FrozenInstanceError):
        doc.text = "x"


def test_read_error_keeps_path_and_reason_and_pickles(tmp_path):
    err = ReadError(tmp_path / "报告.pdf", "原因")
    assert (err.path, err.reason, str(err)) == (tmp_path / "报告.pdf", "原因", "报告.pdf: 原因")
    copy = pickle.loads(pickle.dumps(err))
    assert (copy.path, copy.reason, str(copy)) == (err.path, err.reason, str(err))


# --- txt ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("encoding", "bom", "detected"),
    [
        ("utf-8", False, "utf-8"),
        ("utf-8", True, "utf-8-sig"),
        ("utf-16-le", True, "utf-16-le"),
        ("utf-16-be", True, "utf-16-be"),
        ("utf-16-le", False, "utf-16-le"),
        ("utf-16-be", False, "utf-16-be"),
        ("gbk", False, "gb18030"),
        ("gb18030", False, "gb18030"),
    ],
)
def test_txt_encodings(tmp_path, encoding, bom, detected):
    path = write_text(tmp_path / "report.txt", REPORT_PASSAGE, encoding, bom=bom)
    doc = read_ok(path)
    assert doc.text == REPORT_PASSAGE  # no BOM left, GBK-only characters (镕, 喆) intact
    assert (doc.reader, doc.encoding) == ("txt", detected)


def test_txt_gb2312_declared_subset(tmp_path):
    text = "城镇职工基本医疗保险基金支出38.12亿元。"
    doc = read_ok(write_text(tmp_path / "gb2312.txt", text, "gb2312"))
    assert (doc.text, doc.encoding) == (text, "gb18030")


def test_txt_truncated_gbk_falls_back_to_charset_detection(tmp_path):
    data = (REPORT_PASSAGE * 3).encode("gbk")[:-1]  # cut in the middle of the last character
    (tmp_path / "cut.txt").write_bytes(data)
    doc = read_ok(tmp_path / "cut.txt")
    assert doc.encoding == "gb18030"
    assert doc.text.startswith(REPORT_PASSAGE * 2)


def test_txt_western_single_byte_falls_back_to_charset_detection(tmp_path):
    text = "Rapport annuel des dépenses de santé publique. Les recettes ont été supérieures. " * 5
    doc = read_ok(write_text(tmp_path / "fr.txt", text, "cp1252"))
    assert doc.text == text
    assert doc.encoding in ("cp1252", "cp1250", "latin_1", "iso8859_15")


def test_txt_gbk_with_a_damaged_byte_is_refused(tmp_path):
    data = REPORT_PASSAGE.encode("gbk")
    (tmp_path / "damaged.txt").write_bytes(data[:40] + b"\xff" + data[40:])
    read_fails(tmp_path / "damaged.txt", "无法识别的编码")


def test_txt_newlines_normalised_and_controls_dropped(tmp_path):
    raw = "第一行\r\n第二行\r第三行\x0c第四行\x00\x07\t收入12.3\n"
    doc = read_ok(write_text(tmp_path / "a.txt", raw, "utf-8"))
    assert doc.text == "第一行\n第二行\n第三行\n第四行\t收入12.3\n"


def test_txt_text_is_not_otherwise_normalised(tmp_path):
    raw = "  基金收入\u3000１２．３亿元\xa0  \n\n\n"
    assert read_ok(write_text(tmp_path / "a.txt", raw, "utf-8")).text == raw


# --- docx -----------------------------------------------------------------------------


def test_docx_paragraphs_and_tables_in_document_order(tmp_path):
    path = make_docx(
        tmp_path / "report.docx",
        ["2023年医保基金运行情况", "", "表1 基金收支", "说明：数据未经审计。"],
        tables=[
            DocxTable([["项目", "收入", "支出"], ["职工医保", "45.67", "38.12"]], position=3),
            DocxTable([["合计", "75.87"]]),
        ],
    )
    doc = read_ok(path)
    assert (doc.reader, doc.encoding) == ("docx", None)
    assert doc.text.split("\n") == [
        "2023年医保基金运行情况",
        "表1 基金收支",
        "项目\t收入\t支出",
        "职工医保\t45.67\t38.12",
        "说明：数据未经审计。",
        "合计\t75.87",
    ]


def test_docx_merged_cells(tmp_path):
    path = make_docx(
        tmp_path / "merged.docx",
        [],
        tables=[
            DocxTable(
                [["险种", "2023年", ""], ["职工医保", "收入", "45.67"], ["", "支出", "38.12"]],
                merges=[((0, 1), (0, 2)), ((1, 0), (2, 0))],
            )
        ],
    )
    assert read_ok(path).text.split("\n") == [
        "险种\t2023年",  # horizontal merge: the repeated cell appears once
        "职工医保\t收入\t45.67",
        "职工医保\t支出\t38.12",  # vertical merge: python-docx repeats the label, and so do we
    ]


def test_docx_cell_paragraphs_and_nested_tables_stay_on_the_row(tmp_path):
    path = make_docx(
        tmp_path / "cells.docx",
        ["正文"],
        tables=[
            DocxTable(
                [["基金\n收入", "45.67"], ["明细", ""]],
                nested=[(1, 1, [["征缴", "30.1"], ["补助", "15.57"]])],
            )
        ],
    )
    assert read_ok(path).text.split("\n") == ["正文", "基金 收入\t45.67", "明细\t征缴 30.1 补助 15.57"]


def test_docx_skips_empty_paragraphs_and_rows(tmp_path):
    path = make_docx(
        tmp_path / "e.docx", ["", "收入", "   ", "支出"], tables=[DocxTable([["", ""], ["a", "b"]])]
    )
    assert read_ok(path).text == "收入\n支出\na\tb"


@pytest.mark.parametrize("make", [make_truncated_docx, make_docx_missing_part, make_docx_bad_xml])
def test_docx_corrupt(tmp_path, make):
    read_fails(make(tmp_path / "坏文件.docx"), "docx 文件已损坏或不完整")


def test_docx_that_is_really_a_legacy_doc(tmp_path):
    read_fails(make_ole_doc(tmp_path / "旧版.docx"), ".doc", "另存为 .docx")


def test_docx_without_text(tmp_path):
    read_fails(make_docx(tmp_path / "blank.docx", ["", "  "]), "没有文字内容")


# --- pdf ------------------------------------------------------------------------------


def test_pdf_chinese_text_layer(tmp_path):
    lines = REPORT_PASSAGE.strip().split("\n")
    doc = read_ok(make_text_pdf(tmp_path / "report.pdf", lines))
    assert (doc.reader, doc.encoding) == ("pdf", None)
    assert doc.text.split("\n") == lines


def test_pdf_pages_joined_by_newline(tmp_path):
    lines = ["第一页：基金收入45.67亿元", "第二页：基金支出38.12亿元", "第三页：累计结存120.50亿元"]
    doc = read_ok(make_text_pdf(tmp_path / "pages.pdf", lines, lines_per_page=1))
    assert doc.text == "\n".join(lines)


def test_pdf_image_only(tmp_path):
    read_fails(make_image_pdf(tmp_path / "扫描件.pdf"), "没有可用的文字层", "扫描件", "OCR")


def test_pdf_cid_glyph_garbage(tmp_path):
    read_fails(make_cid_pdf(tmp_path / "乱码.pdf"), "文字层无法解码", "(cid:")


def test_pdf_few_cid_glyphs_become_replacement_characters(tmp_path):
    path = make_cid_pdf(tmp_path / "mixed.pdf", glyphs=3, ascii_text="Fund income 45.67, expenses 38.12.")
    doc = read_ok(path)
    assert "(cid:" not in doc.text
    assert doc.text.count("\ufffd") == 3
    assert "Fund income 45.67, expenses 38.12." in doc.text


def test_pdf_corrupt(tmp_path):
    read_fails(make_corrupt_pdf(tmp_path / "坏.pdf"), "PDF 文件已损坏")


def test_pdf_not_a_pdf_at_all(tmp_path):
    read_fails(write_text(tmp_path / "fake.pdf", REPORT_PASSAGE, "utf-8"), "PDF 文件已损坏")


def test_pdf_encrypted(tmp_path):
    path = make_text_pdf(tmp_path / "加密.pdf", ["基金收入45.67亿元"], password="secret")
    read_fails(path, "已加密", "密码")


# --- html -----------------------------------------------------------------------------


def write_html(path, body, encoding="utf-8", head=""):
    page = f"<!DOCTYPE html><html><head>{head}<title>标题不显示</title></head><body>{body}</body></html>"
    return write_text(path, page, encoding)


def test_html_inline_elements_do_not_break_lines(tmp_path):
    body = "<p>收入<span>12.3</span>亿元</p><p>支出<b>10</b>.<font color=red>5</font><a href='#'>亿元</a></p>"
    doc = read_ok(write_html(tmp_path / "a.html", body))
    assert (doc.reader, doc.encoding) == ("html", "utf-8")
    assert doc.text == "收入12.3亿元\n支出10.5亿元"


def test_html_blocks_make_lines(tmp_path):
    body = (
        "<h1>基金运行</h1><div>一、职工医保<br>收入45.67亿元</div>"
        "<ul><li>支出38.12亿元</li><li>结存7.55亿元</li></ul>"
        "<section><article><header>居民医保</header>收入30.2亿元</article></section>"
        "<dl><dt>参保</dt><dd>312.6万人</dd></dl><blockquote>注</blockquote><footer>完</footer>"
    )
    assert read_ok(write_html(tmp_path / "b.html", body)).text.split("\n") == [
        "基金运行",
        "一、职工医保",
        "收入45.67亿元",
        "支出38.12亿元",
        "结存7.55亿元",
        "居民医保",
        "收入30.2亿元",
        "参保",
        "312.6万人",
        "注",
        "完",
    ]


def test_html_drops_invisible_content(tmp_path):
    body = (
        "<script>var x = '收入99亿元';</script><style>p {color: red}</style>"
        "<noscript>请启用脚本</noscript><template><p>模板</p></template>"
        "<!-- 注释：收入88亿元 --><p>可见内容</p>"
    )
    head = "<meta charset='utf-8'><script>var y = 1;</script><style>body{}</style>"
    assert read_ok(write_html(tmp_path / "c.html", body, head=head)).text == "可见内容"


def test_html_table_rows_are_tab_separated_lines(tmp_path):
    body = (
        "<table><thead><tr><th>项目</th><th>2022年</th><th> 2023年 </th></tr></thead>"
        "<tbody><tr><td>基金<b>收入</b></td><td>\n 40.1 \n</td><td>45.67</td></tr>"
        "<tr><td><p>基金</p><p>支出</p></td><td></td><td>38.12</td></tr></tbody></table>"
        "<p>表后说明</p>"
    )
    assert read_ok(write_html(tmp_path / "d.html", body)).text.split("\n") == [
        "项目\t2022年\t2023年",
        "基金收入\t40.1\t45.67",
        "基金 支出\t\t38.12",
        "表后说明",
    ]


def test_html_collapses_spaces_and_tabs(tmp_path):
    body = "<p>  基金 \t  收入\n   12.3 \t亿元  </p><pre>第一行   A\n第二行\tB</pre>"
    assert read_ok(write_html(tmp_path / "e.html", body)).text == "基金 收入 12.3 亿元\n第一行 A\n第二行 B"


@pytest.mark.parametrize(
    "head",
    ['<meta charset="gbk">', '<meta http-equiv="Content-Type" content="text/html; charset=gb2312">', ""],
)
def test_html_gbk(tmp_path, head):
    doc = read_ok(write_html(tmp_path / "gbk.htm", f"<p>{REPORT_PASSAGE}</p>", "gbk", head=head))
    assert doc.encoding == "gb18030"
    assert doc.text == " ".join(REPORT_PASSAGE.split())  # source newlines are HTML whitespace


def test_html_meta_charset_big5(tmp_path):
    page = '<html><head><meta charset="big5"></head><body><p>醫療保險基金收入四十五億元</p></body></html>'
    doc = read_ok(write_text(tmp_path / "big5.html", page, "big5"))
    assert (doc.text, doc.encoding) == ("醫療保險基金收入四十五億元", "big5")


def test_html_utf8_bom_and_uppercase_suffix(tmp_path):
    path = tmp_path / "page.HTML"
    write_text(path, "<html><body><p>基金结存7.55亿元</p></body></html>", "utf-8", bom=True)
    doc = read_ok(path)
    assert (doc.text, doc.encoding) == ("基金结存7.55亿元", "utf-8-sig")


def test_html_utf16_with_bom(tmp_path):
    path = write_text(tmp_path / "u16.html", "<p>基金结存7.55亿元</p>", "utf-16-le", bom=True)
    assert read_ok(path).text == "基金结存7.55亿元"


def test_html_keeps_nbsp_for_the_normaliser(tmp_path):
    assert (
        read_ok(write_html(tmp_path / "nbsp.html", "<p>基金&nbsp;&nbsp;收入</p>")).text == "基金\xa0\xa0收入"
    )


def test_html_without_visible_text(tmp_path):
    read_fails(write_html(tmp_path / "empty.html", "<script>x()</script>  "), "没有文字内容")


# --- bad input ------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", sorted(SUPPORTED_SUFFIXES))
def test_empty_file(tmp_path, suffix):
    path = tmp_path / f"空{suffix}"
    path.write_bytes(b"")
    read_fails(path, "文件为空", "0 字节")


@pytest.mark.parametrize("text", [" ", "\n\n \t \r\n", "\u3000\u3000\n"])
def test_whitespace_only_file(tmp_path, text):
    read_fails(write_text(tmp_path / "空白.txt", text, "utf-8"), "没有文字内容")


def test_binary_junk_named_txt(tmp_path):
    read_fails(write_random_bytes(tmp_path / "junk.txt"), "不是文本")


def test_image_named_txt(tmp_path):
    path = tmp_path / "photo.txt"
    Image.new("RGB", (64, 64), "red").save(path, "PNG")
    read_fails(path, "不是文本")


def test_binary_junk_named_html(tmp_path):
    read_fails(write_random_bytes(tmp_path / "junk.html", seed=7), "不是文本")


@pytest.mark.parametrize("name", ["报告.doc", "报表.xls", "数据.csv", "说明.wps", "README"])
def test_unknown_extension(tmp_path, name):
    path = write_text(tmp_path / name, REPORT_PASSAGE, "utf-8")
    err = read_fails(path, "不支持的文件类型", ".docx", ".txt", ".pdf", ".html", ".doc", "另存为")
    assert (path.suffix or "无扩展名") in err.reason


def test_too_large_for_custom_limit(tmp_path):
    path = write_text(tmp_path / "big.txt", "基金" * 2_000_000, "utf-8")  # 12 MB
    read_fails(path, "文件过大", "11.4 MB", "上限 10.0 MB", max_bytes=10 * 1024 * 1024)
    assert read_ok(path, max_bytes=12 * 1024 * 1024).text.startswith("基金基金")


def test_50_mb_file_refused_by_size_check_without_reading(tmp_path, monkeypatch):
    path = tmp_path / "huge.txt"
    with path.open("w", encoding="utf-8") as fh:
        line = "2023年基金收入45.67亿元，支出38.12亿元。\n"
        fh.write(line * (50 * 1024 * 1024 // len(line.encode()) + 1))
    assert path.stat().st_size >= 50 * 1024 * 1024

    def forbidden(*args, **kwargs):
        raise AssertionError("the size check must refuse the file before reading it")

    monkeypatch.setattr(pathlib.Path, "open", forbidden)
    monkeypatch.setattr(pathlib.Path, "read_bytes", forbidden)
    start = time.perf_counter()
    read_fails(path, "文件过大", "50.0 MB", "上限 20.0 MB")
    assert time.perf_counter() - start < 0.5


def test_missing_path(tmp_path):
    read_fails(tmp_path / "不存在.txt", "文件不存在")


def test_directory(tmp_path):
    folder = tmp_path / "reports.txt"
    folder.mkdir()
    read_fails(folder, "文件夹")


def test_unreadable_file(tmp_path, monkeypatch):
    path = write_text(tmp_path / "locked.txt", REPORT_PASSAGE, "utf-8")

    def denied(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(pathlib.Path, "open", denied)  # chmod 000 does not stop root
    read_fails(path, "无法读取文件", "Permission denied", "权限")


def test_accepts_str_path(tmp_path):
    path = write_text(tmp_path / "a.txt", "基金收入12.3亿元", "utf-8")
    assert read_document(str(path)).text == "基金收入12.3亿元"
