"""Settings come from DACAPO_* variables; bootstrap opens the database."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from dacapo.bootstrap import bootstrap, load_settings
from dacapo.engine.errors import BadInput


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("DATA_DIR", "DATABASE_URL", "ACTOR", "NOW", "MAX_UPLOAD_BYTES"):
        monkeypatch.delenv(f"DACAPO_{name}", raising=False)


def test_a_settings_error_names_the_environment_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DACAPO_MAX_UPLOAD_BYTES", "lots")
    with pytest.raises(BadInput, match=r"^DACAPO_MAX_UPLOAD_BYTES: "):
        load_settings()


def test_a_now_without_offset_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DACAPO_NOW", "2023-05-20T10:00:00")
    with pytest.raises(BadInput, match=r"^DACAPO_NOW: .*time zone offset"):
        load_settings()


def test_settings_read_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DACAPO_NOW", "2023-05-20T10:00:00+02:00")
    monkeypatch.setenv("DACAPO_ACTOR", "secretariat")
    monkeypatch.setenv("DACAPO_DATABASE_URL", "")
    settings = load_settings()
    assert settings.now == dt.datetime(2023, 5, 20, 8, 0, tzinfo=dt.UTC)
    assert (settings.actor, settings.database_url) == ("secretariat", None)
    assert settings.data_dir == Path("data")
    assert settings.max_upload_bytes == 10 * 1024 * 1024


def test_bootstrap_opens_the_sqlite_file_in_data_under_the_current_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with bootstrap(load_settings()) as app:
        assert app.settings.data_dir == tmp_path / "data"
        assert (tmp_path / "data" / "dacapo.sqlite3").is_file()
        assert app.database.dialect == "sqlite"
        assert app.now().tzinfo is not None


def test_the_app_clock_is_the_fixed_now_when_set(tmp_path: Path) -> None:
    fixed = dt.datetime(2023, 5, 20, 10, 0, tzinfo=dt.UTC)
    with bootstrap(load_settings(data_dir=tmp_path, now=fixed)) as app:
        assert app.now() == fixed
