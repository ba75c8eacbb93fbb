"""Who may change the data: editor accounts, their hashed passwords, and editor sessions.

Viewers need no account.  Editors (data stewards) are listed in a users file kept outside
git (``MEDFUND_USERS``, by default ``~/.config/medfund/users.json``) with argon2id hashes
(argon2-cffi); ``python -m dashboard add-user NAME`` adds one.  Logging in issues an
:class:`Editor` that is registered in this process; every write path calls
:func:`require_editor`, which refuses anything that is not a live editor session.
"""

from __future__ import annotations

import json
import logging
import math
import os
import re
import secrets
import tempfile
import threading
import time
from collections.abc import Callable
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
log = logging.getLogger(__name__)


class PermissionDenied(PermissionError):
    """An editor action without an editor session."""


class LoginThrottled(PermissionDenied):
    """Too many failed logins for this account or this session: wait `remaining` seconds."""

    def __init__(self, remaining: float) -> None:
        self.remaining = remaining
        super().__init__(f"登录失败次数过多，请在 {wait_text(remaining)}后再试。")


def wait_text(seconds: float) -> str:
    """A wait in Chinese: 30 秒, 2 分钟, 1 分 5 秒 (rounded up to the second)."""
    total = max(1, math.ceil(seconds))
    minutes, rest = divmod(total, 60)
    if not minutes:
        return f"{rest} 秒"
    return f"{minutes} 分钟" if not rest else f"{minutes} 分 {rest} 秒"


class Throttle:
    """Back-off after failed logins, per account and per session.

    After `free` failures on a key (an account name, or a browser session) every login on it is
    refused — the right password too, unchecked — for `base` seconds, doubling with each further
    failure up to `cap`; a success clears the account and the session.  Failures older than
    `forget` seconds (counted from the last one) are forgotten.  `clock` is injectable for tests."""

    def __init__(
        self,
        free: int = 5,
        base: float = 30.0,
        cap: float = 15 * 60.0,
        forget: float = 60 * 60.0,
        clock: Callable[[], float] = time.monotonic,
        max_keys: int = 10_000,
    ) -> None:
        self.free, self.base, self.cap, self.forget, self.clock = free, base, cap, forget, clock
        self.max_keys = max_keys
        self._failures: dict[tuple[str, str], tuple[int, float]] = {}  # key -> (count, last failure)
        self._lock = threading.Lock()

    @staticmethod
    def keys(account: str, session: str | None) -> list[tuple[str, str]]:
        return [("account", account)] + ([("session", session)] if session else [])

    def _wait(self, count: int) -> float:
        if count < self.free:
            return 0.0
        return min(self.cap, self.base * 2 ** (count - self.free))

    def remaining(self, account: str, session: str | None = None) -> float:
        """Seconds until a login on this account from this session is considered again (0: now)."""
        now = self.clock()
        with self._lock:
            return self._left(account, session, now)

    def attempt(self, account: str, session: str | None = None) -> float:
        """Seconds still to wait (the attempt is refused), or 0: the attempt goes ahead and is
        counted as a failure at once, in the same locked step — so guesses sent in parallel
        cannot all pass the check before any of them is counted; a success clears it."""
        now = self.clock()
        with self._lock:
            left = self._left(account, session, now)
            if left <= 0:
                self._count(account, session, now)
            return left

    def failed(self, account: str, session: str | None = None) -> None:
        now = self.clock()
        with self._lock:
            self._count(account, session, now)

    def _left(self, account: str, session: str | None, now: float) -> float:
        left = 0.0
        for key in self.keys(account, session):
            count, last = self._failures.get(key, (0, now))
            left = max(left, last + self._wait(count) - now)
        return left

    def _count(self, account: str, session: str | None, now: float) -> None:
        if len(self._failures) >= self.max_keys:  # many names tried: drop what is forgotten anyway
            self._failures = {
                k: v for k, v in self._failures.items() if now - v[1] < max(self.forget, self.cap)
            }
        for key in self.keys(account, session):
            count, last = self._failures.get(key, (0, now))
            if now - last >= self.forget:
                count = 0
            self._failures[key] = (count + 1, now)

    def succeeded(self, account: str, session: str | None = None) -> None:
        with self._lock:
            for key in self.keys(account, session):
                self._failures.pop(key, None)

    def reset(self) -> None:
        """Forget every failure (tests; a restart does the same)."""
        with self._lock:
            self._failures.clear()


THROTTLE = Throttle()  # this process's logins


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


def login(
    name: str,
    password: str,
    path: Path | None = None,
    session: str | None = None,
    throttle: Throttle | None = None,
) -> Editor | None:
    """A live editor session when the name and password match an editor account.

    Raises LoginThrottled (saying how long to wait) while the account or the browser `session`
    is backing off after failed logins; the password is not even checked then.  Failures and
    refusals are logged with the account name and session, never the password."""
    throttle = throttle or THROTTLE
    account = name.strip()
    left = throttle.attempt(account, session)  # counted as a failure until it succeeds
    if left > 0:
        log.warning("login refused, backing off %.0f s: account=%r session=%s", left, account, session)
        raise LoginThrottled(left)
    user = load_users(path).get(account)
    if user is None or user.role != EDITOR:
        _hasher.hash(password)  # same work whether or not the name exists
        return _failed(throttle, account, session)
    try:
        _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return _failed(throttle, account, session)
    throttle.succeeded(account, session)
    log.info("login: account=%r session=%s", user.name, session)
    editor = Editor(user.name, secrets.token_urlsafe(24))
    _sessions[editor.token] = editor.name
    return editor


def _failed(throttle: Throttle, account: str, session: str | None) -> None:
    """Log a failed login (Throttle.attempt has already counted it)."""
    log.warning(
        "login failed: account=%r session=%s (next attempt in %.0f s)",
        account,
        session,
        throttle.remaining(account, session),
    )
    return None


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
