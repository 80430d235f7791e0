"""Database URLs: no part of a URL's userinfo is ever printed, parsed or not."""

import pytest

from catalyst_cli.db.url import normalize_url, redact, redact_for, safe_url, unparsed
from catalyst_cli.errors import InputError

SECRET_PARTS = ("ann", "hunt", "er2")


@pytest.mark.parametrize(
    "raw",
    [
        "postgresql://ann:hunt@er2@db.example.org/prod",
        "postgresql://ann:hunt er2@db.example.org:5432/prod",
        "postgresql://ann:hunt er2@db.example.org:port/prod",
        "postgres://ann:hunter2/prod",
        "postgresql://ann:hunt/er2@db.example.org/prod",
        "postgresql+psycopg2://ann:hunter2@db.example.org/prod",
        "mysql://ann:hunter2@db.example.org/prod",
    ],
)
def test_badly_typed_urls_never_show_their_userinfo(raw: str) -> None:
    """Refused without the userinfo in the message, or parsed and shown without it."""
    try:
        shown = safe_url(normalize_url(raw))
    except InputError as exc:
        shown = str(exc)
    for part in SECRET_PARTS:
        assert part not in shown


def test_a_parsed_url_is_shown_without_userinfo() -> None:
    url = normalize_url("postgresql://ann:hunter2@db.example.org:5433/prod?sslmode=require")
    assert safe_url(url) == "postgresql+psycopg://***@db.example.org:5433/prod?sslmode=require"
    assert safe_url(normalize_url("postgresql://db.example.org/prod")) == (
        "postgresql+psycopg://db.example.org/prod"
    )


def test_password_parameters_are_hidden() -> None:
    url = normalize_url("postgresql://db.example.org/prod?password=hunter2&user=ann")
    assert "hunter2" not in safe_url(url)


@pytest.mark.parametrize(
    "text",
    [
        "could not connect to postgresql://ann:hunt@er2@db.example.org/prod",
        "see postgres://ann:hunter2@host",
    ],
)
def test_redact_hides_userinfo_in_any_text(text: str) -> None:
    shown = redact(text)
    assert "hunt" not in shown and "ann" not in shown


def test_redact_for_hides_an_unparseable_urls_secrets() -> None:
    raw = "postgresql://ann:hunt er2@db:port/x"
    assert "er2" not in redact_for("auth failed: hunt er2", raw)


def test_unparsed_shows_the_scheme_only() -> None:
    assert unparsed("postgresql://ann:x@y") == "postgresql://..."
    assert unparsed("garbage") == "'...'"
