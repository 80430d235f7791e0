import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from catalyst_cli.errors import InputError
from catalyst_cli.limits import MAX_DURATION
from catalyst_cli.users import normalize_email
from catalyst_cli.xapi.values import (
    Score,
    agent_identity,
    format_duration,
    format_timestamp,
    language_text,
    parse_duration,
    parse_score,
    parse_timestamp,
)
from tests.xapi.corpora import corpus


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("PT25M", timedelta(minutes=25)),
        ("PT1H2M3.5S", timedelta(hours=1, minutes=2, seconds=3.5)),
        ("PT1234S", timedelta(seconds=1234)),
        ("P1DT12H", timedelta(days=1, hours=12)),
        ("P2W", timedelta(weeks=2)),
        ("PT0S", timedelta(0)),
        ("P0Y0M3D", timedelta(days=3)),
        ("PT1,5S", timedelta(seconds=1.5)),
        ("PT1.5H", timedelta(minutes=90)),
        ("PT0.0000019S", timedelta(microseconds=1)),  # digits past microseconds are dropped
    ],
)
def test_durations_accepted(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "P",
        "PT",
        "P1DT",
        "25M",
        "-PT1S",
        "PT1.5H2M",
        "P1M",
        "P1Y",
        "PT1S2M",
        "P1W2D",
        "pt1s",
        60,
    ],
)
def test_durations_refused(text: object) -> None:
    with pytest.raises(InputError, match="invalid duration"):
        parse_duration(text)


def test_lrs_conformance_duration() -> None:
    """The suite compares durations to hundredths: P1DT12H36M0.1237S is P1DT12H36M0.12S."""
    cases = json.loads((corpus("adl-lrs-conformance") / "timestamp-cases.json").read_text())
    for case in cases["durations"]:
        got, same = parse_duration(case["value"]), parse_duration(case["equivalent_to"])
        assert got // timedelta(milliseconds=10) == same // timedelta(milliseconds=10)
        assert got - same == timedelta(microseconds=3700)


@given(st.timedeltas(min_value=timedelta(0), max_value=MAX_DURATION))
def test_duration_round_trip(value: timedelta) -> None:
    assert parse_duration(format_duration(value)) == value


def test_lrs_conformance_timestamps() -> None:
    cases = json.loads((corpus("adl-lrs-conformance") / "timestamp-cases.json").read_text())
    for case in cases["timestamps"]:
        if case["lrs_must"].startswith("reject"):
            with pytest.raises(InputError):
                parse_timestamp(case["value"])
        else:
            assert parse_timestamp(case["value"]).tzinfo is UTC
    assert parse_timestamp("2023-05-04T12:00:00-05:00") == parse_timestamp(
        "2023-05-04T17:00:00.000Z"
    )


@pytest.mark.parametrize(
    "text", ["2015-01-01", "0001-01-01T00:30:00+01:00", "9999-12-31T23:59:59Z", None, 12]
)
def test_timestamps_refused(text: object) -> None:
    with pytest.raises(InputError):
        parse_timestamp(text)


def test_timestamp_without_offset_is_utc() -> None:
    assert parse_timestamp("2021-11-24T23:30:00") == datetime(2021, 11, 24, 23, 30, tzinfo=UTC)


@given(
    st.datetimes(
        min_value=datetime(1900, 1, 1), max_value=datetime(2200, 1, 1), timezones=st.just(UTC)
    )
)
def test_timestamp_round_trip(value: datetime) -> None:
    text = format_timestamp(value)
    assert text.endswith("Z") and len(text.split(".")[1]) in (4, 7)  # milliseconds, or micro
    assert parse_timestamp(text) == value


@pytest.mark.parametrize(
    ("score", "expected"),
    [
        ({"raw": 65, "min": 0, "max": 100, "scaled": 0.65}, Score(65, 100)),
        ({"raw": 7, "min": 2, "max": 12}, Score(5, 10)),
        # Moodle's scaled is on -1..1: raw/min/max are whole, so they win.
        ({"raw": 50, "min": 0, "max": 100, "scaled": 0.0}, Score(50, 100)),
        ({"scaled": Decimal("0.95")}, Score(95, 100)),
        ({"scaled": Decimal("0.285")}, Score(29, 100)),  # half up, exactly
        ({"scaled": -0.5}, Score(0, 100)),  # a negative scaled score is 0
        ({"raw": 2.5, "max": 5}, Score(50, 100)),
        ({"raw": 2.5, "min": 0, "max": 10}, Score(25, 100)),
        ({"raw": 3, "max": 4}, Score(75, 100)),  # no min: raw/max
        ({"raw": 0, "min": 0, "max": 0, "scaled": 0}, Score(0, 100)),  # Open edX max_grade_0
        ({"raw": 0, "min": 0, "max": 0}, None),
        ({"min": 0}, None),  # Open edX browser problem_check
        ({"raw": 5}, None),
    ],
)
def test_scores(score: dict[str, object], expected: Score | None) -> None:
    assert parse_score(score) == expected


@pytest.mark.parametrize(
    "score",
    [
        {"scaled": 1.5},
        {"raw": 11, "min": 0, "max": 10},
        {"min": 5, "max": 1},
        {"raw": "5"},
        {"raw": True},
        [],
    ],
)
def test_scores_refused(score: object) -> None:
    with pytest.raises(InputError):
        parse_score(score)


@pytest.mark.parametrize(
    ("agent", "key", "email", "handle"),
    [
        (
            {"mbox": "mailto:Ann.Lee@Example.ORG"},
            "mbox:mailto:ann.lee@example.org",
            "ann.lee@example.org",
            "ann.lee@example.org",
        ),
        (
            {"mbox_sha1sum": "6A113390C5A05E6E345E0F559E03A1B294C2C3A3"},
            "mbox_sha1sum:6a113390c5a05e6e345e0f559e03a1b294c2c3a3",
            None,
            "6a113390c5a05e6e345e0f559e03a1b294c2c3a3@mbox-sha1sum.invalid",
        ),
        (
            {"openid": "http://openid.example.org/12345"},
            "openid:http://openid.example.org/12345",
            None,
            "openid.example.org/12345@openid.invalid",
        ),
        (
            {"account": {"homePage": "http://www.example.org", "name": "1"}},
            "account:http://www.example.org|1",
            None,
            "1@www.example.org",
        ),
        (
            {"account": {"homePage": "http://localhost:18000", "name": "Jo Lee@x"}},
            "account:http://localhost:18000|Jo Lee@x",
            None,
            "jo%20lee%40x@localhost:18000",
        ),
    ],
)
def test_identities(agent: dict[str, object], key: str, email: str | None, handle: str) -> None:
    identity = agent_identity(agent)
    assert (identity.key, identity.email, identity.handle) == (key, email, handle)
    assert normalize_email(identity.handle) == identity.handle  # `--user` and users take it


@pytest.mark.parametrize(
    "agent",
    [
        {},
        {"name": "anonymous"},
        {"mbox": "ann@example.org"},
        {"mbox": "mailto:not-an-email"},
        {"mbox_sha1sum": "xyz"},
        {"openid": "not a url"},
        {"account": {"homePage": "http://x.org"}},
        {"account": {"homePage": "x", "name": "1"}},
        {"mbox": "mailto:a@b.org", "openid": "http://x.org/1"},
    ],
)
def test_identities_refused(agent: dict[str, object]) -> None:
    with pytest.raises(InputError):
        agent_identity(agent)


@given(
    st.text(min_size=1, max_size=60).filter(lambda s: s.strip() == s),
    st.sampled_from(["http://lms.example.org", "https://x.org:8443/moodle/", "http://localhost"]),
)
def test_account_handles_are_valid_emails(name: str, home: str) -> None:
    identity = agent_identity({"account": {"homePage": home, "name": name}})
    assert normalize_email(identity.handle) == identity.handle


@pytest.mark.parametrize(
    ("names", "expected"),
    [
        ({"fr": "Bonjour", "en-US": "Hello", "en": "Hi"}, "Hello"),
        ({"fr": "Bonjour", "en": "Hi"}, "Hi"),
        ({"fr": "Bonjour", "en-GB": "Hello"}, "Hello"),
        ({"und": "Thing"}, "Thing"),
        ({"en-US": ""}, None),
        ({}, None),
        ("plain", None),
    ],
)
def test_language_maps(names: object, expected: str | None) -> None:
    assert language_text(names) == expected
