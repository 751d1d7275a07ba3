"""Tests of the trace parsers (GPX, CSV, JSON lines)."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
import json
from pathlib import Path

from hypothesis import HealthCheck, given, settings, strategies as st
import pytest

from custom_components.homecoming.engine import Fix, Home
from custom_components.homecoming.engine.models import MAX_REPORTED_SPEED_MPS
from custom_components.homecoming.engine.traces import (
    Trace,
    TraceError,
    load_trace,
    parse_csv,
    parse_gpx,
    parse_jsonl,
)

FIXTURES = Path(__file__).parent / "fixtures"
T0 = datetime(2024, 5, 1, 15, 0, tzinfo=UTC)
GPX11 = "http://www.topografix.com/GPX/1/1"
GPX10 = "http://www.topografix.com/GPX/1/0"


def _at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def _gpx(body: str, namespace: str | None = GPX11) -> str:
    xmlns = f' xmlns="{namespace}"' if namespace else ""
    return f'<?xml version="1.0"?>\n<gpx version="1.1"{xmlns}>{body}</gpx>'


def _trkpt(inner: str, lat: str = "52.0", lon: str = "5.0") -> str:
    return f'<trk><trkseg><trkpt lat="{lat}" lon="{lon}">{inner}</trkpt></trkseg></trk>'


def _one_fix(trace: Trace) -> Fix:
    assert trace.malformed == 0
    assert len(trace.fixes) == 1
    return trace.fixes[0]


# --- fixture files ----------------------------------------------------------------------


def test_gpx11_fixture() -> None:
    """GPX 1.1: tracks, segments, routes, extensions and a Home waypoint."""
    trace = load_trace(FIXTURES / "drive_gpx11.gpx")
    assert trace.home == Home(latitude=52.0, longitude=5.0, radius=120.0)
    assert trace.malformed == 1
    assert [fix.latitude for fix in trace.fixes] == [52.03, 52.02, 52.01, 52.005]
    assert [fix.timestamp for fix in trace.fixes] == [_at(0), _at(10), _at(20), _at(30)]
    first, second, third, _ = trace.fixes
    assert (first.accuracy, first.speed, first.heading) == (8.5, 14.2, 181.0)
    assert (second.accuracy, second.speed, second.heading) == (None, None, None)
    assert second.timestamp.utcoffset() == timedelta(hours=2)
    assert third.timestamp.tzinfo is UTC


def test_gpx10_fixture() -> None:
    """GPX 1.0: core speed and course; Home matched case-insensitively, radius in desc."""
    trace = load_trace(FIXTURES / "drive_gpx10.gpx")
    assert trace.home == Home(latitude=51.4, longitude=-0.2, radius=150.0)
    assert trace.malformed == 0
    assert [(fix.speed, fix.heading) for fix in trace.fixes] == [
        (12.0, 225.5),
        (12.5, 226.0),
    ]
    assert all(fix.accuracy is None for fix in trace.fixes)


def test_semicolon_csv_fixture() -> None:
    """CSV with ``;``, aliases, epoch ms/s, text times, -1 and empty optionals."""
    trace = load_trace(FIXTURES / "drive_semicolon.csv")
    assert trace.home is None
    assert trace.malformed == 1
    assert [fix.timestamp for fix in trace.fixes] == [_at(0), _at(10), _at(20), _at(30)]
    assert [(f.accuracy, f.heading, f.speed) for f in trace.fixes] == [
        (8.0, 180.0, 14.5),
        (None, None, None),
        (None, None, None),
        (12.5, 179.5, 13.0),
    ]


def test_jsonl_fixture() -> None:
    """JSON lines with a home line, blank lines and malformed lines."""
    trace = load_trace(FIXTURES / "drive_home.jsonl")
    assert trace.home == Home(latitude=52.0, longitude=5.0, radius=80.0)
    assert trace.malformed == 2
    assert [fix.timestamp for fix in trace.fixes] == [_at(0), _at(10), _at(30)]
    assert [fix.latitude for fix in trace.fixes] == [52.03, 52.02, 52.005]
    assert trace.fixes[0].accuracy == 8.0
    assert trace.fixes[1].accuracy is None
    assert trace.fixes[2].speed is None


# --- shared field conversion ------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024-05-01T15:00:00Z", T0),
        ("2024-05-01T17:00:00+02:00", T0),
        ("2024-05-01T15:00:00", T0),
        ("2024-05-01 15:00:00", T0),
        ("2024-05-01T15:00:00.250Z", _at(0.25)),
        (" 1714575600 ", T0),
        ("1714575600.5", _at(0.5)),
        ("1714575600000", T0),
        (1714575600, T0),
        (1714575600000, T0),
        (1714575600.25, _at(0.25)),
    ],
)
def test_timestamps(value: object, expected: datetime) -> None:
    """ISO 8601 in its usual forms and epoch seconds or milliseconds."""
    line = json.dumps({"lat": 1, "lon": 2, "time": value})
    fix = _one_fix(parse_jsonl(line))
    assert fix.timestamp == expected
    assert fix.timestamp.utcoffset() is not None


@pytest.mark.parametrize(
    "value",
    [
        "",
        "   ",
        "yesterday",
        "2024-13-01T00:00:00Z",
        "inf",
        "nan",
        "1e20",
        1e300,
        10**400,
        True,
        None,
        [1714575600],
        {"t": 1},
    ],
)
def test_bad_timestamps_make_rows_malformed(value: object) -> None:
    """A timestamp that is missing or cannot be read makes the row malformed."""
    line = json.dumps({"lat": 1, "lon": 2, "time": value})
    trace = parse_jsonl(line)
    assert trace.fixes == ()
    assert trace.malformed == 1


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None),
        ("", None),
        ("  ", None),
        ("NaN", None),
        (-1, None),
        ("-1", None),
        (-1.0, None),
        (0, 0.0),
        ("7", 7.0),
        (" 7.5 ", 7.5),
        (12, 12.0),
    ],
)
def test_optional_numbers(value: object, expected: float | None) -> None:
    """Empty, missing, NaN and -1 mean "not given" for optional fields."""
    line = json.dumps(
        {"lat": 1, "lon": 2, "time": 0, "acc": value, "speed": value, "heading": value}
    )
    fix = _one_fix(parse_jsonl(line))
    assert (fix.accuracy, fix.speed, fix.heading) == (expected, expected, expected)


def test_missing_optionals_are_none() -> None:
    """Optional fields may be left out altogether."""
    fix = _one_fix(parse_jsonl('{"lat": 1, "lon": 2, "time": 0}'))
    assert (fix.accuracy, fix.speed, fix.heading) == (None, None, None)


@pytest.mark.parametrize(
    "fields",
    [
        {"lon": 2, "time": 0},
        {"lat": 1, "time": 0},
        {"lat": 1, "lon": 2},
        {"lat": "", "lon": 2, "time": 0},
        {"lat": "north", "lon": 2, "time": 0},
        {"lat": True, "lon": 2, "time": 0},
        {"lat": [1], "lon": 2, "time": 0},
        {"lat": 10**400, "lon": 2, "time": 0},
        {"lat": 91, "lon": 2, "time": 0},
        {"lat": 1, "lon": 181, "time": 0},
        {"lat": 1, "lon": 2, "time": 0, "acc": "good"},
        {"lat": 1, "lon": 2, "time": 0, "acc": -2},
        {"lat": 1, "lon": 2, "time": 0, "speed": "Infinity"},
        {"lat": 1, "lon": 2, "time": 0, "heading": {"deg": 3}},
    ],
)
def test_bad_rows_are_malformed(fields: dict[str, object]) -> None:
    """Missing or invalid required fields, invalid optionals, refused fixes."""
    trace = parse_jsonl(json.dumps(fields))
    assert trace.fixes == ()
    assert trace.malformed == 1


def test_infinite_json_number() -> None:
    """JSON's non-standard Infinity is refused by :class:`Fix`."""
    trace = parse_jsonl('{"lat": Infinity, "lon": 2, "time": 0}')
    assert trace.malformed == 1


# --- GPX --------------------------------------------------------------------------------


@pytest.mark.parametrize("namespace", [GPX11, GPX10, None])
def test_gpx_namespaces(namespace: str | None) -> None:
    """GPX 1.1, 1.0 and no namespace at all."""
    text = _gpx(_trkpt("<time>2024-05-01T15:00:00Z</time>"), namespace)
    fix = _one_fix(parse_gpx(text))
    assert (fix.latitude, fix.longitude, fix.timestamp) == (52.0, 5.0, T0)


def test_gpx_core_fields_win_over_extensions() -> None:
    """``<speed>`` and ``<course>`` come before extension values."""
    inner = (
        "<time>2024-05-01T15:00:00Z</time><speed>3</speed><course>90</course>"
        "<extensions><speed>4</speed><course>91</course><heading>92</heading>"
        "</extensions>"
    )
    fix = _one_fix(parse_gpx(_gpx(_trkpt(inner))))
    assert (fix.speed, fix.heading) == (3.0, 90.0)


def test_gpx_extension_heading_and_unrelated_extensions() -> None:
    """An extension ``heading`` counts; unrelated extension elements are ignored."""
    inner = (
        "<time>2024-05-01T15:00:00Z</time>"
        "<extensions><other>1</other><x:heading xmlns:x='urn:x'>45</x:heading>"
        "</extensions><extensions/>"
    )
    fix = _one_fix(parse_gpx(_gpx(_trkpt(inner))))
    assert (fix.heading, fix.speed, fix.accuracy) == (45.0, None, None)


def test_gpx_hdop_is_not_accuracy() -> None:
    """HDOP is dimensionless, so it never becomes an accuracy."""
    inner = "<time>2024-05-01T15:00:00Z</time><hdop>4.0</hdop><pdop>5</pdop>"
    assert _one_fix(parse_gpx(_gpx(_trkpt(inner)))).accuracy is None


@pytest.mark.parametrize(
    "point",
    [
        '<trkpt lon="5"><time>2024-05-01T15:00:00Z</time></trkpt>',
        '<trkpt lat="x" lon="5"><time>2024-05-01T15:00:00Z</time></trkpt>',
        '<trkpt lat="95" lon="5"><time>2024-05-01T15:00:00Z</time></trkpt>',
        '<trkpt lat="5" lon="5"></trkpt>',
        '<trkpt lat="5" lon="5"><time/></trkpt>',
        '<trkpt lat="5" lon="5"><time>soon</time></trkpt>',
        '<trkpt lat="5" lon="5"><time>0</time><speed>fast</speed></trkpt>',
    ],
)
def test_gpx_bad_points_are_malformed(point: str) -> None:
    """A point that makes no fix is counted and skipped."""
    trace = parse_gpx(_gpx(f"<trk><trkseg>{point}</trkseg></trk>"))
    assert trace.fixes == ()
    assert trace.malformed == 1


def test_gpx_only_tracks_and_routes_make_fixes() -> None:
    """Waypoints and stray elements are no fixes; routes and all segments are."""
    body = (
        "<metadata><time>2024-05-01T15:00:00Z</time></metadata>"
        '<wpt lat="1" lon="1"><time>2024-05-01T15:00:00Z</time></wpt>'
        '<trk><name>x</name><trkseg><trkpt lat="1" lon="1"><time>0</time></trkpt>'
        '</trkseg><trkseg><trkpt lat="1" lon="1"><time>1</time></trkpt></trkseg></trk>'
        '<rte><name>r</name><rtept lat="1" lon="1"><time>2</time></rtept></rte>'
        '<trk><trkseg><rtept lat="1" lon="1"><time>3</time></rtept></trkseg></trk>'
    )
    trace = parse_gpx(_gpx(body))
    assert [fix.timestamp.timestamp() for fix in trace.fixes] == [0, 1, 2]
    assert trace.home is None


@pytest.mark.parametrize(
    ("waypoint", "expected"),
    [
        ('<wpt lat="1" lon="2"><name>home</name></wpt>', 100.0),
        ('<wpt lat="1" lon="2"><name>Home</name><desc>75.5</desc></wpt>', 75.5),
        ('<wpt lat="1" lon="2"><name>Home</name><desc>my house</desc></wpt>', 100.0),
        ('<wpt lat="1" lon="2"><name>Home</name><desc>-5</desc></wpt>', 100.0),
        ('<wpt lat="1" lon="2"><name>Home</name><desc>NaN</desc></wpt>', 100.0),
        ('<wpt lat="1" lon="2"><name>Home</name><desc>inf</desc></wpt>', 100.0),
        (
            (
                '<wpt lat="1" lon="2"><name>Home</name><desc>60</desc>'
                "<extensions><radius>90</radius></extensions></wpt>"
            ),
            90.0,
        ),
        (
            (
                '<wpt lat="1" lon="2"><name>Home</name><desc>60</desc>'
                "<extensions><radius>wide</radius></extensions></wpt>"
            ),
            60.0,
        ),
    ],
)
def test_gpx_home_radius(waypoint: str, expected: float) -> None:
    """Radius from an extension, else a numeric description, else 100 m."""
    home = parse_gpx(_gpx(waypoint)).home
    assert home == Home(latitude=1.0, longitude=2.0, radius=expected)


@pytest.mark.parametrize(
    "waypoints",
    [
        '<wpt lat="1" lon="2"></wpt>',
        '<wpt lat="1" lon="2"><name>Homestead</name></wpt>',
        '<wpt lat="91" lon="2"><name>Home</name></wpt>',
        '<wpt lon="2"><name>Home</name></wpt>',
    ],
)
def test_gpx_no_home(waypoints: str) -> None:
    """Only a valid waypoint named Home is the home."""
    assert parse_gpx(_gpx(waypoints)).home is None


def test_gpx_first_home_wins() -> None:
    """With several Home waypoints the first valid one is used."""
    body = (
        '<wpt lat="91" lon="2"><name>Home</name></wpt>'
        '<wpt lat="1" lon="2"><name>Home</name></wpt>'
        '<wpt lat="3" lon="4"><name>Home</name></wpt>'
    )
    assert parse_gpx(_gpx(body)).home == Home(latitude=1, longitude=2, radius=100)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "not well-formed XML"),
        ("<gpx><trk></gpx>", "not well-formed XML"),
        ("<gpx>\ud800</gpx>", "not well-formed XML"),
        ('<kml xmlns="http://www.opengis.net/kml/2.2"/>', "not a GPX document \\(root"),
        (
            '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">]><gpx>&lol;</gpx>',
            "DOCTYPE or ENTITY",
        ),
        ('<gpx><!ENTITY x "y"></gpx>', "DOCTYPE or ENTITY"),
        ("<!doctype gpx><gpx/>", "DOCTYPE or ENTITY"),
    ],
)
def test_gpx_errors(text: str, message: str) -> None:
    """Broken XML, other documents and declarations raise TraceError."""
    with pytest.raises(TraceError, match=message) as caught:
        parse_gpx(text)
    assert "\n" not in str(caught.value)


# --- CSV --------------------------------------------------------------------------------


def test_csv_comma_and_aliases() -> None:
    """Comma-delimited with case-insensitive aliases and extra columns."""
    text = (
        "\ufeff\n\n ID , LATITUDE,Longitude,TIME,accuracy,course,speed\n"
        "a,1.5,2.5,2024-05-01T15:00:00Z,3,4,5\n"
    )
    fix = _one_fix(parse_csv(text))
    assert (fix.latitude, fix.longitude, fix.timestamp) == (1.5, 2.5, T0)
    assert (fix.accuracy, fix.heading, fix.speed) == (3.0, 4.0, 5.0)


def test_csv_first_alias_wins() -> None:
    """When both ``latitude`` and ``lat`` exist, ``latitude`` is used."""
    text = "lat,latitude,lon,time\n9,1,2,0\n"
    assert _one_fix(parse_csv(text)).latitude == 1.0


def test_csv_short_rows_blank_rows_and_quotes() -> None:
    """Short rows lose their missing fields; blank rows are skipped, not malformed."""
    text = 'lat,lon,time,speed\n"1,0",2,0\n1,2\n , , \n\n"1",2,3\n1,2,4,9\n'
    trace = parse_csv(text)
    assert trace.malformed == 2
    assert [(fix.timestamp.timestamp(), fix.speed) for fix in trace.fixes] == [
        (3.0, None),
        (4.0, 9.0),
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "without a header"),
        (" \n\t\n", "without a header"),
        ("lat,lon\n1,2\n", "lacks column\\(s\\): time"),
        ("x;y;when\n1;2;3\n", "lacks column\\(s\\): latitude, longitude, time"),
        ("lat,lon,time\n" + "1,2," + "9" * 200_000 + "\n", "unreadable CSV at line 2"),
        ("\n\nlat,lon,time\n1,2,3\n1,2," + "x" * 200_000, "unreadable CSV at line 5"),
    ],
)
def test_csv_errors(text: str, message: str) -> None:
    """No header, missing columns and unreadable CSV raise TraceError."""
    with pytest.raises(TraceError, match=message):
        parse_csv(text)


# --- JSON lines -------------------------------------------------------------------------


def test_jsonl_keys_are_case_insensitive() -> None:
    """Keys are matched case-insensitively, like CSV columns."""
    fix = _one_fix(parse_jsonl('{"Lat": 1, " LNG ": 2, "TimeStamp": 0, "Bearing": 7}'))
    assert (fix.latitude, fix.longitude, fix.heading) == (1.0, 2.0, 7.0)


@pytest.mark.parametrize(
    ("home", "expected"),
    [
        ({"latitude": 1, "longitude": 2}, Home(latitude=1, longitude=2, radius=100)),
        (
            {"LAT": "1", "lng": "2", "Radius": "50"},
            Home(latitude=1, longitude=2, radius=50),
        ),
        (
            {"lat": 1, "lon": 2, "radius": None},
            Home(latitude=1, longitude=2, radius=100),
        ),
    ],
)
def test_jsonl_home(home: dict[str, object], expected: Home) -> None:
    """A home line sets the home; its radius defaults to 100 m."""
    trace = parse_jsonl(json.dumps({"home": home}))
    assert trace == Trace(fixes=(), home=expected, malformed=0)


@pytest.mark.parametrize(
    "home",
    [
        None,
        [1, 2],
        "52,5",
        {"lat": 1},
        {"lat": 1, "lon": 2, "radius": 0},
        {"lat": 1, "lon": 2, "radius": "big"},
        {"lat": 100, "lon": 2},
    ],
)
def test_jsonl_bad_home_is_malformed(home: object) -> None:
    """A home line that makes no home is counted as malformed."""
    trace = parse_jsonl(json.dumps({"home": home}))
    assert trace == Trace(fixes=(), home=None, malformed=1)


def test_jsonl_first_home_wins_and_lines_are_counted() -> None:
    """The first valid home is kept; non-objects and bad JSON are malformed."""
    lines = [
        '{"home": {"lat": 1, "lon": 2}}',
        '{"home": {"lat": 3, "lon": 4}}',
        "[1, 2]",
        "42",
        '"text"',
        "{",
        "[" * 100_000,
        "",
        "   ",
        '{"lat": 5, "lon": 6, "time": 7}',
    ]
    trace = parse_jsonl("\n".join(lines))
    assert trace.home == Home(latitude=1, longitude=2, radius=100)
    assert trace.malformed == 5
    assert len(trace.fixes) == 1


def test_jsonl_empty() -> None:
    """Empty text is an empty trace."""
    assert parse_jsonl("") == Trace(fixes=(), home=None, malformed=0)


# --- files ------------------------------------------------------------------------------


CSV_TEXT = "lat,lon,time\n1,2,3\n"
JSONL_TEXT = '{"lat": 1, "lon": 2, "time": 3}\n'
GPX_TEXT = _gpx(_trkpt("<time>1970-01-01T00:00:03Z</time>", lat="1", lon="2"))


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("a.gpx", GPX_TEXT),
        ("a.GPX", GPX_TEXT),
        ("a.csv", CSV_TEXT),
        ("a.jsonl", JSONL_TEXT),
        ("a.ndjson", JSONL_TEXT),
        ("a.json", JSONL_TEXT),
        ("a.txt", "  \n" + GPX_TEXT),
        ("a.log", "\n" + JSONL_TEXT),
        ("noext", CSV_TEXT),
        ("a.xml", "\ufeff" + GPX_TEXT),
    ],
)
def test_load_trace_formats(tmp_path: Path, name: str, text: str) -> None:
    """The format follows the extension, else the content."""
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    fix = _one_fix(load_trace(path))
    assert (fix.latitude, fix.longitude, fix.timestamp.timestamp()) == (1, 2, 3)


def test_load_trace_extension_beats_content(tmp_path: Path) -> None:
    """A ``.csv`` holding JSON lines is parsed as CSV (and has no header)."""
    path = tmp_path / "a.csv"
    path.write_text(JSONL_TEXT, encoding="utf-8")
    with pytest.raises(TraceError, match="lacks column"):
        load_trace(path)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "cannot read: No such file"),
        (b"", "empty file"),
        (b" \n\r\n\t", "empty file"),
        (b"\xff\xfelat,lon,time", "not UTF-8 text"),
    ],
)
def test_load_trace_errors(tmp_path: Path, content: bytes | None, message: str) -> None:
    """Missing, empty and non-UTF-8 files raise TraceError."""
    path = tmp_path / "trace.csv"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(TraceError, match=message):
        load_trace(path)


def test_load_trace_directory(tmp_path: Path) -> None:
    """A directory is not a trace."""
    with pytest.raises(TraceError, match="cannot read"):
        load_trace(tmp_path)


# --- properties -------------------------------------------------------------------------

PARSERS: list[Callable[[str], Trace]] = [parse_gpx, parse_csv, parse_jsonl]


def _never_raises_other(parser: Callable[[str], Trace], text: str) -> None:
    try:
        trace = parser(text)
    except TraceError as err:
        message = str(err)
    else:
        assert isinstance(trace, Trace)
        assert trace.malformed >= 0
        return
    assert "\n" not in message


@pytest.mark.parametrize("parser", PARSERS)
@given(text=st.text())
def test_parsers_never_raise_anything_else(
    parser: Callable[[str], Trace], text: str
) -> None:
    """Arbitrary text yields a Trace or TraceError, nothing else."""
    _never_raises_other(parser, text)


CELL = st.one_of(
    st.text(max_size=12),
    st.floats().map(repr),
    st.integers().map(str),
    st.sampled_from(["", "-1", "NaN", "2024-05-01T15:00:00Z", "2024-05-01 15:00:00"]),
)


@given(
    header=st.permutations(["lat", "lon", "time", "acc", "speed", "heading", "x"]),
    rows=st.lists(st.lists(CELL, max_size=8), max_size=6),
    delimiter=st.sampled_from([",", ";"]),
)
def test_csv_with_header_never_raises_anything_else(
    header: list[str], rows: list[list[str]], delimiter: str
) -> None:
    """Rows of random cells under a valid header never break the CSV parser."""
    lines = [delimiter.join(header)] + [delimiter.join(row) for row in rows]
    _never_raises_other(parse_csv, "\n".join(lines))


JSON_VALUE = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=12)
    | st.sampled_from(["-1", "2024-05-01T15:00:00Z", "1714575600000"]),
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(st.text(max_size=5), children, max_size=3)
    ),
    max_leaves=8,
)
KEYS = st.sampled_from(
    ["lat", "latitude", "lon", "lng", "time", "tst", "acc", "speed", "heading", "home"]
)


@given(objects=st.lists(st.dictionaries(KEYS, JSON_VALUE, max_size=7), max_size=5))
def test_jsonl_objects_never_raise_anything_else(
    objects: list[dict[str, object]],
) -> None:
    """Objects with the right keys but random values never break the parser."""
    _never_raises_other(parse_jsonl, "\n".join(json.dumps(o) for o in objects))


XML_TEXT = st.text(
    alphabet=st.sampled_from(list("<>/=\"' abcdeghklmnoprstwx0123456789.-:!?&;[]")),
    max_size=60,
)


@given(fragments=st.lists(XML_TEXT, max_size=4))
def test_gpx_like_text_never_raises_anything_else(fragments: list[str]) -> None:
    """Text that looks a bit like GPX never breaks the GPX parser."""
    inner = "".join(fragments)
    _never_raises_other(parse_gpx, _gpx(_trkpt(inner)))
    _never_raises_other(parse_gpx, inner)


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    data=st.binary(max_size=200),
    suffix=st.sampled_from([".gpx", ".csv", ".jsonl", ".json", ".txt", ""]),
)
def test_load_trace_never_raises_anything_else(
    tmp_path: Path, data: bytes, suffix: str
) -> None:
    """Arbitrary bytes in a file yield a Trace or TraceError."""
    path = tmp_path / f"trace{suffix}"
    path.write_bytes(data)
    try:
        load_trace(path)
    except TraceError as err:
        message = str(err)
    else:
        return
    assert "\n" not in message


# --- round trips ------------------------------------------------------------------------


@dataclass(frozen=True)
class _Row:
    latitude: float
    longitude: float
    timestamp: datetime
    accuracy: float | None
    speed: float | None
    heading: float | None


OPTIONAL_NON_NEGATIVE = st.none() | st.floats(
    min_value=0, max_value=1e6, allow_nan=False, allow_infinity=False
)
ROWS = st.builds(
    _Row,
    latitude=st.floats(min_value=-90, max_value=90),
    longitude=st.floats(min_value=-180, max_value=180),
    timestamp=st.datetimes(
        min_value=datetime(1971, 1, 1),  # noqa: DTZ001 - bounds of naive datetimes
        max_value=datetime(2099, 12, 30),  # noqa: DTZ001
        timezones=st.sampled_from(
            [
                UTC,
                timezone(timedelta(hours=2)),
                timezone(timedelta(hours=-5, minutes=-30)),
            ]
        ),
    ),
    accuracy=OPTIONAL_NON_NEGATIVE,
    speed=st.none() | st.floats(min_value=0, max_value=MAX_REPORTED_SPEED_MPS),
    heading=st.none()
    | st.floats(min_value=-720, max_value=720).filter(lambda h: h != -1),
)


def _text(value: float | None) -> str:
    return "" if value is None else repr(value)


def _check(trace: Trace, rows: list[_Row]) -> None:
    assert trace.malformed == 0
    assert len(trace.fixes) == len(rows)
    for fix, row in zip(trace.fixes, rows, strict=True):
        assert (fix.latitude, fix.longitude) == (row.latitude, row.longitude)
        assert fix.timestamp == row.timestamp
        assert fix.timestamp.utcoffset() == row.timestamp.utcoffset()
        assert (fix.accuracy, fix.speed, fix.heading) == (
            row.accuracy,
            row.speed,
            row.heading,
        )


@given(rows=st.lists(ROWS, max_size=5), delimiter=st.sampled_from([",", ";"]))
def test_csv_round_trip(rows: list[_Row], delimiter: str) -> None:
    """Values written as CSV come back unchanged."""
    lines = [
        delimiter.join(["time", "latitude", "longitude", "acc", "speed", "bearing"])
    ]
    lines += [
        delimiter.join(
            [
                row.timestamp.isoformat(),
                repr(row.latitude),
                repr(row.longitude),
                _text(row.accuracy),
                _text(row.speed),
                _text(row.heading),
            ]
        )
        for row in rows
    ]
    _check(parse_csv("\r\n".join(lines)), rows)


@given(rows=st.lists(ROWS, max_size=5), as_text=st.booleans())
def test_jsonl_round_trip(rows: list[_Row], as_text: bool) -> None:
    """Values written as JSON lines (numbers or their text) come back unchanged."""

    def number(value: float | None) -> object:
        return _text(value) if as_text else value

    lines = [
        json.dumps(
            {
                "lat": number(row.latitude),
                "lon": number(row.longitude),
                "time": row.timestamp.isoformat(),
                "accuracy": number(row.accuracy),
                "speed": number(row.speed),
                "heading": number(row.heading),
            }
        )
        for row in rows
    ]
    _check(parse_jsonl("\n".join(lines)), rows)


@given(rows=st.lists(ROWS, max_size=5))
def test_gpx_round_trip(rows: list[_Row]) -> None:
    """Values written as GPX 1.0 points come back unchanged."""

    def element(name: str, value: float | None) -> str:
        return "" if value is None else f"<{name}>{value!r}</{name}>"

    points = "".join(
        f'<trkpt lat="{row.latitude!r}" lon="{row.longitude!r}">'
        f"<time>{row.timestamp.isoformat()}</time>"
        f"{element('speed', row.speed)}{element('course', row.heading)}"
        f"<extensions>{element('accuracy', row.accuracy)}</extensions></trkpt>"
        for row in rows
    )
    _check(parse_gpx(_gpx(f"<trk><trkseg>{points}</trkseg></trk>", GPX10)), rows)


@given(
    seconds=st.integers(min_value=0, max_value=4_102_444_799),
    millis=st.booleans(),
)
def test_epoch_round_trip(seconds: int, millis: bool) -> None:
    """Epoch seconds and milliseconds give the same moment."""
    value = seconds * 1000 if millis and seconds * 1000 > 1e11 else seconds
    fix = _one_fix(parse_csv(f"lat,lon,time\n1,2,{value}\n"))
    assert fix.timestamp == datetime.fromtimestamp(seconds, tz=UTC)
