import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from dateutil.parser import isoparse
from hypothesis import given
from hypothesis import strategies as st

from catalyst_cli.errors import InputError
from catalyst_cli.timeutil import iso, local_date, parse_time, zone
from tests.conftest import REAL_DATA, require_real_data

CONFORMANCE = REAL_DATA / "adl-lrs-conformance" / "timestamp-cases.json"
PARIS = zone("Europe/Paris")


def _conformance_cases() -> list[Any]:
    """The cases, or one placeholder that skips (names the folder) when the data is absent."""
    if not CONFORMANCE.exists():
        return [pytest.param("", "", id="real-data-absent")]
    cases = json.loads(CONFORMANCE.read_text())["timestamps"]
    return [(c["value"], c["lrs_must"]) for c in cases]


@pytest.mark.parametrize(("value", "must"), _conformance_cases())
def test_lrs_conformance_timestamps(value: str, must: str) -> None:
    """The ADL LRS conformance suite's timestamp strings: rejected or accepted as it requires."""
    require_real_data(CONFORMANCE)
    if must.startswith("reject"):
        with pytest.raises(InputError, match="invalid time"):
            parse_time(value, PARIS)
    else:
        parsed = parse_time(value, PARIS)
        assert parsed.utcoffset() is not None
        if value == "2023-05-04T12:00:00-05:00":
            assert parsed == datetime(2023, 5, 4, 17, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "end_of_day", "expected"),
    [
        ("2026-03-01", False, "2026-03-01T12:00:00+01:00"),
        ("2026-03-01", True, "2026-03-01T23:59:59.999999+01:00"),
        ("2026-07-01", True, "2026-07-01T23:59:59.999999+02:00"),
        ("2026-03-01T09:30", False, "2026-03-01T09:30:00+01:00"),
        ("2026-03-01T09:30Z", False, "2026-03-01T09:30:00+00:00"),
        ("2026-03-01T09:30:00-08:00", True, "2026-03-01T09:30:00-08:00"),
        ("2026-03-29T02:30", False, "2026-03-29T02:30:00+01:00"),  # skipped by DST: offset before
    ],
)
def test_parse_time(text: str, end_of_day: bool, expected: str) -> None:
    assert parse_time(text, PARIS, end_of_day=end_of_day).isoformat() == expected


def test_local_dates_follow_dst() -> None:
    la = zone("America/Los_Angeles")
    # 2026-03-08 is the US spring-forward day: 07:30Z is 23:30 PST the day before
    assert str(local_date(datetime(2026, 3, 8, 7, 30, tzinfo=UTC), la)) == "2026-03-07"
    assert str(local_date(datetime(2026, 3, 9, 6, 30, tzinfo=UTC), la)) == "2026-03-08"
    assert iso(datetime(2026, 3, 9, 6, 30, tzinfo=UTC), la) == "2026-03-08T23:30:00-07:00"
    assert (
        str(local_date(datetime(2026, 1, 1, 9, 59, tzinfo=UTC), zone("Pacific/Kiritimati")))
        == "2026-01-01"
    )
    assert (
        str(local_date(datetime(2026, 1, 1, 10, 0, tzinfo=UTC), zone("Pacific/Kiritimati")))
        == "2026-01-02"
    )


@pytest.mark.parametrize("name", ["Mars/Base", "", "../etc/passwd", "/etc/localtime"])
def test_unknown_zones(name: str) -> None:
    with pytest.raises(InputError, match="unknown timezone"):
        zone(name)


@given(
    st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2090, 1, 1)),
    st.integers(-14 * 60, 14 * 60),
    st.sampled_from(["T", " "]),
    st.sampled_from(["minutes", "seconds", "milliseconds", "microseconds"]),
)
def test_fast_path_reads_what_dateutil_reads(
    moment: datetime, minutes: int, sep: str, spec: str
) -> None:
    value = moment.replace(tzinfo=timezone(timedelta(minutes=minutes))).isoformat(sep, spec)
    if minutes == 0 and value.endswith("-00:00"):
        return
    parsed = parse_time(value, PARIS)
    assert parsed == isoparse(value)
    assert parsed.utcoffset() == timedelta(minutes=minutes)


@pytest.mark.parametrize(
    "value", ["2026-03-01T24:00:00+00:00", "20260301T093000+0100", "2026-W09-1T10:00+00:00"]
)
def test_forms_beyond_fromisoformat(value: str) -> None:
    assert parse_time(value, PARIS) == isoparse(value)


@pytest.mark.parametrize("value", ["2026-03-01T25:00:00+00:00", "2026-02-30T10:00Z", "yesterday"])
def test_impossible_times(value: str) -> None:
    with pytest.raises(InputError, match="invalid time"):
        parse_time(value, PARIS)
