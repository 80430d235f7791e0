from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from catalyst_cli.config import DATA_DIR_ENV, DATABASE_URL_ENV, Source, resolve_settings
from catalyst_cli.db.url import normalize_url, redact, safe_url
from catalyst_cli.errors import InputError

urls = st.sampled_from(["sqlite:///a.db", "postgresql://u@h/d", "/tmp/x.db"])


@given(flag=st.none() | urls, env_url=st.none() | urls)
def test_highest_layer_wins(flag: str | None, env_url: str | None) -> None:
    env = {DATA_DIR_ENV: "/data"}
    if env_url:
        env[DATABASE_URL_ENV] = env_url
    s = resolve_settings(db_flag=flag, env=env)
    if flag:
        assert (s.database_url, s.database_url_source) == (flag, Source.FLAG)
    elif env_url:
        assert (s.database_url, s.database_url_source) == (env_url, Source.ENV)
    else:
        assert s.database_url == "sqlite:////data/catalyst.db"
        assert s.database_url_source is Source.DEFAULT


@pytest.mark.parametrize(
    ("raw", "driver", "database"),
    [
        ("postgresql://u:pw@h:5/db", "postgresql+psycopg", "db"),
        ("postgres://u@h/db", "postgresql+psycopg", "db"),
        ("postgresql+psycopg://u@h/db", "postgresql+psycopg", "db"),
        ("sqlite:////tmp/a.db", "sqlite", "/tmp/a.db"),
    ],
)
def test_normalize_url(raw: str, driver: str, database: str) -> None:
    url = normalize_url(raw)
    assert (url.drivername, url.database) == (driver, database)


def test_bare_path_is_an_sqlite_file(tmp_path: Path) -> None:
    url = normalize_url(str(tmp_path / "x.db"))
    assert url.drivername == "sqlite"
    assert url.database == str(tmp_path / "x.db")


def test_unsupported_database_is_input_error() -> None:
    with pytest.raises(InputError, match="unsupported database 'mysql'"):
        normalize_url("mysql://root:hunter2@h/db")


def test_passwords_are_hidden() -> None:
    url = normalize_url("postgresql://ann:hunter2@db.example/prod")
    assert "hunter2" not in safe_url(url)
    assert "hunter2" not in redact("could not connect to postgresql://ann:hunter2@db.example/prod")
    assert "hunter2" not in redact("password hunter2 rejected", url)


@pytest.mark.parametrize("raw", ["sqlite://", "sqlite:///:memory:"])
def test_in_memory_sqlite_is_refused(raw: str) -> None:
    with pytest.raises(InputError, match="in-memory SQLite keeps nothing"):
        normalize_url(raw)
