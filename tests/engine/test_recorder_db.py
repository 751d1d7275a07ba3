"""Tests of reading a recorder database and of ``scripts/replay --recorder``."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import closing
from datetime import UTC, datetime, timedelta
import json
from pathlib import Path
import re
import sqlite3
from typing import Any

from hypothesis import given, strategies as st
import pytest

from custom_components.homecoming.engine import recorder_db, replay
from custom_components.homecoming.engine.recorder_db import (
    RecorderDatabaseError,
    decode_attributes,
    entity_ids,
    latest_state,
    open_database,
    read_states,
    row_state,
    schema_version,
)
from custom_components.homecoming.engine.replay import main
from custom_components.homecoming.engine.reports import RecordedState
from devtools import sim
from tests.engine.recorder_files import RecorderFile, gps
from tests.replay_day import a_day

TRACKER = "device_tracker.phone"
T0 = sim.DEFAULT_START
HOME = {"latitude": sim.DEFAULT_HOME[0], "longitude": sim.DEFAULT_HOME[1]}
ZONE = {**HOME, "radius": 100, "friendly_name": "Home"}
SINCE = (T0 - timedelta(minutes=1)).isoformat()
UNTIL = (T0 + timedelta(hours=4)).isoformat()
UNTIL_DT = T0 + timedelta(days=1)

type Run = Callable[..., tuple[int, str, str]]


def local(moment: str) -> str:
    """Return an ISO 8601 time as the replay tool shows it: local, to the second."""
    return datetime.fromisoformat(moment).astimezone().isoformat(timespec="seconds")


@pytest.fixture
def day_db(tmp_path: Path) -> Path:
    """Return a database with zone.home and a day of the phone's states."""
    db = RecorderFile(tmp_path / "home-assistant_v2.db")
    db.add("zone.home", "0", ZONE, T0 - timedelta(days=30))
    db.add("sensor.other", "12", {"unit_of_measurement": "%"}, T0)
    db.add_fixes(TRACKER, a_day().fixes)
    return db.close()


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str]) -> Run:
    """Return a runner of the replay tool: exit status, stdout, stderr."""

    def _run(*argv: str | Path) -> tuple[int, str, str]:
        status = main([str(arg) for arg in argv])
        out, err = capsys.readouterr()
        return status, out, err

    return _run


# ------------------------------------------------------------------ the database


def test_states_of_a_period(day_db: Path) -> None:
    """The entity's states after the start and before the end, oldest first."""
    fixes = a_day().fixes
    with closing(open_database(day_db)) as connection:
        states = list(
            read_states(connection, TRACKER, fixes[1].timestamp, fixes[-1].timestamp)
        )
        assert len(states) == len(fixes) - 3  # both ends excluded
        assert states[0] == RecordedState("not_home", gps(fixes[2]), fixes[2].timestamp)
        assert [s.timestamp for s in states] == sorted(s.timestamp for s in states)
        assert list(read_states(connection, "sensor.none", T0, T0 + timedelta(1))) == []
        zone = latest_state(connection, "zone.home", T0)
        assert zone is not None
        assert zone.attributes == ZONE
        assert latest_state(connection, "zone.home", T0 - timedelta(days=31)) is None
        assert schema_version(connection) == 53


def test_the_database_is_opened_read_only(day_db: Path) -> None:
    """Nothing is ever written, not even by mistake."""
    with (
        closing(open_database(day_db)) as connection,
        pytest.raises(sqlite3.OperationalError, match="readonly"),
    ):
        connection.execute("DELETE FROM states")


def test_legacy_attributes(tmp_path: Path) -> None:
    """Rows from before shared attributes keep theirs in states.attributes."""
    db = RecorderFile(tmp_path / "old.db")
    db.add(TRACKER, "not_home", None, T0, legacy=json.dumps({"latitude": 1.0}))
    db.add(TRACKER, "not_home", {"latitude": 2.0}, T0 + timedelta(seconds=1))
    db.add(TRACKER, None, None, T0 + timedelta(seconds=2))
    db.add(TRACKER, "home", None, None)  # no time: skipped
    with closing(open_database(db.close())) as connection:
        states = list(read_states(connection, TRACKER, T0 - timedelta(1), UNTIL_DT))
    assert [(s.state, s.attributes) for s in states] == [
        ("not_home", {"latitude": 1.0}),
        ("not_home", {"latitude": 2.0}),
        ("", {}),
    ]


def test_a_schema_without_the_legacy_column(tmp_path: Path) -> None:
    """A database whose states table has no attributes column is read too."""
    tables = (
        "CREATE TABLE states_meta (metadata_id INTEGER PRIMARY KEY, entity_id TEXT);"
        "CREATE TABLE state_attributes (attributes_id INTEGER PRIMARY KEY,"
        " shared_attrs TEXT);"
        "CREATE TABLE states (state_id INTEGER PRIMARY KEY, state TEXT,"
        " last_updated_ts FLOAT, attributes_id INTEGER, metadata_id INTEGER);"
    )
    db = RecorderFile(tmp_path / "new.db", tables)
    db.connection.execute("INSERT INTO states_meta (entity_id) VALUES ('a.b')")
    db.connection.execute("INSERT INTO state_attributes (shared_attrs) VALUES ('{}')")
    db.connection.execute(
        "INSERT INTO states (state, last_updated_ts, attributes_id, metadata_id)"
        " VALUES ('on', ?, 1, 1)",
        (T0.timestamp(),),
    )
    with closing(open_database(db.close())) as connection:
        assert schema_version(connection) is None
        (state,) = read_states(connection, "a.b", T0 - timedelta(1), UNTIL_DT)
    assert state == RecordedState("on", {}, T0)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "no such file"),
        ("directory", "is a directory"),
        (b"not a database at all, just some bytes" * 100, "not an SQLite database"),
        (
            (
                "CREATE TABLE states (state TEXT);"
                "CREATE TABLE schema_changes (change_id INTEGER, schema_version INTEGER);"
                "INSERT INTO schema_changes VALUES (1, 30);"
            ),
            (
                "not a Home Assistant recorder database of schema 38 or later"
                " (schema 30): no states table with attributes_id, last_updated_ts,"
                " metadata_id, state"
            ),
        ),
        (
            "CREATE TABLE other (x TEXT);",
            "not a Home Assistant recorder database of schema 38 or later: no states",
        ),
    ],
    ids=["missing", "directory", "not-sqlite", "old-schema", "no-recorder"],
)
def test_databases_that_cannot_be_read(
    tmp_path: Path, content: str | bytes | None, message: str
) -> None:
    """A missing file, another file, an older or another database: a clear error."""
    path = tmp_path / "db"
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif content == "directory":
        path.mkdir()
    elif content is not None:
        RecorderFile(path, content).close()
    with pytest.raises(RecorderDatabaseError, match="^" + re.escape(message)):
        open_database(path)


def test_a_database_that_cannot_be_opened(
    day_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file SQLite cannot open (no permission to read it): a clear error."""

    def refuse(*args: object, **kwargs: object) -> sqlite3.Connection:
        raise sqlite3.OperationalError("unable to open database file")

    monkeypatch.setattr(sqlite3, "connect", refuse)
    with pytest.raises(
        RecorderDatabaseError,
        match=r"^cannot open it \(unable to open database file\)$",
    ):
        open_database(day_db)


def test_a_locked_database(
    day_db: Path, run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A database another program holds locked: said so, not "no database"."""
    monkeypatch.setattr(recorder_db, "BUSY_TIMEOUT_S", 0.0)
    with closing(sqlite3.connect(day_db, isolation_level=None)) as writer:
        assert writer.execute("PRAGMA journal_mode").fetchone() == ("delete",)
        writer.execute("BEGIN EXCLUSIVE")
        status, out, err = run("--recorder", day_db, "--entity", TRACKER)
        writer.execute("ROLLBACK")
    assert (status, out) == (2, "")
    assert err == (
        f"replay: {day_db}: the database is locked by another program; copy it or"
        " try again (database is locked)\n"
    )


def test_a_database_that_fails_otherwise(
    day_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another error of SQLite while the schema is checked: the database's words."""

    def fail(connection: sqlite3.Connection, table: str) -> set[str]:
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(recorder_db, "_columns", fail)
    with pytest.raises(
        RecorderDatabaseError, match=r"^cannot read it \(disk I/O error\)$"
    ):
        open_database(day_db)


def test_a_database_that_fails_while_read(day_db: Path) -> None:
    """An error of SQLite while reading is the database's error."""
    connection = open_database(day_db)
    connection.close()
    with pytest.raises(RecorderDatabaseError, match="cannot read the states"):
        list(read_states(connection, TRACKER, T0, UNTIL_DT))
    with pytest.raises(RecorderDatabaseError, match="cannot read the states"):
        latest_state(connection, "zone.home", T0)
    with pytest.raises(RecorderDatabaseError, match="cannot read the entities"):
        entity_ids(connection)


def test_a_broken_schema_table_has_no_version(tmp_path: Path) -> None:
    """A schema_changes table without the version column says nothing."""
    db = RecorderFile(tmp_path / "x.db", "CREATE TABLE schema_changes (x TEXT);")
    with closing(sqlite3.connect(db.close())) as connection:
        assert schema_version(connection) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"a": 1}', {"a": 1}),
        (b'{"a": 1}', {"a": 1}),
        ("[1, 2]", {}),
        ("{", {}),
        ("[" * 100_000, {}),
        (None, {}),
        (3, {}),
    ],
    ids=["object", "bytes", "list", "broken", "deep", "null", "number"],
)
def test_attributes_are_decoded(text: object, expected: dict[str, Any]) -> None:
    """Attributes are a JSON object, or none at all."""
    assert decode_attributes(text) == expected


@given(st.one_of(st.text(), st.binary(), st.none(), st.integers(), st.floats()))
def test_attributes_never_raise(text: object) -> None:
    """Whatever a row holds, its attributes are a dictionary."""
    assert isinstance(decode_attributes(text), dict)


@given(
    state=st.one_of(st.text(), st.none(), st.integers()),
    moment=st.one_of(
        st.floats(),
        st.integers(min_value=-(10**20), max_value=10**20),
        st.none(),
        st.booleans(),
        st.text(max_size=5),
    ),
    attributes=st.one_of(st.text(max_size=30), st.none()),
)
def test_rows_never_raise(state: object, moment: object, attributes: object) -> None:
    """A row is a recorded state with an aware time, or nothing."""
    recorded = row_state(state, moment, attributes)
    if recorded is not None:
        assert isinstance(recorded.state, str)
        assert recorded.timestamp.utcoffset() == timedelta(0)
        assert isinstance(recorded.attributes, dict)


# ------------------------------------------------------------------ the command line


def test_replay_a_day_from_the_database(day_db: Path, run: Run) -> None:
    """The day's trips, read from the database with zone.home as home."""
    status, out, err = run(
        "--recorder", day_db, "--entity", TRACKER, "--since", SINCE, "--until", UNTIL
    )
    assert (status, err) == (0, "")
    lines = out.splitlines()
    assert lines[0].startswith(
        f"{TRACKER}: home 52.370000,4.890000 radius 100 m, {T0.astimezone().year}-"
    )
    assert [line.split()[1] for line in lines[1:-2]] == [
        "approach_started",
        "arriving",
        "arrived",
        "departed",
        "approach_started",
        "approach_cancelled",
        "approach_started",
        "approach_cancelled",
        "approach_started",
        "arriving",
        "arrived",
    ]
    assert lines[-2].startswith("  trips home 2, median lead ")
    assert lines[-2].endswith(
        " min, false approaches 2 (drive-bys 1, cancelled 1), departures 1"
    )
    assert (
        lines[-1]
        == f"  states {len(a_day().fixes)}, used {len(a_day().fixes)}, ignored 0"
    )


def test_replay_as_json(day_db: Path, run: Run) -> None:
    """JSON lines: each transition, then the replay as the action answers it."""
    status, out, _ = run(
        "--recorder",
        day_db,
        "--entity",
        TRACKER,
        "--since",
        SINCE,
        "--until",
        UNTIL,
        "--json",
    )
    assert status == 0
    *transitions, result = [json.loads(line) for line in out.splitlines()]
    assert len(transitions) == 11
    assert {t["trace"] for t in transitions} == {TRACKER}
    assert result["trace"] == TRACKER
    assert result["start"] == datetime.fromisoformat(SINCE).isoformat()
    assert result["summary"]["trips_home"] == 2
    assert result["summary"]["drive_bys"] == 1
    assert result["summary"]["cancelled_approaches"] == 1
    assert len(result["trips"]) == 2


def test_home_from_the_command_line(tmp_path: Path, run: Run) -> None:
    """Without a zone in the database, --home and --radius give home."""
    db = RecorderFile(tmp_path / "h.db")
    db.add_fixes(TRACKER, a_day().fixes[:200])
    db.add(TRACKER, "unavailable", {}, T0 + timedelta(hours=1))
    db.add(TRACKER, "not_home", {"latitude": 95, "longitude": 4}, T0 + timedelta(2))
    path = db.close()
    args = ("--recorder", path, "--entity", TRACKER, "--since", SINCE)
    status, out, err = run(*args, "--until", "2025-01-09")
    assert status == 2
    assert (
        err
        == f"replay: {path}: no position of zone.home in the database (give --home LAT,LON)\n"
    )
    assert out == ""
    status, out, err = run(
        *args, "--until", "2025-01-09", "--home", "52.37,4.89", "--radius", "80"
    )
    assert (status, err) == (0, "")
    assert "radius 80 m" in out.splitlines()[0]
    assert out.splitlines()[-1] == (
        "  states 202, used 200, ignored 2 (unavailable 1, unparseable 1)"
    )


def test_another_zone_and_its_radius(tmp_path: Path, run: Run) -> None:
    """--zone names the home zone; a zone without a usable radius has 100 m."""
    db = RecorderFile(tmp_path / "z.db")
    db.add("zone.cottage", "0", {**HOME, "radius": "wide"}, T0 - timedelta(days=1))
    # Written after the period only (older states purged): still the zone.
    db.add("zone.flat", "0", {**HOME, "radius": 250.0}, T0 + timedelta(days=5))
    db.add("person.anna", "cottage", {}, T0 + timedelta(minutes=1))
    db.add("person.anna", "not_home", {}, T0 + timedelta(minutes=30))
    db.add("person.anna", "Cottage", {}, T0 + timedelta(minutes=60))
    path = db.close()
    args = ("--recorder", path, "--entity", "person.anna", "--since", SINCE)
    status, out, _ = run(*args, "--until", UNTIL, "--zone", "zone.cottage")
    assert status == 0
    lines = out.splitlines()
    assert "radius 100 m" in lines[0]
    # The zone's name is its object id: "cottage" is not what the tracker shows.
    assert [line.split()[1] for line in lines[1:-2]] == ["departed"]
    assert lines[-2] == (
        "  trips home 0, median lead –, false approaches 0 (drive-bys 0,"
        " cancelled 0), departures 1"
    )
    status, out, _ = run(*args, "--until", UNTIL, "--zone", "zone.flat")
    assert status == 0
    assert "radius 250 m" in out.splitlines()[0]


def test_the_last_days_until_now(
    day_db: Path, run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    """By default the last 14 days up to now; --days chooses how many."""
    status, out, _ = run("--recorder", day_db, "--entity", TRACKER, "--json")
    assert status == 0
    result = json.loads(out.splitlines()[-1])
    end = datetime.fromisoformat(result["end"])
    assert abs(end - datetime.now(UTC)) < timedelta(minutes=1)
    assert end - datetime.fromisoformat(result["start"]) == timedelta(days=14)
    until = (T0 + timedelta(days=1)).isoformat()
    status, out, _ = run(
        "--recorder", day_db, "--entity", TRACKER, "--days", "1.5", "--until", until
    )
    assert "trips home 2" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--recorder", "x.db"], "--recorder needs --entity"),
        (["--recorder", "x.db", "--entity", "a.b", "t.gpx"], "not both"),
        (["--entity", "Device_tracker.X"], "expected an entity id such as"),
        (["--entity", "tracker"], "expected an entity id"),
        (["--zone", "home"], "expected an entity id"),
        (
            ["--since", "yesterday"],
            "expected an ISO 8601 date or time, got 'yesterday'",
        ),
        (["--until", "9999-12-31T23:59:59-12:00"], "expected an ISO 8601 date"),
        (["--days", "0"], "expected a number of days over 0, at most 3660, got '0'"),
        (["--days", "nan"], "expected a number of days"),
        (["--days", "many"], "expected a number of days"),
        (["--days", "4000"], "expected a number of days"),
        (["--days", "2", "--since", "2025-01-01"], "not allowed with argument"),
        (
            ["--zone", "zone.home", "--home", "52,4"],
            "argument --home: not allowed with argument --zone",
        ),
        (
            [
                "--recorder",
                "x.db",
                "--entity",
                "a.b",
                "--since",
                "2026-11-28T00:00:00+01:00",
                "--until",
                "2026-11-20T00:00:00+01:00",
            ],
            (
                "--since must be before --until (default: now):"
                f" {local('2026-11-28T00:00:00+01:00')} is not before"
                f" {local('2026-11-20T00:00:00+01:00')}"
            ),
        ),
        (
            ["--recorder", "x.db", "--entity", "a.b", "--since", "2999-01-01T00:00Z"],
            (
                f"--since must be before --until (default: now): {local('2999-01-01T00:00Z')}"
                " is not before"
            ),
        ),
    ],
)
def test_bad_recorder_arguments(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Bad options exit with status 2 and a usage message."""
    with pytest.raises(SystemExit) as caught:
        main(argv)
    assert caught.value.code == 2
    assert message in capsys.readouterr().err


def test_an_entity_not_in_the_database(day_db: Path, run: Run) -> None:
    """An entity the recorder never wrote: said so, with the closest it has."""
    status, out, err = run("--recorder", day_db, "--entity", "device_tracker.phon")
    assert (status, out) == (2, "")
    assert err == (
        f"replay: {day_db}: no entity device_tracker.phon in the recorder's database"
        f" (did you mean {TRACKER}?)\n"
    )
    status, out, err = run("--recorder", day_db, "--entity", "light.kitchen")
    assert (status, out) == (2, "")
    assert err == (
        f"replay: {day_db}: no entity light.kitchen in the recorder's database\n"
    )


def test_a_file_that_is_no_database(tmp_path: Path, run: Run) -> None:
    """A file that is no recorder database: exit status 2 and why."""
    path = tmp_path / "notes.txt"
    path.write_text("hello", encoding="utf-8")
    status, out, err = run("--recorder", path, "--entity", TRACKER)
    assert (status, out) == (2, "")
    assert err.startswith(f"replay: {path}: not a")


@given(st.text(max_size=40))
def test_time_arguments_never_raise_otherwise(text: str) -> None:
    """--since and --until take ISO 8601 (naive: local) or refuse it cleanly."""
    try:
        moment = replay._moment(text)
    except replay.argparse.ArgumentTypeError:
        return
    assert moment.tzinfo is UTC


@given(st.text(max_size=12))
def test_day_and_entity_arguments_never_raise_otherwise(text: str) -> None:
    """--days and --entity take their values or refuse them cleanly."""
    for parse in (replay._days, replay._entity_id):
        try:
            parse(text)
        except replay.argparse.ArgumentTypeError:
            continue


def test_naive_times_are_local() -> None:
    """A time without a zone is the local time, as Home Assistant shows times."""
    naive = datetime(2025, 1, 6, 17, 30)  # noqa: DTZ001 - the point of the test
    assert replay._moment("2025-01-06T17:30") == naive.astimezone().astimezone(UTC)
