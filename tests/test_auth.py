"""Editor accounts: hashed passwords in a users file outside git, and the add-user command."""

from __future__ import annotations

import contextlib
import json
import stat
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from conftest import ROOT, run_dashboard_cli

from dashboard.core import auth


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
    return run_dashboard_cli(
        "add-user", *args, "--password-stdin", "--users", str(env_users), stdin=password + "\n"
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


# --- login throttling ------------------------------------------------------------------------


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def throttled(users):
    """alice and bob in the users file, and a throttle on a fake clock."""
    auth.add_user("alice", "s3cret-password", path=users)
    auth.add_user("bob", "bobs-password", path=users)
    clock = FakeClock()
    return clock, auth.Throttle(clock=clock)


def test_many_wrong_passwords_then_the_right_one_is_refused_until_the_wait_is_over(users, throttled):
    clock, throttle = throttled
    refused = 0
    for _ in range(70):
        clock.now += 0.1
        try:
            assert auth.login("alice", "wrong-password", path=users, session="s1", throttle=throttle) is None
        except auth.LoginThrottled:
            refused += 1
    assert refused == 65  # five checked, the rest refused unchecked
    clock.now += 10
    with pytest.raises(auth.LoginThrottled, match="秒后再试") as caught:
        auth.login("alice", "s3cret-password", path=users, session="s1", throttle=throttle)
    assert 0 < caught.value.remaining <= 30
    clock.now += 21
    assert auth.login("alice", "s3cret-password", path=users, session="s1", throttle=throttle) is not None


def test_guesses_sent_in_parallel_are_counted_before_any_is_checked(users, throttled, monkeypatch):
    """Twenty wrong passwords at once: only the first five are checked (the check and the count
    are one locked step), however long checking a password takes."""
    _, throttle = throttled
    checked = []
    hasher = auth._hasher

    class SlowHasher:
        hash = staticmethod(hasher.hash)

        @staticmethod
        def verify(hashed: str, password: str) -> bool:
            checked.append(password)
            time.sleep(0.05)  # every guess is in flight before any has failed
            return hasher.verify(hashed, password)

    monkeypatch.setattr(auth, "_hasher", SlowHasher())

    def guess(i: int) -> str:
        try:
            auth.login("alice", f"wrong-{i}", path=users, session=f"s{i}", throttle=throttle)
        except auth.LoginThrottled:
            return "refused"
        return "checked"

    with ThreadPoolExecutor(max_workers=20) as pool:
        outcomes = list(pool.map(guess, range(20)))
    assert outcomes.count("checked") == len(checked) == 5
    assert outcomes.count("refused") == 15


def test_the_wait_doubles_with_each_further_failure(users, throttled):
    clock, throttle = throttled
    for _ in range(5):
        auth.login("alice", "wrong-password", path=users, session="s1", throttle=throttle)
    assert throttle.remaining("alice", "s1") == 30
    clock.now += 30
    auth.login("alice", "wrong-password", path=users, session="s1", throttle=throttle)
    assert throttle.remaining("alice", "s1") == 60
    clock.now += 60
    auth.login("alice", "wrong-password", path=users, session="s1", throttle=throttle)
    with pytest.raises(auth.LoginThrottled, match="2 分钟"):
        auth.login("alice", "s3cret-password", path=users, session="s1", throttle=throttle)


def test_another_account_is_not_held_back_but_the_same_session_is(users, throttled):
    _, throttle = throttled
    for _ in range(5):
        auth.login("alice", "wrong-password", path=users, session="attacker", throttle=throttle)
    # bob from his own browser: unaffected by alice's failures
    assert auth.login("bob", "bobs-password", path=users, session="bobs-browser", throttle=throttle)
    # alice herself from another browser: the account is backing off
    with pytest.raises(auth.LoginThrottled):
        auth.login("alice", "s3cret-password", path=users, session="alices-browser", throttle=throttle)
    # the attacker's session trying other accounts: the session is backing off
    with pytest.raises(auth.LoginThrottled):
        auth.login("bob", "bobs-password", path=users, session="attacker", throttle=throttle)


def test_one_session_trying_many_accounts_is_throttled(users, throttled):
    _, throttle = throttled
    for i in range(5):
        assert (
            auth.login(f"user{i}", "guess-password", path=users, session="sprayer", throttle=throttle) is None
        )
    with pytest.raises(auth.LoginThrottled):
        auth.login("bob", "bobs-password", path=users, session="sprayer", throttle=throttle)
    assert auth.login("bob", "bobs-password", path=users, session="elsewhere", throttle=throttle)


def test_failures_are_logged_with_account_and_session_never_the_password(users, throttled, caplog):
    _, throttle = throttled
    caplog.set_level("INFO", logger=auth.__name__)
    for _ in range(6):
        with contextlib.suppress(auth.LoginThrottled):
            auth.login("alice", "hunter2-wrong", path=users, session="sess-42", throttle=throttle)
    logged = [r.getMessage() for r in caplog.records if r.name == auth.__name__]
    assert len(logged) == 6
    assert all("'alice'" in m and "sess-42" in m for m in logged)
    assert "refused" in logged[-1]
    assert not any("hunter2" in m for m in logged)


def test_waits_are_said_in_chinese():
    assert auth.wait_text(29.2) == "30 秒"
    assert auth.wait_text(120) == "2 分钟"
    assert auth.wait_text(65) == "1 分 5 秒"
