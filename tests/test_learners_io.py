"""Learners in bulk on a session: import rules, groups, identities and the list round trip."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from catalyst_cli.db.session import unit_of_work
from catalyst_cli.errors import InputError, NotFoundError
from catalyst_cli.groups import emails_in_groups, normalize_group, users_in_groups
from catalyst_cli.identities import (
    add_identities,
    learner_by_identity,
    learners_by_identity,
    normalize_identity,
)
from catalyst_cli.learners_io import (
    LEARNER_COLUMNS,
    LearnerImportSummary,
    import_learners,
    learner_record,
    learner_rows,
)
from catalyst_cli.output import write_data_csv
from catalyst_cli.readers import FileFormat, ImportFailed, Source
from catalyst_cli.users import add_user, get_learner
from tests.conftest import TABLES

NOW = datetime(2026, 3, 31, 12, tzinfo=UTC)
HEADER = ",".join(LEARNER_COLUMNS) + "\n"
ACCOUNT = "account:https://lms.example.org|4213"


def run(
    db_url: str, data: str, *, fmt: FileFormat = FileFormat.csv, dry_run: bool = False
) -> LearnerImportSummary:
    raw = data.encode()
    with unit_of_work(db_url) as session:
        return import_learners(
            session, Source(io.BytesIO(raw), "l.csv", len(raw)), fmt=fmt, dry_run=dry_run, now=NOW
        )


def listed(db_url: str, *groups: str) -> list[dict[str, object]]:
    with unit_of_work(db_url, write=False) as session:
        return [learner_record(r, lists=True) for r in learner_rows(session, groups=groups)]


def snapshot(db_url: str) -> dict[str, list[str]]:
    """Every row of every table (some have no id), to check that a failed import wrote nothing."""
    with unit_of_work(db_url, write=False) as session:
        return {
            t: sorted(repr(tuple(r)) for r in session.execute(text(f"SELECT * FROM {t}")))
            for t in TABLES
        }


def failure(db_url: str, data: str, fmt: FileFormat = FileFormat.csv) -> list[str]:
    before = snapshot(db_url)
    with pytest.raises(ImportFailed) as info:
        run(db_url, data, fmt=fmt)
    assert snapshot(db_url) == before
    return str(info.value).splitlines()


# --- pure rules ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("mbox:mailto:Ann@Example.COM", "mbox:mailto:ann@example.com"),
        ("MBOX:MAILTO:ann@example.com", "mbox:mailto:ann@example.com"),
        ("mbox_sha1sum:" + "AB" * 20, "mbox_sha1sum:" + "ab" * 20),
        ("openid:https://id.example/ann", "openid:https://id.example/ann"),
        (" account:https://lms.example.org | 4213 ", ACCOUNT),
        ("account:https://lms.example.org|a|b", "account:https://lms.example.org|a|b"),
    ],
)
def test_identities_are_normalised(given: str, stored: str) -> None:
    assert normalize_identity(given) == stored


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "ann@example.com",
        "mbox:ann@example.com",
        "mbox:mailto:not-an-email",
        "mbox_sha1sum:abc",
        "openid:not a url",
        "account:https://lms.example.org",
        "account:https://lms.example.org|",
        "account:lms|4213",
        "twitter:ann",
        "openid:https://id.example/a;b",
        "openid:https://id.example/\x1b[31m",
        "openid:https://id.example/" + "x" * 600,
    ],
)
def test_bad_identities_are_refused(bad: str) -> None:
    with pytest.raises(InputError):
        normalize_identity(bad)


@pytest.mark.parametrize("bad", ["", "  ", "a;b", "tab\there", "x" * 201])
def test_bad_group_names_are_refused(bad: str) -> None:
    with pytest.raises(InputError):
        normalize_group(bad)


def test_group_names_are_trimmed() -> None:
    assert normalize_group("  Cohort A ") == "Cohort A"
    assert normalize_group("x" * 200) == "x" * 200


# --- import ----------------------------------------------------------------------------------


def test_import_adds_learners_groups_and_identities(db_url: str) -> None:
    data = HEADER + (
        f'Ann@Example.com,"Ann, ""A"" Lovelace",Europe/Paris,cohort-a;staff,{ACCOUNT}\n'
        "bob@example.com,,,cohort-a,\n"
        "kim@example.com,Kîm,utc,,\n"
    )
    summary = run(db_url, data, dry_run=True)
    assert summary.describe() == (
        "dry run: l.csv: 3 valid rows would give 3 new learners, 0 updated, 2 new groups, "
        "3 memberships added, 0 removed, 1 identities added, 0 removed"
    )
    assert listed(db_url) == []
    assert run(db_url, data).changes == summary.changes
    assert listed(db_url) == [
        {
            "email": "ann@example.com",
            "name": 'Ann, "A" Lovelace',
            "timezone": "Europe/Paris",
            "groups": ["cohort-a", "staff"],
            "ids": [ACCOUNT],
        },
        {
            "email": "bob@example.com",
            "name": None,
            "timezone": "UTC",
            "groups": ["cohort-a"],
            "ids": [],
        },
        {"email": "kim@example.com", "name": "Kîm", "timezone": "UTC", "groups": [], "ids": []},
    ]
    again = run(db_url, data)
    assert again.rows == 3
    assert again.changes == type(again.changes)()


def test_empty_cells_keep_and_set_cells_replace(db_url: str) -> None:
    run(db_url, HEADER + f"ann@example.com,Ann,Europe/Paris,a;b,{ACCOUNT}\n")
    summary = run(db_url, "email,groups,ids\nann@example.com,b;c,openid:https://id.example/ann\n")
    c = summary.changes
    assert (c.added, c.updated, c.groups_created) == (0, 0, 1)
    assert (c.memberships_added, c.memberships_removed) == (1, 1)
    assert (c.identities_added, c.identities_removed) == (1, 1)
    run(db_url, "email,name\nann@example.com,Ann L.\n")
    assert listed(db_url) == [
        {
            "email": "ann@example.com",
            "name": "Ann L.",
            "timezone": "Europe/Paris",
            "groups": ["b", "c"],
            "ids": ["openid:https://id.example/ann"],
        }
    ]
    # JSON lines: an empty list clears, null keeps
    run(db_url, '{"email": "ann@example.com", "groups": [], "ids": null}\n', fmt=FileFormat.jsonl)
    assert listed(db_url)[0]["groups"] == []
    assert listed(db_url)[0]["ids"] == ["openid:https://id.example/ann"]


def test_bad_lines_are_listed_and_nothing_is_written(db_url: str) -> None:
    with unit_of_work(db_url) as session:
        bob = add_user(session, "bob@example.com", name=None, timezone=None, now=NOW)
        add_identities(session, bob.id, [ACCOUNT])
    data = HEADER + (
        "ann@example.com,Ann,Mars/Base,,\n"  # 2
        "not-an-email,,,,\n"  # 3
        ",Nobody,,,\n"  # 4
        f"kim@example.com,{'K' * 201},,,\n"  # 5
        "lea@example.com,,,a;;b,\n"  # 6
        "max@example.com,,,,twitter:max\n"  # 7
        f"ned@example.com,,,,{ACCOUNT}\n"  # 8
        "ok@example.com,,,,\n"  # 9
        "OK@example.com,,,,\n"  # 10
        "pat@example.com,,,,mbox:mailto:bob@example.com\n"  # 11
        "a,b\n"  # 12
    )
    assert failure(db_url, data) == [
        "l.csv:2: unknown timezone 'Mars/Base': use an IANA zone such as Europe/Paris",
        "l.csv:3: invalid email 'not-an-email'",
        "l.csv:4: missing email",
        f"l.csv:5: name {'K' * 40!r}... is longer than 200 characters",
        "l.csv:6: empty group name",
        "l.csv:7: invalid identity 'twitter:max': use mbox:mailto:EMAIL, mbox_sha1sum:HEX, "
        "openid:URL or account:HOMEPAGE|NAME",
        "l.csv:10: learner ok@example.com is also on line 9",
        "l.csv:12: expected 5 columns, found 2",
        f"l.csv:8: identity {ACCOUNT!r} is held by learner bob@example.com",
        "l.csv:11: identity 'mbox:mailto:bob@example.com' is the email of bob@example.com",
        "nothing was imported: 10 errors in l.csv",
    ]


def test_identities_move_between_learners_of_the_file(db_url: str) -> None:
    run(
        db_url,
        HEADER + f"ann@example.com,,,,{ACCOUNT}\nbob@example.com,,,,openid:https://b.example/\n",
    )
    run(
        db_url,
        HEADER + f"ann@example.com,,,,openid:https://b.example/\nbob@example.com,,,,{ACCOUNT}\n",
    )
    assert [r["ids"] for r in listed(db_url)] == [["openid:https://b.example/"], [ACCOUNT]]
    assert failure(
        db_url, HEADER + f"kim@example.com,,,,{ACCOUNT}\nlea@example.com,,,,{ACCOUNT}\n"
    ) == [
        f"l.csv:2: identity {ACCOUNT!r} is held by learner bob@example.com",
        f"l.csv:3: identity {ACCOUNT!r} is also on line 2",
        "nothing was imported: 2 errors in l.csv",
    ]


def test_at_most_fifty_errors_are_listed(db_url: str) -> None:
    lines = failure(db_url, HEADER + "bad,,,,\n" * 60)
    assert len(lines) == 52
    assert lines[-2:] == ["... and 10 more errors", "nothing was imported: 60 errors in l.csv"]


def test_many_learners_in_one_import(db_url: str) -> None:
    rows = "".join(f"l{i:05d}@example.com,L {i},Europe/Paris,g{i % 3};all,\n" for i in range(2500))
    assert run(db_url, HEADER + rows).changes.memberships_added == 5000
    assert len(listed(db_url, "g1")) == 833
    with unit_of_work(db_url, write=False) as session:
        assert len(users_in_groups(session, ["g0", "g1"])) == 1667


# --- groups and identities for the other commands ----------------------------------------------


def test_groups_resolve_to_learners_and_unknown_ones_suggest(db_url: str) -> None:
    run(
        db_url,
        HEADER + "ann@example.com,,,cohort-a,\nbob@example.com,,,cohort-b,\nkim@example.com,,,,\n",
    )
    with unit_of_work(db_url, write=False) as session:
        assert emails_in_groups(session, ["cohort-a", "cohort-b"]) == [
            "ann@example.com",
            "bob@example.com",
        ]
        assert users_in_groups(session, ["cohort-a"]) == [
            get_learner(session, "ann@example.com").id
        ]
        with pytest.raises(
            NotFoundError, match=r"unknown group 'cohort-c' \(did you mean cohort-b, cohort-a\?\)"
        ):
            users_in_groups(session, ["cohort-c"])


def test_identities_resolve_to_learners(db_url: str) -> None:
    run(db_url, HEADER + f"ann@example.com,,,,{ACCOUNT}\nbob@example.com,,,,\n")
    with unit_of_work(db_url) as session:
        ann = get_learner(session, "ann@example.com")
        bob = get_learner(session, "bob@example.com")
        assert learner_by_identity(session, ACCOUNT) == ann
        assert learner_by_identity(session, "mbox:mailto:bob@example.com") == bob
        assert learner_by_identity(session, "openid:https://nobody.example/") is None
        assert (
            add_identities(
                session, bob.id, ["openid:https://b.example/", "OPENID:https://b.example/"]
            )
            == 1
        )
        assert add_identities(session, bob.id, ["openid:https://b.example/"]) == 0
        with pytest.raises(InputError, match="is held by learner ann@example.com"):
            add_identities(session, bob.id, [ACCOUNT])
        with pytest.raises(InputError, match="is held by learner ann@example.com"):
            add_identities(session, bob.id, ["mbox:mailto:ann@example.com"])
        found = learners_by_identity(session, [ACCOUNT, "openid:https://b.example/"])
        assert found == {ACCOUNT: ann, "openid:https://b.example/": bob}


# --- list then import reproduces the learners ----------------------------------------------------

_text = (
    st.text(
        alphabet=st.characters(blacklist_categories=("Cs", "Cc")) | st.sampled_from(',"\n;\r'),
        min_size=1,
        max_size=30,
    )
    .map(str.strip)
    .filter(bool)
)
_group = (
    st.text(
        alphabet=st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters=";"),
        min_size=1,
        max_size=12,
    )
    .map(str.strip)
    .filter(bool)
)
_learner = st.fixed_dictionaries(
    {
        "name": st.none() | _text,
        "timezone": st.sampled_from(["UTC", "Europe/Paris", "Asia/Kathmandu"]),
        "groups": st.frozensets(_group, max_size=3),
        "ids": st.frozensets(
            st.sampled_from(["openid:https://x.example/", ACCOUNT, "mbox_sha1sum:" + "0" * 40]),
            max_size=1,
        ),
    }
)


def clear(db_url: str) -> None:
    """Empty the learner tables: one database serves every example."""
    with unit_of_work(db_url) as session:
        session.execute(text("DELETE FROM users"))
        session.execute(text("DELETE FROM groups"))


def _learners_csv(db_url: str) -> str:
    out = io.StringIO(newline="")
    with unit_of_work(db_url, write=False) as session:
        write_data_csv(
            (learner_record(r, lists=False) for r in learner_rows(session)), LEARNER_COLUMNS, out
        )
    return out.getvalue()


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(people=st.lists(_learner, min_size=1, max_size=4))
def test_list_then_import_reproduces_the_learners(
    sqlite_url: str, people: list[dict[str, object]]
) -> None:
    clear(sqlite_url)
    seen: set[object] = set()
    lines = []
    for i, p in enumerate(people):
        ids = [x for x in p["ids"] if x not in seen]  # type: ignore[attr-defined]
        seen.update(ids)
        lines.append(
            json.dumps(
                {"email": f"p{i}@example.com", **p, "groups": sorted(p["groups"]), "ids": ids}  # type: ignore[call-overload]
            )
        )
    run(sqlite_url, "\n".join(lines) + "\n", fmt=FileFormat.jsonl)
    first = listed(sqlite_url)
    written = _learners_csv(sqlite_url)
    clear(sqlite_url)
    run(sqlite_url, written)
    assert listed(sqlite_url) == first
    assert _learners_csv(sqlite_url) == written
