from pathlib import Path

from typer.testing import CliRunner

from catalyst_cli.main import app


def test_demo_uses_its_own_file_and_shows_the_views(isolated_env: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    real = isolated_env / "real.db"
    monkeypatch.setenv("CATALYST_DATABASE_URL", f"sqlite:///{real}")
    for _ in range(2):  # a second run starts afresh
        result = CliRunner().invoke(app, ["demo"])
        assert result.exit_code == 0, result.output
        assert result.stderr == ""
    out = result.stdout
    assert "current_streak        4" in out
    assert "modules_completed     2" in out
    assert "▶  3. Functions (functions)  ← next" in out
    report = out.split("== catalyst report", 1)[1]
    assert [line.split()[0] for line in report.splitlines()[3:6]] == [
        "ada@example.com",
        "bob@example.com",
        "kim@example.com",
    ]
    assert (isolated_env / "demo.db").exists()
    assert not real.exists()
    assert not (isolated_env / "catalyst.db").exists()


def test_demo_into_a_database_given_with_db(tmp_path: Path) -> None:
    target = tmp_path / "mine.db"
    result = CliRunner().invoke(app, ["--db", str(target), "demo"])
    assert result.exit_code == 0, result.output
    users = CliRunner().invoke(app, ["--db", str(target), "users", "list", "-f", "json"])
    assert "ada@example.com" in users.stdout
