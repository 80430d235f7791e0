"""The limits every stored value is held to, alike for both backends."""

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import String

from catalyst_cli import limits
from catalyst_cli.db import models
from catalyst_cli.errors import InputError


@pytest.mark.parametrize(
    ("column", "limit"),
    [
        (models.User.c.email, limits.MAX_EMAIL),
        (models.User.c.name, limits.MAX_NAME),
        (models.User.c.timezone, limits.MAX_TIMEZONE),
        (models.Competency.c.slug, limits.MAX_SLUG),
        (models.Competency.c.title, limits.MAX_TITLE),
        (models.LearningModule.c.slug, limits.MAX_SLUG),
        (models.LearningModule.c.title, limits.MAX_TITLE),
        (models.Quiz.c.slug, limits.MAX_SLUG),
        (models.Quiz.c.title, limits.MAX_TITLE),
        (models.QuizAttempt.c.external_id, limits.MAX_EXTERNAL_ID),
    ],
)
def test_text_limits_match_the_columns(column, limit: int) -> None:  # type: ignore[no-untyped-def]
    kind = column.type
    assert isinstance(kind, String) and kind.length == limit


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("x" * 11, r"too long \(11 characters; at most 10\)"),
        ("a\x00b", "NUL"),
        ("\udc80", "Unicode"),
    ],
)
def test_check_text_refuses(value: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        limits.check_text("title", value, 10)


def test_check_text_keeps_what_both_backends_store() -> None:
    text = "Ünïcödé ✓ \x1b[31m tab\there 👩‍💻"
    assert limits.check_text("title", text, 100) == text


@pytest.mark.parametrize(
    "value", ["a b", "a\tb", "a\x1bb", "a\u202eb", "a\u200bb", "a\u2028b", "a\u00a0b", "a\x85b"]
)
def test_identifiers_have_no_space_control_or_invisible_characters(value: str) -> None:
    with pytest.raises(InputError, match="invalid slug"):
        limits.check_slug("slug", value)


@pytest.mark.parametrize("value", ["", "a/b", "123"])
def test_slugs_name_no_path_and_no_id(value: str) -> None:
    with pytest.raises(InputError, match="invalid slug"):
        limits.check_slug("slug", value)


@pytest.mark.parametrize("value", ["intro", "python-3.12_basics", "café", "日本語"])
def test_slugs_accepted(value: str) -> None:
    assert limits.check_slug("slug", value) == value


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (-1, "invalid score -1: must be at least 0"),
        (2**31, "invalid score 2147483648: must be at most 2,147,483,647"),
        (2**63, "must be at most 2,147,483,647"),
        (10**4000, "invalid score a number that large: must be at most 2,147,483,647"),
    ],
)
def test_check_int_refuses_what_an_integer_column_cannot_hold(value: int, message: str) -> None:
    with pytest.raises(InputError, match=message):
        limits.check_int("score", value)


@pytest.mark.parametrize("value", [True, 1.0, "1"])
def test_check_int_refuses_non_integers(value: object) -> None:
    with pytest.raises(InputError, match="whole number"):
        limits.check_int("score", value)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "value",
    [
        limits.MIN_INSTANT,
        limits.MAX_INSTANT,
        datetime(1900, 1, 1, 9, tzinfo=timezone(timedelta(hours=9))),
    ],
)
def test_instants_at_the_edges_are_shown_by_every_zone(value: datetime) -> None:
    assert limits.check_instant(value) is value
    widest = timedelta(hours=24) - timedelta(microseconds=1)  # Python's limit for an offset
    for offset in (-widest, timedelta(hours=-12), timedelta(0), timedelta(hours=14), widest):
        shown = value.astimezone(timezone(offset))
        assert shown.date() - timedelta(days=400) < shown.date() + timedelta(days=400)


@pytest.mark.parametrize(
    "value",
    [
        datetime(1, 1, 1, tzinfo=UTC),
        datetime(1899, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
        datetime(3000, 1, 1, tzinfo=UTC),
        datetime(9999, 12, 31, 23, tzinfo=timezone(timedelta(hours=-5))),
    ],
)
def test_instants_outside_the_range_are_refused(value: datetime) -> None:
    with pytest.raises(InputError, match="catalyst accepts times from 1900-01-01T00:00:00Z"):
        limits.check_instant(value)


def test_naive_instants_are_refused() -> None:
    with pytest.raises(InputError, match="no timezone"):
        limits.check_instant(datetime(2026, 1, 1))


@pytest.mark.parametrize("value", [timedelta(-1), limits.MAX_DURATION + timedelta(microseconds=1)])
def test_durations_out_of_range(value: timedelta) -> None:
    with pytest.raises(InputError, match="invalid duration"):
        limits.check_duration(value)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ({"a": float("nan")}, "not a JSON number"),
        ([float("inf")], "not a JSON number"),
        ({"a\x00": 1}, "NUL"),
        (["\ud800"], "Unicode"),
        ("x" * (limits.MAX_JSON_TEXT + 1), "too long"),
        ([[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]], "deeper than 32"),
    ],
)
def test_check_json_refuses(value: object, message: str) -> None:
    with pytest.raises(InputError, match=message):
        limits.check_json("answers", value)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[" * 100_000, "nested too deeply"),
        ("9" * 5000, "too many digits"),
        ("NaN", "NaN is not a JSON number"),
        ("[-Infinity]", "Infinity is not a JSON number"),
        ('{"a": }', "f.json:1: invalid JSON"),
    ],
)
def test_load_json_failures_are_one_input_error(text: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        limits.load_json(text, "f.json")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a = " + "[" * 5000 + "]" * 5000, "nested too deeply"),
        ("a = " + "9" * 5000, "too many digits"),
        ("a = ", "invalid TOML"),
    ],
)
def test_load_toml_failures_are_one_input_error(text: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        limits.load_toml(text, "f.toml")


def test_a_byte_order_mark_is_accepted() -> None:
    assert limits.load_json("\ufeff[1]", "f") == [1]
    assert limits.load_toml("\ufeffa = 1", "f") == {"a": 1}
    assert limits.decode_text(b"\xef\xbb\xbf[1]", "f") == "[1]"


def test_undecodable_files_are_one_input_error() -> None:
    with pytest.raises(InputError, match=r"f: not UTF-8 text \(byte 2\)"):
        limits.decode_text(b"a\xff", "f")
