"""The warm launcher (dashboard/web/serve.py): the work of a first visit is done before serving."""

from __future__ import annotations

import logging
import shutil

from streamlit.testing.v1 import AppTest

from dashboard.web import data, serve


def _counting_opens(monkeypatch) -> list[str]:
    opened: list[str] = []
    real = data.open_database

    def counting(path: str):
        opened.append(path)
        return real(path)

    monkeypatch.setattr(data, "open_database", counting)
    return opened


def test_warming_opens_the_database_once_for_every_later_reader(seeds_db, tmp_path, monkeypatch):
    db = tmp_path / "warm.duckdb"
    shutil.copy(seeds_db, db)
    monkeypatch.setenv("MEDFUND_DB", str(db))
    opened = _counting_opens(monkeypatch)

    seconds = serve.warm()

    assert seconds is not None and seconds > 0
    assert opened == [str(db)]  # the warm-up opened the snapshot …
    reader = AppTest.from_file(str(serve.APP), default_timeout=60).run()  # … a reader's first page
    assert not reader.exception
    assert reader.title[0].value.startswith("总览")
    assert opened == [str(db)]  # … found it open: no second snapshot, no first-visit cost


def test_no_database_yet_is_left_to_the_app_which_shows_its_progress(tmp_path, monkeypatch):
    monkeypatch.setenv("MEDFUND_DB", str(tmp_path / "none.duckdb"))
    opened = _counting_opens(monkeypatch)
    assert serve.warm() is None
    assert opened == [] and not (tmp_path / "none.duckdb").exists()


def test_a_failing_warm_up_is_logged_and_never_stops_the_server(seeds_db, tmp_path, monkeypatch, caplog):
    monkeypatch.setenv("MEDFUND_DB", str(seeds_db))
    broken = tmp_path / "app.py"
    broken.write_text("raise RuntimeError('页面脚本坏了')\n", encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="medfund.serve"):
        assert serve.warm(broken) is None
    assert "预热" in caplog.text and "页面脚本坏了" in caplog.text


def test_a_warm_up_that_times_out_leaves_the_server_free_to_start(seeds_db, tmp_path, monkeypatch, caplog):
    from streamlit.runtime import Runtime

    monkeypatch.setenv("MEDFUND_DB", str(seeds_db))
    slow = tmp_path / "app.py"
    slow.write_text("import time\ntime.sleep(5)\n", encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="medfund.serve"):
        assert serve.warm(slow, timeout=0.5) is None
    assert "预热失败" in caplog.text
    assert Runtime._instance is None  # the server's own runtime can be created
