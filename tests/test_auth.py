"""Editor accounts: hashed passwords in a users file outside git, and the add-user command."""

from __future__ import annotations

import json
import stat
import subprocess
import sys

import pytest
from conftest import ROOT

from dashboard.core import auth


@pytest.fixture
def users(tmp_path):
    return tmp_path / "users.json"


def test_passwords_are_stored_hashed_and_verified(users):
    auth.add_user("alice", "s3cret-password", path=users)
    stored = users.read_text(encoding="utf-8")
    assert "s3cret-password" not in stored
    [entry] = json.loads(stored)["users"]
    assert entry["password_hash"].startswith("$argon2id$")
    assert stat.S_IMODE(users.stat().st_mode) == 0o600
    assert auth.login("alice", "s3cret-password", path=users) is not None
    assert auth.login("alice", "wrong-password", path=users) is None
    assert auth.login("nobody", "s3cret-password", path=users) is None


def test_adding_a_user_again_sets_a_new_password(users):
    auth.add_user("alice", "first-password", path=users)
    auth.add_user("bob", "bobs-password", path=users)
    auth.add_user("alice", "second-password", path=users)
    assert set(auth.load_users(users)) == {"alice", "bob"}
    assert auth.login("alice", "first-password", path=users) is None
    assert auth.login("alice", "second-password", path=users) is not None


@pytest.mark.parametrize(
    ("name", "password", "message"),
    [("alice", "short", "至少"), ("bad name!", "long-enough-pw", "用户名"), ("", "long-enough-pw", "用户名")],
)
def test_bad_names_and_short_passwords_are_refused(users, name, password, message):
    with pytest.raises(ValueError, match=message):
        auth.add_user(name, password, path=users)
    assert not users.exists()


def test_only_sessions_made_by_login_pass(users):
    auth.add_user("alice", "s3cret-password", path=users)
    editor = auth.login("alice", "s3cret-password", path=users)
    assert auth.require_editor(editor, path=users) == editor
    for other in (None, "alice", auth.Editor("alice", "guessed"), auth.Editor("bob", editor.token)):
        with pytest.raises(auth.PermissionDenied):
            auth.require_editor(other, path=users)
    auth.logout(editor)
    with pytest.raises(auth.PermissionDenied):
        auth.require_editor(editor, path=users)


def test_a_damaged_users_file_says_so(users):
    users.write_text("{not json", encoding="utf-8")
    with pytest.raises(ValueError, match="无法读取"):
        auth.load_users(users)


def test_the_users_file_defaults_outside_the_repository(monkeypatch):
    monkeypatch.delenv(auth.USERS_ENV, raising=False)
    assert not auth.users_path().resolve().is_relative_to(ROOT)


def add_user_cli(*args: str, password: str, env_users) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "dashboard", "add-user", *args, "--password-stdin", "--users", str(env_users)],
        cwd=ROOT,
        input=password + "\n",
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_add_user_command(users):
    done = add_user_cli("张三", password="张三的密码-2026", env_users=users)
    assert done.returncode == 0, done.stderr
    assert "已添加校核人 张三" in done.stdout
    assert auth.login("张三", "张三的密码-2026", path=users) is not None
    again = add_user_cli("张三", password="another-password", env_users=users)
    assert again.returncode == 0 and "已更新" in again.stdout
    short = add_user_cli("李四", password="short", env_users=users)
    assert short.returncode == 2 and "至少" in short.stderr
    assert set(auth.load_users(users)) == {"张三"}
