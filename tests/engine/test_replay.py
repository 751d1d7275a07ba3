"""Tests of the replay command-line tool."""

from datetime import UTC, datetime, timedelta
import json
from pathlib import Path
import re
import runpy
import sys

import pytest

from custom_components.homecoming.engine import (
    EventType,
    Fix,
    Home,
    Phase,
    RejectReason,
    Settings,
    Transition,
    UpdateResult,
    replay,
)
from custom_components.homecoming.engine.replay import main

T0 = datetime(2024, 5, 1, 15, 0, tzinfo=UTC)
HOME = (52.0, 5.0)
METRES_PER_DEGREE = 111_195.0
TRANSITION_KEYS = ["trace", "time", "event", "phase", "distance_m", "eta"]


def _drive(
    start_m: float = 20_000.0, speed: float = 15.0, step_s: float = 5.0
) -> list[dict[str, object]]:
    """Drive straight south to home at ``speed``, then wait there a little."""
    rows: list[dict[str, object]] = []
    distance = start_m
    t = 0.0
    while True:
        rows.append(
            {
                "lat": HOME[0] + distance / METRES_PER_DEGREE,
                "lon": HOME[1],
                "time": (T0 + timedelta(seconds=t)).isoformat(),
                "acc": 10,
                "speed": speed if distance > 0 else 0,
            }
        )
        if distance <= 0:
            break
        distance = max(0.0, distance - speed * step_s)
        t += step_s
    for _ in range(5):
        t += step_s
        rows.append(dict(rows[-1], time=(T0 + timedelta(seconds=t)).isoformat()))
    return rows


def _write_jsonl(
    path: Path, rows: list[dict[str, object]], home: dict[str, float] | None = None
) -> Path:
    lines = [json.dumps({"home": home})] if home is not None else []
    lines += [json.dumps(row) for row in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _write_csv(path: Path, rows: list[dict[str, object]]) -> Path:
    lines = ["lat,lon,time,acc,speed"]
    lines += [
        f"{r['lat']},{r['lon']},{r['time']},{r['acc']},{r['speed']}" for r in rows
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _json_lines(text: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in text.splitlines()]


def _home_dict(radius: float = 100.0) -> dict[str, float]:
    return {"latitude": HOME[0], "longitude": HOME[1], "radius": radius}


def test_drive_home_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A straight drive home starts an approach, arrives, and is home, in order."""
    rows = _drive()
    path = _write_jsonl(tmp_path / "drive.jsonl", rows, _home_dict())
    assert main(["--json", str(path)]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    *transitions, summary = _json_lines(out)
    assert [list(line) for line in transitions] == [TRANSITION_KEYS] * 3
    assert [(t["event"], t["phase"]) for t in transitions] == [
        ("approach_started", "approaching"),
        ("arriving", "arriving"),
        ("arrived", "home"),
    ]
    assert all(t["trace"] == str(path) for t in transitions)
    times = [datetime.fromisoformat(str(t["time"])) for t in transitions]
    assert times == sorted(times)
    assert times[0] >= T0 and times[-1] <= T0 + timedelta(hours=1)
    started, arriving, arrived = transitions
    assert isinstance(started["eta"], str)
    assert datetime.fromisoformat(started["eta"]) > times[0]
    assert isinstance(arriving["distance_m"], float)
    assert arriving["distance_m"] == round(arriving["distance_m"], 1)
    assert arrived["eta"] is None
    assert summary == {
        "trace": str(path),
        "summary": {
            "fixes_read": len(rows),
            "fixes_used": len(rows),
            "rejected": {},
            "malformed": 0,
            "transitions": 3,
        },
    }
    counts = summary["summary"]
    assert isinstance(counts, dict)
    assert list(counts) == [
        "fixes_read",
        "fixes_used",
        "rejected",
        "malformed",
        "transitions",
    ]


def test_drive_home_text(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The readable timeline: header, one line per transition, summary."""
    path = _write_jsonl(tmp_path / "drive.jsonl", _drive(), _home_dict(80))
    assert main([str(path)]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    lines = out.splitlines()
    assert lines[0] == f"{path}: home 52.000000,5.000000 radius 80 m"
    timeline = lines[1:-1]
    assert [line.split()[1:3] for line in timeline] == [
        ["approach_started", "approaching"],
        ["arriving", "arriving"],
        ["arrived", "home"],
    ]
    stamp = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d"
    assert re.fullmatch(
        rf"  {stamp}  approach_started +approaching +\d+\.\d km  ETA \d\d:\d\d:\d\d",
        timeline[0],
    )
    assert re.fullmatch(rf"  {stamp}  arrived +home +\d+ m  ETA –", timeline[2])
    assert re.fullmatch(
        r"  fixes read \d+, used \d+, rejected 0, malformed 0, transitions 3", lines[-1]
    )


def test_home_and_radius_from_command_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``--home`` and ``--radius`` override the trace; a CSV needs ``--home``."""
    csv_path = _write_csv(tmp_path / "drive.csv", _drive())
    far = {"latitude": -33.9, "longitude": 18.4, "radius": 50.0}
    jsonl_path = _write_jsonl(tmp_path / "drive.jsonl", _drive(), far)
    argv = ["--home", "52,5", "--radius", "150", str(csv_path), str(jsonl_path)]
    assert main(argv) == 0
    lines = capsys.readouterr().out.splitlines()
    headers = [line for line in lines if not line.startswith("  ")]
    assert headers == [
        f"{csv_path}: home 52.000000,5.000000 radius 150 m",
        f"{jsonl_path}: home 52.000000,5.000000 radius 150 m",
    ]
    assert sum("arrived" in line for line in lines) == 2


def test_radius_from_trace_when_only_home_given(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Without ``--radius`` the trace's radius stays; a negative latitude works."""
    path = _write_jsonl(tmp_path / "d.jsonl", _drive()[:3], _home_dict(250))
    assert main(["--home=-33.9,18.4", str(path)]) == 0
    assert capsys.readouterr().out.splitlines()[0] == (
        f"{path}: home -33.900000,18.400000 radius 250 m"
    )


def test_radius_override_of_trace_home(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``--radius`` alone changes only the radius of the trace's home."""
    path = _write_jsonl(tmp_path / "d.jsonl", _drive()[:3], _home_dict(250))
    assert main(["--radius", "42.5", str(path)]) == 0
    assert capsys.readouterr().out.splitlines()[0] == (
        f"{path}: home 52.000000,5.000000 radius 42.5 m"
    )


def test_default_radius(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """With ``--home`` and no radius anywhere, the radius is 100 m."""
    path = _write_csv(tmp_path / "d.csv", _drive()[:3])
    assert main(["--home", "52,5", str(path)]) == 0
    assert capsys.readouterr().out.splitlines()[0].endswith("radius 100 m")


def test_missing_home_is_an_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A trace without a home, and no ``--home``, fails with exit status 2."""
    path = _write_csv(tmp_path / "d.csv", _drive()[:3])
    assert main(["--json", str(path)]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err == f"replay: {path}: no home in the trace (give --home LAT,LON)\n"


def test_bad_trace_among_good_ones(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A bad trace is reported on stderr; the others are still replayed."""
    good = _write_jsonl(tmp_path / "good.jsonl", _drive(), _home_dict())
    missing = tmp_path / "missing.gpx"
    empty = tmp_path / "empty.csv"
    empty.write_text("", encoding="utf-8")
    argv = ["--json", str(good), str(missing), str(empty), str(good)]
    assert main(argv) == 2
    out, err = capsys.readouterr()
    assert err.splitlines() == [
        f"replay: {missing}: cannot read: No such file or directory",
        f"replay: {empty}: empty file",
    ]
    summaries = [line for line in _json_lines(out) if "summary" in line]
    assert [line["trace"] for line in summaries] == [str(good), str(good)]
    assert len(_json_lines(out)) == 8


def test_rejections_and_malformed_rows(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Rejected fixes are counted by reason, in the order of RejectReason."""
    rows = _drive()[:4]
    inaccurate = dict(rows[3], acc=5000)
    early = dict(rows[0])
    rows = [*rows[:3], early, rows[2], inaccurate, rows[3]]
    path = _write_jsonl(tmp_path / "d.jsonl", rows, _home_dict())
    with path.open("a", encoding="utf-8") as file:
        file.write("not json\n{}\n")
    assert main(["--json", str(path)]) == 0
    summary = _json_lines(capsys.readouterr().out)[-1]["summary"]
    assert summary == {
        "fixes_read": 7,
        "fixes_used": 4,
        "rejected": {"inaccurate": 1, "duplicate": 1, "out_of_order": 1},
        "malformed": 2,
        "transitions": 0,
    }
    assert main([str(path)]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == (
        "  fixes read 7, used 4, rejected 3 (inaccurate 1, duplicate 1, "
        "out_of_order 1), malformed 2, transitions 0"
    )


class _SilentEngine:
    """An engine stand-in that rejects without (or with an unexpected) reason."""

    def __init__(self, home: Home, settings: Settings | None = None) -> None:
        self.count = 0

    def update(self, fix: Fix) -> UpdateResult:
        self.count += 1
        reason = None if self.count % 2 else RejectReason.TOO_OLD
        return UpdateResult(accepted=False, reason=reason, transitions=())


def test_rejection_without_reason(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A rejection without a reason is counted as ``unknown``, after known reasons."""
    monkeypatch.setattr(replay, "ApproachDetector", _SilentEngine)
    path = _write_jsonl(tmp_path / "d.jsonl", _drive()[:3], _home_dict())
    assert main(["--json", str(path)]) == 0
    summary = json.loads(capsys.readouterr().out)["summary"]
    assert summary["rejected"] == {"too_old": 1, "unknown": 2}
    assert list(summary["rejected"]) == ["too_old", "unknown"]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--home", "52", "x.csv"], "expected LAT,LON in degrees, got '52'"),
        (["--home", "52,5,1", "x.csv"], "expected LAT,LON"),
        (["--home", "north,east", "x.csv"], "expected LAT,LON"),
        (["--home", "95,5", "x.csv"], "expected LAT,LON"),
        (["--home", "nan,5", "x.csv"], "expected LAT,LON"),
        (["--radius", "0", "x.csv"], "expected a positive number of metres, got '0'"),
        (["--radius", "-3", "x.csv"], "expected a positive number of metres"),
        (["--radius", "wide", "x.csv"], "expected a positive number of metres"),
        (["--radius", "inf", "x.csv"], "expected a positive number of metres"),
        ([], "the following arguments are required: TRACE"),
    ],
)
def test_bad_arguments(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Bad options exit with status 2 and a usage message."""
    with pytest.raises(SystemExit) as caught:
        main(argv)
    assert caught.value.code == 2
    assert message in capsys.readouterr().err


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_runs_as_module(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """``python -m ...replay`` exits with the status of :func:`main`."""
    path = _write_csv(tmp_path / "d.csv", _drive()[:3])
    monkeypatch.setattr(sys, "argv", ["replay", "--home", "52,5", str(path)])
    with pytest.raises(SystemExit) as caught:
        runpy.run_module(replay.__name__, run_name="__main__")
    assert caught.value.code == 0
    assert "fixes read 3, used 3" in capsys.readouterr().out


def test_unknown_distance_is_shown_as_such() -> None:
    """A transition without a known distance (zone-only tracker) prints a dash / null."""
    transition = Transition(
        event=EventType.DEPARTED,
        phase=Phase.AWAY,
        previous=Phase.HOME,
        timestamp=datetime(2026, 1, 1, 8, tzinfo=UTC),
        distance_m=None,
        eta=None,
        driver=None,
    )
    assert "–" in replay._text_line(transition)
    assert json.loads(replay._json_line("t", transition))["distance_m"] is None
