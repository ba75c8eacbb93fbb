"""导入: upload reports, preview what they hold, and bring them in after the steward confirms."""

import streamlit as st

from dashboard.core import auth, database, stewardship
from dashboard.web import filters, review, session, ui

filters.active()
ui.header("导入", None, "上传本年度的报告，先预览识别结果，确认后写入数据库（与命令行导入相同的流程）。")


def upload(editor: auth.Editor) -> None:
    st.markdown(
        "支持 **txt、docx、pdf、html** 格式，可一次选择多个文件；"
        f"单个文件不超过 **{stewardship.MAX_UPLOAD_MB} MB**。"
    )
    round_ = st.session_state.setdefault("upload_round", 0)
    files = st.file_uploader(
        "选择报告文件",
        type=stewardship.UPLOAD_TYPES,
        accept_multiple_files=True,
        max_upload_size=stewardship.MAX_UPLOAD_MB,
        key=f"upload_files_{round_}",
    )
    items = []
    seen: dict[str, str] = {}  # document id → file name, within this upload
    for i, file in enumerate(files or []):
        staged = stewardship.stage_upload(editor, file.name, file.getvalue())
        with st.container(border=True):
            st.subheader(ui.plain(staged.name))
            first = stewardship.preview(editor, staged)
            if not first.ok:
                st.error(ui.plain(first.error), icon=":material/error:")
                continue
            override = review.override_inputs(first, key=f"upload_{round_}_{i}")
            shown = stewardship.preview(editor, staged, override) if override else first
            if not shown.ok:
                st.error(ui.plain(shown.error), icon=":material/error:")
                continue
            doc_id = shown.rows.doc.doc_id
            if doc_id in seen:
                st.info(
                    f"与本次上传的《{ui.plain(seen[doc_id])}》内容完全相同，只导入一次。",
                    icon=":material/content_copy:",
                )
                continue
            seen[doc_id] = staged.name
            if shown.existing:
                st.info(
                    f"这份报告已在库中（《{ui.plain(shown.existing['file_name'])}》，"
                    f"{shown.existing['n_facts']} 条数据）。"
                    "确认导入将按现行规则重新读取并替换它的数据；校核记录保留并继续生效。",
                    icon=":material/content_copy:",
                )
            review.show(shown, key=f"upload_{round_}_{i}")
            items.append((shown, override))
    # only what may still be imported stays staged: files refused or taken out of the list go
    stewardship.discard_staged(editor, keep=[p.staged for p, _ in items])
    if items and st.button(f"确认导入 {len(items)} 份报告", type="primary", icon=":material/database:"):
        try:
            outcomes = stewardship.import_reports(editor, items)
        except database.DatabaseBusy as exc:
            st.error(ui.plain(str(exc)))
        else:
            st.session_state["upload_outcomes"] = [
                (name, o.ok, o.error, o.n_facts, o.replaced) for name, o in outcomes
            ]
            st.session_state["upload_round"] = round_ + 1
            st.rerun()
    for name, ok, error, n_facts, replaced in st.session_state.get("upload_outcomes", []):
        if ok:
            st.success(
                f"{ui.plain(name)}：已{'重新' if replaced else ''}导入，{n_facts} 条数据。",
                icon=":material/check:",
            )
        else:
            st.error(ui.plain(error or name), icon=":material/error:")


editor = session.require("导入报告")
if editor is not None:
    try:
        upload(editor)
    except auth.PermissionDenied as exc:  # the account was revoked since the page checked it
        session.refused(exc)
