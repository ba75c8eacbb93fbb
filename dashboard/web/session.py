"""The editor's session in the app: logging in and out, and asking for it where editing starts."""

from __future__ import annotations

import secrets

import streamlit as st

from dashboard.core import auth
from dashboard.web import ui

_EDITOR = "_editor"
_BROWSER = "_login_session"  # a random id of this browser session: the login back-off's key
_NOTICE = "_editor_notice"  # why the editor session just ended, said once


def editor() -> auth.Editor | None:
    """The logged-in editor of this browser session while it is live; a session whose account
    has since been removed from the users file ends here (with a notice, not an error)."""
    who = st.session_state.get(_EDITOR)
    if who is None:
        return None
    try:
        return auth.require_editor(who)
    except auth.PermissionDenied as exc:
        ended(exc)
        return None
    except ValueError:  # the users file is unreadable just now: no editing until it is fixed
        return None


def ended(exc: auth.PermissionDenied) -> None:
    """Forget this browser's editor session, remembering why (shown by :func:`notice`)."""
    auth.logout(st.session_state.pop(_EDITOR, None))
    st.session_state[_NOTICE] = str(exc)


def notice() -> None:
    """Why the editor session ended, once, calmly."""
    message = st.session_state.pop(_NOTICE, None)
    if message:
        st.warning(f"{ui.plain(message)}。登录已失效，如需继续请重新登录。", icon=":material/lock_clock:")


def refused(exc: auth.PermissionDenied) -> None:
    """An editor action refused below the page (the session was revoked meanwhile): say so here."""
    ended(exc)
    notice()


def browser_session() -> str:
    return st.session_state.setdefault(_BROWSER, secrets.token_hex(8))


def sidebar() -> None:
    """Log in / log out for data stewards, at the foot of the sidebar."""
    with st.sidebar:
        st.divider()
        who = editor()
        if who is None:
            notice()
            with st.expander("校核人登录", icon=":material/lock:"):
                login_form("sidebar")
            return
        st.caption(f"已登录：**{ui.plain(who.name)}**（校核人，可导入、校核、移除）")
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
        who = auth.login(name, password, session=browser_session())
    except auth.LoginThrottled as exc:  # backing off after failed logins: how long to wait
        st.error(str(exc), icon=":material/timer:")
        return
    except ValueError as exc:  # an unreadable users file
        st.error(ui.plain(str(exc)))
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
    notice()
    st.warning(f"{action}需要校核人（编辑）权限。浏览数据无需登录。", icon=":material/lock:")
    if not auth.load_users():
        # a viewer sees no server path or command line (the README tells administrators how)
        st.caption("尚未设置校核人账号，请联系系统管理员开通。")
    login_form("page")
    return None
