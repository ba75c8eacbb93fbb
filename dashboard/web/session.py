"""The editor's session in the app: logging in and out, and asking for it where editing starts."""

from __future__ import annotations

import streamlit as st

from dashboard.core import auth

_EDITOR = "_editor"


def editor() -> auth.Editor | None:
    """The logged-in editor of this browser session, if any."""
    return st.session_state.get(_EDITOR)


def sidebar() -> None:
    """Log in / log out for data stewards, at the foot of the sidebar."""
    with st.sidebar:
        st.divider()
        who = editor()
        if who is None:
            with st.expander("校核人登录", icon=":material/lock:"):
                login_form("sidebar")
            return
        st.caption(f"已登录：**{who.name}**（校核人，可导入、校核、移除）")
        if st.button("退出登录", key="logout", icon=":material/logout:"):
            auth.logout(who)
            del st.session_state[_EDITOR]
            st.rerun()


def login_form(key: str) -> None:
    with st.form(f"login_{key}", border=False):
        name = st.text_input("用户名", key=f"login_name_{key}")
        password = st.text_input("密码", type="password", key=f"login_password_{key}")
        submitted = st.form_submit_button("登录", type="primary")
    if not submitted:
        return
    try:
        who = auth.login(name, password)
    except ValueError as exc:  # an unreadable users file
        st.error(str(exc))
        return
    if who is None:
        st.error("用户名或密码不正确。")
        return
    st.session_state[_EDITOR] = who
    st.rerun()


def require(action: str) -> auth.Editor | None:
    """The editor, or (after saying why and offering the login) None."""
    who = editor()
    if who is not None:
        return who
    st.warning(f"{action}需要校核人（编辑）权限。浏览数据无需登录。", icon=":material/lock:")
    if not auth.load_users():
        st.caption(
            f"尚未设置校核人账号：管理员可运行 `python -m dashboard add-user 用户名` 建立（账号文件：{auth.users_path()}）。"
        )
    login_form("page")
    return None
