"""Showing what a file would bring in before it is written: its region and year, facts with
their quotes in context, rejections and check warnings (the 导入 page's preview)."""

from __future__ import annotations

from functools import cache

import polars as pl
import streamlit as st

from dashboard.core import export, trace
from dashboard.core.stewardship import Preview
from dashboard.web import ui
from pipelines import codes, confidence
from pipelines.regions import RegionTable
from pipelines.store import DocumentRows, ReportOverride

CONFIDENCE = {"high": "高", "medium": "中", "low": "低", "none": "未识别", "steward": "校核人指定"}


@cache
def region_choices() -> dict[str, str]:
    """Every region of the code table: code → 道县（湖南省永州市）.  A code only renamed since is
    not offered (its current region is); one abolished without a single successor (a merge or a
    split, for reports from before it) is marked 已撤销."""
    table = RegionTable.default()
    labels: dict[str, str] = {}
    for region in table:
        if region.successor_code is not None:
            continue
        parents, code = [], region.parent_code
        while code and (parent := table.get(code)) is not None and parent.level != "national":
            parents.insert(0, parent.name)
            code = parent.parent_code
        label = f"{region.name}（{''.join(parents)}）" if parents else region.name
        labels[region.code] = label if region.is_current else f"{label}（已撤销）"
    return labels


def unsure(rows: DocumentRows) -> bool:
    """Whether the region or year detection needs a steward's look."""
    return rows.doc.region_confidence not in ("high", "steward") or rows.doc.report_year is None


def override_inputs(preview: Preview, key: str) -> ReportOverride | None:
    """Region and year as detected, editable when detection is unsure (or when asked to)."""
    doc = preview.rows.doc
    region = f"{doc.region_name}（{doc.region_code}）" if doc.region_code else "未识别"
    st.markdown(
        f"**地区**：{region} · 把握：{CONFIDENCE.get(doc.region_confidence, doc.region_confidence)}"
        f" · **报告年度**：{doc.report_year or '未识别'}"
    )
    if doc.region_evidence:
        st.caption("判断依据：" + "；".join(ui.plain(e) for e in doc.region_evidence[:3]))
    edit = st.toggle("修改地区或年度", value=unsure(preview.rows), key=f"{key}_edit")
    if not edit:
        return None
    choices = region_choices()
    codes = list(choices)
    c1, c2 = st.columns([3, 1])
    code = c1.selectbox(
        "报告所属地区",
        codes,
        index=codes.index(doc.region_code) if doc.region_code in choices else None,
        format_func=choices.__getitem__,
        key=f"{key}_region",
        placeholder="输入名称查找，如 道县",
    )
    year = c2.number_input(
        "报告年度", 1990, 2100, value=doc.report_year, step=1, key=f"{key}_year", placeholder="如 2024"
    )
    override = ReportOverride(
        region_code=code if code != doc.region_code or doc.region_confidence != "high" else None,
        report_year=int(year) if year is not None and year != doc.report_year else None,
    )
    return None if override == ReportOverride() else override


def facts_frame(rows: DocumentRows) -> pl.DataFrame:
    return pl.DataFrame(
        [
            {
                **f.model_dump(exclude={"rules"}),
                "confidence_reasons": confidence.reasons_text(f.confidence_reasons),
                "file_name": rows.doc.file_name,
            }
            for f in rows.facts
        ],
        schema_overrides={"value": pl.Float64},
    )


def show(preview: Preview, key: str) -> None:
    """The facts, rejections and check warnings of one previewed file."""
    rows = preview.rows
    doc = rows.doc
    for warning in doc.warnings:
        st.warning(ui.plain(warning))
    c1, c2, c3 = st.columns(3)
    c1.metric("识别出的数据", len(rows.facts))
    c2.metric("未采用（待核查）", len(rows.rejections))
    c3.metric("校核提示", len(rows.checks))
    facts_tab, rejections_tab, checks_tab, text_tab = st.tabs(
        ["识别的数据", "未采用", "校核提示", "全文标注"]
    )
    with facts_tab:
        if not rows.facts:
            ui.empty("没有识别出医保基金数据。")
        else:
            table = export.facts_table(facts_frame(rows))
            picked = st.dataframe(
                table.drop("数据编号", "报告文件"),
                hide_index=True,
                width="stretch",
                on_select="rerun",
                selection_mode="single-row",
                key=f"{key}_facts",
                column_config={"数值": st.column_config.NumberColumn(format="localized")},
            )
            chosen = picked.selection.rows if picked else []
            fact = rows.facts[chosen[0] if chosen else 0]
            st.caption("原文位置（选中一行查看其他数据）：")
            st.html(trace.quote_html(doc.text, fact.start, fact.end))
    with rejections_tab:
        _listing(
            "没有未采用的数字。",
            {"原因": [r.reason for r in rows.rejections], "原文": [r.quote for r in rows.rejections]},
        )
    with checks_tab:
        _listing(
            "数据之间没有发现矛盾。",
            {
                "级别": [codes.name("severity", c.severity) for c in rows.checks],
                "说明": [c.message for c in rows.checks],
                "原文": [c.quote or "" for c in rows.checks],
            },
        )
    with text_tab, st.container(height=420, border=True):
        spans = [(f.start, f.end, f.quote) for f in rows.facts]
        st.html(trace.document_html(doc.text, spans))


def _listing(when_empty: str, columns: dict[str, list[str]]) -> None:
    if not next(iter(columns.values())):
        st.caption(when_empty)
        return
    st.dataframe(pl.DataFrame(columns), hide_index=True, width="stretch")
