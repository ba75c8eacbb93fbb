"""Who may change the data: editor accounts, their hashed passwords, and editor sessions.

Viewers need no account.  Editors (data stewards) are listed in a users file kept outside
git (``MEDFUND_USERS``, by default ``~/.config/medfund/users.json``) with argon2id hashes
(argon2-cffi); ``python -m dashboard add-user NAME`` adds one.  Logging in issues an
:class:`Editor` that is registered in this process; every write path calls
:func:`require_editor`, which refuses anything that is not a live editor session.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from pydantic import BaseModel, ConfigDict, Field

USERS_ENV = "MEDFUND_USERS"
DEFAULT_USERS = Path.home() / ".config" / "medfund" / "users.json"
EDITOR = "editor"
NAME_RE = re.compile(r"^[\w.\-@\u4e00-\u9fff]{1,40}$")
MIN_PASSWORD = 8

_hasher = PasswordHasher()


class PermissionDenied(PermissionError):
    """An editor action without an editor session."""


class User(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=NAME_RE.pattern)
    role: str = EDITOR
    password_hash: str = Field(min_length=20)
    created_at: datetime


@dataclass(frozen=True)
class Editor:
    """A logged-in editor; only :func:`login` makes live ones."""

    name: str
    token: str = field(repr=False)


_sessions: dict[str, str] = {}  # token -> user name, for this process


def users_path() -> Path:
    return Path(os.environ.get(USERS_ENV) or DEFAULT_USERS).expanduser()


def load_users(path: Path | None = None) -> dict[str, User]:
    """The users file's accounts; none when the file does not exist yet."""
    path = path or users_path()
    if not path.exists():
        return {}
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        return {u["name"]: User.model_validate(u) for u in raw.get("users", [])}
    except (ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"用户配置文件 {path} 无法读取：{exc}") from exc


def add_user(name: str, password: str, role: str = EDITOR, path: Path | None = None) -> User:
    """Add an account (or set a new password for an existing one); the file is written atomically."""
    path = path or users_path()
    if not NAME_RE.match(name):
        raise ValueError("用户名只能包含文字、字母、数字和 . - _ @，最多 40 个字符")
    if len(password) < MIN_PASSWORD:
        raise ValueError(f"密码至少 {MIN_PASSWORD} 个字符")
    if role != EDITOR:
        raise ValueError(f"未知角色：{role}（只有 {EDITOR}；浏览无需账号）")
    users = load_users(path)
    user = User(
        name=name,
        role=role,
        password_hash=_hasher.hash(password),
        created_at=datetime.now(UTC).replace(microsecond=0),
    )
    users[name] = user
    _write(path, users)
    return user


def _write(path: Path, users: dict[str, User]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    body = {"users": [u.model_dump(mode="json") for u in users.values()]}
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".users-", suffix=".json")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(body, f, ensure_ascii=False, indent=2)
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def login(name: str, password: str, path: Path | None = None) -> Editor | None:
    """A live editor session when the name and password match an editor account."""
    user = load_users(path).get(name.strip())
    if user is None or user.role != EDITOR:
        _hasher.hash(password)  # same work whether or not the name exists
        return None
    try:
        _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return None
    editor = Editor(user.name, secrets.token_urlsafe(24))
    _sessions[editor.token] = editor.name
    return editor


def logout(editor: Editor | None) -> None:
    if editor is not None:
        _sessions.pop(editor.token, None)


def require_editor(editor: object, path: Path | None = None) -> Editor:
    """The editor itself, or PermissionDenied: no session, a forged one, or an account since removed."""
    if not isinstance(editor, Editor) or _sessions.get(editor.token) != editor.name:
        raise PermissionDenied("需要编辑权限：请先以校核人（编辑）身份登录")
    user = load_users(path).get(editor.name)
    if user is None or user.role != EDITOR:
        logout(editor)
        raise PermissionDenied(f"账号 {editor.name} 已不再有编辑权限")
    return editor
