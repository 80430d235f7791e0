"""Settings resolution: flag > CATALYST_* environment variable > built-in default."""

from __future__ import annotations

import enum
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

DATA_DIR_ENV = "CATALYST_DATA_DIR"
DATABASE_URL_ENV = "CATALYST_DATABASE_URL"
USER_ENV = "CATALYST_USER"


class Source(enum.Enum):
    """Where a setting's value came from."""

    FLAG = "flag"
    ENV = "environment"
    DEFAULT = "default"


@dataclass(frozen=True)
class Settings:
    """The resolved settings of one run, with where each value came from."""

    database_url: str
    database_url_source: Source


def data_dir(env: Mapping[str, str]) -> Path:
    """The folder for catalyst's own files: $CATALYST_DATA_DIR or the platform's user data dir."""
    override = env.get(DATA_DIR_ENV)
    if override:
        return Path(override)
    import platformdirs

    return Path(platformdirs.user_data_dir("catalyst", appauthor=False))


def default_database_url(env: Mapping[str, str]) -> str:
    """The SQLite file used when neither --db nor CATALYST_DATABASE_URL is given."""
    return f"sqlite:///{data_dir(env) / 'catalyst.db'}"


def resolve_settings(*, db_flag: str | None, env: Mapping[str, str] | None = None) -> Settings:
    """Resolve the settings from the layers, highest first."""
    env = os.environ if env is None else env
    if db_flag:
        return Settings(db_flag, Source.FLAG)
    if env.get(DATABASE_URL_ENV):
        return Settings(env[DATABASE_URL_ENV], Source.ENV)
    return Settings(default_database_url(env), Source.DEFAULT)
